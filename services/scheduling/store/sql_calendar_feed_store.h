#ifndef TANDEM_SERVICES_SCHEDULING_STORE_SQL_CALENDAR_FEED_STORE_H_
#define TANDEM_SERVICES_SCHEDULING_STORE_SQL_CALENDAR_FEED_STORE_H_

#include <string>
#include <vector>

#include "common/audit/audit_log.h"
#include "common/db/database.h"
#include "services/scheduling/domain/calendar_feed_store.h"

namespace tandem::scheduling {

// CalendarFeedStore on common/db (SQLite or PostgreSQL), in the calendar_feeds table of the scheduling
// migrations. Nothing in a feed row is personal or clinical, so nothing is sealed.
class SqlCalendarFeedStore final : public CalendarFeedStore {
 public:
  SqlCalendarFeedStore(db::Database& db, const audit::AuditLog& audit) : db_(db), audit_(audit) {}

  absl::Status CreateFeed(const CalendarFeedRecord& feed, const std::string& token_hash,
                          const audit::AuditEntry& audit) override;
  absl::StatusOr<CalendarFeedRecord> GetFeed(const std::string& clinic_id,
                                             const std::string& feed_id) override;
  absl::Status RevokeFeed(const std::string& clinic_id, const std::string& feed_id, absl::Time now,
                          const audit::AuditEntry& audit) override;
  absl::StatusOr<std::vector<CalendarFeedRecord>> ListFeeds(const std::string& clinic_id,
                                                            const std::string& clinician_id) override;
  absl::StatusOr<CalendarFeedRecord> FindActiveFeed(const std::string& token_hash) override;

 private:
  db::Database& db_;
  const audit::AuditLog& audit_;
};

}  // namespace tandem::scheduling

#endif  // TANDEM_SERVICES_SCHEDULING_STORE_SQL_CALENDAR_FEED_STORE_H_
