#ifndef TANDEM_COMMON_DB_TRANSACTION_H_
#define TANDEM_COMMON_DB_TRANSACTION_H_

#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "common/db/result_set.h"
#include "common/db/value.h"

namespace tandem::db {

enum class Dialect { kSqlite, kPostgres };

// kRead transactions see one consistent snapshot and may not write; kWrite transactions are serialised with
// every other writer on SQLite (BEGIN IMMEDIATE) and run at READ COMMITTED on PostgreSQL.
enum class TxMode { kRead, kWrite };

// What a backend implements for one open transaction on one connection. Not for service code.
class TransactionBackend {
 public:
  virtual ~TransactionBackend() = default;  // Rolls back when neither Commit nor Rollback ran.
  virtual absl::StatusOr<ResultSet> Execute(absl::string_view sql, absl::Span<const Value> params) = 0;
  virtual absl::Status ExecuteScript(absl::string_view sql) = 0;
  virtual absl::Status Commit() = 0;
  virtual absl::Status Rollback() = 0;
};

// An open transaction holding one pooled connection. Destroying it without Commit rolls back and returns the
// connection. After any failed statement the transaction is finished on both backends (PostgreSQL aborts it
// anyway): every later Execute and Commit fails with ABORTED, so code written against SQLite cannot come to
// depend on continuing after an error. Used by one thread at a time; must not outlive its Database; a thread
// must not begin a second transaction on the same Database while it holds one (on SQLite a second write
// transaction would wait for itself).
class Transaction {
 public:
  Transaction(Dialect dialect, TxMode mode, std::unique_ptr<TransactionBackend> backend)
      : dialect_(dialect), mode_(mode), backend_(std::move(backend)) {}
  Transaction(Transaction&&) = default;
  Transaction& operator=(Transaction&&) = default;
  ~Transaction() = default;

  Dialect dialect() const { return dialect_; }
  TxMode mode() const { return mode_; }

  // Runs one statement with `$1..$n` placeholders bound to `params` (their count must match). Text parameters
  // may not contain NUL bytes (PostgreSQL text cannot): binary data goes in Bytes.
  absl::StatusOr<ResultSet> Execute(absl::string_view sql, absl::Span<const Value> params = {});

  // Runs several `;`-separated statements without parameters (schema migrations).
  absl::Status ExecuteScript(absl::string_view sql);

  absl::Status Commit();
  // Ends the transaction now rather than at destruction.
  absl::Status Rollback();

 private:
  enum class State { kOpen, kFailed, kDone };

  absl::Status CheckOpen() const;

  Dialect dialect_;
  TxMode mode_;
  std::unique_ptr<TransactionBackend> backend_;
  State state_ = State::kOpen;
};

}  // namespace tandem::db

#endif  // TANDEM_COMMON_DB_TRANSACTION_H_
