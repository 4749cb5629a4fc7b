#ifndef TANDEM_COMMON_DB_DB_ERRORS_H_
#define TANDEM_COMMON_DB_DB_ERRORS_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace tandem::db {

// One mapping from database errors to status codes, the same for both backends so service code can react to a
// code without knowing the dialect:
//   unique / primary key / exclusion violation        -> ALREADY_EXISTS
//   foreign key or check violation                    -> FAILED_PRECONDITION
//   serialization failure, deadlock, lock timeout, busy -> ABORTED (retry the whole transaction)
//   lost or refused connection, server shutting down   -> UNAVAILABLE
//   statement timeout / cancel                        -> DEADLINE_EXCEEDED
//   insufficient privilege, 'append-only ...' trigger  -> PERMISSION_DENIED
//   anything else                                     -> INTERNAL
// Messages name the SQLSTATE or SQLite code and the constraint, table or column, never parameter values or
// row data (which can be clinical text): PostgreSQL's DETAIL ("Key (x)=(...)") is never copied, and its
// primary message only for SQLSTATE class 42, whose messages speak of the statement rather than the data.
// They are still for the operator, not the caller: every status built here is marked server-only
// (common/status/server_only_message.h), so the gRPC boundary logs it and answers with a message for the
// caller.

// The code for a PostgreSQL SQLSTATE. An empty SQLSTATE (libpq reports none when the connection is gone) is
// UNAVAILABLE.
absl::StatusCode CodeForSqlState(absl::string_view sqlstate);

// The code for a SQLite extended result code; `message` is sqlite3_errmsg, read only to recognise a trigger's
// RAISE(ABORT, 'append-only ...').
absl::StatusCode CodeForSqliteError(int extended_code, absl::string_view message);

// The status for a SQLite failure. `what` says what was being done ("prepare", "step", "commit").
absl::Status SqliteStatus(int extended_code, absl::string_view message, absl::string_view what);

// The status for a PostgreSQL failure from the fields of its error report.
struct PostgresErrorFields {
  absl::string_view sqlstate;
  absl::string_view primary_message;
  absl::string_view constraint;
  absl::string_view table;
  absl::string_view column;
  // libpq's connection-level message (PQerrorMessage) when there is no result: it names host and port only.
  absl::string_view connection_message;
};
absl::Status PostgresStatus(const PostgresErrorFields& fields, absl::string_view what);

}  // namespace tandem::db

#endif  // TANDEM_COMMON_DB_DB_ERRORS_H_
