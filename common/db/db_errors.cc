#include "common/db/db_errors.h"

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/status/server_only_message.h"
#include "sqlite3.h"

namespace tandem::db {

absl::StatusCode CodeForSqlState(absl::string_view sqlstate) {
  if (sqlstate.empty()) return absl::StatusCode::kUnavailable;
  if (sqlstate == "23505" || sqlstate == "23P01") return absl::StatusCode::kAlreadyExists;
  if (sqlstate == "23503" || sqlstate == "23514") return absl::StatusCode::kFailedPrecondition;
  if (sqlstate == "40001" || sqlstate == "40P01" || sqlstate == "55P03") return absl::StatusCode::kAborted;
  if (sqlstate == "42501") return absl::StatusCode::kPermissionDenied;
  if (sqlstate == "57014") return absl::StatusCode::kDeadlineExceeded;
  // Class 08: connection exception; 57P01..57P03: the server is shutting down or starting; 53300: too many
  // connections.
  if (absl::StartsWith(sqlstate, "08") || sqlstate == "57P01" || sqlstate == "57P02" || sqlstate == "57P03" ||
      sqlstate == "53300") {
    return absl::StatusCode::kUnavailable;
  }
  return absl::StatusCode::kInternal;
}

absl::StatusCode CodeForSqliteError(int extended_code, absl::string_view message) {
  switch (extended_code) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
    case SQLITE_CONSTRAINT_ROWID:
      return absl::StatusCode::kAlreadyExists;
    case SQLITE_CONSTRAINT_FOREIGNKEY:
    case SQLITE_CONSTRAINT_CHECK:
      return absl::StatusCode::kFailedPrecondition;
    case SQLITE_CONSTRAINT_TRIGGER:
      if (absl::StartsWith(message, "append-only")) return absl::StatusCode::kPermissionDenied;
      return absl::StatusCode::kInternal;
    case SQLITE_AUTH:
    case SQLITE_PERM:
      return absl::StatusCode::kPermissionDenied;
    case SQLITE_INTERRUPT:
      return absl::StatusCode::kDeadlineExceeded;
    default:
      break;
  }
  switch (extended_code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return absl::StatusCode::kAborted;
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_FULL:
      return absl::StatusCode::kUnavailable;
    default:
      return absl::StatusCode::kInternal;
  }
}

absl::Status SqliteStatus(int extended_code, absl::string_view message, absl::string_view what) {
  // SQLite's own messages name tables, columns and constraints ("UNIQUE constraint failed: t.c") and never
  // bound values; trigger messages are written by the schema's author.
  return MarkServerOnlyMessage(absl::Status(CodeForSqliteError(extended_code, message),
                                            absl::StrCat("sqlite ", what, ": ", sqlite3_errstr(extended_code),
                                                         " (", extended_code, "): ", message)));
}

absl::Status PostgresStatus(const PostgresErrorFields& fields, absl::string_view what) {
  const absl::StatusCode code = CodeForSqlState(fields.sqlstate);
  std::string message = absl::StrCat("postgres ", what, ": ");
  if (fields.sqlstate.empty()) {
    absl::string_view connection = absl::StripAsciiWhitespace(fields.connection_message);
    absl::StrAppend(&message, "connection failed",
                    connection.empty() ? "" : absl::StrCat(": ", connection.substr(0, 300)));
    return MarkServerOnlyMessage(absl::Status(code, message));
  }
  absl::StrAppend(&message, "SQLSTATE ", fields.sqlstate);
  if (!fields.constraint.empty()) absl::StrAppend(&message, " constraint ", fields.constraint);
  if (!fields.table.empty()) absl::StrAppend(&message, " table ", fields.table);
  if (!fields.column.empty()) absl::StrAppend(&message, " column ", fields.column);
  if (absl::StartsWith(fields.sqlstate, "42")) {
    absl::StrAppend(&message, ": ", fields.primary_message.substr(0, 300));
  }
  return MarkServerOnlyMessage(absl::Status(code, message));
}

}  // namespace tandem::db
