// The common/db contract, run on SQLite (a file in a temp dir) and on PostgreSQL (a fresh database per test
// on the run's shared server).
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/db/database.h"
#include "common/db/migration.h"
#include "common/db/migrator.h"
#include "common/db/open_database.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/fixtures/free_port.h"
#include "tests/fixtures/temp_dir.h"
#include "tests/fixtures/test_postgres.h"

namespace tandem::db {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

enum class Backend { kSqlite, kPostgres };

std::string BackendName(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::kSqlite ? "Sqlite" : "Postgres";
}

std::string UniqueRoleName(absl::string_view prefix) {
  static std::atomic<int> counter{0};
  return absl::StrCat(prefix, "_", getpid(), "_", counter++);
}

class DbContractTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (GetParam() == Backend::kSqlite) {
      absl::StatusOr<std::string> dir = testing::MakeTempDir("db-contract");
      ASSERT_TRUE(dir.ok()) << dir.status();
      dir_ = *dir;
      url_ = absl::StrCat("sqlite://", dir_, "/test.db");  // dir_ is absolute: sqlite:///tmp/...
    } else {
      absl::StatusOr<std::string> url = testing::NewTestDatabaseUrl();
      ASSERT_TRUE(url.ok()) << url.status();
      url_ = *url;
    }
    db_ = Open();
    ASSERT_NE(db_, nullptr);
  }

  void TearDown() override {
    db_.reset();
    if (!dir_.empty()) testing::RemoveTree(dir_);
  }

  bool sqlite() const { return GetParam() == Backend::kSqlite; }

  std::unique_ptr<Database> Open() {
    absl::StatusOr<std::unique_ptr<Database>> db = OpenDatabase(url_);
    EXPECT_TRUE(db.ok()) << db.status();
    return db.ok() ? *std::move(db) : nullptr;
  }

  void Script(const std::string& sql) {
    absl::Status status =
        db_->RunInTransaction(TxMode::kWrite, [&](Transaction& tx) { return tx.ExecuteScript(sql); });
    ASSERT_TRUE(status.ok()) << status;
  }

  absl::StatusOr<int64_t> Count(const std::string& table, Database* db = nullptr) {
    absl::StatusOr<Transaction> tx = (db != nullptr ? db : db_.get())->Begin(TxMode::kRead);
    if (!tx.ok()) return tx.status();
    absl::StatusOr<ResultSet> rows = tx->Execute(absl::StrCat("SELECT COUNT(*) FROM ", table));
    if (!rows.ok()) return rows.status();
    return (*rows)[0].GetInt64(0);
  }

  // The same simple table on both dialects.
  void CreateItems() {
    Script(
        "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
        " qty INTEGER NOT NULL DEFAULT 0 CHECK (qty >= 0))");
  }

  std::string dir_;
  std::string url_;
  std::unique_ptr<Database> db_;
};

TEST_P(DbContractTest, ReportsItsDialect) {
  EXPECT_EQ(db_->dialect(), sqlite() ? Dialect::kSqlite : Dialect::kPostgres);
}

