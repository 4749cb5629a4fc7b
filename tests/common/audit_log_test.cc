// The audit trail on SQLite and PostgreSQL: append, list with filters and paging, append-only enforcement
// and, on PostgreSQL, the runtime role's least privilege.
#include "common/audit/audit_log.h"

#include <unistd.h>

#include <atomic>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/audit/audit_migrations.h"
#include "common/db/migrator.h"
#include "common/db/open_database.h"
#include "common/time/clock.h"
#include "common/time/uuid.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/fixtures/temp_dir.h"
#include "tests/fixtures/test_postgres.h"

namespace tandem::audit {
namespace {

enum class Backend { kSqlite, kPostgres };

std::string BackendName(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::kSqlite ? "Sqlite" : "Postgres";
}

AuditEntry Entry(const std::string& clinic, const std::string& actor, const std::string& client,
                 const std::string& action = "note.read") {
  AuditEntry e;
  e.clinic_id = clinic;
  e.actor = actor;
  e.actor_role = "clinician";
  e.action = action;
  e.resource_type = "note";
  e.resource_id = "n-1";
  e.client_id = client;
  e.request_id = "req-1";
  e.outcome = std::string(kOutcomeOk);
  return e;
}

class AuditLogTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (GetParam() == Backend::kSqlite) {
      absl::StatusOr<std::string> dir = testing::MakeTempDir("audit-log");
      ASSERT_TRUE(dir.ok()) << dir.status();
      dir_ = *dir;
      url_ = absl::StrCat("sqlite://", dir_, "/audit.db");
    } else {
      absl::StatusOr<std::string> url = testing::NewTestDatabaseUrl();
      ASSERT_TRUE(url.ok()) << url.status();
      url_ = *url;
    }
    absl::StatusOr<std::unique_ptr<db::Database>> db = db::OpenDatabase(url_);
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    absl::Status migrated = db::ApplyMigrations(*db_, migrations::audit());
    ASSERT_TRUE(migrated.ok()) << migrated;
    log_ = std::make_unique<AuditLog>(*db_, clock_);
  }

  void TearDown() override {
    log_.reset();
    db_.reset();
    if (!dir_.empty()) testing::RemoveTree(dir_);
  }

  bool sqlite() const { return GetParam() == Backend::kSqlite; }

  // Appends and moves the clock on, so entries have distinct times.
  std::string Append(const AuditEntry& e, absl::Duration step = absl::Seconds(1)) {
    absl::StatusOr<std::string> id = log_->Append(e);
    EXPECT_TRUE(id.ok()) << id.status();
    clock_.Advance(step);
    return id.value_or("");
  }

  std::vector<std::string> Ids(const AuditPage& page) {
    std::vector<std::string> ids;
    for (const AuditEntry& e : page.entries) ids.push_back(e.id);
    return ids;
  }

  absl::StatusOr<int64_t> RowCount() {
    absl::StatusOr<db::Transaction> tx = db_->Begin(db::TxMode::kRead);
    if (!tx.ok()) return tx.status();
    absl::StatusOr<db::ResultSet> rows = tx->Execute("SELECT COUNT(*) FROM audit_log");
    if (!rows.ok()) return rows.status();
    return (*rows)[0].GetInt64(0);
  }

  FakeClock clock_{absl::FromUnixMicros(1767225600123456)};
  std::string dir_;
  std::string url_;
  std::unique_ptr<db::Database> db_;
  std::unique_ptr<AuditLog> log_;
};

