#ifndef TANDEM_COMMON_DB_DATABASE_H_
#define TANDEM_COMMON_DB_DATABASE_H_

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/db/transaction.h"

namespace tandem::db {

struct DatabaseOptions {
  // PostgreSQL: most open connections. SQLite: most reader connections (there is always exactly one writer).
  int pool_size = 4;
  // SQLite: how long a writer waits for the write lock (another transaction or another process) before
  // ABORTED. PostgreSQL: how long Begin waits for a free pooled connection before UNAVAILABLE.
  absl::Duration busy_timeout = absl::Seconds(5);
  // PostgreSQL: connect timeout for each new connection (a connect_timeout in the URL wins).
  absl::Duration connect_timeout = absl::Seconds(5);
};

// One interface over SQLite and PostgreSQL. All work happens inside transactions; SQL is written with
// PostgreSQL-style `$n` placeholders and runs unchanged on both wherever the two dialects agree. Thread-safe.
class Database {
 public:
  virtual ~Database() = default;

  virtual Dialect dialect() const = 0;

  // Opens a transaction on a pooled connection.
  virtual absl::StatusOr<Transaction> Begin(TxMode mode) = 0;

  // Runs `fn` in a transaction that commits when `fn` returns OK and rolls back otherwise; returns `fn`'s
  // error or the commit's. It does not retry: an ABORTED result means the caller may run it again.
  absl::Status RunInTransaction(TxMode mode, absl::FunctionRef<absl::Status(Transaction&)> fn);
};

}  // namespace tandem::db

#endif  // TANDEM_COMMON_DB_DATABASE_H_
