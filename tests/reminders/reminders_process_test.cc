// Fault tests with real processes: tandem_reminders binaries against a real PostgreSQL, a real redis-server
// and a real HTTP receiver. Migrations run once as the database owner (a migration job); the services log in
// only as a least-privilege runtime role, which cannot change the schema, and the role's grants carry the
// whole flow (schedule, sealing with the clinic's data key, dispatch, delivery). A worker killed with SIGKILL
// while the receiver holds its sends open loses nothing: every reminder ends delivered, and exactly the sends
// it had in flight arrive again, from the other worker, with the same idempotency id. Two worker processes
// with no crash both deliver, and each reminder arrives exactly once.
//
// Timing: the tests assume only that a send ends within kSendTimeout (the receiver answers at once, except
// the sends it holds on purpose), which is shorter than the lease, so no live sender's claim expires. Waits
// poll for a state; the one fixed wait, for nothing more to arrive, is derived from the lease and the
// intervals passed to the workers as flags.
#include <sys/stat.h>

#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/db/database.h"
#include "common/db/open_database.h"
#include "google/protobuf/util/time_util.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "tandem/reminders/v1/reminders.grpc.pb.h"
#include "tests/fixtures/free_port.h"
#include "tests/fixtures/redis_server.h"
#include "tests/fixtures/subprocess.h"
#include "tests/fixtures/temp_dir.h"
#include "tests/fixtures/test_postgres.h"
#include "tests/reminders/counting_receiver.h"
#include "tests/support/test_tokens.h"

namespace tandem::reminders {
namespace {

namespace v1 = tandem::reminders::v1;
using google::protobuf::util::TimeUtil;

constexpr int kThreads = 2;  // consumer threads per worker, each with at most one send in flight
constexpr int kBatch = 2;    // stream entries a consumer reads at once
// The longest a send may take; the receiver answers at once, except the sends it holds on purpose.
constexpr int kSendTimeoutMs = 2000;
// A claim's lease: longer than a send plus the claim's and the outcome's database work, so no live sender's
// claim expires, and what the killed worker held is sent again only after this.
constexpr int kLeaseMs = 5000;
constexpr int kMoveIntervalMs = 50;
constexpr int kReclaimIntervalMs = 300;
constexpr int kReconcileIntervalMs = 500;
// The first retry of a failed send waits at most this (shorter than the lease).
constexpr int kBackoffBaseMs = 500;
constexpr char kRuntimeRole[] = "reminders_process_runtime";

// Once every reminder is delivered, a send could come again only from a claim whose lease expired (or a
// failed send's retry, sooner), picked up by a reclaim or a reconcile, moved into the stream and read:
// waiting a lease, each of those intervals and a margin shows that nothing more comes.
absl::Duration QuietPeriod() {
  return absl::Milliseconds(kLeaseMs + kReclaimIntervalMs + kReconcileIntervalMs + kMoveIntervalMs) +
         absl::Seconds(1);
}

int Sum(const std::map<std::string, int>& counts) {
  int sum = 0;
  for (const auto& [key, count] : counts) sum += count;
  return sum;
}

class RemindersProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = tandem::testing::MakeTempDir("reminders-proc");
    ASSERT_TRUE(dir.ok());
    dir_ = *dir;
    std::ofstream(dir_ + "/secret") << tandem::testing::kTestHs256Secret;
    std::ofstream(dir_ + "/webhook") << "0123456789abcdef0123456789abcdef";
    std::ofstream(dir_ + "/kek") << std::string(64, 'c');
    // Services refuse secret files others may read.
    for (const char* name : {"/secret", "/webhook", "/kek"}) chmod((dir_ + name).c_str(), 0600);
    auto owner = tandem::testing::NewTestDatabaseUrl();  // PostgreSQL, as the superuser
    ASSERT_TRUE(owner.ok()) << owner.status();
    owner_url_ = *owner;
    auto role = tandem::testing::CreateLoginRole(owner_url_, kRuntimeRole);
    ASSERT_TRUE(role.ok()) << role.status();
    role_url_ = *role;
    // The migration job: the owner creates the schema and grants the runtime role what it needs.
    tandem::testing::SubprocessOptions migrate;
    migrate.argv = {TANDEM_REMINDERS_BINARY, "--migrate_only", "--db_migrate_url=" + owner_url_,
                    "--db_url=" + role_url_};
    migrate.log_path = dir_ + "/migrate.log";
    auto job = tandem::testing::Subprocess::Start(migrate);
    ASSERT_TRUE(job.ok()) << job.status();
    auto exit = (*job)->Wait(absl::Seconds(60));
    ASSERT_TRUE(exit.ok()) << exit.status();
    ASSERT_TRUE(WIFEXITED(*exit) && WEXITSTATUS(*exit) == 0)
        << tandem::testing::DescribeWaitStatus(*exit) << "; see " << migrate.log_path;
    auto owner_db = db::OpenDatabase(owner_url_);
    ASSERT_TRUE(owner_db.ok()) << owner_db.status();
    owner_db_ = *std::move(owner_db);
    auto redis = tandem::testing::RedisServer::Start();
    ASSERT_TRUE(redis.ok()) << redis.status();
    redis_ = *std::move(redis);
  }
  void TearDown() override {
    workers_.clear();
    redis_.reset();
    if (!dir_.empty()) tandem::testing::RemoveTree(dir_);
  }

