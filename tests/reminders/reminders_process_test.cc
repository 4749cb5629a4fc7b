// Fault tests with real processes: tandem_reminders binaries against a real PostgreSQL, a real redis-server
// and a real HTTP receiver. A worker killed with SIGKILL mid-send loses nothing, and what it sends again
// carries the same idempotency id and is bounded by what it had in flight; two worker processes with no crash
// deliver each reminder exactly once.
#include <sys/stat.h>

#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
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

constexpr int kThreads = 2;
constexpr int kBatch = 2;

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
    auto db = tandem::testing::NewTestDatabaseUrl();
    ASSERT_TRUE(db.ok()) << db.status();
    db_url_ = *db;
    auto redis = tandem::testing::RedisServer::Start();
    ASSERT_TRUE(redis.ok()) << redis.status();
    redis_ = *std::move(redis);
  }
  void TearDown() override {
    workers_.clear();
    redis_.reset();
    if (!dir_.empty()) tandem::testing::RemoveTree(dir_);
  }

  // Starts one tandem_reminders process; returns its gRPC port.
  int StartWorker(const std::string& name, const CountingReceiver& receiver) {
    auto port = tandem::testing::FreeLoopbackPort();
    EXPECT_TRUE(port.ok());
    tandem::testing::SubprocessOptions options;
    options.argv = {TANDEM_REMINDERS_BINARY,
                    "--listen_address=127.0.0.1",
                    absl::StrCat("--port=", *port),
                    "--admin_port=-1",
                    "--db_url=" + db_url_,
                    absl::StrCat("--redis_url=redis://127.0.0.1:", redis_->port()),
                    "--kek_file=" + dir_ + "/kek",
                    "--hs256_secret_file=" + dir_ + "/secret",
                    absl::StrCat("--jwt_issuer=", tandem::testing::kTestIssuer),
                    "--webhook_url=" + receiver.url(),
                    "--webhook_secret_file=" + dir_ + "/webhook",
                    "--webhook_allow_http",
                    absl::StrCat("--dispatch_threads=", kThreads),
                    absl::StrCat("--dispatch_batch=", kBatch),
                    "--lease_ms=1500",
                    "--move_interval_ms=50",
                    "--reclaim_interval_ms=300",
                    "--reconcile_interval_ms=500",
                    "--worker_threads=2",
                    "--drain_s=1"};
    options.log_path = dir_ + "/" + name + ".log";
    auto process = tandem::testing::Subprocess::Start(options);
    EXPECT_TRUE(process.ok()) << process.status();
    workers_[name] = *std::move(process);
    auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", *port), grpc::InsecureChannelCredentials());
    EXPECT_TRUE(channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(20)));
    stubs_[name] = v1::ReminderService::NewStub(channel);
    return *port;
  }

  std::unique_ptr<grpc::ClientContext> Context() {
    auto context = std::make_unique<grpc::ClientContext>();
    context->AddMetadata("authorization",
                         "Bearer " + tandem::testing::ServiceToken("scheduling", "reminders"));
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return context;
  }

  // Registers the template and schedules `n` reminders due in one second through `worker`; returns their
  // delivery ids.
  std::vector<std::string> ScheduleMany(const std::string& worker, int n) {
    v1::RegisterTemplateRequest t;
    t.mutable_template_()->set_clinic_id("c1");
    t.mutable_template_()->set_template_id("t1");
    t.mutable_template_()->set_sender_name("Linden Practice");
    t.mutable_template_()->set_body("Hello {{first_name}}, see you {{due_local_time}}.");
    t.mutable_template_()->set_discreet(true);
    v1::Template registered;
    grpc::Status status = stubs_[worker]->RegisterTemplate(Context().get(), t, &registered);
    EXPECT_TRUE(status.ok()) << status.error_message();
    std::vector<std::string> ids;
    absl::Time due = absl::Now() + absl::Seconds(1);
    for (int i = 0; i < n; ++i) {
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
      ids.push_back(reminder.delivery_id());
    }
    return ids;
  }

  std::string dir_;
  std::string db_url_;
  std::unique_ptr<tandem::testing::RedisServer> redis_;
  std::map<std::string, std::unique_ptr<tandem::testing::Subprocess>> workers_;
  std::map<std::string, std::unique_ptr<v1::ReminderService::Stub>> stubs_;
};

TEST_F(RemindersProcessTest, AWorkerKilledMidSendLosesNothingAndResendsAtMostWhatItHadInFlight) {
  CountingReceiver receiver(0, absl::Milliseconds(400));
  StartWorker("a", receiver);
  std::vector<std::string> ids = ScheduleMany("a", 16);
  ASSERT_TRUE(WaitFor([&] { return receiver.total() >= 3; }));
  ASSERT_TRUE(workers_["a"]->Kill9().ok());  // mid-batch: sends in flight, entries unacknowledged
  StartWorker("b", receiver);
  ASSERT_TRUE(WaitFor([&] {
    auto by_key = receiver.by_key();
    for (const std::string& id : ids) {
      if (by_key[id] == 0) return false;
    }
    return true;
  }));
  absl::SleepFor(absl::Seconds(2));  // past a lease and several reconcile periods: nothing more arrives
  auto by_key = receiver.by_key();
  int duplicates = 0;
  for (const std::string& id : ids) {
    EXPECT_GE(by_key[id], 1) << "lost";
    duplicates += by_key[id] - 1;
  }
  EXPECT_EQ(by_key.size(), ids.size()) << "every request carried one of the reminders' ids";
  // Only sends that were in flight when the worker died can arrive twice: one per consumer thread.
  EXPECT_LE(duplicates, kThreads);
  EXPECT_EQ(receiver.total(), static_cast<int>(ids.size()) + duplicates);
}

TEST_F(RemindersProcessTest, TwoWorkerProcessesDeliverEachReminderExactlyOnce) {
  CountingReceiver receiver(0, absl::Milliseconds(5));
  StartWorker("a", receiver);
  StartWorker("b", receiver);
  std::vector<std::string> ids = ScheduleMany("a", 60);
  ASSERT_TRUE(WaitFor([&] { return receiver.total() >= static_cast<int>(ids.size()); }));
  absl::SleepFor(absl::Seconds(2));
  auto by_key = receiver.by_key();
  EXPECT_EQ(receiver.total(), static_cast<int>(ids.size()));
  for (const std::string& id : ids) EXPECT_EQ(by_key[id], 1);
}

}  // namespace
}  // namespace tandem::reminders
