#include "services/scheduling/store/sql_calendar_feed_store.h"

#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status/status_macros.h"

namespace tandem::scheduling {
namespace {

constexpr char kColumns[] = "clinic_id, feed_id, clinician_id, created_at, revoked_at";

absl::StatusOr<CalendarFeedRecord> FeedOf(const db::Row& row) {
  CalendarFeedRecord feed;
  ASSIGN_OR_RETURN(feed.clinic_id, row.GetText("clinic_id"));
  ASSIGN_OR_RETURN(feed.feed_id, row.GetText("feed_id"));
  ASSIGN_OR_RETURN(feed.clinician_id, row.GetText("clinician_id"));
  ASSIGN_OR_RETURN(feed.created_at, row.GetTime("created_at"));
  ASSIGN_OR_RETURN(absl::optional<absl::Time> revoked_at, row.GetOptionalTime("revoked_at"));
  if (revoked_at.has_value()) feed.revoked_at = *revoked_at;
  return feed;
}

absl::Status FeedNotFound() { return absl::NotFoundError("calendar feed not found"); }

}  // namespace

absl::Status SqlCalendarFeedStore::CreateFeed(const CalendarFeedRecord& feed, const std::string& token_hash,
                                              const audit::AuditEntry& audit) {
  return db_.RunInTransaction(db::TxMode::kWrite, [&](db::Transaction& tx) -> absl::Status {
    RETURN_IF_ERROR(tx.Execute("INSERT INTO calendar_feeds (clinic_id, feed_id, clinician_id, token_hash, "
                               "created_at) VALUES ($1, $2, $3, $4, $5)",
                               {feed.clinic_id, feed.feed_id, feed.clinician_id, token_hash, feed.created_at})
                        .status());
    return audit_.Append(tx, audit).status();
  });
}

absl::StatusOr<CalendarFeedRecord> SqlCalendarFeedStore::GetFeed(const std::string& clinic_id,
                                                                 const std::string& feed_id) {
  std::optional<CalendarFeedRecord> feed;
  RETURN_IF_ERROR(db_.RunInTransaction(db::TxMode::kRead, [&](db::Transaction& tx) -> absl::Status {
    ASSIGN_OR_RETURN(db::ResultSet rows,
                     tx.Execute(absl::StrCat("SELECT ", kColumns,
                                             " FROM calendar_feeds WHERE clinic_id = $1 AND feed_id = $2"),
                                {clinic_id, feed_id}));
    if (rows.empty()) return absl::OkStatus();
    ASSIGN_OR_RETURN(feed, FeedOf(rows[0]));
    return absl::OkStatus();
  }));
  if (!feed.has_value()) return FeedNotFound();
  return *std::move(feed);
}

absl::Status SqlCalendarFeedStore::RevokeFeed(const std::string& clinic_id, const std::string& feed_id,
                                              absl::Time now, const audit::AuditEntry& audit) {
  return db_.RunInTransaction(db::TxMode::kWrite, [&](db::Transaction& tx) -> absl::Status {
    ASSIGN_OR_RETURN(db::ResultSet revoked,
                     tx.Execute("UPDATE calendar_feeds SET revoked_at = $3 "
                                "WHERE clinic_id = $1 AND feed_id = $2 AND revoked_at IS NULL",
                                {clinic_id, feed_id, now}));
    if (revoked.affected_rows() == 0) return FeedNotFound();
    return audit_.Append(tx, audit).status();
  });
}

absl::StatusOr<std::vector<CalendarFeedRecord>> SqlCalendarFeedStore::ListFeeds(
    const std::string& clinic_id, const std::string& clinician_id) {
  std::vector<CalendarFeedRecord> feeds;
  RETURN_IF_ERROR(db_.RunInTransaction(db::TxMode::kRead, [&](db::Transaction& tx) -> absl::Status {
    ASSIGN_OR_RETURN(
        db::ResultSet rows,
        tx.Execute(absl::StrCat("SELECT ", kColumns,
                                " FROM calendar_feeds WHERE clinic_id = $1 AND clinician_id = $2 "
                                "AND revoked_at IS NULL ORDER BY created_at DESC, feed_id DESC"),
                   {clinic_id, clinician_id}));
    for (const db::Row& row : rows) {
      ASSIGN_OR_RETURN(CalendarFeedRecord feed, FeedOf(row));
      feeds.push_back(std::move(feed));
    }
    return absl::OkStatus();
  }));
  return feeds;
}

absl::StatusOr<CalendarFeedRecord> SqlCalendarFeedStore::FindActiveFeed(const std::string& token_hash) {
  std::optional<CalendarFeedRecord> feed;
  RETURN_IF_ERROR(db_.RunInTransaction(db::TxMode::kRead, [&](db::Transaction& tx) -> absl::Status {
    ASSIGN_OR_RETURN(
        db::ResultSet rows,
        tx.Execute(absl::StrCat("SELECT ", kColumns,
                                " FROM calendar_feeds WHERE token_hash = $1 AND revoked_at IS NULL"),
                   {token_hash}));
    if (rows.empty()) return absl::OkStatus();
    ASSIGN_OR_RETURN(feed, FeedOf(rows[0]));
    return absl::OkStatus();
  }));
  if (!feed.has_value()) return FeedNotFound();
  return *std::move(feed);
}

}  // namespace tandem::scheduling
