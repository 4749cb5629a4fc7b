#ifndef TANDEM_COMMON_DB_SQLITE_DATABASE_H_
#define TANDEM_COMMON_DB_SQLITE_DATABASE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/db/connection_pool.h"
#include "common/db/database.h"

namespace tandem::db {

namespace internal {
class SqliteConnection;
}  // namespace internal

// The embedded backend. The file runs in WAL mode with foreign keys on. There is ONE writer connection: a
// write transaction leases it (waiting up to busy_timeout) and starts with BEGIN IMMEDIATE, so it holds the
// database's write lock from its first statement and a check-then-insert inside it is atomic, also against
// other processes (which wait through SQLite's busy timeout). Read transactions run on a pool of reader
// connections (query_only) that see a snapshot and never block the writer. An in-memory database has no
// readers: every transaction uses its one connection. Statements are prepared once per connection and cached
// by SQL text.
class SqliteDatabase final : public Database {
 public:
  // `path` is a file path or ":memory:". Opens (and creates) the file now, so a bad path fails here.
  static absl::StatusOr<std::unique_ptr<SqliteDatabase>> Open(const std::string& path,
                                                              const DatabaseOptions& options);
  ~SqliteDatabase() override;

  Dialect dialect() const override { return Dialect::kSqlite; }
  absl::StatusOr<Transaction> Begin(TxMode mode) override;

 private:
  using Pool = ConnectionPool<internal::SqliteConnection>;

  SqliteDatabase(const std::string& path, const DatabaseOptions& options);

  const std::string path_;
  const DatabaseOptions options_;
  std::unique_ptr<Pool> writer_;
  std::unique_ptr<Pool> readers_;  // Null for ":memory:".
};

}  // namespace tandem::db

#endif  // TANDEM_COMMON_DB_SQLITE_DATABASE_H_