  // Starts one tandem_reminders process sending its webhooks to `webhook_url`. It holds only the runtime
  // role's URL and does not migrate, as a serving pod.
  void StartWorker(const std::string& name, const std::string& webhook_url) {
    auto port = tandem::testing::FreeLoopbackPort();
    ASSERT_TRUE(port.ok());
    tandem::testing::SubprocessOptions options;
    options.argv = {TANDEM_REMINDERS_BINARY,
                    "--listen_address=127.0.0.1",
                    absl::StrCat("--port=", *port),
                    "--admin_port=-1",
                    "--db_url=" + role_url_,
                    "--migrate_at_start=false",
                    absl::StrCat("--redis_url=redis://127.0.0.1:", redis_->port()),
                    "--kek_file=" + dir_ + "/kek",
                    "--hs256_secret_file=" + dir_ + "/secret",
                    absl::StrCat("--jwt_issuer=", tandem::testing::kTestIssuer),
                    "--webhook_url=" + webhook_url,
                    "--webhook_secret_file=" + dir_ + "/webhook",
                    "--webhook_allow_http",
                    absl::StrCat("--webhook_timeout_ms=", kSendTimeoutMs),
                    absl::StrCat("--dispatch_threads=", kThreads),
                    absl::StrCat("--dispatch_batch=", kBatch),
                    absl::StrCat("--lease_ms=", kLeaseMs),
                    absl::StrCat("--move_interval_ms=", kMoveIntervalMs),
                    absl::StrCat("--reclaim_interval_ms=", kReclaimIntervalMs),
                    absl::StrCat("--reconcile_interval_ms=", kReconcileIntervalMs),
                    absl::StrCat("--backoff_base_ms=", kBackoffBaseMs),
                    "--worker_threads=2",
                    "--drain_s=1"};
    options.log_path = dir_ + "/" + name + ".log";
    auto process = tandem::testing::Subprocess::Start(options);
    ASSERT_TRUE(process.ok()) << process.status();
    workers_[name] = *std::move(process);
    auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", *port), grpc::InsecureChannelCredentials());
    ASSERT_TRUE(channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(30)))
        << "worker " << name << " did not serve; see " << options.log_path;
    stubs_[name] = v1::ReminderService::NewStub(channel);
  }

  std::unique_ptr<grpc::ClientContext> Context() {
    auto context = std::make_unique<grpc::ClientContext>();
    context->AddMetadata("authorization",
                         "Bearer " + tandem::testing::ServiceToken("scheduling", "reminders"));
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return context;
  }

  // Registers the template and schedules `n` webhook reminders due in one second through `worker`, numbered
  // from `first` (their idempotency keys and owners).
  std::vector<v1::Reminder> ScheduleMany(const std::string& worker, int n, int first = 0) {
    v1::RegisterTemplateRequest t;
    t.mutable_template_()->set_clinic_id("c1");
    t.mutable_template_()->set_template_id("t1");
    t.mutable_template_()->set_sender_name("Linden Practice");
    t.mutable_template_()->set_body("Hello {{first_name}}, see you {{due_local_time}}.");
    t.mutable_template_()->set_discreet(true);
    v1::Template registered;
    grpc::Status status = stubs_[worker]->RegisterTemplate(Context().get(), t, &registered);
    EXPECT_TRUE(status.ok()) << status.error_message();
    std::vector<v1::Reminder> reminders;
    absl::Time due = absl::Now() + absl::Seconds(1);
    for (int i = first; i < first + n; ++i) {
      v1::ScheduleReminderRequest r;
      r.set_clinic_id("c1");
      r.set_idempotency_key(absl::StrCat("k", i));
      r.set_owner_ref(absl::StrCat("appointment/a", i));
      r.set_channel(v1::CHANNEL_WEBHOOK);
      r.set_recipient("+15550100");
      r.set_template_id("t1");
      (*r.mutable_params())["first_name"] = "Robin";
      r.set_time_zone("Europe/Berlin");
      *r.mutable_due_time() = TimeUtil::MillisecondsToTimestamp(absl::ToUnixMillis(due));
      v1::Reminder reminder;
      status = stubs_[worker]->ScheduleReminder(Context().get(), r, &reminder);
      EXPECT_TRUE(status.ok()) << status.error_message();
      reminders.push_back(reminder);
    }
    return reminders;
  }

  // Rows of `sql` (one integer column) as the owner.
  int64_t OwnerCount(const std::string& sql) {
    int64_t count = -1;
    absl::Status status = owner_db_->RunInTransaction(db::TxMode::kRead, [&](db::Transaction& tx) {
      auto rows = tx.Execute(sql);
      if (!rows.ok()) return rows.status();
      auto value = (*rows)[0].GetInt64(0);
      if (!value.ok()) return value.status();
      count = *value;
      return absl::OkStatus();
    });
    EXPECT_TRUE(status.ok()) << status;
    return count;
  }

  // Polls PostgreSQL until every reminder is delivered.
  bool WaitForAllDelivered(size_t n) {
    return WaitFor(
        [&] {
          return OwnerCount("SELECT COUNT(*) FROM reminders WHERE state = 'delivered'") ==
                 static_cast<int64_t>(n);
        },
        absl::Seconds(90));
  }

  // Each reminder as the service reports it, through `worker`.
  void ExpectAllDelivered(const std::string& worker, const std::vector<v1::Reminder>& reminders) {
    for (const v1::Reminder& scheduled : reminders) {
      v1::GetReminderRequest request;
      request.set_clinic_id("c1");
      request.set_reminder_id(scheduled.reminder_id());
      v1::Reminder reminder;
      grpc::Status status = stubs_[worker]->GetReminder(Context().get(), request, &reminder);
      ASSERT_TRUE(status.ok()) << status.error_message();
      EXPECT_EQ(reminder.state(), v1::REMINDER_STATE_DELIVERED) << scheduled.reminder_id();
    }
  }

  std::string dir_;
  std::string owner_url_;
  std::string role_url_;
  std::unique_ptr<db::Database> owner_db_;
  std::unique_ptr<tandem::testing::RedisServer> redis_;
  std::map<std::string, std::unique_ptr<tandem::testing::Subprocess>> workers_;
  std::map<std::string, std::unique_ptr<v1::ReminderService::Stub>> stubs_;
};

