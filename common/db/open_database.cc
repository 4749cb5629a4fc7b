#include "common/db/open_database.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "common/db/postgres_database.h"
#include "common/db/sqlite_database.h"

namespace tandem::db {

absl::StatusOr<std::unique_ptr<Database>> OpenDatabase(absl::string_view url,
                                                       const DatabaseOptions& options) {
  if (url == "sqlite::memory:") {
    auto db = SqliteDatabase::Open(":memory:", options);
    if (!db.ok()) return db.status();
    return std::unique_ptr<Database>(*std::move(db));
  }
  if (absl::StartsWith(url, "sqlite://")) {
    // sqlite:///abs/path keeps its leading slash; sqlite://relative.db has none.
    std::string path(url.substr(9));
    if (path.empty()) return absl::InvalidArgumentError("sqlite URL without a path");
    auto db = SqliteDatabase::Open(path, options);
    if (!db.ok()) return db.status();
    return std::unique_ptr<Database>(*std::move(db));
  }
  if (absl::StartsWith(url, "postgresql://") || absl::StartsWith(url, "postgres://")) {
    auto db = PostgresDatabase::Open(std::string(url), options);
    if (!db.ok()) return db.status();
    return std::unique_ptr<Database>(*std::move(db));
  }
  return absl::InvalidArgumentError(
      "database URL must start with sqlite://, sqlite::memory:, postgresql:// or postgres://");
}

}  // namespace tandem::db
