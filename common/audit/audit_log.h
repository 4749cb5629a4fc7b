#ifndef TANDEM_COMMON_AUDIT_AUDIT_LOG_H_
#define TANDEM_COMMON_AUDIT_AUDIT_LOG_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/optional.h"
#include "common/audit/audit_entry.h"
#include "common/db/database.h"
#include "common/time/clock.h"

namespace tandem::audit {

struct AuditFilter {
  std::string client_id = {};             // Empty: any client.
  std::string actor = {};                 // Empty: any actor.
  absl::optional<absl::Time> since = {};  // Inclusive.
  absl::optional<absl::Time> until = {};  // Exclusive.
};

struct AuditPage {
  std::vector<AuditEntry> entries;  // Newest first.
  std::string next_page_token;      // Empty on the last page.
};

// The append-only audit trail in the service's own database (table audit_log, created by the `audit`
// migrations in common/audit/audit_migrations.h). Entries can be appended and listed, never changed: the
// schema refuses UPDATE and DELETE (a trigger on both dialects) and on PostgreSQL the runtime role is only
// granted SELECT and INSERT. Thread-safe; the Database and Clock must outlive it.
class AuditLog {
 public:
  static constexpr int kDefaultPageSize = 50;
  static constexpr int kMaxPageSize = 500;

  explicit AuditLog(db::Database& db, const Clock& clock = Clock::Real()) : db_(db), clock_(clock) {}

  // Appends inside the caller's transaction, so the entry commits (or rolls back) with the clinical read or
  // write it records. Stamps id (UUIDv7) and occurred_at (the clock, at microsecond precision) and returns
  // the id. INVALID_ARGUMENT when clinic_id, actor or action is empty, the outcome unknown or a field too
  // long.
  absl::StatusOr<std::string> Append(db::Transaction& tx, const AuditEntry& entry) const;

  // Appends in a transaction of its own (e.g. for a denial, where there is no other work).
  absl::StatusOr<std::string> Append(const AuditEntry& entry) const;

  // Appends every entry in one transaction of its own: all of them or none (a listing's row per record).
  absl::Status AppendAll(const std::vector<AuditEntry>& entries) const;

  // A clinic's entries matching `filter`, newest first. page_size 0 means kDefaultPageSize; larger than
  // kMaxPageSize is clamped. `page_token` is empty or a next_page_token from an earlier call
  // (INVALID_ARGUMENT otherwise).
  absl::StatusOr<AuditPage> List(absl::string_view clinic_id, const AuditFilter& filter, int page_size,
                                 absl::string_view page_token) const;

 private:
  db::Database& db_;
  const Clock& clock_;
};

}  // namespace tandem::audit

#endif  // TANDEM_COMMON_AUDIT_AUDIT_LOG_H_
