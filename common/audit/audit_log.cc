#include "common/audit/audit_log.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/db/value.h"
#include "common/status/server_only_message.h"
#include "common/status/status_macros.h"
#include "common/time/uuid.h"

namespace tandem::audit {
namespace {

constexpr size_t kMaxIdLength = 200;
constexpr size_t kMaxReasonLength = 2000;

constexpr char kColumns[] =
    "id, clinic_id, occurred_at, actor, actor_role, on_behalf_of, action, resource_type, resource_id, "
    "client_id, request_id, outcome, reason";

// NULL for an empty optional field, so "not given" is not confused with a value.
db::Value OrNull(const std::string& text) { return text.empty() ? db::Value() : db::Value(text); }

absl::Status Validate(const AuditEntry& entry) {
  if (entry.clinic_id.empty()) return absl::InvalidArgumentError("audit entry needs clinic_id");
  if (entry.actor.empty()) return absl::InvalidArgumentError("audit entry needs actor");
  if (entry.action.empty()) return absl::InvalidArgumentError("audit entry needs action");
  if (entry.outcome != kOutcomeOk && entry.outcome != kOutcomeDenied && entry.outcome != kOutcomeError) {
    return absl::InvalidArgumentError("audit entry outcome must be ok, denied or error");
  }
  const std::pair<const char*, const std::string*> ids[] = {
      {"clinic_id", &entry.clinic_id},     {"actor", &entry.actor},
      {"actor_role", &entry.actor_role},   {"on_behalf_of", &entry.on_behalf_of},
      {"action", &entry.action},           {"resource_type", &entry.resource_type},
      {"resource_id", &entry.resource_id}, {"client_id", &entry.client_id},
      {"request_id", &entry.request_id},
  };
  for (const auto& [name, value] : ids) {
    if (value->size() > kMaxIdLength) {
      return absl::InvalidArgumentError(absl::StrCat("audit entry ", name, " is longer than ", kMaxIdLength));
    }
  }
  if (entry.reason.size() > kMaxReasonLength) {
    return absl::InvalidArgumentError(absl::StrCat("audit entry reason is longer than ", kMaxReasonLength));
  }
  return absl::OkStatus();
}

// A page token is the sort key of the last entry returned: occurred_at (microseconds) and id.
std::string EncodePageToken(absl::Time occurred_at, const std::string& id) {
  return absl::WebSafeBase64Escape(absl::StrCat("v1/", absl::ToUnixMicros(occurred_at), "/", id));
}

absl::Status DecodePageToken(absl::string_view token, absl::Time* occurred_at, std::string* id) {
  std::string raw;
  if (!absl::WebSafeBase64Unescape(token, &raw)) return absl::InvalidArgumentError("malformed page_token");
  std::vector<std::string> parts = absl::StrSplit(raw, '/');
  int64_t micros;
  if (parts.size() != 3 || parts[0] != "v1" || !absl::SimpleAtoi(parts[1], &micros) || !IsUuid(parts[2])) {
    return absl::InvalidArgumentError("malformed page_token");
  }
  *occurred_at = absl::FromUnixMicros(micros);
  *id = std::move(parts[2]);
  return absl::OkStatus();
}

absl::StatusOr<AuditEntry> FromRow(const db::Row& row) {
  AuditEntry e;
  ASSIGN_OR_RETURN(e.id, row.GetText(0));
  ASSIGN_OR_RETURN(e.clinic_id, row.GetText(1));
  ASSIGN_OR_RETURN(e.occurred_at, row.GetTime(2));
  ASSIGN_OR_RETURN(e.actor, row.GetText(3));
  std::string* optional_fields[] = {&e.actor_role,    &e.on_behalf_of, &e.action,
                                    &e.resource_type, &e.resource_id,  &e.client_id,
                                    &e.request_id,    &e.outcome,      &e.reason};
  for (int i = 0; i < 9; ++i) {
    ASSIGN_OR_RETURN(absl::optional<std::string> value, row.GetOptionalText(4 + i));
    *optional_fields[i] = value.value_or("");
  }
  return e;
}

}  // namespace

absl::StatusOr<std::string> AuditLog::Append(db::Transaction& tx, const AuditEntry& entry) const {
  RETURN_IF_ERROR(Validate(entry));
  // Microseconds: what both dialects store, so a page token compares exactly against the stored value.
  const absl::Time now = absl::FromUnixMicros(absl::ToUnixMicros(clock_.Now()));
  std::string id = NewUuidV7(clock_);
  absl::Status inserted =
      tx.Execute(absl::StrCat("INSERT INTO audit_log (", kColumns,
                              ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"),
                 {id, entry.clinic_id, now, entry.actor, OrNull(entry.actor_role), OrNull(entry.on_behalf_of),
                  entry.action, OrNull(entry.resource_type), OrNull(entry.resource_id),
                  OrNull(entry.client_id), OrNull(entry.request_id), entry.outcome, OrNull(entry.reason)})
          .status();
  if (inserted.ok()) return id;
  // A conflict or a timeout keeps its code, so that the caller retries the whole transaction; any other
  // refusal (a full disk, a revoked grant, a trigger) is the trail being unavailable, which fails the write
  // it records: UNAVAILABLE, as for a read whose row cannot be written, with the cause for the operator.
  if (inserted.code() == absl::StatusCode::kAborted ||
      inserted.code() == absl::StatusCode::kDeadlineExceeded ||
      inserted.code() == absl::StatusCode::kUnavailable) {
    return inserted;
  }
  return MarkServerOnlyMessage(
      absl::UnavailableError(absl::StrCat("the audit trail is unavailable: ", inserted.message())));
}

absl::StatusOr<std::string> AuditLog::Append(const AuditEntry& entry) const {
  std::string id;
  RETURN_IF_ERROR(db_.RunInTransaction(db::TxMode::kWrite, [&](db::Transaction& tx) -> absl::Status {
    ASSIGN_OR_RETURN(id, Append(tx, entry));
    return absl::OkStatus();
  }));
  return id;
}

absl::Status AuditLog::AppendAll(const std::vector<AuditEntry>& entries) const {
  return db_.RunInTransaction(db::TxMode::kWrite, [&](db::Transaction& tx) -> absl::Status {
    for (const AuditEntry& entry : entries) RETURN_IF_ERROR(Append(tx, entry).status());
    return absl::OkStatus();
  });
}

absl::StatusOr<AuditPage> AuditLog::List(absl::string_view clinic_id, const AuditFilter& filter,
                                         int page_size, absl::string_view page_token) const {
  if (clinic_id.empty()) return absl::InvalidArgumentError("clinic_id is required");
  if (page_size < 0) return absl::InvalidArgumentError("page_size must not be negative");
  if (page_size == 0) page_size = kDefaultPageSize;
  if (page_size > kMaxPageSize) page_size = kMaxPageSize;

  // Only the filters given become conditions, so each combination gets a plan that uses an index.
  std::string sql = absl::StrCat("SELECT ", kColumns, " FROM audit_log WHERE clinic_id = $1");
  std::vector<db::Value> params = {clinic_id};
  auto next = [&params] { return absl::StrCat("$", params.size()); };
  if (!filter.client_id.empty()) {
    params.emplace_back(filter.client_id);
    absl::StrAppend(&sql, " AND client_id = ", next());
  }
  if (!filter.actor.empty()) {
    params.emplace_back(filter.actor);
    absl::StrAppend(&sql, " AND actor = ", next());
  }
  if (filter.since.has_value()) {
    params.emplace_back(*filter.since);
    absl::StrAppend(&sql, " AND occurred_at >= ", next());
  }
  if (filter.until.has_value()) {
    params.emplace_back(*filter.until);
    absl::StrAppend(&sql, " AND occurred_at < ", next());
  }
  if (!page_token.empty()) {
    absl::Time after_time;
    std::string after_id;
    RETURN_IF_ERROR(DecodePageToken(page_token, &after_time, &after_id));
    params.emplace_back(after_time);
    const std::string time_param = next();
    params.emplace_back(after_id);
    absl::StrAppend(&sql, " AND (occurred_at, id) < (", time_param, ", ", next(), ")");
  }
  params.emplace_back(page_size + 1);  // One more than asked tells whether another page follows.
  absl::StrAppend(&sql, " ORDER BY occurred_at DESC, id DESC LIMIT ", next());

  AuditPage page;
  RETURN_IF_ERROR(db_.RunInTransaction(db::TxMode::kRead, [&](db::Transaction& tx) -> absl::Status {
    ASSIGN_OR_RETURN(db::ResultSet rows, tx.Execute(sql, params));
    for (const db::Row& row : rows) {
      if (static_cast<int>(page.entries.size()) == page_size) {
        const AuditEntry& last = page.entries.back();
        page.next_page_token = EncodePageToken(last.occurred_at, last.id);
        break;
      }
      ASSIGN_OR_RETURN(AuditEntry entry, FromRow(row));
      page.entries.push_back(std::move(entry));
    }
    return absl::OkStatus();
  }));
  return page;
}

}  // namespace tandem::audit