TEST_F(RemindersProcessTest, AWorkerKilledMidSendLosesNothingAndOnlyItsInFlightSendsArriveTwice) {
  CountingReceiver receiver;
  // Worker a's first kAnswered sends are answered and recorded; every later one is held open, so each of its
  // consumer threads ends up inside a send whose outcome it never gets to record.
  constexpr int kAnswered = 3;
  constexpr int kReminders = 16;  // more than a can have sent or held: some it never starts
  receiver.HoldAfter("/hook/a", kAnswered);
  ASSERT_NO_FATAL_FAILURE(StartWorker("a", receiver.url("/hook/a")));
  std::vector<v1::Reminder> reminders = ScheduleMany("a", kReminders);
  ASSERT_TRUE(WaitFor([&] { return receiver.held_keys().size() >= static_cast<size_t>(kThreads); }));
  const std::vector<std::string> held = receiver.held_keys();
  const std::map<std::string, int> sent_by_a = receiver.by_key("/hook/a");
  // Mid-batch: some sends done, one held per consumer thread (a thread sends one at a time), some not begun.
  ASSERT_EQ(held.size(), static_cast<size_t>(kThreads));
  ASSERT_EQ(Sum(sent_by_a), kAnswered + kThreads);
  absl::Status killed = workers_["a"]->Kill9();
  ASSERT_TRUE(killed.ok()) << killed;  // it was alive, and this SIGKILL ended it

  ASSERT_NO_FATAL_FAILURE(StartWorker("b", receiver.url("/hook/b")));
  ASSERT_TRUE(WaitForAllDelivered(reminders.size())) << "see " << dir_ << "/b.log";
  absl::SleepFor(QuietPeriod());

  const std::map<std::string, int> all = receiver.by_key();
  const std::map<std::string, int> sent_by_b = receiver.by_key("/hook/b");
  EXPECT_EQ(receiver.by_key("/hook/a"), sent_by_a) << "the killed worker sent more";
  std::set<std::string> ids;
  std::set<std::string> resent;
  int duplicates = 0;
  for (const v1::Reminder& reminder : reminders) {
    const std::string& id = reminder.delivery_id();
    ids.insert(id);
    auto count = all.find(id);
    ASSERT_NE(count, all.end()) << "lost: " << id;
    duplicates += count->second - 1;
    if (count->second > 1) resent.insert(id);
  }
  std::set<std::string> keys;
  for (const auto& [key, count] : all) keys.insert(key);
  EXPECT_EQ(keys, ids) << "every request carried one of the reminders' ids";
  // What a recorded as sent is not sent again; what it had in flight is, once, by b, with the same id.
  EXPECT_EQ(resent, std::set<std::string>(held.begin(), held.end()));
  for (const std::string& id : held) {
    auto by_b = sent_by_b.find(id);
    EXPECT_TRUE(by_b != sent_by_b.end() && by_b->second == 1)
        << "in-flight send not resent once by b: " << id;
  }
  // In general at most a batch per consumer thread is unacknowledged when a worker dies, and only the sends
  // among them that had begun can arrive twice; here exactly the held ones.
  EXPECT_LE(duplicates, kThreads * kBatch);
  EXPECT_EQ(duplicates, kThreads);
  EXPECT_EQ(receiver.total(), kReminders + duplicates);
  ExpectAllDelivered("b", reminders);
}

