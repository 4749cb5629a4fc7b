#include "common/db/postgres_database.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/db/db_errors.h"
#include "common/db/postgres_codec.h"
#include "common/status/server_only_message.h"
#include "common/status/status_macros.h"
#include "libpq-fe.h"

namespace tandem::db {
namespace internal {

// One libpq connection with its prepared statements. Used by one thread at a time (the pool guarantees it).
class PgConnection {
 public:
  static absl::StatusOr<std::unique_ptr<PgConnection>> Connect(const std::string& url,
                                                               absl::Duration connect_timeout) {
    const std::string timeout = absl::StrCat(std::max<int64_t>(1, absl::ToInt64Seconds(connect_timeout)));
    // Keywords after an expanded dbname override it, keywords before it are overridden by it: so the URL's
    // own connect_timeout, if any, wins over ours.
    const char* const keywords[] = {"connect_timeout", "dbname", nullptr};
    const char* const values[] = {timeout.c_str(), url.c_str(), nullptr};
    auto conn = std::unique_ptr<PgConnection>(new PgConnection(PQconnectdbParams(keywords, values, 1)));
    if (conn->conn_ == nullptr) return absl::ResourceExhaustedError("postgres: out of memory");
    if (PQstatus(conn->conn_) != CONNECTION_OK) {
      PostgresErrorFields fields;
      fields.connection_message = PQerrorMessage(conn->conn_);
      return PostgresStatus(fields, "connect");
    }
    // Notices ("relation already exists, skipping") would go to stderr unstructured; drop them.
    PQsetNoticeProcessor(
        conn->conn_, [](void*, const char*) {}, nullptr);
    RETURN_IF_ERROR(
        conn->Exec("SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET bytea_output = 'hex'; "
                   "SET application_name = 'tandem'",
                   "connect"));
    return conn;
  }

  ~PgConnection() { PQfinish(conn_); }

  // True once the connection is unusable; the pool must then drop it.
  bool broken() const { return broken_ || PQstatus(conn_) != CONNECTION_OK; }
  bool idle() const { return PQtransactionStatus(conn_) == PQTRANS_IDLE; }

  // Runs `sql` (one or more statements, no parameters) with the simple query protocol.
  absl::Status Exec(const char* sql, absl::string_view what) {
    Result result(PQexec(conn_, sql));
    const ExecStatusType status = result.get() == nullptr ? PGRES_FATAL_ERROR : PQresultStatus(result.get());
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) return Error(result.get(), what);
    return absl::OkStatus();
  }

