// tandem_raw_insert_bench: the bare database's single-row write path, the baseline a service's write RPC is
// compared with. Inserts --rows rows, one per transaction (BEGIN, a prepared INSERT, COMMIT), from --threads
// threads through the sqlite3 C API or libpq directly, not through common/db, so the gap between this and a
// service is what Tandem's layers (and gRPC) add. Reports rows/s and per-transaction latency percentiles.
//
// The table (id TEXT PRIMARY KEY, a time-ordered 35-character key like the services' UUIDv7 ids, plus a
// clinic id, a body and a time) is created under a name unique to the process and dropped at the end unless
// --keep_table. Exit status: 0 when every row was inserted, 1 when the database failed, 2 for bad flags.
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bench/latency_histogram.h"
#include "libpq-fe.h"
#include "nlohmann/json.hpp"
#include "sqlite3.h"

ABSL_FLAG(std::string, db_url, "",
          "sqlite:///abs/path.db, sqlite://relative.db or postgresql://... (the same forms as --db_url of a "
          "service)");
ABSL_FLAG(int64_t, rows, 10000, "rows to insert, one per transaction, over all threads");
ABSL_FLAG(int, threads, 1, "writing threads (SQLite: they take turns on its single writer connection)");
ABSL_FLAG(int, body_bytes, 128, "size of each row's body column");
ABSL_FLAG(std::string, table, "",
          "table to create and fill (default tandem_raw_insert_<pid>); must not exist");
ABSL_FLAG(bool, keep_table, false, "leave the table and its rows in place");
ABSL_FLAG(bool, json, false, "print the report as one JSON object");

namespace tandem::bench {
namespace {

constexpr int kMaxThreads = 256;
constexpr int64_t kMaxRows = 100'000'000;
constexpr int kMaxBodyBytes = 1 << 20;

struct Row {
  std::string id;
  std::string body;
  int64_t created_us = 0;
};

// Writes one row per transaction. Each thread has its own; not thread-safe.
class RowWriter {
 public:
  virtual ~RowWriter() = default;
  virtual absl::Status Insert(const Row& row) = 0;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual absl::string_view name() const = 0;
  // The settings that decide what a commit costs (durability, journal), as name and value.
  virtual std::vector<std::pair<std::string, std::string>> Settings() = 0;
  virtual absl::Status CreateTable() = 0;
  virtual absl::Status DropTable() = 0;
  virtual absl::StatusOr<std::unique_ptr<RowWriter>> NewWriter() = 0;
};

std::string CreateTableSql(absl::string_view table, absl::string_view int_type) {
  return absl::StrCat("CREATE TABLE ", table,
                      " (id TEXT PRIMARY KEY, clinic_id TEXT NOT NULL, body TEXT NOT NULL, created_at ",
                      int_type, " NOT NULL)");
}

std::string InsertSql(absl::string_view table, absl::string_view p1, absl::string_view p2,
                      absl::string_view p3, absl::string_view p4) {
  return absl::StrCat("INSERT INTO ", table, " (id, clinic_id, body, created_at) VALUES (", p1, ", ", p2,
                      ", ", p3, ", ", p4, ")");
}

// --- SQLite ---------------------------------------------------------------------------------------------

// One connection, configured as common/db configures its writer (WAL, synchronous=NORMAL), so the baseline
// pays the same commit cost as a service on SQLite. SQLite has one writer at a time: threads take turns on
// this connection instead of queueing in SQLite's busy handler, which sleeps in steps of milliseconds.
class SqliteBackend final : public Backend {
 public:
  static absl::StatusOr<std::unique_ptr<SqliteBackend>> Open(const std::string& path, std::string table) {
    sqlite3* db = nullptr;
    const int rc = sqlite3_open_v2(path.c_str(), &db,
                                   SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    auto backend = std::unique_ptr<SqliteBackend>(new SqliteBackend(db, std::move(table)));
    if (rc != SQLITE_OK) return backend->Error("open");
    sqlite3_busy_timeout(db, 5000);
    for (const char* pragma : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL"}) {
      if (sqlite3_exec(db, pragma, nullptr, nullptr, nullptr) != SQLITE_OK) return backend->Error(pragma);
    }
    return backend;
  }

  ~SqliteBackend() override {
    for (sqlite3_stmt* stmt : {begin_, insert_, commit_}) sqlite3_finalize(stmt);
    sqlite3_close_v2(db_);
  }

  absl::string_view name() const override { return "sqlite"; }

  std::vector<std::pair<std::string, std::string>> Settings() override {
    return {{"version", sqlite3_libversion()},
            {"journal_mode", QueryText("PRAGMA journal_mode")},
            {"synchronous", QueryText("PRAGMA synchronous")}};
  }

  absl::Status CreateTable() override {
    if (sqlite3_exec(db_, CreateTableSql(table_, "INTEGER").c_str(), nullptr, nullptr, nullptr) !=
        SQLITE_OK) {
      return Error("create table");
    }
    // Prepared once, reused for every row.
    const std::string insert = InsertSql(table_, "?1", "?2", "?3", "?4");
    if (sqlite3_prepare_v2(db_, "BEGIN IMMEDIATE", -1, &begin_, nullptr) != SQLITE_OK ||
        sqlite3_prepare_v2(db_, insert.c_str(), -1, &insert_, nullptr) != SQLITE_OK ||
        sqlite3_prepare_v2(db_, "COMMIT", -1, &commit_, nullptr) != SQLITE_OK) {
      return Error("prepare");
    }
    return absl::OkStatus();
  }

  absl::Status DropTable() override {
    const std::string sql = absl::StrCat("DROP TABLE ", table_);
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) return Error("drop table");
    return absl::OkStatus();
  }