TEST_P(DbContractTest, RoundTripsEveryValueType) {
  Script(sqlite() ? "CREATE TABLE v (id INTEGER PRIMARY KEY, i INTEGER, d REAL, t TEXT, b BLOB, f BOOLEAN, "
                    "ts INTEGER)"
                  : "CREATE TABLE v (id BIGINT PRIMARY KEY, i BIGINT, d DOUBLE PRECISION, t TEXT, b BYTEA, "
                    "f BOOLEAN, ts TIMESTAMPTZ)");
  const std::string bytes(
      "\0\x01\xff"
      "a\0",
      5);
  const std::string text = "h\xc3\xa9llo, 'quoted' \"and\" \\ $1";
  const absl::Time when = absl::FromUnixMicros(1767259800123456);
  const char* insert = "INSERT INTO v (id, i, d, t, b, f, ts) VALUES ($1, $2, $3, $4, $5, $6, $7)";
  absl::Status status = db_->RunInTransaction(TxMode::kWrite, [&](Transaction& tx) -> absl::Status {
    absl::StatusOr<ResultSet> r = tx.Execute(insert, {1, INT64_MIN, 0.1, text, Bytes{bytes}, true, when});
    if (!r.ok()) return r.status();
    EXPECT_EQ(r->affected_rows(), 1);
    r = tx.Execute(insert, {2, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr});
    if (!r.ok()) return r.status();
    r = tx.Execute(insert, {3, INT64_MAX, -2.5e300, "", Bytes{""}, false, absl::FromUnixSeconds(0)});
    return r.status();
  });
  ASSERT_TRUE(status.ok()) << status;

  absl::StatusOr<Transaction> tx = db_->Begin(TxMode::kRead);
  ASSERT_TRUE(tx.ok()) << tx.status();
  absl::StatusOr<ResultSet> rows = tx->Execute("SELECT id, i, d, t, b, f, ts FROM v ORDER BY id");
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 3);
  EXPECT_EQ(rows->affected_rows(), 0);
  EXPECT_EQ(rows->columns(), (std::vector<std::string>{"id", "i", "d", "t", "b", "f", "ts"}));

  const Row& full = (*rows)[0];
  EXPECT_EQ(*full.GetInt64("i"), INT64_MIN);
  EXPECT_EQ(*full.GetDouble("d"), 0.1);
  EXPECT_EQ(*full.GetText("t"), text);
  EXPECT_EQ(*full.GetBytes("b"), bytes);
  EXPECT_EQ(*full.GetBool("f"), true);
  EXPECT_EQ(*full.GetTime("ts"), when);

  const Row& nulls = (*rows)[1];
  for (int c = 1; c < 7; ++c) EXPECT_TRUE(*nulls.IsNull(c)) << c;
  EXPECT_FALSE(nulls.GetOptionalInt64("i")->has_value());
  EXPECT_FALSE(nulls.GetOptionalDouble("d")->has_value());
  EXPECT_FALSE(nulls.GetOptionalText("t")->has_value());
  EXPECT_FALSE(nulls.GetOptionalBytes("b")->has_value());
  EXPECT_FALSE(nulls.GetOptionalBool("f")->has_value());
  EXPECT_FALSE(nulls.GetOptionalTime("ts")->has_value());
  EXPECT_EQ(nulls.GetText("t").status().code(), absl::StatusCode::kInternal);

  const Row& edges = (*rows)[2];
  EXPECT_EQ(*edges.GetInt64("i"), INT64_MAX);
  EXPECT_EQ(*edges.GetDouble("d"), -2.5e300);
  EXPECT_EQ(*edges.GetOptionalText("t"), absl::optional<std::string>(""));  // empty, not NULL
  EXPECT_EQ(*edges.GetOptionalBytes("b"), absl::optional<std::string>(""));
  EXPECT_EQ(*edges.GetBool("f"), false);
  EXPECT_EQ(*edges.GetTime("ts"), absl::UnixEpoch());

  // Parameters in WHERE clauses compare against stored values of every type.
  rows = tx->Execute("SELECT id FROM v WHERE b = $1 AND ts = $2 AND f = $3 AND t = $4",
                     {Bytes{bytes}, when, true, text});
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 1);
  EXPECT_EQ(*(*rows)[0].GetInt64(0), 1);
}