TEST_P(AuditLogTest, AppendsAndListsNewestFirst) {
  AuditEntry first = Entry("c1", "u1", "client-a");
  first.on_behalf_of = "end-user";
  first.reason = "break-the-glass: covering on-call";
  const absl::Time first_time = clock_.Now();
  const std::string id1 = Append(first);
  const std::string id2 = Append(Entry("c1", "u2", "client-b", "note.sign"));
  Append(Entry("other-clinic", "u1", "client-a"));
  EXPECT_TRUE(IsUuid(id1));
  EXPECT_LT(id1, id2);  // UUIDv7: time-ordered

  absl::StatusOr<AuditPage> page = log_->List("c1", {}, 0, "");
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_THAT(Ids(*page), ::testing::ElementsAre(id2, id1));
  EXPECT_TRUE(page->next_page_token.empty());

  AuditEntry expected = first;
  expected.id = id1;
  expected.occurred_at = first_time;
  EXPECT_EQ(page->entries[1], expected);
  EXPECT_EQ(page->entries[0].action, "note.sign");
  EXPECT_EQ(page->entries[0].on_behalf_of, "");  // stored as NULL, read back empty
}

TEST_P(AuditLogTest, FiltersByClientActorAndTime) {
  const absl::Time start = clock_.Now();
  const std::string a1 = Append(Entry("c1", "u1", "client-a"));
  const std::string b1 = Append(Entry("c1", "u1", "client-b"));
  const std::string a2 = Append(Entry("c1", "u2", "client-a"));
  const std::string b2 = Append(Entry("c1", "u2", "client-b"));

  auto list = [&](const AuditFilter& filter) {
    absl::StatusOr<AuditPage> page = log_->List("c1", filter, 10, "");
    EXPECT_TRUE(page.ok()) << page.status();
    return page.ok() ? Ids(*page) : std::vector<std::string>{};
  };
  EXPECT_THAT(list({.client_id = "client-a"}), ::testing::ElementsAre(a2, a1));
  EXPECT_THAT(list({.actor = "u2"}), ::testing::ElementsAre(b2, a2));
  EXPECT_THAT(list({.client_id = "client-b", .actor = "u1"}), ::testing::ElementsAre(b1));
  // since is inclusive, until exclusive.
  EXPECT_THAT(list({.since = start + absl::Seconds(1), .until = start + absl::Seconds(3)}),
              ::testing::ElementsAre(a2, b1));
  EXPECT_THAT(list({.client_id = "client-c"}), ::testing::IsEmpty());
}

TEST_P(AuditLogTest, PagesThroughEverythingOnce) {
  std::vector<std::string> expected;
  for (int i = 0; i < 7; ++i) {
    // Some entries share a timestamp: the id breaks the tie.
    expected.insert(expected.begin(), Append(Entry("c1", "u1", "client-a"),
                                             i % 3 == 0 ? absl::ZeroDuration() : absl::Seconds(1)));
  }
  std::vector<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    absl::StatusOr<AuditPage> page = log_->List("c1", {.client_id = "client-a"}, 3, token);
    ASSERT_TRUE(page.ok()) << page.status();
    for (const std::string& id : Ids(*page)) seen.push_back(id);
    token = page->next_page_token;
    ++pages;
  } while (!token.empty() && pages < 10);
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, expected);
}