  absl::StatusOr<std::unique_ptr<RowWriter>> NewWriter() override {
    return std::unique_ptr<RowWriter>(new Writer(this));
  }

 private:
  class Writer final : public RowWriter {
   public:
    explicit Writer(SqliteBackend* backend) : backend_(backend) {}
    absl::Status Insert(const Row& row) override { return backend_->Insert(row); }

   private:
    SqliteBackend* const backend_;
  };

  SqliteBackend(sqlite3* db, std::string table) : db_(db), table_(std::move(table)) {}

  absl::Status Insert(const Row& row) {
    absl::MutexLock lock(&mu_);
    if (!Step(begin_)) return Error("begin");
    sqlite3_bind_text(insert_, 1, row.id.data(), static_cast<int>(row.id.size()), SQLITE_STATIC);
    sqlite3_bind_text(insert_, 2, "c1", 2, SQLITE_STATIC);
    sqlite3_bind_text(insert_, 3, row.body.data(), static_cast<int>(row.body.size()), SQLITE_STATIC);
    sqlite3_bind_int64(insert_, 4, row.created_us);
    if (!Step(insert_)) {
      absl::Status error = Error("insert");
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
      return error;
    }
    if (!Step(commit_)) {
      absl::Status error = Error("commit");
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
      return error;
    }
    return absl::OkStatus();
  }

  static bool Step(sqlite3_stmt* stmt) {
    const int rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    return rc == SQLITE_DONE;
  }

  std::string QueryText(const char* sql) {
    sqlite3_stmt* stmt = nullptr;
    std::string value = "?";
    if (sqlite3_prepare_v2(db_, sql, -1, &stmt, nullptr) == SQLITE_OK && sqlite3_step(stmt) == SQLITE_ROW) {
      const unsigned char* text = sqlite3_column_text(stmt, 0);
      if (text != nullptr) value = reinterpret_cast<const char*>(text);
    }
    sqlite3_finalize(stmt);
    return value;
  }

  absl::Status Error(absl::string_view what) const {
    return absl::InternalError(
        absl::StrCat("sqlite ", what, ": ", db_ != nullptr ? sqlite3_errmsg(db_) : "out of memory"));
  }