TEST_P(DbContractTest, PlaceholdersRepeatAndLiteralsAreLeftAlone) {
  CreateItems();
  ASSERT_TRUE(db_->RunInTransaction(TxMode::kWrite,
                                    [](Transaction& tx) {
                                      return tx
                                          .Execute("INSERT INTO items (id, name, qty) VALUES ($1, $2, $1)",
                                                   {7, "seven"})
                                          .status();
                                    })
                  .ok());
  absl::StatusOr<Transaction> tx = db_->Begin(TxMode::kRead);
  ASSERT_TRUE(tx.ok());
  absl::StatusOr<ResultSet> rows =
      tx->Execute("SELECT '$1' AS literal, name FROM items WHERE id = $1 AND qty = $1 -- $2", {7});
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 1);
  EXPECT_EQ(*(*rows)[0].GetText("literal"), "$1");
  EXPECT_EQ(*(*rows)[0].GetText("name"), "seven");

  EXPECT_EQ(tx->Execute("SELECT name FROM items WHERE id = $1", {1, 2}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_P(DbContractTest, ReportsAffectedRows) {
  CreateItems();
  absl::Status status = db_->RunInTransaction(TxMode::kWrite, [](Transaction& tx) -> absl::Status {
    for (int i = 1; i <= 3; ++i) {
      absl::Status s =
          tx.Execute("INSERT INTO items (id, name) VALUES ($1, $2)", {i, absl::StrCat("n", i)}).status();
      if (!s.ok()) return s;
    }
    absl::StatusOr<ResultSet> updated = tx.Execute("UPDATE items SET qty = qty + 1 WHERE id >= $1", {2});
    if (!updated.ok()) return updated.status();
    EXPECT_EQ(updated->affected_rows(), 2);
    absl::StatusOr<ResultSet> none = tx.Execute("UPDATE items SET qty = 5 WHERE id = $1", {99});
    if (!none.ok()) return none.status();
    EXPECT_EQ(none->affected_rows(), 0);
    absl::StatusOr<ResultSet> selected = tx.Execute("SELECT id FROM items");
    if (!selected.ok()) return selected.status();
    EXPECT_EQ(selected->affected_rows(), 0);
    EXPECT_EQ(selected->size(), 3);
    absl::StatusOr<ResultSet> returned = tx.Execute("DELETE FROM items WHERE id = $1 RETURNING name", {3});
    if (!returned.ok()) return returned.status();
    EXPECT_EQ(returned->affected_rows(), 1);
    EXPECT_EQ(*(*returned)[0].GetText(0), "n3");
    return absl::OkStatus();
  });
  EXPECT_TRUE(status.ok()) << status;
}

TEST_P(DbContractTest, UncommittedTransactionRollsBack) {
  CreateItems();
  {
    absl::StatusOr<Transaction> tx = db_->Begin(TxMode::kWrite);
    ASSERT_TRUE(tx.ok()) << tx.status();
    ASSERT_TRUE(tx->Execute("INSERT INTO items (id, name) VALUES ($1, $2)", {1, "dropped"}).ok());
  }  // destroyed without Commit
  EXPECT_EQ(*Count("items"), 0);

  absl::StatusOr<Transaction> tx = db_->Begin(TxMode::kWrite);
  ASSERT_TRUE(tx.ok());
  ASSERT_TRUE(tx->Execute("INSERT INTO items (id, name) VALUES ($1, $2)", {1, "rolled back"}).ok());
  EXPECT_TRUE(tx->Rollback().ok());
  EXPECT_EQ(tx->Commit().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(*Count("items"), 0);

  tx = db_->Begin(TxMode::kWrite);
  ASSERT_TRUE(tx.ok());
  ASSERT_TRUE(tx->Execute("INSERT INTO items (id, name) VALUES ($1, $2)", {1, "kept"}).ok());
  EXPECT_TRUE(tx->Commit().ok());
  EXPECT_EQ(*Count("items"), 1);
}

TEST_P(DbContractTest, RunInTransactionRollsBackOnError) {
  CreateItems();
  absl::Status status = db_->RunInTransaction(TxMode::kWrite, [](Transaction& tx) -> absl::Status {
    absl::Status inserted = tx.Execute("INSERT INTO items (id, name) VALUES ($1, $2)", {1, "a"}).status();
    if (!inserted.ok()) return inserted;
    return absl::FailedPreconditionError("caller changed its mind");
  });
  EXPECT_EQ(status, absl::FailedPreconditionError("caller changed its mind"));
  EXPECT_EQ(*Count("items"), 0);

  status = db_->RunInTransaction(TxMode::kWrite, [](Transaction& tx) {
    return tx.Execute("INSERT INTO items (id, name) VALUES ($1, $2)", {1, "a"}).status();
  });
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_EQ(*Count("items"), 1);
}

TEST_P(DbContractTest, FailedStatementEndsTheTransaction) {
  CreateItems();
  absl::StatusOr<Transaction> tx = db_->Begin(TxMode::kWrite);
  ASSERT_TRUE(tx.ok());
  ASSERT_TRUE(tx->Execute("INSERT INTO items (id, name) VALUES ($1, $2)", {1, "a"}).ok());
  EXPECT_EQ(tx->Execute("INSERT INTO items (id, name) VALUES ($1, $2)", {1, "b"}).status().code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(tx->Execute("SELECT 1").status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ(tx->Commit().code(), absl::StatusCode::kAborted);
  tx = db_->Begin(TxMode::kRead);  // the first one is destroyed here, rolling back
  EXPECT_EQ(*Count("items"), 0);
}

TEST_P(DbContractTest, ReadTransactionsCannotWrite) {
  CreateItems();
  absl::StatusOr<Transaction> tx = db_->Begin(TxMode::kRead);
  ASSERT_TRUE(tx.ok());
  absl::Status status = tx->Execute("INSERT INTO items (id, name) VALUES ($1, $2)", {1, "a"}).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal) << status;
  tx = db_->Begin(TxMode::kRead);
  EXPECT_EQ(*Count("items"), 0);
}

TEST_P(DbContractTest, UniqueViolationIsAlreadyExists) {
  CreateItems();
  ASSERT_TRUE(db_->RunInTransaction(TxMode::kWrite,
                                    [](Transaction& tx) {
                                      return tx
                                          .Execute("INSERT INTO items (id, name) VALUES ($1, $2)",
                                                   {1, "secret-unique-value"})
                                          .status();
                                    })
                  .ok());
  // Unique column.
  absl::Status status = db_->RunInTransaction(TxMode::kWrite, [](Transaction& tx) {
    return tx.Execute("INSERT INTO items (id, name) VALUES ($1, $2)", {2, "secret-unique-value"}).status();
  });
  EXPECT_EQ(status.code(), absl::StatusCode::kAlreadyExists) << status;
  EXPECT_THAT(status.message(), Not(HasSubstr("secret")));
  // Primary key.
  status = db_->RunInTransaction(TxMode::kWrite, [](Transaction& tx) {
    return tx.Execute("INSERT INTO items (id, name) VALUES ($1, $2)", {1, "other"}).status();
  });
  EXPECT_EQ(status.code(), absl::StatusCode::kAlreadyExists) << status;
}

TEST_P(DbContractTest, ForeignKeyAndCheckViolationsAreFailedPrecondition) {
  CreateItems();
  Script("CREATE TABLE orders (id INTEGER PRIMARY KEY, item_id INTEGER NOT NULL REFERENCES items (id))");
  absl::Status status = db_->RunInTransaction(TxMode::kWrite, [](Transaction& tx) {
    return tx.Execute("INSERT INTO orders (id, item_id) VALUES ($1, $2)", {1, 42}).status();
  });
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;

  status = db_->RunInTransaction(TxMode::kWrite, [](Transaction& tx) {
    return tx.Execute("INSERT INTO items (id, name, qty) VALUES ($1, $2, $3)", {1, "a", -1}).status();
  });
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
}

TEST_P(DbContractTest, ExclusionViolationIsAlreadyExists) {
  if (sqlite()) GTEST_SKIP() << "exclusion constraints exist only on PostgreSQL";
  Script(
      "CREATE EXTENSION IF NOT EXISTS btree_gist;"
      "CREATE TABLE bookings (id BIGINT PRIMARY KEY, clinician_id TEXT NOT NULL,"
      " start_at TIMESTAMPTZ NOT NULL, end_at TIMESTAMPTZ NOT NULL,"
      " EXCLUDE USING gist (clinician_id WITH =, tstzrange(start_at, end_at, '[)') WITH &&))");
  const absl::Time nine = absl::FromUnixSeconds(1767258000);
  auto book = [&](int id, const char* clinician, absl::Time start, absl::Duration length) {
    return db_->RunInTransaction(TxMode::kWrite, [&](Transaction& tx) {
      return tx
          .Execute("INSERT INTO bookings (id, clinician_id, start_at, end_at) VALUES ($1, $2, $3, $4)",
                   {id, clinician, start, start + length})
          .status();
    });
  };
  ASSERT_TRUE(book(1, "c1", nine, absl::Hours(1)).ok());
  absl::Status overlap = book(2, "c1", nine + absl::Minutes(30), absl::Hours(1));
  EXPECT_EQ(overlap.code(), absl::StatusCode::kAlreadyExists) << overlap;
  EXPECT_TRUE(book(3, "c1", nine + absl::Hours(1), absl::Hours(1)).ok());  // back to back: [) ranges
  EXPECT_TRUE(book(4, "c2", nine, absl::Hours(1)).ok());
}

TEST_P(DbContractTest, BadSqlIsInternalWithoutParameterValues) {
  absl::Status status = db_->RunInTransaction(TxMode::kWrite, [](Transaction& tx) {
    return tx.Execute("INSERT INTO no_such_table (x) VALUES ($1)", {"secret clinical text"}).status();
  });
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal) << status;
  EXPECT_THAT(status.message(), Not(HasSubstr("secret")));

  status = db_->RunInTransaction(TxMode::kWrite, [](Transaction& tx) {
    return tx.Execute("SELEC $1", {"secret clinical text"}).status();
  });
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal) << status;
  EXPECT_THAT(status.message(), Not(HasSubstr("secret")));

  if (!sqlite()) {
    // PostgreSQL's own message for this one quotes the value.
    status = db_->RunInTransaction(TxMode::kRead, [](Transaction& tx) {
      return tx.Execute("SELECT CAST($1 AS integer)", {"secret clinical text"}).status();
    });
    EXPECT_EQ(status.code(), absl::StatusCode::kInternal) << status;
    EXPECT_THAT(status.message(), Not(HasSubstr("secret")));
  }

  status = db_->RunInTransaction(TxMode::kWrite, [](Transaction& tx) {
    return tx.Execute("SELECT $1", {std::string("nul\0inside", 10)}).status();
  });
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
}

// Two migrations per dialect, neither of which can run twice: a second CREATE TABLE fails, and so does a
// second insert of the same key. Tables are named after the component so several sets can share a database.
MigrationSet TestMigrations(const std::string& component) {
  static std::deque<std::string> texts;  // keeps the SQL alive for Migration's const char*
  auto keep = [](std::string text) { return texts.emplace_back(std::move(text)).c_str(); };
  MigrationSet set{component, {}, {}};
  for (auto* list : {&set.sqlite, &set.postgresql}) {
    list->push_back({1, "001_create.sql",
                     keep(absl::StrCat("CREATE TABLE IF NOT EXISTS migrated (component TEXT, step INTEGER, "
                                       "PRIMARY KEY (component, step));"
                                       "CREATE TABLE ",
                                       component, "_things (id INTEGER PRIMARY KEY);"))});
    list->push_back({2, "002_seed.sql",
                     keep(absl::StrCat("INSERT INTO migrated (component, step) VALUES ('", component,
                                       "', 2);", "INSERT INTO ", component, "_things (id) VALUES (1);"))});
  }
  return set;
}

TEST_P(DbContractTest, MigrationsAreIdempotent) {
  const MigrationSet set = TestMigrations("idem");
  ASSERT_TRUE(ApplyMigrations(*db_, set).ok());
  absl::Status again = ApplyMigrations(*db_, set);
  EXPECT_TRUE(again.ok()) << again;
  EXPECT_EQ(*Count("idem_things"), 1);
  EXPECT_EQ(*Count("schema_migrations"), 2);

  // A second component shares schema_migrations.
  ASSERT_TRUE(ApplyMigrations(*db_, TestMigrations("other")).ok());
  EXPECT_EQ(*Count("schema_migrations"), 4);

  // A migration renamed after it was applied is refused rather than silently skipped.
  MigrationSet renamed = set;
  renamed.sqlite[1].name = "002_renamed.sql";
  renamed.postgresql[1].name = "002_renamed.sql";
  EXPECT_EQ(ApplyMigrations(*db_, renamed).code(), absl::StatusCode::kFailedPrecondition);

  // A failing migration leaves nothing behind, including its schema_migrations row.
  MigrationSet broken = set;
  broken.sqlite.push_back({3, "003_broken.sql", "INSERT INTO idem_things (id) VALUES (2); SELEC 1;"});
  broken.postgresql.push_back({3, "003_broken.sql", "INSERT INTO idem_things (id) VALUES (2); SELEC 1;"});
  EXPECT_EQ(ApplyMigrations(*db_, broken).code(), absl::StatusCode::kInternal);
  EXPECT_EQ(*Count("idem_things"), 1);
  EXPECT_EQ(*Count("schema_migrations"), 4);
}

TEST_P(DbContractTest, RacingMigrationRunnersApplyEachMigrationOnce) {
  for (int round = 0; round < 3; ++round) {
    const MigrationSet set = TestMigrations(absl::StrCat("race", round));
    std::unique_ptr<Database> first = Open();
    std::unique_ptr<Database> second = Open();
    ASSERT_TRUE(first && second);
    absl::Notification go;
    absl::Status results[2];
    std::thread a([&] {
      go.WaitForNotification();
      results[0] = ApplyMigrations(*first, set);
    });
    std::thread b([&] {
      go.WaitForNotification();
      results[1] = ApplyMigrations(*second, set);
    });
    go.Notify();
    a.join();
    b.join();
    EXPECT_TRUE(results[0].ok()) << results[0];
    EXPECT_TRUE(results[1].ok()) << results[1];
    EXPECT_EQ(*Count(absl::StrCat("race", round, "_things")), 1);
  }
  EXPECT_EQ(*Count("schema_migrations"), 6);
}

TEST_P(DbContractTest, ConcurrentWritersAllSucceed) {
  CreateItems();
  ASSERT_TRUE(db_->RunInTransaction(
                     TxMode::kWrite,
                     [](Transaction& tx) {
                       return tx.Execute("INSERT INTO items (id, name) VALUES (1, 'counter')").status();
                     })
                  .ok());
  // Two Database objects behave like two processes on SQLite: they meet at the file lock.
  std::unique_ptr<Database> other = Open();
  ASSERT_NE(other, nullptr);
  constexpr int kThreads = 6;
  constexpr int kPerThread = 20;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    Database* db = t % 2 == 0 ? db_.get() : other.get();
    threads.emplace_back([db, &failures] {
      for (int i = 0; i < kPerThread; ++i) {
        absl::Status status = db->RunInTransaction(TxMode::kWrite, [](Transaction& tx) {
          return tx.Execute("UPDATE items SET qty = qty + 1 WHERE id = 1").status();
        });
        if (!status.ok()) {
          ADD_FAILURE() << status;
          ++failures;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  absl::StatusOr<Transaction> tx = db_->Begin(TxMode::kRead);
  ASSERT_TRUE(tx.ok());
  EXPECT_EQ(*(*tx->Execute("SELECT qty FROM items WHERE id = 1"))[0].GetInt64(0), kThreads * kPerThread);
}

TEST_P(DbContractTest, SqliteCheckThenInsertIsAtomic) {
  if (!sqlite()) GTEST_SKIP() << "on PostgreSQL constraints, not write locks, guard check-then-insert";
  Script("CREATE TABLE seq (n INTEGER NOT NULL)");  // deliberately no UNIQUE: only the lock keeps n distinct
  std::unique_ptr<Database> other = Open();
  ASSERT_NE(other, nullptr);
  constexpr int kThreads = 4;
  constexpr int kPerThread = 25;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    Database* db = t % 2 == 0 ? db_.get() : other.get();
    threads.emplace_back([db] {
      for (int i = 0; i < kPerThread; ++i) {
        absl::Status status = db->RunInTransaction(TxMode::kWrite, [](Transaction& tx) -> absl::Status {
          absl::StatusOr<ResultSet> max = tx.Execute("SELECT COALESCE(MAX(n), 0) FROM seq");
          if (!max.ok()) return max.status();
          absl::StatusOr<int64_t> n = (*max)[0].GetInt64(0);
          if (!n.ok()) return n.status();
          return tx.Execute("INSERT INTO seq (n) VALUES ($1)", {*n + 1}).status();
        });
        EXPECT_TRUE(status.ok()) << status;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  absl::StatusOr<Transaction> tx = db_->Begin(TxMode::kRead);
  ASSERT_TRUE(tx.ok());
  absl::StatusOr<ResultSet> stats = tx->Execute("SELECT COUNT(*), COUNT(DISTINCT n), MAX(n) FROM seq");
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(*(*stats)[0].GetInt64(0), kThreads * kPerThread);
  EXPECT_EQ(*(*stats)[0].GetInt64(1), kThreads * kPerThread);
  EXPECT_EQ(*(*stats)[0].GetInt64(2), kThreads * kPerThread);
}

TEST_P(DbContractTest, ReadersSeeOnlyCommittedData) {
  CreateItems();
  absl::StatusOr<Transaction> writer = db_->Begin(TxMode::kWrite);
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE(writer->Execute("INSERT INTO items (id, name) VALUES (1, 'pending')").ok());
  // A reader is not blocked by the open write transaction and does not see its row.
  absl::StatusOr<Transaction> reader = db_->Begin(TxMode::kRead);
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ(*(*reader->Execute("SELECT COUNT(*) FROM items"))[0].GetInt64(0), 0);
  ASSERT_TRUE(reader->Commit().ok());
  ASSERT_TRUE(writer->Commit().ok());
  EXPECT_EQ(*Count("items"), 1);
}

TEST_P(DbContractTest, PostgresUnreachableIsUnavailable) {
  if (sqlite()) GTEST_SKIP() << "PostgreSQL only";
  absl::StatusOr<int> port = testing::FreeLoopbackPort();
  ASSERT_TRUE(port.ok());
  absl::StatusOr<std::unique_ptr<Database>> db = OpenDatabase(
      absl::StrCat("postgresql://postgres:hunter2@127.0.0.1:", *port, "/nowhere?connect_timeout=2"));
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), absl::StatusCode::kUnavailable) << db.status();
  EXPECT_THAT(db.status().message(), Not(HasSubstr("hunter2")));
}

TEST_P(DbContractTest, PostgresReplacesConnectionsTheServerDropped) {
  if (sqlite()) GTEST_SKIP() << "PostgreSQL only";
  // Fill the pool with live connections.
  {
    std::vector<Transaction> open;
    for (int i = 0; i < 3; ++i) {
      absl::StatusOr<Transaction> tx = db_->Begin(TxMode::kRead);
      ASSERT_TRUE(tx.ok()) << tx.status();
      open.push_back(*std::move(tx));
    }
  }
  // Kill them from another session, as a server restart or a proxy timeout would.
  std::unique_ptr<Database> admin = Open();
  ASSERT_TRUE(
      admin
          ->RunInTransaction(TxMode::kWrite,
                             [](Transaction& tx) {
                               return tx
                                   .Execute(
                                       "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                       "WHERE datname = current_database() AND pid <> pg_backend_pid()")
                                   .status();
                             })
          .ok());
  // The dead pooled connections are dropped and replaced; callers see no error at Begin.
  for (int i = 0; i < 5; ++i) {
    absl::StatusOr<Transaction> tx = db_->Begin(TxMode::kRead);
    ASSERT_TRUE(tx.ok()) << tx.status();
    absl::StatusOr<ResultSet> one = tx->Execute("SELECT 1");
    ASSERT_TRUE(one.ok()) << one.status();
  }
}

TEST_P(DbContractTest, PostgresRuntimeRoleGetsLeastPrivilege) {
  if (sqlite()) GTEST_SKIP() << "roles exist only on PostgreSQL";
  const std::string role = UniqueRoleName("db_runtime");
  absl::StatusOr<std::string> runtime_url = testing::CreateLoginRole(url_, role);
  ASSERT_TRUE(runtime_url.ok()) << runtime_url.status();
  static const char kSchema[] =
      "-- tandem:append-only events\n"
      "CREATE TABLE notes (id BIGSERIAL PRIMARY KEY, body TEXT);\n"
      "CREATE TABLE events (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, what TEXT);\n";
  MigrationSet set{"grants", {}, {{1, "001_schema.sql", kSchema}}};
  Script("CREATE TABLE not_ours (x INTEGER)");  // another component's table

  EXPECT_EQ(ApplyMigrations(*db_, set, {.runtime_role = "postgres"}).code(),
            absl::StatusCode::kFailedPrecondition);  // a superuser
  EXPECT_EQ(ApplyMigrations(*db_, set, {.runtime_role = "no_such_role_x"}).code(),
            absl::StatusCode::kFailedPrecondition);
  absl::Status migrated = ApplyMigrations(*db_, set, {.runtime_role = role});
  ASSERT_TRUE(migrated.ok()) << migrated;
  ASSERT_TRUE(ApplyMigrations(*db_, set, {.runtime_role = role}).ok());  // grants are idempotent too

  absl::StatusOr<std::unique_ptr<Database>> runtime = OpenDatabase(*runtime_url);
  ASSERT_TRUE(runtime.ok()) << runtime.status();
  auto run = [&](const char* sql) {
    return (*runtime)->RunInTransaction(TxMode::kWrite,
                                        [&](Transaction& tx) { return tx.Execute(sql).status(); });
  };
  EXPECT_TRUE(run("INSERT INTO notes (body) VALUES ('a')").ok());  // uses the serial's sequence
  EXPECT_TRUE(run("UPDATE notes SET body = 'b'").ok());
  EXPECT_TRUE(run("SELECT * FROM notes").ok());
  EXPECT_TRUE(run("DELETE FROM notes").ok());
  EXPECT_TRUE(run("INSERT INTO events (what) VALUES ('x')").ok());  // uses the identity's sequence
  EXPECT_TRUE(run("SELECT * FROM events").ok());
  EXPECT_EQ(run("UPDATE events SET what = 'y'").code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(run("DELETE FROM events").code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(run("TRUNCATE notes").code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(run("SELECT * FROM not_ours").code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(run("CREATE TABLE mine (x INTEGER)").code(), absl::StatusCode::kPermissionDenied);
}

TEST(OpenDatabase, AcceptsTheDocumentedUrls) {
  absl::StatusOr<std::unique_ptr<Database>> memory = OpenDatabase("sqlite::memory:");
  ASSERT_TRUE(memory.ok()) << memory.status();
  EXPECT_EQ((*memory)->dialect(), Dialect::kSqlite);
  // An in-memory database has one connection for reads and writes alike.
  ASSERT_TRUE(
      (*memory)
          ->RunInTransaction(TxMode::kWrite,
                             [](Transaction& tx) { return tx.ExecuteScript("CREATE TABLE t (x INTEGER)"); })
          .ok());
  absl::StatusOr<Transaction> tx = (*memory)->Begin(TxMode::kRead);
  ASSERT_TRUE(tx.ok()) << tx.status();
  EXPECT_TRUE(tx->Execute("SELECT x FROM t").ok());
  EXPECT_EQ(tx->Execute("INSERT INTO t (x) VALUES (1)").status().code(), absl::StatusCode::kInternal);

  absl::StatusOr<std::string> dir = testing::MakeTempDir("db-open");
  ASSERT_TRUE(dir.ok());
  const std::string cwd = std::filesystem::current_path();
  std::filesystem::current_path(*dir);
  absl::StatusOr<std::unique_ptr<Database>> relative = OpenDatabase("sqlite://relative.db");
  std::filesystem::current_path(cwd);
  ASSERT_TRUE(relative.ok()) << relative.status();
  EXPECT_TRUE(std::filesystem::exists(absl::StrCat(*dir, "/relative.db")));
  relative->reset();
  testing::RemoveTree(*dir);

  EXPECT_EQ(OpenDatabase("mysql://user:secret@host/db").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(OpenDatabase("mysql://user:secret@host/db").status().message(), Not(HasSubstr("secret")));
  EXPECT_EQ(OpenDatabase("sqlite://").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(OpenDatabase("sqlite:///no/such/dir/x.db").status().code(), absl::StatusCode::kUnavailable);
}

INSTANTIATE_TEST_SUITE_P(Backends, DbContractTest, ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         BackendName);

}  // namespace
}  // namespace tandem::db
