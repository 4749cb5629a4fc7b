#include "common/db/advisory_lock.h"

namespace tandem::db {

int64_t AdvisoryLockKey(absl::string_view name) {
  uint64_t hash = 14695981039346656037ULL;
  for (char c : name) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ULL;
  }
  return static_cast<int64_t>(hash);
}

absl::Status LockForTransaction(Transaction& tx, absl::string_view name) {
  if (tx.dialect() != Dialect::kPostgres) return absl::OkStatus();
  return tx.Execute("SELECT pg_advisory_xact_lock($1)", {AdvisoryLockKey(name)}).status();
}

}  // namespace tandem::db