TEST_P(AuditLogTest, RejectsBadInput) {
  AuditEntry e = Entry("c1", "u1", "client-a");
  e.outcome = "maybe";
  EXPECT_EQ(log_->Append(e).status().code(), absl::StatusCode::kInvalidArgument);
  e = Entry("", "u1", "client-a");
  EXPECT_EQ(log_->Append(e).status().code(), absl::StatusCode::kInvalidArgument);
  e = Entry("c1", "", "client-a");
  EXPECT_EQ(log_->Append(e).status().code(), absl::StatusCode::kInvalidArgument);
  e = Entry("c1", "u1", "client-a", "");
  EXPECT_EQ(log_->Append(e).status().code(), absl::StatusCode::kInvalidArgument);
  e = Entry("c1", "u1", std::string(500, 'x'));
  EXPECT_EQ(log_->Append(e).status().code(), absl::StatusCode::kInvalidArgument);

  EXPECT_EQ(log_->List("c1", {}, 10, "not-a-token").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(log_->List("c1", {}, -1, "").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(log_->List("", {}, 10, "").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(*RowCount(), 0);
}

TEST_P(AuditLogTest, AppendInsideARolledBackTransactionLeavesNoRow) {
  absl::Status status = db_->RunInTransaction(db::TxMode::kWrite, [&](db::Transaction& tx) -> absl::Status {
    absl::StatusOr<std::string> id = log_->Append(tx, Entry("c1", "u1", "client-a"));
    if (!id.ok()) return id.status();
    return absl::FailedPreconditionError("the clinical write it recorded failed");
  });
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(*RowCount(), 0);

  status = db_->RunInTransaction(db::TxMode::kWrite, [&](db::Transaction& tx) {
    return log_->Append(tx, Entry("c1", "u1", "client-a")).status();
  });
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_EQ(*RowCount(), 1);
}

TEST_P(AuditLogTest, RowsCannotBeChangedOrRemoved) {
  const std::string id = Append(Entry("c1", "u1", "client-a"));
  auto run = [&](const std::string& sql) {
    return db_->RunInTransaction(db::TxMode::kWrite,
                                 [&](db::Transaction& tx) { return tx.Execute(sql, {id}).status(); });
  };
  // Even the owner (the migrating connection) is refused.
  absl::Status update = run("UPDATE audit_log SET reason = 'rewritten' WHERE id = $1");
  EXPECT_EQ(update.code(), absl::StatusCode::kPermissionDenied) << update;
  absl::Status remove = run("DELETE FROM audit_log WHERE id = $1");
  EXPECT_EQ(remove.code(), absl::StatusCode::kPermissionDenied) << remove;
  EXPECT_EQ(*RowCount(), 1);
  absl::StatusOr<AuditPage> page = log_->List("c1", {}, 10, "");
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->entries.size(), 1u);
  EXPECT_EQ(page->entries[0].reason, "");
}

TEST_P(AuditLogTest, PostgresRuntimeRoleCanOnlyInsertAndSelect) {
  if (sqlite()) GTEST_SKIP() << "roles exist only on PostgreSQL";
  static std::atomic<int> counter{0};
  const std::string role = absl::StrCat("audit_runtime_", getpid(), "_", counter++);
  absl::StatusOr<std::string> runtime_url = testing::CreateLoginRole(url_, role);
  ASSERT_TRUE(runtime_url.ok()) << runtime_url.status();
  // Migrations run through the owner URL and grant the runtime role.
  absl::Status migrated = db::ApplyMigrations(*db_, migrations::audit(), {.runtime_role = role});
  ASSERT_TRUE(migrated.ok()) << migrated;

  absl::StatusOr<std::unique_ptr<db::Database>> runtime = db::OpenDatabase(*runtime_url);
  ASSERT_TRUE(runtime.ok()) << runtime.status();
  AuditLog runtime_log(**runtime, clock_);
  absl::StatusOr<std::string> id = runtime_log.Append(Entry("c1", "u1", "client-a"));
  ASSERT_TRUE(id.ok()) << id.status();
  absl::StatusOr<AuditPage> page = runtime_log.List("c1", {}, 10, "");
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->entries.size(), 1u);
  EXPECT_EQ(page->entries[0].id, *id);

  auto run = [&](const std::string& sql) {
    return (*runtime)->RunInTransaction(db::TxMode::kWrite,
                                        [&](db::Transaction& tx) { return tx.Execute(sql).status(); });
  };
  for (const char* sql : {"UPDATE audit_log SET reason = 'x'", "DELETE FROM audit_log", "TRUNCATE audit_log",
                          "DROP TABLE audit_log", "ALTER TABLE audit_log DISABLE TRIGGER ALL"}) {
    absl::Status status = run(sql);
    EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied) << sql << ": " << status;
  }
  EXPECT_EQ(*RowCount(), 1);
}

INSTANTIATE_TEST_SUITE_P(Backends, AuditLogTest, ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         BackendName);

}  // namespace
}  // namespace tandem::audit