  absl::Mutex mu_;
  sqlite3* const db_;
  const std::string table_;
  sqlite3_stmt* begin_ = nullptr;
  sqlite3_stmt* insert_ = nullptr;
  sqlite3_stmt* commit_ = nullptr;
};

// --- PostgreSQL -----------------------------------------------------------------------------------------

using PgResult = std::unique_ptr<PGresult, decltype(&PQclear)>;

absl::Status PgError(PGconn* conn, absl::string_view what) {
  return absl::InternalError(
      absl::StrCat("postgres ", what, ": ", absl::StripAsciiWhitespace(PQerrorMessage(conn))));
}

absl::Status PgExec(PGconn* conn, const char* sql, absl::string_view what) {
  PgResult result(PQexec(conn, sql), &PQclear);
  if (PQresultStatus(result.get()) != PGRES_COMMAND_OK) return PgError(conn, what);
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<PGconn, decltype(&PQfinish)>> PgConnect(const std::string& url) {
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn(PQconnectdb(url.c_str()), &PQfinish);
  if (conn == nullptr) return absl::ResourceExhaustedError("postgres: out of memory");
  if (PQstatus(conn.get()) != CONNECTION_OK) return PgError(conn.get(), "connect");
  PQsetNoticeProcessor(
      conn.get(), [](void*, const char*) {}, nullptr);
  return conn;
}

// One connection per thread, each with the INSERT prepared once: three round trips per row (BEGIN, the
// prepared INSERT, COMMIT), as a service's write transaction has at least.
class PostgresBackend final : public Backend {
 public:
  static absl::StatusOr<std::unique_ptr<PostgresBackend>> Open(std::string url, std::string table) {
    auto admin = PgConnect(url);
    if (!admin.ok()) return admin.status();
    return std::unique_ptr<PostgresBackend>(
        new PostgresBackend(std::move(url), std::move(table), *std::move(admin)));
  }

  absl::string_view name() const override { return "postgresql"; }

  std::vector<std::pair<std::string, std::string>> Settings() override {
    std::vector<std::pair<std::string, std::string>> settings;
    for (const char* name : {"server_version", "fsync", "synchronous_commit", "wal_sync_method"}) {
      PgResult result(PQexec(admin_.get(), absl::StrCat("SHOW ", name).c_str()), &PQclear);
      const bool ok = PQresultStatus(result.get()) == PGRES_TUPLES_OK && PQntuples(result.get()) == 1;
      settings.emplace_back(name, ok ? PQgetvalue(result.get(), 0, 0) : "?");
    }
    return settings;
  }

  absl::Status CreateTable() override {
    return PgExec(admin_.get(), CreateTableSql(table_, "BIGINT").c_str(), "create table");
  }

  absl::Status DropTable() override {
    return PgExec(admin_.get(), absl::StrCat("DROP TABLE ", table_).c_str(), "drop table");
  }

  absl::StatusOr<std::unique_ptr<RowWriter>> NewWriter() override {
    auto conn = PgConnect(url_);
    if (!conn.ok()) return conn.status();
    PgResult prepared(
        PQprepare(conn->get(), "insert_row", InsertSql(table_, "$1", "$2", "$3", "$4").c_str(), 4, nullptr),
        &PQclear);
    if (PQresultStatus(prepared.get()) != PGRES_COMMAND_OK) return PgError(conn->get(), "prepare");
    return std::unique_ptr<RowWriter>(new Writer(*std::move(conn)));
  }

 private:
  class Writer final : public RowWriter {
   public:
    explicit Writer(std::unique_ptr<PGconn, decltype(&PQfinish)> conn) : conn_(std::move(conn)) {}

    absl::Status Insert(const Row& row) override {
      if (absl::Status begun = PgExec(conn_.get(), "BEGIN", "begin"); !begun.ok()) return begun;
      const std::string created = absl::StrCat(row.created_us);
      const char* const values[] = {row.id.c_str(), "c1", row.body.c_str(), created.c_str()};
      PgResult inserted(PQexecPrepared(conn_.get(), "insert_row", 4, values, nullptr, nullptr, 0), &PQclear);
      if (PQresultStatus(inserted.get()) != PGRES_COMMAND_OK) {
        absl::Status error = PgError(conn_.get(), "insert");
        PgResult rollback(PQexec(conn_.get(), "ROLLBACK"), &PQclear);
        return error;
      }
      PgResult committed(PQexec(conn_.get(), "COMMIT"), &PQclear);
      // An aborted transaction answers COMMIT with ROLLBACK and no error.
      if (PQresultStatus(committed.get()) != PGRES_COMMAND_OK ||
          absl::string_view(PQcmdStatus(committed.get())) != "COMMIT") {
        return PgError(conn_.get(), "commit");
      }
      return absl::OkStatus();
    }

   private:
    std::unique_ptr<PGconn, decltype(&PQfinish)> conn_;
  };

  PostgresBackend(std::string url, std::string table, std::unique_ptr<PGconn, decltype(&PQfinish)> admin)
      : url_(std::move(url)), table_(std::move(table)), admin_(std::move(admin)) {}

  const std::string url_;
  const std::string table_;
  std::unique_ptr<PGconn, decltype(&PQfinish)> admin_;
};

// --- The run --------------------------------------------------------------------------------------------

absl::StatusOr<std::unique_ptr<Backend>> OpenBackend(const std::string& url, std::string table) {
  if (absl::StartsWith(url, "postgresql://") || absl::StartsWith(url, "postgres://")) {
    auto pg = PostgresBackend::Open(url, std::move(table));
    if (!pg.ok()) return pg.status();
    return std::unique_ptr<Backend>(*std::move(pg));
  }
  absl::string_view path = url;
  if (absl::ConsumePrefix(&path, "sqlite://") && !path.empty()) {
    // sqlite:///abs/path keeps its leading slash; sqlite://relative.db has none.
    auto sqlite = SqliteBackend::Open(std::string(path), std::move(table));
    if (!sqlite.ok()) return sqlite.status();
    return std::unique_ptr<Backend>(*std::move(sqlite));
  }
  return absl::InvalidArgumentError("--db_url must start with sqlite://, postgresql:// or postgres://");
}

bool IsPlainIdentifier(absl::string_view name) {
  if (name.empty() || name.size() > 63 || absl::ascii_isdigit(name[0])) return false;
  for (char c : name) {
    if (!absl::ascii_islower(c) && !absl::ascii_isdigit(c) && c != '_') return false;
  }
  return true;
}

struct ThreadResult {
  LatencyHistogram latency_ns;
  int64_t ok = 0;
  int64_t failed = 0;
  std::optional<absl::Status> first_error;
};

// Inserts `rows` rows through `writer`, the ids made unique by `thread`. Stops at the first failure: a broken
// connection would otherwise fail every remaining row just as fast.
void InsertRows(RowWriter& writer, int thread, int64_t rows, int body_bytes, ThreadResult* result) {
  Row row;
  row.body.assign(static_cast<size_t>(body_bytes), 'x');
  for (int64_t i = 0; i < rows; ++i) {
    const auto start = std::chrono::steady_clock::now();
    row.created_us = absl::ToUnixMicros(absl::Now());
    row.id = absl::StrFormat("%013x-%04x-%016x", row.created_us, thread, i);
    const absl::Status inserted = writer.Insert(row);
    const auto elapsed = std::chrono::steady_clock::now() - start;
    result->latency_ns.Record(
        static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count()));
    if (!inserted.ok()) {
      ++result->failed;
      result->first_error = inserted;
      return;
    }
    ++result->ok;
  }
}

int Fail(int exit_code, const absl::Status& status) {
  std::fprintf(stderr, "tandem_raw_insert_bench: %s\n", std::string(status.message()).c_str());
  return exit_code;
}

int Run() {
  const std::string url = absl::GetFlag(FLAGS_db_url);
  const int64_t rows = absl::GetFlag(FLAGS_rows);
  const int threads = absl::GetFlag(FLAGS_threads);
  const int body_bytes = absl::GetFlag(FLAGS_body_bytes);
  std::string table = absl::GetFlag(FLAGS_table);
  if (table.empty()) table = absl::StrCat("tandem_raw_insert_", getpid());
  if (url.empty()) return Fail(2, absl::InvalidArgumentError("--db_url is required"));
  if (rows < 1 || rows > kMaxRows) {
    return Fail(2, absl::InvalidArgumentError(absl::StrCat("--rows must be in 1..", kMaxRows)));
  }
  if (threads < 1 || threads > kMaxThreads || threads > rows) {
    return Fail(2, absl::InvalidArgumentError(
                       absl::StrCat("--threads must be in 1..min(", kMaxThreads, ", --rows)")));
  }
  if (body_bytes < 0 || body_bytes > kMaxBodyBytes) {
    return Fail(2, absl::InvalidArgumentError(absl::StrCat("--body_bytes must be in 0..", kMaxBodyBytes)));
  }
  // The name goes into SQL text, so only a plain identifier is accepted.
  if (!IsPlainIdentifier(table)) {
    return Fail(2,
                absl::InvalidArgumentError("--table must be lowercase letters, digits and _ (at most 63)"));
  }

  auto backend = OpenBackend(url, table);
  if (!backend.ok()) return Fail(absl::IsInvalidArgument(backend.status()) ? 2 : 1, backend.status());
  if (absl::Status created = (*backend)->CreateTable(); !created.ok()) return Fail(1, created);
  const auto settings = (*backend)->Settings();

  // Connections are opened and statements prepared before the clock starts.
  std::vector<std::unique_ptr<RowWriter>> writers;
  absl::Status setup = absl::OkStatus();
  for (int t = 0; t < threads && setup.ok(); ++t) {
    auto writer = (*backend)->NewWriter();
    if (writer.ok()) {
      writers.push_back(*std::move(writer));
    } else {
      setup = writer.status();
    }
  }
  std::vector<std::unique_ptr<ThreadResult>> results;
  absl::Duration elapsed;
  if (setup.ok()) {
    absl::Notification go;
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
      results.push_back(std::make_unique<ThreadResult>());
      const int64_t share = rows / threads + (t < rows % threads ? 1 : 0);
      workers.emplace_back([&, t, share] {
        go.WaitForNotification();
        InsertRows(*writers[t], t, share, body_bytes, results[t].get());
      });
    }
    const absl::Time start = absl::Now();
    go.Notify();
    for (std::thread& worker : workers) worker.join();
    elapsed = absl::Now() - start;
  }
  writers.clear();
  if (!absl::GetFlag(FLAGS_keep_table)) {
    if (absl::Status dropped = (*backend)->DropTable(); !dropped.ok()) {
      std::fprintf(stderr, "tandem_raw_insert_bench: %s\n", std::string(dropped.message()).c_str());
    }
  }
  if (!setup.ok()) return Fail(1, setup);

