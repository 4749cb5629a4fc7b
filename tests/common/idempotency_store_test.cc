// Idempotency keys on SQLite and PostgreSQL: first use, retries, reuse with another request, scoping,
// rollback, expiry, and many concurrent writers racing on one key. Also keyset paging while rows are being
// inserted.
#include "common/db/idempotency_store.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/db/idempotency_migrations.h"
#include "common/db/migrator.h"
#include "common/db/open_database.h"
#include "common/db/page_token.h"
#include "common/status/field_violations.h"
#include "common/status/status_macros.h"
#include "common/time/clock.h"
#include "common/time/uuid.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tandem/testing/v1/gateway_test.pb.h"
#include "tests/fixtures/temp_dir.h"
#include "tests/fixtures/test_postgres.h"

namespace tandem::db {
namespace {

using ::testing::Each;
using ::testing::Eq;

enum class Backend { kSqlite, kPostgres };

std::string BackendName(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::kSqlite ? "Sqlite" : "Postgres";
}

IdempotencyKey Key(const std::string& key, const std::string& clinic = "clinic-1",
                   const std::string& caller = "user-1", const std::string& rpc = "/tandem.x.v1.X/Create") {
  return IdempotencyKey{clinic, caller, rpc, key};
}

class IdempotencyStoreTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (GetParam() == Backend::kSqlite) {
      absl::StatusOr<std::string> dir = testing::MakeTempDir("idempotency");
      ASSERT_TRUE(dir.ok()) << dir.status();
      dir_ = *dir;
      url_ = absl::StrCat("sqlite://", dir_, "/idempotency.db");
    } else {
      absl::StatusOr<std::string> url = testing::NewTestDatabaseUrl();
      ASSERT_TRUE(url.ok()) << url.status();
      url_ = *url;
    }
    db_ = Open();
    ASSERT_NE(db_, nullptr);
    absl::Status migrated = ApplyMigrations(*db_, migrations::idempotency());
    ASSERT_TRUE(migrated.ok()) << migrated;
    absl::Status created = db_->RunInTransaction(TxMode::kWrite, [&](Transaction& tx) {
      // "C" collation on PostgreSQL so ids order bytewise, as they do on SQLite.
      return tx.ExecuteScript(sqlite() ? "CREATE TABLE things (id TEXT PRIMARY KEY);"
                                         "CREATE TABLE items (clinic_id TEXT NOT NULL, id TEXT NOT NULL, "
                                         "PRIMARY KEY (clinic_id, id))"
                                       : "CREATE TABLE things (id TEXT PRIMARY KEY);"
                                         "CREATE TABLE items (clinic_id TEXT NOT NULL, id TEXT COLLATE \"C\" "
                                         "NOT NULL, PRIMARY KEY (clinic_id, id))");
    });
    ASSERT_TRUE(created.ok()) << created;
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

  // Begin in a write transaction of its own; on a new key, Complete with `response` before committing.
  absl::StatusOr<std::optional<std::string>> Use(const IdempotencyKey& key, const std::string& hash,
                                                 const std::string& response) {
    std::optional<std::string> earlier;
    RETURN_IF_ERROR(db_->RunInTransaction(TxMode::kWrite, [&](Transaction& tx) -> absl::Status {
      ASSIGN_OR_RETURN(earlier, store_.Begin(tx, key, hash));
      if (earlier.has_value()) return absl::OkStatus();
      return store_.Complete(tx, key, response);
    }));
    return earlier;
  }

  absl::StatusOr<int64_t> Count(const std::string& table) {
    ASSIGN_OR_RETURN(Transaction tx, db_->Begin(TxMode::kRead));
    ASSIGN_OR_RETURN(ResultSet rows, tx.Execute(absl::StrCat("SELECT COUNT(*) FROM ", table)));
    return rows[0].GetInt64(0);
  }

