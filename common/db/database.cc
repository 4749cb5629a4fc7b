#include "common/db/database.h"

namespace tandem::db {

absl::Status Database::RunInTransaction(TxMode mode, absl::FunctionRef<absl::Status(Transaction&)> fn) {
  absl::StatusOr<Transaction> tx = Begin(mode);
  if (!tx.ok()) return tx.status();
  absl::Status status = fn(*tx);
  if (!status.ok()) {
    tx->Rollback().IgnoreError();  // The caller's error is the one worth reporting.
    return status;
  }
  return tx->Commit();
}

}  // namespace tandem::db
