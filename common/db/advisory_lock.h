#ifndef TANDEM_COMMON_DB_ADVISORY_LOCK_H_
#define TANDEM_COMMON_DB_ADVISORY_LOCK_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/db/transaction.h"

namespace tandem::db {

// The 64-bit key (FNV-1a of `name`) of an advisory lock. A collision only makes two names wait for each
// other.
int64_t AdvisoryLockKey(absl::string_view name);

// Serialises write transactions that touch the same logical thing (one owner's reminders, one ordering key,
// one component's migrations) until `tx` ends. On PostgreSQL, whose writers run at READ COMMITTED and would
// otherwise each miss the other's uncommitted rows, it takes pg_advisory_xact_lock — transaction-scoped, so
// a dying client or a pooled connection cannot leak it. On SQLite it does nothing: BEGIN IMMEDIATE already
// admits one writer at a time.
absl::Status LockForTransaction(Transaction& tx, absl::string_view name);

}  // namespace tandem::db

#endif  // TANDEM_COMMON_DB_ADVISORY_LOCK_H_
