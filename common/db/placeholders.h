#ifndef TANDEM_COMMON_DB_PLACEHOLDERS_H_
#define TANDEM_COMMON_DB_PLACEHOLDERS_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tandem::db {

// SQL is written once with PostgreSQL's `$1..$n` placeholders. These functions find them with a small lexer
// that skips string literals ('...', E'...'), quoted identifiers ("..."), dollar-quoted bodies
// ($tag$...$tag$) and comments, so a `$1` inside any of those is left alone.

// The largest placeholder number in `sql` (0 when there is none). INVALID_ARGUMENT for `$0` or a number too
// large to be real.
absl::StatusOr<int> CountPlaceholders(absl::string_view sql);

// The SQLite spelling of `sql`: every `$n` outside literals, identifiers and comments becomes `?n`, which
// SQLite binds by number exactly like PostgreSQL (so one parameter may be used several times).
std::string RewritePlaceholdersForSqlite(absl::string_view sql);

}  // namespace tandem::db

#endif  // TANDEM_COMMON_DB_PLACEHOLDERS_H_