TEST_F(RemindersProcessTest, TwoWorkerProcessesBothDeliverAndEachReminderArrivesExactlyOnce) {
  // Each answer takes a moment, so that neither worker can drain the stream before the other reads it.
  CountingReceiver receiver(0, absl::Milliseconds(20));
  ASSERT_NO_FATAL_FAILURE(StartWorker("a", receiver.url("/hook/a")));
  ASSERT_NO_FATAL_FAILURE(StartWorker("b", receiver.url("/hook/b")));
  std::vector<v1::Reminder> reminders = ScheduleMany("a", 60);
  ASSERT_TRUE(WaitForAllDelivered(reminders.size()));
  absl::SleepFor(QuietPeriod());

  // Each worker has its own webhook path: the receiver tells which process sent what.
  const std::map<std::string, int> by_a = receiver.by_key("/hook/a");
  const std::map<std::string, int> by_b = receiver.by_key("/hook/b");
  EXPECT_GT(Sum(by_a), 0) << "worker a delivered nothing";
  EXPECT_GT(Sum(by_b), 0) << "worker b delivered nothing";
  EXPECT_EQ(receiver.total(), static_cast<int>(reminders.size()));
  EXPECT_EQ(receiver.by_key().size(), reminders.size()) << "every request carried one of the reminders' ids";
  for (const v1::Reminder& reminder : reminders) {
    const std::string& id = reminder.delivery_id();
    auto a = by_a.find(id);
    auto b = by_b.find(id);
    EXPECT_EQ((a == by_a.end() ? 0 : a->second) + (b == by_b.end() ? 0 : b->second), 1) << id;
  }
  ExpectAllDelivered("b", reminders);
}

