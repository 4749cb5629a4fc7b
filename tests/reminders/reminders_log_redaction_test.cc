// What the tandem_reminders binary really writes to its log at --log_level=debug, read from its stderr: calls
// that carry clinical text, a recipient's address and bearer tokens (valid and forged), calls that succeed
// and calls that fail, and a reminder delivered by the log channel. The log must show that each call happened
// and that the reminder was delivered, and none of the text, address or tokens.
#include <sys/stat.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tandem/reminders/v1/reminders.grpc.pb.h"
#include "tests/fixtures/free_port.h"
#include "tests/fixtures/redis_server.h"
#include "tests/fixtures/subprocess.h"
#include "tests/fixtures/temp_dir.h"
#include "tests/support/log_lines.h"
#include "tests/support/test_tokens.h"

namespace tandem::reminders {
namespace {

namespace v1 = tandem::reminders::v1;
using google::protobuf::util::TimeUtil;
using ::tandem::testing::ForgedToken;
using ::tandem::testing::JsonLogLines;
using ::tandem::testing::ReadWholeFile;
using ::tandem::testing::SignatureOf;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kClinical[] = "ZZCLINICALZZ";
constexpr char kRecipient[] = "zzpatient@example.org";

bool HasRpcLine(const std::vector<nlohmann::json>& lines, const std::string& method,
                const std::string& code) {
  const std::string rpc = absl::StrCat("/tandem.reminders.v1.ReminderService/", method);
  for (const nlohmann::json& line : lines) {
    if (line.value("event", "") == "rpc" && line.value("rpc", "") == rpc && line.value("code", "") == code) {
      return true;
    }
  }
  return false;
}

class RemindersLogRedactionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = tandem::testing::MakeTempDir("reminders-log");
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_ = *dir;
    std::ofstream(dir_ + "/secret") << tandem::testing::kTestHs256Secret;
    std::ofstream(dir_ + "/kek") << std::string(64, 'c');
    for (const char* name : {"/secret", "/kek"}) ASSERT_EQ(chmod((dir_ + name).c_str(), 0600), 0);
    auto redis = tandem::testing::RedisServer::Start();
    ASSERT_TRUE(redis.ok()) << redis.status();
    redis_ = *std::move(redis);
    auto port = tandem::testing::FreeLoopbackPort();
    ASSERT_TRUE(port.ok()) << port.status();
    log_path_ = dir_ + "/reminders.log";
    tandem::testing::SubprocessOptions options;
    options.argv = {TANDEM_REMINDERS_BINARY,
                    "--listen_address=127.0.0.1",
                    absl::StrCat("--port=", *port),
                    "--admin_port=-1",
                    "--db_url=sqlite://" + dir_ + "/reminders.db",
                    absl::StrCat("--redis_url=redis://127.0.0.1:", redis_->port()),
                    "--kek_file=" + dir_ + "/kek",
                    "--hs256_secret_file=" + dir_ + "/secret",
                    absl::StrCat("--jwt_issuer=", tandem::testing::kTestIssuer),
                    "--log_channel",
                    "--log_level=debug",
                    "--move_interval_ms=50",
                    "--worker_threads=2",
                    "--drain_s=1"};
    options.log_path = log_path_;
    auto process = tandem::testing::Subprocess::Start(options);
    ASSERT_TRUE(process.ok()) << process.status();
    process_ = *std::move(process);
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", *port), grpc::InsecureChannelCredentials());
    ASSERT_TRUE(channel_->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(20)))
        << ReadWholeFile(log_path_);
    stub_ = v1::ReminderService::NewStub(channel_);
  }

  void TearDown() override {
    process_.reset();
    redis_.reset();
    if (!dir_.empty()) tandem::testing::RemoveTree(dir_);
  }

  static std::unique_ptr<grpc::ClientContext> Context(const std::string& token) {
    auto context = std::make_unique<grpc::ClientContext>();
    context->AddMetadata("authorization", "Bearer " + token);
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return context;
  }

  static v1::ScheduleReminderRequest Schedule(const std::string& key) {
    v1::ScheduleReminderRequest r;
    r.set_clinic_id("c1");
    r.set_idempotency_key(key);
    r.set_owner_ref("appointment/a1");
    r.set_channel(v1::CHANNEL_LOG);
    r.set_recipient(kRecipient);
    r.set_template_id("t1");
    (*r.mutable_params())["first_name"] = kClinical;
    r.set_time_zone("Europe/Berlin");
    *r.mutable_due_time() = TimeUtil::MillisecondsToTimestamp(absl::ToUnixMillis(absl::Now()));
    return r;
  }

  // grpc.health.v1.Health/Check for the whole server (an empty request), through the generic stub: one
  // call is not worth generating the health protos for.
  grpc::Status CheckHealth() {
    grpc::GenericStub generic(channel_);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    grpc::Slice empty;
    grpc::ByteBuffer request(&empty, 1);
    grpc::ByteBuffer response;
    absl::Notification done;
    grpc::Status status;
    generic.UnaryCall(&context, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request, &response,
                      [&](grpc::Status s) {
                        status = std::move(s);
                        done.Notify();
                      });
    done.WaitForNotification();
    return status;
  }

  std::string dir_;
  std::string log_path_;
  std::unique_ptr<tandem::testing::RedisServer> redis_;
  std::unique_ptr<tandem::testing::Subprocess> process_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::ReminderService::Stub> stub_;
};

