#ifndef TANDEM_COMMON_DB_OPEN_DATABASE_H_
#define TANDEM_COMMON_DB_OPEN_DATABASE_H_

#include <memory>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/db/database.h"

namespace tandem::db {

// Opens the database a `--db_url` names:
//   sqlite:///abs/path.db      an absolute path
//   sqlite://relative.db       a path relative to the working directory
//   sqlite::memory:            a private in-memory database (tests)
//   postgresql://... or postgres://...   a libpq connection URI
// INVALID_ARGUMENT for any other scheme; the URL is never echoed back (it may hold a password).
absl::StatusOr<std::unique_ptr<Database>> OpenDatabase(absl::string_view url,
                                                       const DatabaseOptions& options = {});

}  // namespace tandem::db

#endif  // TANDEM_COMMON_DB_OPEN_DATABASE_H_