  // COMMIT, telling a commit from the silent ROLLBACK that PostgreSQL answers for an aborted transaction.
  absl::Status Commit() {
    Result result(PQexec(conn_, "COMMIT"));
    if (result.get() == nullptr || PQresultStatus(result.get()) != PGRES_COMMAND_OK) {
      return Error(result.get(), "commit");
    }
    if (absl::string_view(PQcmdStatus(result.get())) != "COMMIT") {
      return MarkServerOnlyMessage(
          absl::AbortedError("postgres commit: the transaction had failed and was rolled back"));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<ResultSet> Execute(absl::string_view sql, absl::Span<const Value> params) {
    std::vector<postgres::EncodedParam> encoded;
    encoded.reserve(params.size());
    std::string key(sql);
    key.push_back('\0');
    for (const Value& value : params) {
      encoded.push_back(postgres::EncodeParam(value));
      absl::StrAppend(&key, encoded.back().type_oid, ",");
    }
    ASSIGN_OR_RETURN(const std::string* name, Prepare(key, sql, encoded));

    std::vector<const char*> values(encoded.size());
    std::vector<int> lengths(encoded.size());
    std::vector<int> formats(encoded.size());
    for (size_t i = 0; i < encoded.size(); ++i) {
      values[i] = encoded[i].is_null ? nullptr : encoded[i].data.data();
      lengths[i] = static_cast<int>(encoded[i].data.size());
      formats[i] = encoded[i].binary ? 1 : 0;
    }
    Result result(PQexecPrepared(conn_, name->c_str(), static_cast<int>(encoded.size()), values.data(),
                                 lengths.data(), formats.data(), /*resultFormat=*/0));
    const ExecStatusType status = result.get() == nullptr ? PGRES_FATAL_ERROR : PQresultStatus(result.get());
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) return Error(result.get(), "execute");
    return ToResultSet(result.get());
  }

 private:
  static constexpr size_t kMaxPrepared = 512;

  struct ResultDeleter {
    void operator()(PGresult* r) const { PQclear(r); }
  };
  using Result = std::unique_ptr<PGresult, ResultDeleter>;

  explicit PgConnection(PGconn* conn) : conn_(conn) {}

  absl::StatusOr<const std::string*> Prepare(const std::string& key, absl::string_view sql,
                                             const std::vector<postgres::EncodedParam>& params) {
    auto it = prepared_.find(key);
    if (it != prepared_.end()) return &it->second;
    if (prepared_.size() >= kMaxPrepared) {
      RETURN_IF_ERROR(Exec("DEALLOCATE ALL", "prepare"));
      prepared_.clear();
    }
    std::vector<Oid> types(params.size());
    for (size_t i = 0; i < params.size(); ++i) types[i] = params[i].type_oid;
    std::string name = absl::StrCat("tandem_", ++statement_counter_);
    const std::string text(sql);
    Result result(PQprepare(conn_, name.c_str(), text.c_str(), static_cast<int>(types.size()), types.data()));
    if (result.get() == nullptr || PQresultStatus(result.get()) != PGRES_COMMAND_OK) {
      return Error(result.get(), "prepare");
    }
    return &prepared_.emplace(key, std::move(name)).first->second;
  }

  absl::Status Error(const PGresult* result, absl::string_view what) {
    PostgresErrorFields fields;
    auto field = [result](int code) -> absl::string_view {
      const char* value = result == nullptr ? nullptr : PQresultErrorField(result, code);
      return value == nullptr ? absl::string_view() : absl::string_view(value);
    };
    fields.sqlstate = field(PG_DIAG_SQLSTATE);
    fields.primary_message = field(PG_DIAG_MESSAGE_PRIMARY);
    fields.constraint = field(PG_DIAG_CONSTRAINT_NAME);
    fields.table = field(PG_DIAG_TABLE_NAME);
    fields.column = field(PG_DIAG_COLUMN_NAME);
    if (PQstatus(conn_) != CONNECTION_OK || fields.sqlstate.empty()) {
      // The server went away (or libpq lost the socket): whatever was said, it is a connection failure.
      broken_ = true;
      PostgresErrorFields lost;
      lost.connection_message = PQerrorMessage(conn_);
      return PostgresStatus(lost, what);
    }
    return PostgresStatus(fields, what);
  }

  static absl::StatusOr<ResultSet> ToResultSet(const PGresult* result) {
    const int columns = PQnfields(result);
    const int rows = PQntuples(result);
    auto names = std::make_shared<std::vector<std::string>>();
    std::vector<Oid> types(static_cast<size_t>(columns));
    for (int c = 0; c < columns; ++c) {
      names->push_back(PQfname(result, c));
      types[static_cast<size_t>(c)] = PQftype(result, c);
    }
    std::vector<Row> out;
    out.reserve(static_cast<size_t>(rows));
    for (int r = 0; r < rows; ++r) {
      std::vector<Value> values;
      values.reserve(static_cast<size_t>(columns));
      for (int c = 0; c < columns; ++c) {
        if (PQgetisnull(result, r, c)) {
          values.emplace_back();
          continue;
        }
        absl::string_view text(PQgetvalue(result, r, c), static_cast<size_t>(PQgetlength(result, r, c)));
        ASSIGN_OR_RETURN(Value value, postgres::DecodeText(types[static_cast<size_t>(c)], text));
        values.push_back(std::move(value));
      }
      out.emplace_back(names, std::move(values));
    }
    int64_t affected = 0;
    // PQcmdTuples also counts the rows of a SELECT; only changes count here, as on SQLite.
    if (!absl::StartsWith(PQcmdStatus(const_cast<PGresult*>(result)), "SELECT")) {
      absl::string_view tuples = PQcmdTuples(const_cast<PGresult*>(result));
      if (!tuples.empty() && !absl::SimpleAtoi(tuples, &affected)) affected = 0;
    }
    return ResultSet(std::move(names), std::move(out), affected);
  }

  PGconn* conn_;
  bool broken_ = false;
  absl::flat_hash_map<std::string, std::string> prepared_;  // (SQL, parameter types) -> statement name
  int64_t statement_counter_ = 0;
};

}  // namespace internal

namespace {

using internal::PgConnection;
using Lease = ConnectionPool<PgConnection>::Lease;

class PgTransaction final : public TransactionBackend {
 public:
  PgTransaction(Lease lease, TxMode mode) : lease_(std::move(lease)), mode_(mode) {}

