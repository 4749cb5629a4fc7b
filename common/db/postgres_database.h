#ifndef TANDEM_COMMON_DB_POSTGRES_DATABASE_H_
#define TANDEM_COMMON_DB_POSTGRES_DATABASE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/db/connection_pool.h"
#include "common/db/database.h"

namespace tandem::db {

namespace internal {
class PgConnection;
}  // namespace internal

// The production backend over libpq. A pool of up to pool_size connections, each with its own prepared
// statements (PQprepare once per SQL text and parameter types, then PQexecPrepared; parameters travel
// binary-safe, bytes as binary bytea). Sessions run with TimeZone UTC and ISO dates so results parse the same
// everywhere. A connection found broken is dropped and replaced by a fresh one; Begin retries once on a fresh
// connection when a pooled one turns out to be dead, so a database restart costs at most the transactions
// that were in flight.
class PostgresDatabase final : public Database {
 public:
  // `url` is a libpq connection URI (postgresql://user:pass@host:port/db?sslmode=verify-full). Connects once
  // now so that a wrong URL or an unreachable server fails at start-up (UNAVAILABLE).
  static absl::StatusOr<std::unique_ptr<PostgresDatabase>> Open(const std::string& url,
                                                                const DatabaseOptions& options);
  ~PostgresDatabase() override;

  Dialect dialect() const override { return Dialect::kPostgres; }
  absl::StatusOr<Transaction> Begin(TxMode mode) override;

 private:
  using Pool = ConnectionPool<internal::PgConnection>;

  PostgresDatabase(const std::string& url, const DatabaseOptions& options);

  const std::string url_;
  const DatabaseOptions options_;
  std::unique_ptr<Pool> pool_;
};

}  // namespace tandem::db

#endif  // TANDEM_COMMON_DB_POSTGRES_DATABASE_H_