  LatencyHistogram latency;
  int64_t ok = 0;
  int64_t failed = 0;
  std::optional<absl::Status> first_error;
  for (const auto& r : results) {
    latency.Merge(r->latency_ns);
    ok += r->ok;
    failed += r->failed;
    if (!first_error && r->first_error) first_error = r->first_error;
  }
  const double seconds = absl::ToDoubleSeconds(elapsed);
  const double rows_per_second = seconds > 0 ? static_cast<double>(ok) / seconds : 0;
  auto us = [&](double q) { return static_cast<double>(latency.Percentile(q)) / 1000.0; };

  if (absl::GetFlag(FLAGS_json)) {
    nlohmann::json j;
    j["backend"] = std::string((*backend)->name());
    for (const auto& [name, value] : settings) j["settings"][name] = value;
    j["threads"] = threads;
    j["body_bytes"] = body_bytes;
    j["ok"] = ok;
    j["failed"] = failed;
    j["seconds"] = seconds;
    j["rows_per_second"] = rows_per_second;
    j["latency_us"] = {{"p50", us(0.50)},   {"p90", us(0.90)}, {"p99", us(0.99)},
                       {"p999", us(0.999)}, {"max", us(1.0)},  {"mean", latency.mean() / 1000.0}};
    if (first_error) j["first_error"] = std::string(first_error->message());
    std::printf("%s\n", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  } else {
    std::string settings_text;
    for (const auto& [name, value] : settings) absl::StrAppend(&settings_text, " ", name, "=", value);
    std::printf("database    %s:%s\n", std::string((*backend)->name()).c_str(), settings_text.c_str());
    std::printf("load        %d thread(s), one row per transaction, %d-byte body\n", threads, body_bytes);
    std::printf("rows        %lld ok, %lld failed in %.3f s\n", static_cast<long long>(ok),
                static_cast<long long>(failed), seconds);
    std::printf("rows/s      %.1f\n", rows_per_second);
    std::printf("latency us  %10s %10s %10s %10s %10s %10s\n", "p50", "p90", "p99", "p99.9", "max", "mean");
    std::printf("            %10.1f %10.1f %10.1f %10.1f %10.1f %10.1f\n", us(0.50), us(0.90), us(0.99),
                us(0.999), us(1.0), latency.mean() / 1000.0);
    if (first_error) std::printf("error       %s\n", std::string(first_error->message()).c_str());
  }
  std::fflush(stdout);
  return failed == 0 && ok == rows ? 0 : 1;
}

}  // namespace
}  // namespace tandem::bench

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Raw single-row INSERT baseline (sqlite3 / libpq directly):\n"
      "  tandem_raw_insert_bench --db_url=sqlite:///tmp/raw.db --rows=10000 --threads=2 [--json]\n"
      "  tandem_raw_insert_bench --db_url=postgresql://user@127.0.0.1:5432/db --rows=10000 --threads=4");
  const std::vector<char*> rest = absl::ParseCommandLine(argc, argv);
  if (rest.size() > 1) {
    std::fprintf(stderr, "tandem_raw_insert_bench: unexpected argument '%s'\n", rest[1]);
    return 2;
  }
  return tandem::bench::Run();
}