TEST_F(RemindersLogRedactionTest, DebugLogShowsEveryCallAndTheDeliveryButNoTextAddressOrToken) {
  const std::string token = tandem::testing::ServiceToken("scheduling", "reminders");
  const std::string forged = ForgedToken(token);
  const std::string person = tandem::testing::PersonToken("clinician");

  v1::RegisterTemplateRequest t;
  t.mutable_template_()->set_clinic_id("c1");
  t.mutable_template_()->set_template_id("t1");
  t.mutable_template_()->set_sender_name(absl::StrCat("Linden ", kClinical));
  t.mutable_template_()->set_subject(absl::StrCat("Subject ", kClinical));
  t.mutable_template_()->set_body(absl::StrCat("Hello {{first_name}}, ", kClinical, " {{due_local_time}}."));
  t.mutable_template_()->set_discreet(true);
  v1::Template registered;
  grpc::Status status = stub_->RegisterTemplate(Context(token).get(), t, &registered);
  ASSERT_TRUE(status.ok()) << status.error_message();
  // A discreet template that names the care is refused, text and all.
  t.mutable_template_()->set_template_id("t2");
  t.mutable_template_()->set_body(absl::StrCat("Your sex therapy session ", kClinical));
  status = stub_->RegisterTemplate(Context(token).get(), t, &registered);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();

  // Delivered through the log channel at once.
  v1::Reminder reminder;
  status = stub_->ScheduleReminder(Context(token).get(), Schedule("k1"), &reminder);
  ASSERT_TRUE(status.ok()) << status.error_message();
  // The same key with another body.
  v1::ScheduleReminderRequest changed = Schedule("k1");
  changed.set_recipient(absl::StrCat("other.", kRecipient));
  status = stub_->ScheduleReminder(Context(token).get(), changed, &reminder);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS) << status.error_message();
  // Invalid: an unknown time zone, a recipient that is no address for the channel.
  v1::ScheduleReminderRequest invalid = Schedule("k2");
  invalid.set_time_zone(absl::StrCat("Europe/", kClinical));
  invalid.set_channel(v1::CHANNEL_WEBHOOK);
  status = stub_->ScheduleReminder(Context(token).get(), invalid, &reminder);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  // A person may not schedule directly; a forged token is no one.
  status = stub_->ScheduleReminder(Context(person).get(), Schedule("k3"), &reminder);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
  status = stub_->ScheduleReminder(Context(forged).get(), Schedule("k4"), &reminder);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << status.error_message();
  // A read, which answers the recipient's shape only.
  v1::ListRemindersRequest list;
  list.set_clinic_id("c1");
  v1::ListRemindersResponse listed;
  status = stub_->ListReminders(Context(tandem::testing::PersonToken("support")).get(), list, &listed);
  EXPECT_TRUE(status.ok()) << status.error_message();
  // A health probe: logged at debug only, so its line shows the debug level was on.
  EXPECT_TRUE(CheckHealth().ok());

  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (ReadWholeFile(log_path_).find("reminder_delivered_to_log") == std::string::npos &&
         absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  ASSERT_TRUE(process_->Stop(SIGTERM, absl::Seconds(10)).ok());  // every line written and flushed
  const std::string log = ReadWholeFile(log_path_);
  const std::vector<nlohmann::json> lines = JsonLogLines(log);

  // The capture holds the lines it must: without them, finding no secret would prove nothing.
  EXPECT_TRUE(HasRpcLine(lines, "RegisterTemplate", "OK")) << log;
  EXPECT_TRUE(HasRpcLine(lines, "RegisterTemplate", "INVALID_ARGUMENT")) << log;
  EXPECT_TRUE(HasRpcLine(lines, "ScheduleReminder", "OK")) << log;
  EXPECT_TRUE(HasRpcLine(lines, "ScheduleReminder", "ALREADY_EXISTS")) << log;
  EXPECT_TRUE(HasRpcLine(lines, "ScheduleReminder", "INVALID_ARGUMENT")) << log;
  EXPECT_TRUE(HasRpcLine(lines, "ScheduleReminder", "PERMISSION_DENIED")) << log;
  EXPECT_TRUE(HasRpcLine(lines, "ScheduleReminder", "UNAUTHENTICATED")) << log;
  EXPECT_TRUE(HasRpcLine(lines, "ListReminders", "OK")) << log;
  bool debug_line = false;
  bool delivered = false;
  for (const nlohmann::json& line : lines) {
    debug_line = debug_line || line.value("level", "") == "debug";
    if (line.value("event", "") == "reminder_delivered_to_log") {
      delivered = true;
      EXPECT_EQ(line.value("reminder_id", ""), reminder.delivery_id()) << line.dump();
      EXPECT_EQ(line.value("recipient_kind", ""), "email") << line.dump();
    }
  }
  EXPECT_TRUE(debug_line) << log;
  EXPECT_TRUE(delivered) << log;

  for (const std::string& secret :
       {std::string(kClinical), std::string("zzpatient"), std::string("example.org"), token,
        SignatureOf(token), forged, SignatureOf(forged), person, SignatureOf(person)}) {
    EXPECT_THAT(log, Not(HasSubstr(secret)));
  }
}

}  // namespace
}  // namespace tandem::reminders
