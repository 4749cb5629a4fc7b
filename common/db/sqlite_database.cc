#include "common/db/sqlite_database.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/db/db_errors.h"
#include "common/db/placeholders.h"
#include "common/status/status_macros.h"
#include "sqlite3.h"

namespace tandem::db {
namespace internal {

// One sqlite3 handle with its statement cache. Used by one thread at a time (the pool guarantees it), so the
// handle is opened without SQLite's own mutex.
class SqliteConnection {
 public:
  static absl::StatusOr<std::unique_ptr<SqliteConnection>> Open(const std::string& path, bool writer,
                                                                absl::Duration busy_timeout) {
    sqlite3* handle = nullptr;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (writer ? SQLITE_OPEN_CREATE : 0);
    int rc = sqlite3_open_v2(path.c_str(), &handle, flags, nullptr);
    auto conn = std::unique_ptr<SqliteConnection>(new SqliteConnection(handle));
    if (rc != SQLITE_OK) {
      int code = handle != nullptr ? sqlite3_extended_errcode(handle) : rc;
      return SqliteStatus(code, handle != nullptr ? sqlite3_errmsg(handle) : sqlite3_errstr(rc), "open");
    }
    sqlite3_extended_result_codes(handle, 1);
    sqlite3_busy_timeout(handle, static_cast<int>(absl::ToInt64Milliseconds(busy_timeout)));
    if (writer) {
      RETURN_IF_ERROR(conn->Exec("PRAGMA journal_mode=WAL", "open"));
      // In WAL mode NORMAL loses no committed transaction on a crash of the process, only possibly the last
      // ones on a power failure, and avoids an fsync per commit.
      RETURN_IF_ERROR(conn->Exec("PRAGMA synchronous=NORMAL", "open"));
    } else {
      RETURN_IF_ERROR(conn->Exec("PRAGMA query_only=ON", "open"));
    }
    RETURN_IF_ERROR(conn->Exec("PRAGMA foreign_keys=ON", "open"));
    return conn;
  }

  ~SqliteConnection() {
    ClearCache();
    sqlite3_close_v2(db_);
  }

  sqlite3* db() const { return db_; }

  absl::Status Exec(const char* sql, absl::string_view what) {
    char* error = nullptr;
    int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &error);
    sqlite3_free(error);
    if (rc != SQLITE_OK) return Error(what);
    return absl::OkStatus();
  }

  absl::Status Error(absl::string_view what) const {
    return SqliteStatus(sqlite3_extended_errcode(db_), sqlite3_errmsg(db_), what);
  }

  // The cached statement for `sql` (written with $n placeholders), prepared on first use.
  absl::StatusOr<sqlite3_stmt*> Prepare(absl::string_view sql) {
    auto it = cache_.find(sql);
    if (it != cache_.end()) return it->second;
    if (cache_.size() >= kMaxCachedStatements) ClearCache();
    const std::string rewritten = RewritePlaceholdersForSqlite(sql);
    sqlite3_stmt* stmt = nullptr;
    const char* tail = nullptr;
    int rc = sqlite3_prepare_v3(db_, rewritten.c_str(), static_cast<int>(rewritten.size()),
                                SQLITE_PREPARE_PERSISTENT, &stmt, &tail);
    if (rc != SQLITE_OK) return Error("prepare");
    if (stmt == nullptr) return absl::InvalidArgumentError("empty SQL statement");
    if (tail != nullptr && *tail != '\0') {
      sqlite3_stmt* rest = nullptr;
      rc = sqlite3_prepare_v2(db_, tail, -1, &rest, nullptr);
      const bool more = rc != SQLITE_OK || rest != nullptr;
      sqlite3_finalize(rest);
      if (more) {
        sqlite3_finalize(stmt);
        return absl::InvalidArgumentError("Execute takes one statement; use ExecuteScript for several");
      }
    }
    cache_.emplace(std::string(sql), stmt);
    return stmt;
  }

 private:
  static constexpr size_t kMaxCachedStatements = 512;

  explicit SqliteConnection(sqlite3* db) : db_(db) {}

  void ClearCache() {
    for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
    cache_.clear();
  }

  sqlite3* db_;
  absl::flat_hash_map<std::string, sqlite3_stmt*> cache_;
};

}  // namespace internal