TEST_F(RemindersProcessTest, TheServiceRunsAsARuntimeRoleThatCannotChangeTheSchema) {
  CountingReceiver receiver;
  ASSERT_NO_FATAL_FAILURE(StartWorker("a", receiver.url("/hook/a")));
  std::vector<v1::Reminder> reminders = ScheduleMany("a", 3);
  ASSERT_TRUE(WaitForAllDelivered(reminders.size()));
  ExpectAllDelivered("a", reminders);
  EXPECT_EQ(receiver.total(), 3);
  // The service's connections are the runtime role's (nothing else logs in as it yet), and the clinic's data
  // key it sealed the reminders with was written through that role's grants.
  EXPECT_GT(
      OwnerCount(absl::StrCat("SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() "
                              "AND usename = '",
                              kRuntimeRole, "'")),
      0);
  EXPECT_GT(OwnerCount("SELECT COUNT(*) FROM data_keys"), 0);

  auto role_db = db::OpenDatabase(role_url_);
  ASSERT_TRUE(role_db.ok()) << role_db.status();
  auto run = [&](const std::string& sql) {
    return (*role_db)->RunInTransaction(db::TxMode::kWrite,
                                        [&](db::Transaction& tx) { return tx.Execute(sql).status(); });
  };
  EXPECT_TRUE(run("SELECT COUNT(*) FROM reminders").ok()) << "the role can read its tables";
  for (const std::string& sql : std::vector<std::string>{
           "DROP TABLE reminders",
           "TRUNCATE reminders",
           "ALTER TABLE reminders ADD COLUMN extra integer",
           "CREATE TABLE role_made (id integer)",
           "DROP TABLE data_keys",
           "UPDATE audit_log SET reason = 'x'",  // append-only
           "DELETE FROM audit_log",
           "CREATE ROLE role_made_role",
           absl::StrCat("ALTER ROLE ", kRuntimeRole, " SUPERUSER"),
       }) {
    EXPECT_EQ(run(sql).code(), absl::StatusCode::kPermissionDenied) << "the runtime role may: " << sql;
  }
  // CREATE DATABASE cannot run in a transaction, so its refusal is read from the role's attributes.
  EXPECT_EQ(OwnerCount(absl::StrCat("SELECT COUNT(*) FROM pg_roles WHERE rolname = '", kRuntimeRole,
                                    "' AND (rolsuper OR rolcreatedb OR rolcreaterole OR rolbypassrls)")),
            0);
  // The service still works after the refused statements.
  std::vector<v1::Reminder> more = ScheduleMany("a", 1, /*first=*/3);
  ASSERT_EQ(more.size(), 1u);
  EXPECT_TRUE(WaitFor([&] { return receiver.total() >= 4; }));
}

}  // namespace
}  // namespace tandem::reminders