  ~PgTransaction() override {
    if (open_) Rollback().IgnoreError();
    if (lease_.get() != nullptr && (lease_->broken() || !lease_->idle())) lease_.Discard();
  }

  absl::StatusOr<ResultSet> Execute(absl::string_view sql, absl::Span<const Value> params) override {
    return lease_->Execute(sql, params);
  }

  absl::Status ExecuteScript(absl::string_view sql) override {
    if (mode_ == TxMode::kRead) return absl::InternalError("ExecuteScript in a read-only transaction");
    const std::string text(sql);
    return lease_->Exec(text.c_str(), "script");
  }

  absl::Status Commit() override {
    open_ = false;
    return lease_->Commit();
  }

  absl::Status Rollback() override {
    open_ = false;
    if (lease_->broken()) return absl::OkStatus();  // The server already ended the transaction.
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

PostgresDatabase::PostgresDatabase(const std::string& url, const DatabaseOptions& options)
    : url_(url), options_(options) {
  pool_ = std::make_unique<Pool>(options_.pool_size,
                                 [this] { return PgConnection::Connect(url_, options_.connect_timeout); });
}

PostgresDatabase::~PostgresDatabase() = default;

absl::StatusOr<std::unique_ptr<PostgresDatabase>> PostgresDatabase::Open(const std::string& url,
                                                                         const DatabaseOptions& options) {
  auto db = std::unique_ptr<PostgresDatabase>(new PostgresDatabase(url, options));
  absl::StatusOr<Lease> first = db->pool_->Acquire(
      options.connect_timeout, MarkServerOnlyMessage(absl::UnavailableError("postgres: no connection")));
  if (!first.ok()) return first.status();
  return db;
}

absl::StatusOr<Transaction> PostgresDatabase::Begin(TxMode mode) {
  // Write transactions run at READ COMMITTED. The invariants that matter are enforced by constraints, which
  // hold at any isolation level (the exclusion constraint against double booking, unique idempotency keys),
  // and optimistic concurrency uses `UPDATE ... WHERE version = $n`, which PostgreSQL re-checks against the
  // newest row version after waiting for a concurrent writer. SERIALIZABLE would add serialization failures
  // on unrelated rows that every caller would have to retry. Each statement also sees rows committed while it
  // waited for a lock, which the migrator relies on after taking its advisory lock.
  // Read transactions take one snapshot (REPEATABLE READ, which cannot fail for a read-only transaction), as
  // a SQLite read transaction does, so a page and its count agree.
  const char* begin = mode == TxMode::kWrite ? "BEGIN ISOLATION LEVEL READ COMMITTED"
                                             : "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";
  // A pooled connection may have died with the server since it was last used; try each one at most once
  // before giving up, then a fresh connection.
  absl::Status last;
  for (int attempt = 0; attempt <= pool_->max_size(); ++attempt) {
    ASSIGN_OR_RETURN(
        Lease lease,
        pool_->Acquire(options_.busy_timeout,
                       MarkServerOnlyMessage(absl::UnavailableError("postgres: no free pooled connection"))));
    if (lease->broken()) {
      lease.Discard();
      continue;
    }
    last = lease->Exec(begin, "begin");
    if (last.ok()) {
      return Transaction(Dialect::kPostgres, mode, std::make_unique<PgTransaction>(std::move(lease), mode));
    }
    if (!lease->broken()) return last;
    lease.Discard();
  }
  return last.ok() ? MarkServerOnlyMessage(absl::UnavailableError("postgres: no working connection")) : last;
}

}  // namespace tandem::db