namespace {

using internal::SqliteConnection;
using Lease = ConnectionPool<SqliteConnection>::Lease;

absl::Status Bind(sqlite3_stmt* stmt, int index, const Value& value) {
  switch (value.type()) {
    case ValueType::kNull:
      return sqlite3_bind_null(stmt, index) == SQLITE_OK ? absl::OkStatus()
                                                         : absl::InternalError("sqlite bind failed");
    case ValueType::kInt64:
      return sqlite3_bind_int64(stmt, index, *value.AsInt64()) == SQLITE_OK
                 ? absl::OkStatus()
                 : absl::InternalError("sqlite bind failed");
    case ValueType::kDouble:
      return sqlite3_bind_double(stmt, index, *value.AsDouble()) == SQLITE_OK
                 ? absl::OkStatus()
                 : absl::InternalError("sqlite bind failed");
    case ValueType::kText: {
      const std::string& text = *value.AsText();
      return sqlite3_bind_text64(stmt, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8) ==
                     SQLITE_OK
                 ? absl::OkStatus()
                 : absl::InternalError("sqlite bind failed");
    }
    case ValueType::kBytes: {
      const std::string& data = value.AsBytes()->data;
      // sqlite3_bind_blob with a null pointer would bind NULL; an empty blob must stay a blob.
      int rc = data.empty() ? sqlite3_bind_zeroblob(stmt, index, 0)
                            : sqlite3_bind_blob64(stmt, index, data.data(), data.size(), SQLITE_TRANSIENT);
      return rc == SQLITE_OK ? absl::OkStatus() : absl::InternalError("sqlite bind failed");
    }
    case ValueType::kBool:
      return sqlite3_bind_int64(stmt, index, *value.AsBool() ? 1 : 0) == SQLITE_OK
                 ? absl::OkStatus()
                 : absl::InternalError("sqlite bind failed");
    case ValueType::kTime:
      return sqlite3_bind_int64(stmt, index, absl::ToUnixMicros(*value.AsTime())) == SQLITE_OK
                 ? absl::OkStatus()
                 : absl::InternalError("sqlite bind failed");
  }
  return absl::InternalError("unknown value type");
}

Value ReadColumn(sqlite3_stmt* stmt, int column) {
  switch (sqlite3_column_type(stmt, column)) {
    case SQLITE_INTEGER:
      return Value(static_cast<int64_t>(sqlite3_column_int64(stmt, column)));
    case SQLITE_FLOAT:
      return Value(sqlite3_column_double(stmt, column));
    case SQLITE_TEXT: {
      const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, column));
      return Value(std::string(text, static_cast<size_t>(sqlite3_column_bytes(stmt, column))));
    }
    case SQLITE_BLOB: {
      const auto* blob = static_cast<const char*>(sqlite3_column_blob(stmt, column));
      const int size = sqlite3_column_bytes(stmt, column);
      return Value(Bytes{blob == nullptr ? std::string() : std::string(blob, static_cast<size_t>(size))});
    }
    default:
      return Value();
  }
}

class SqliteTransaction final : public TransactionBackend {
 public:
  SqliteTransaction(Lease lease, TxMode mode) : lease_(std::move(lease)), mode_(mode) {}

  ~SqliteTransaction() override {
    if (open_) Rollback().IgnoreError();
  }