  FakeClock clock_{absl::FromUnixMicros(1767225600123456)};
  IdempotencyStore store_{clock_, absl::Hours(1)};
  std::string dir_;
  std::string url_;
  std::unique_ptr<Database> db_;
};

TEST_P(IdempotencyStoreTest, FirstUseStoresAndRetryReturnsTheStoredBytes) {
  const std::string response("created\0\xff bytes", 15);  // Binary, NUL included.
  absl::StatusOr<std::optional<std::string>> first = Use(Key("k1"), "hash-a", response);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_FALSE(first->has_value());

  absl::StatusOr<std::optional<std::string>> retry = Use(Key("k1"), "hash-a", "another response");
  ASSERT_TRUE(retry.ok()) << retry.status();
  ASSERT_TRUE(retry->has_value());
  EXPECT_EQ(**retry, response);
  EXPECT_EQ(*Count("idempotency_keys"), 1);
}

TEST_P(IdempotencyStoreTest, EmptyResponseIsAResponse) {
  ASSERT_TRUE(Use(Key("k1"), "h", "").ok());
  absl::StatusOr<std::optional<std::string>> retry = Use(Key("k1"), "h", "x");
  ASSERT_TRUE(retry.ok()) << retry.status();
  ASSERT_TRUE(retry->has_value());
  EXPECT_EQ(**retry, "");
}

TEST_P(IdempotencyStoreTest, SameKeyWithAnotherRequestIsAlreadyExists) {
  ASSERT_TRUE(Use(Key("k1"), "hash-a", "r").ok());
  absl::StatusOr<std::optional<std::string>> other = Use(Key("k1"), "hash-b", "r2");
  EXPECT_EQ(other.status().code(), absl::StatusCode::kAlreadyExists) << other.status();
  EXPECT_EQ(other.status().message(), "idempotency key was already used with a different request");
}

TEST_P(IdempotencyStoreTest, KeysAreScopedByClinicCallerAndRpc) {
  ASSERT_TRUE(Use(Key("k1"), "hash-a", "base").ok());
  for (const IdempotencyKey& key :
       {Key("k1", "clinic-2"), Key("k1", "clinic-1", "user-2"), Key("k1", "clinic-1", "user-1", "/other")}) {
    absl::StatusOr<std::optional<std::string>> used = Use(key, "hash-b", "scoped");
    ASSERT_TRUE(used.ok()) << used.status();
    EXPECT_FALSE(used->has_value()) << key.clinic_id << " " << key.caller << " " << key.rpc;
  }
  EXPECT_EQ(*Count("idempotency_keys"), 4);
  absl::StatusOr<std::optional<std::string>> base = Use(Key("k1"), "hash-a", "x");
  ASSERT_TRUE(base.ok()) << base.status();
  EXPECT_EQ(base->value_or(""), "base");
}

TEST_P(IdempotencyStoreTest, RolledBackTransactionLeavesTheKeyUnclaimed) {
  {
    absl::StatusOr<Transaction> tx = db_->Begin(TxMode::kWrite);
    ASSERT_TRUE(tx.ok()) << tx.status();
    absl::StatusOr<std::optional<std::string>> claimed = store_.Begin(*tx, Key("k1"), "hash-a");
    ASSERT_TRUE(claimed.ok()) << claimed.status();
    EXPECT_FALSE(claimed->has_value());
    ASSERT_TRUE(store_.Complete(*tx, Key("k1"), "lost").ok());
    ASSERT_TRUE(tx->Rollback().ok());
  }
  // A failed write (RunInTransaction rolls back on error) does not hold the key either.
  absl::Status failed = db_->RunInTransaction(TxMode::kWrite, [&](Transaction& tx) -> absl::Status {
    RETURN_IF_ERROR(store_.Begin(tx, Key("k1"), "hash-b").status());
    return absl::FailedPreconditionError("the write failed");
  });
  EXPECT_EQ(failed.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(*Count("idempotency_keys"), 0);

  // Even with another request: nothing of the rolled-back ones remains.
  absl::StatusOr<std::optional<std::string>> used = Use(Key("k1"), "hash-c", "kept");
  ASSERT_TRUE(used.ok()) << used.status();
  EXPECT_FALSE(used->has_value());
}

TEST_P(IdempotencyStoreTest, ClaimWithoutResponseAndMisuseAreRefused) {
  absl::StatusOr<Transaction> tx = db_->Begin(TxMode::kWrite);
  ASSERT_TRUE(tx.ok()) << tx.status();
  // Complete needs a claim.
  EXPECT_EQ(store_.Complete(*tx, Key("unclaimed"), "r").code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(store_.Begin(*tx, Key("k1"), "h").ok());
  // The same transaction asking again sees its claim without a response: never an empty "first response".
  EXPECT_EQ(store_.Begin(*tx, Key("k1"), "h").status().code(), absl::StatusCode::kAborted);
  ASSERT_TRUE(store_.Complete(*tx, Key("k1"), "first").ok());
  // A response is never overwritten.
  EXPECT_EQ(store_.Complete(*tx, Key("k1"), "second").code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(tx->Commit().ok());
  absl::StatusOr<std::optional<std::string>> retry = Use(Key("k1"), "h", "x");
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_EQ(retry->value_or(""), "first");

  absl::StatusOr<Transaction> read = db_->Begin(TxMode::kRead);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(store_.Begin(*read, Key("k2"), "h").status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_P(IdempotencyStoreTest, ValidatesTheKey) {
  for (const std::string& bad : {std::string(), std::string(201, 'k'), std::string("a\0b", 3)}) {
    absl::StatusOr<std::optional<std::string>> used = Use(Key(bad), "h", "r");
    EXPECT_EQ(used.status().code(), absl::StatusCode::kInvalidArgument) << bad.size();
    std::vector<google::rpc::BadRequest::FieldViolation> violations = GetFieldViolations(used.status());
    ASSERT_EQ(violations.size(), 1u);
    EXPECT_EQ(violations[0].field(), "idempotency_key");
  }
  EXPECT_TRUE(Use(Key(std::string(200, 'k')), "h", "r").ok());
  EXPECT_EQ(Use(Key("k", ""), "h", "r").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Use(Key("k", "c", ""), "h", "r").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Use(Key("k", "c", "u", ""), "h", "r").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_P(IdempotencyStoreTest, ExpiredKeysCountUntilSweptThenAreFree) {
  ASSERT_TRUE(Use(Key("old"), "h", "old-response").ok());
  clock_.Advance(absl::Minutes(30));
  ASSERT_TRUE(Use(Key("newer"), "h", "newer-response").ok());
  clock_.Advance(absl::Minutes(29));

  absl::StatusOr<int> deleted = store_.DeleteExpired(*db_);
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  EXPECT_EQ(*deleted, 0);  // Nothing has been kept an hour yet.

  clock_.Advance(absl::Minutes(2));  // "old" is past its retention, "newer" is not.
  // Past retention but not swept: still counts.
  absl::StatusOr<std::optional<std::string>> retry = Use(Key("old"), "h", "x");
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_EQ(retry->value_or(""), "old-response");
  EXPECT_EQ(Use(Key("old"), "other", "x").status().code(), absl::StatusCode::kAlreadyExists);

  deleted = store_.DeleteExpired(*db_);
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  EXPECT_EQ(*deleted, 1);
  EXPECT_EQ(*Count("idempotency_keys"), 1);

  // Swept: the key is free again, even for another request.
  absl::StatusOr<std::optional<std::string>> reused = Use(Key("old"), "other", "fresh");
  ASSERT_TRUE(reused.ok()) << reused.status();
  EXPECT_FALSE(reused->has_value());
}

TEST_P(IdempotencyStoreTest, DeleteExpiredHonoursTheLimit) {
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(Use(Key(absl::StrCat("k", i)), "h", "r").ok());
  clock_.Advance(absl::Hours(1));
  ASSERT_TRUE(Use(Key("later"), "h", "r").ok());
  std::vector<int> counts;
  for (int i = 0; i < 4; ++i) {
    absl::StatusOr<int> deleted = store_.DeleteExpired(*db_, 2);
    ASSERT_TRUE(deleted.ok()) << deleted.status();
    counts.push_back(*deleted);
  }
  EXPECT_EQ(counts, (std::vector<int>{2, 2, 2, 0}));
  EXPECT_EQ(*Count("idempotency_keys"), 1);  // Only "later" is within its hour.
  EXPECT_EQ(*store_.DeleteExpired(*db_, 0), 0);
}

struct Outcome {
  bool wrote = false;    // This call claimed the key and wrote the row.
  std::string response;  // What the caller would answer: its own response, or the stored one.
};

// One transaction per attempt: Begin, then (for a new key) a row in `things` and Complete. ABORTED (a busy
// SQLite writer, a lost race) is retried, as a client retries.
absl::StatusOr<Outcome> WriteThing(Database& db, const IdempotencyStore& store, const IdempotencyKey& key,
                                   const std::string& hash, const std::string& id) {
  absl::Status status;
  for (int attempt = 0; attempt < 100; ++attempt) {
    Outcome outcome;
    status = db.RunInTransaction(TxMode::kWrite, [&](Transaction& tx) -> absl::Status {
      ASSIGN_OR_RETURN(std::optional<std::string> earlier, store.Begin(tx, key, hash));
      if (earlier.has_value()) {
        outcome.response = *earlier;
        return absl::OkStatus();
      }
      // Hold the claim a moment so the others pile up behind it.
      absl::SleepFor(absl::Milliseconds(20));
      RETURN_IF_ERROR(tx.Execute("INSERT INTO things (id) VALUES ($1)", {id}).status());
      outcome.wrote = true;
      outcome.response = absl::StrCat("response-for-", id);
      return store.Complete(tx, key, outcome.response);
    });
    if (status.ok()) return outcome;
    if (status.code() != absl::StatusCode::kAborted) return status;
  }
  return status;
}

TEST_P(IdempotencyStoreTest, ConcurrentRetriesWriteOnceAndShareTheResponse) {
  constexpr int kThreads = 20;
  std::unique_ptr<Database> other = Open();  // On SQLite, two Databases meet at the file lock like processes.
  ASSERT_NE(other, nullptr);
  absl::Notification go;
  std::vector<absl::StatusOr<Outcome>> results(kThreads, absl::UnknownError("not run"));
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    Database* db = t % 2 == 0 ? db_.get() : other.get();
    threads.emplace_back([&, db, t] {
      go.WaitForNotification();
      results[t] = WriteThing(*db, store_, Key("same"), "hash-a", absl::StrCat("thing-", t));
    });
  }
  go.Notify();
  for (std::thread& thread : threads) thread.join();

  absl::StatusOr<Transaction> tx = db_->Begin(TxMode::kRead);
  ASSERT_TRUE(tx.ok()) << tx.status();
  absl::StatusOr<ResultSet> things = tx->Execute("SELECT id FROM things");
  ASSERT_TRUE(things.ok()) << things.status();
  ASSERT_EQ(things->size(), 1);
  const std::string expected = absl::StrCat("response-for-", *(*things)[0].GetText(0));

  int wrote = 0;
  std::vector<std::string> responses;
  for (const absl::StatusOr<Outcome>& result : results) {
    ASSERT_TRUE(result.ok()) << result.status();
    if (result->wrote) ++wrote;
    responses.push_back(result->response);
  }
  EXPECT_EQ(wrote, 1);
  EXPECT_THAT(responses, Each(Eq(expected)));
}

TEST_P(IdempotencyStoreTest, ConcurrentReuseWithDifferentRequestsLetsExactlyOneThrough) {
  constexpr int kThreads = 20;
  std::unique_ptr<Database> other = Open();
  ASSERT_NE(other, nullptr);
  absl::Notification go;
  std::vector<absl::Status> results(kThreads, absl::UnknownError("not run"));
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    Database* db = t % 2 == 0 ? db_.get() : other.get();
    threads.emplace_back([&, db, t] {
      go.WaitForNotification();
      const std::string id = absl::StrCat("thing-", t);
      results[t] = WriteThing(*db, store_, Key("same"), absl::StrCat("hash-", t), id).status();
    });
  }
  go.Notify();
  for (std::thread& thread : threads) thread.join();

  int ok = 0;
  int already_exists = 0;
  for (const absl::Status& status : results) {
    if (status.ok()) ++ok;
    if (status.code() == absl::StatusCode::kAlreadyExists) ++already_exists;
    EXPECT_TRUE(status.ok() || status.code() == absl::StatusCode::kAlreadyExists) << status;
  }
  EXPECT_EQ(ok, 1);
  EXPECT_EQ(already_exists, kThreads - 1);
  EXPECT_EQ(*Count("things"), 1);
}

// Keyset paging over uuid-ordered ids while another thread inserts rows after them: every row present at the
// start is seen exactly once, and no row twice.
TEST_P(IdempotencyStoreTest, KeysetPagingSeesEachRowOnceDuringInserts) {
  constexpr int kInitial = 120;
  constexpr int kInserted = 150;
  FakeClock ids_clock(absl::FromUnixSeconds(1767225600));
  std::set<std::string> initial;
  ASSERT_TRUE(
      db_->RunInTransaction(
             TxMode::kWrite,
             [&](Transaction& tx) -> absl::Status {
               for (int i = 0; i < kInitial; ++i) {
                 std::string id = NewUuidV7(ids_clock);
                 ids_clock.Advance(absl::Milliseconds(1));
                 RETURN_IF_ERROR(
                     tx.Execute("INSERT INTO items (clinic_id, id) VALUES ($1, $2)", {"c1", id}).status());
                 initial.insert(id);
               }
               // Another clinic's rows interleave in id order but are filtered out.
               for (int i = 0; i < 10; ++i) {
                 RETURN_IF_ERROR(tx.Execute("INSERT INTO items (clinic_id, id) VALUES ($1, $2)",
                                            {"c2", NewUuidV7(ids_clock)})
                                     .status());
               }
               return absl::OkStatus();
             })
          .ok());

  std::atomic<bool> inserter_failed{false};
  std::thread inserter([&] {
    FakeClock later(absl::FromUnixSeconds(1767225600) + absl::Hours(1));
    for (int i = 0; i < kInserted; ++i) {
      absl::Status status = db_->RunInTransaction(TxMode::kWrite, [&](Transaction& tx) {
        return tx.Execute("INSERT INTO items (clinic_id, id) VALUES ($1, $2)", {"c1", NewUuidV7(later)})
            .status();
      });
      if (!status.ok() && status.code() != absl::StatusCode::kAborted) inserter_failed = true;
      later.Advance(absl::Milliseconds(1));
      absl::SleepFor(absl::Microseconds(500));
    }
  });

  PageFilter filter;
  filter.Add("clinic_id", "c1");
  absl::StatusOr<int> page_size = EffectivePageSize(7, 50, 500);
  ASSERT_TRUE(page_size.ok());
  std::vector<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    absl::StatusOr<std::vector<std::string>> after = DecodePageToken(token, filter);
    ASSERT_TRUE(after.ok()) << after.status();
    std::string sql = "SELECT id FROM items WHERE clinic_id = $1";
    std::vector<Value> params = {"c1"};
    if (!after->empty()) {
      ASSERT_EQ(after->size(), 1u);
      sql += " AND id > $2";
      params.emplace_back((*after)[0]);
    }
    params.emplace_back(*page_size + 1);
    absl::StrAppend(&sql, " ORDER BY id LIMIT $", params.size());
    absl::StatusOr<Transaction> tx = db_->Begin(TxMode::kRead);
    ASSERT_TRUE(tx.ok()) << tx.status();
    absl::StatusOr<ResultSet> rows = tx->Execute(sql, params);
    ASSERT_TRUE(rows.ok()) << rows.status();
    ASSERT_TRUE(tx->Commit().ok());
    token.clear();
    for (int i = 0; i < rows->size(); ++i) {
      if (i == *page_size) {
        token = EncodePageToken(filter, {seen.back()});
        break;
      }
      seen.push_back(*(*rows)[i].GetText(0));
    }
    ++pages;
    absl::SleepFor(absl::Milliseconds(1));
  } while (!token.empty() && pages < 1000);
  inserter.join();
  EXPECT_FALSE(inserter_failed.load());

  std::map<std::string, int> times_seen;
  for (const std::string& id : seen) ++times_seen[id];
  for (const auto& [id, n] : times_seen) EXPECT_EQ(n, 1) << id;
  for (const std::string& id : initial) EXPECT_EQ(times_seen.count(id), 1u) << id;
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
  EXPECT_GE(seen.size(), static_cast<size_t>(kInitial));
}

INSTANTIATE_TEST_SUITE_P(Backends, IdempotencyStoreTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres), BackendName);

TEST(RequestHashTest, IsHexSha256OfTheDeterministicEncoding) {
  tandem::testing::v1::GatewayTestGoal a;
  a.set_id("g1");
  a.set_client_words("sleep better");
  tandem::testing::v1::GatewayTestGoal b = a;
  for (int i = 0; i < 50; ++i) (*a.mutable_labels())[absl::StrCat("label-", i)] = "x";
  for (int i = 49; i >= 0; --i) (*b.mutable_labels())[absl::StrCat("label-", i)] = "x";
  const std::string hash = RequestHash(a);
  EXPECT_EQ(hash.size(), 64u);
  EXPECT_EQ(hash.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(hash, RequestHash(b));  // Map order does not matter.
  b.set_client_words("sleep better!");
  EXPECT_NE(hash, RequestHash(b));
  // The empty message hashes the empty string.
  EXPECT_EQ(RequestHash(tandem::testing::v1::GatewayTestGoal()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

}  // namespace
}  // namespace tandem::db