  absl::StatusOr<ResultSet> Execute(absl::string_view sql, absl::Span<const Value> params) override {
    ASSIGN_OR_RETURN(sqlite3_stmt * stmt, lease_->Prepare(sql));
    // Reset the statement whatever happens, so it holds no snapshot or lock once this returns.
    struct Resetter {
      sqlite3_stmt* stmt;
      ~Resetter() {
        sqlite3_reset(stmt);
        sqlite3_clear_bindings(stmt);
      }
    } resetter{stmt};
    if (mode_ == TxMode::kRead && !sqlite3_stmt_readonly(stmt)) {
      return absl::InternalError("write statement in a read-only transaction");
    }
    for (size_t i = 0; i < params.size(); ++i) {
      RETURN_IF_ERROR(Bind(stmt, static_cast<int>(i + 1), params[i]));
    }
    sqlite3* db = lease_->db();
    const int columns = sqlite3_column_count(stmt);
    auto names = std::make_shared<std::vector<std::string>>();
    names->reserve(static_cast<size_t>(columns));
    for (int c = 0; c < columns; ++c) names->push_back(sqlite3_column_name(stmt, c));
    const int64_t changes_before = sqlite3_total_changes64(db);
    std::vector<Row> rows;
    while (true) {
      int rc = sqlite3_step(stmt);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) return lease_->Error("step");
      std::vector<Value> values;
      values.reserve(static_cast<size_t>(columns));
      for (int c = 0; c < columns; ++c) values.push_back(ReadColumn(stmt, c));
      rows.emplace_back(names, std::move(values));
    }
    // sqlite3_changes keeps the count of the last INSERT/UPDATE/DELETE, so only trust it when this statement
    // changed something.
    const int64_t affected = sqlite3_total_changes64(db) != changes_before ? sqlite3_changes64(db) : 0;
    return ResultSet(std::move(names), std::move(rows), affected);
  }

  absl::Status ExecuteScript(absl::string_view sql) override {
    if (mode_ == TxMode::kRead) return absl::InternalError("ExecuteScript in a read-only transaction");
    const std::string text(sql);
    return lease_->Exec(text.c_str(), "script");
  }

  absl::Status Commit() override {
    open_ = false;
    absl::Status status = lease_->Exec("COMMIT", "commit");
    if (!status.ok() && !sqlite3_get_autocommit(lease_->db())) {
      // COMMIT failed and left the transaction open: end it, or drop the connection.
      if (!lease_->Exec("ROLLBACK", "rollback").ok()) lease_.Discard();
    }
    return status;
  }

  absl::Status Rollback() override {
    open_ = false;
    if (sqlite3_get_autocommit(lease_->db())) return absl::OkStatus();  // SQLite already rolled back.
    absl::Status status = lease_->Exec("ROLLBACK", "rollback");
    if (!status.ok()) lease_.Discard();
    return status;
  }

 private:
  Lease lease_;
  const TxMode mode_;
  bool open_ = true;
};

}  // namespace

SqliteDatabase::SqliteDatabase(const std::string& path, const DatabaseOptions& options)
    : path_(path), options_(options) {
  writer_ = std::make_unique<Pool>(
      1, [this] { return SqliteConnection::Open(path_, /*writer=*/true, options_.busy_timeout); });
  if (path_ != ":memory:") {
    readers_ = std::make_unique<Pool>(options_.pool_size, [this] {
      return SqliteConnection::Open(path_, /*writer=*/false, options_.busy_timeout);
    });
  }
}

SqliteDatabase::~SqliteDatabase() = default;

absl::StatusOr<std::unique_ptr<SqliteDatabase>> SqliteDatabase::Open(const std::string& path,
                                                                     const DatabaseOptions& options) {
  if (path.empty()) return absl::InvalidArgumentError("empty SQLite path");
  auto db = std::unique_ptr<SqliteDatabase>(new SqliteDatabase(path, options));
  // Open the writer now (it creates the file and switches it to WAL) and keep it pooled.
  absl::StatusOr<Lease> writer = db->writer_->Acquire(options.busy_timeout, absl::AbortedError("busy"));
  if (!writer.ok()) return writer.status();
  return db;
}

absl::StatusOr<Transaction> SqliteDatabase::Begin(TxMode mode) {
  const bool use_writer = mode == TxMode::kWrite || readers_ == nullptr;
  Pool& pool = use_writer ? *writer_ : *readers_;
  ASSIGN_OR_RETURN(Lease lease,
                   pool.Acquire(options_.busy_timeout,
                                absl::AbortedError(use_writer ? "sqlite: timed out waiting for the writer"
                                                              : "sqlite: timed out waiting for a reader")));
  // IMMEDIATE takes the write lock now (waiting through the busy timeout), so no statement in the transaction
  // can fail later with BUSY when it first writes. Read transactions take their snapshot at the first read.
  RETURN_IF_ERROR(lease->Exec(mode == TxMode::kWrite ? "BEGIN IMMEDIATE" : "BEGIN", "begin"));
  return Transaction(Dialect::kSqlite, mode, std::make_unique<SqliteTransaction>(std::move(lease), mode));
}

}  // namespace tandem::db
