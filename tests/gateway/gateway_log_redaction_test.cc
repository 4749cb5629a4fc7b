// What the tandem_gateway binary and the service behind it really write to their logs at --log_level=debug,
// read from their stderr, for HTTP requests that carry clinical text, an email address and bearer tokens
// (valid, forged and garbage) in the header, path, query and body: requests that succeed, are denied, are
// unauthenticated, malformed or invalid. The logs must show the requests and none of what they carried.
#include <sys/stat.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/fixtures/free_port.h"
#include "tests/fixtures/redis_server.h"
#include "tests/fixtures/subprocess.h"
#include "tests/fixtures/temp_dir.h"
#include "tests/support/http_client.h"
#include "tests/support/log_lines.h"
#include "tests/support/test_tokens.h"

namespace tandem::gateway {
namespace {

namespace http = boost::beast::http;
using ::tandem::testing::CountLogLines;
using ::tandem::testing::ForgedToken;
using ::tandem::testing::JsonLogLines;
using ::tandem::testing::ReadWholeFile;
using ::tandem::testing::SignatureOf;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kClinical[] = "ZZCLINICALZZ";
constexpr char kEmail[] = "zzpatient@example.org";
constexpr char kReminders[] = "/v1/clinics/c1/reminders";
constexpr char kDiscretion[] = "/v1/clinics/c1/reminder-templates/t1/discretion";

class GatewayLogRedactionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = tandem::testing::MakeTempDir("gateway-log");
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_ = *dir;
    std::ofstream(dir_ + "/secret") << tandem::testing::kTestHs256Secret;
    std::ofstream(dir_ + "/kek") << std::string(64, 'c');
    for (const char* name : {"/secret", "/kek"}) ASSERT_EQ(chmod((dir_ + name).c_str(), 0600), 0);
    auto redis = tandem::testing::RedisServer::Start();
    ASSERT_TRUE(redis.ok()) << redis.status();
    redis_ = *std::move(redis);
    auto backend_port = tandem::testing::FreeLoopbackPort();
    ASSERT_TRUE(backend_port.ok()) << backend_port.status();
    auto port = tandem::testing::FreeLoopbackPort();
    ASSERT_TRUE(port.ok()) << port.status();
    port_ = *port;
    const std::string issuer = absl::StrCat("--jwt_issuer=", tandem::testing::kTestIssuer);

    backend_log_ = dir_ + "/reminders.log";
    auto backend = tandem::testing::Subprocess::Start(
        {{TANDEM_REMINDERS_BINARY, "--listen_address=127.0.0.1", absl::StrCat("--port=", *backend_port),
          "--admin_port=-1", "--db_url=sqlite://" + dir_ + "/reminders.db",
          absl::StrCat("--redis_url=redis://127.0.0.1:", redis_->port()), "--kek_file=" + dir_ + "/kek",
          "--hs256_secret_file=" + dir_ + "/secret", issuer, "--log_channel", "--log_level=debug",
          "--worker_threads=2", "--drain_s=1"},
         "",
         backend_log_,
         false});
    ASSERT_TRUE(backend.ok()) << backend.status();
    backend_ = *std::move(backend);

    gateway_log_ = dir_ + "/gateway.log";
    auto gateway = tandem::testing::Subprocess::Start(
        {{TANDEM_GATEWAY_BINARY, "--listen_address=127.0.0.1", absl::StrCat("--port=", port_),
          "--admin_port=-1",
          absl::StrCat("--backend=tandem.reminders.v1.ReminderService=127.0.0.1:", *backend_port),
          "--hs256_secret_file=" + dir_ + "/secret", issuer, "--log_level=debug", "--drain_s=1"},
         "",
         gateway_log_,
         false});
    ASSERT_TRUE(gateway.ok()) << gateway.status();
    gateway_ = *std::move(gateway);

    // Up when a support person's read goes through the gateway to the service and back.
    const std::string support = tandem::testing::PersonToken("support");
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    int status = 0;
    while ((status = tandem::testing::HttpGet(port_, kReminders, support).status) != 200 &&
           absl::Now() < deadline) {
      ASSERT_TRUE(gateway_->Running()) << ReadWholeFile(gateway_log_);
      ASSERT_TRUE(backend_->Running()) << ReadWholeFile(backend_log_);
      absl::SleepFor(absl::Milliseconds(100));
    }
    ASSERT_EQ(status, 200) << ReadWholeFile(gateway_log_) << ReadWholeFile(backend_log_);
  }

  void TearDown() override {
    gateway_.reset();
    backend_.reset();
    redis_.reset();
    if (!dir_.empty()) tandem::testing::RemoveTree(dir_);
  }

  tandem::testing::HttpReply Call(http::verb verb, const std::string& target, const std::string& body,
                                  const std::string& token) {
    return tandem::testing::HttpCall(port_, {verb, target, body, token, {}});
  }

  std::string dir_;
  int port_ = 0;
  std::string backend_log_;
  std::string gateway_log_;
  std::unique_ptr<tandem::testing::RedisServer> redis_;
  std::unique_ptr<tandem::testing::Subprocess> backend_;
  std::unique_ptr<tandem::testing::Subprocess> gateway_;
};

TEST_F(GatewayLogRedactionTest, DebugLogsShowEveryRequestButNoTextAddressOrToken) {
  const std::string support = tandem::testing::PersonToken("support");
  const std::string admin = tandem::testing::PersonToken("admin");
  const std::string clinician = tandem::testing::PersonToken("clinician");
  const std::string forged = ForgedToken(admin);

  // Allowed, with the text in a filter; refused by the service, with an address as the filter.
  tandem::testing::HttpReply reply =
      Call(http::verb::get, absl::StrCat(kReminders, "?ownerRef=appointment:", kClinical), "", support);
  EXPECT_EQ(reply.status, 200) << reply.body;
  reply = Call(http::verb::get, absl::StrCat(kReminders, "?ownerRef=", kEmail), "", support);
  EXPECT_EQ(reply.status, 400) << reply.body;
  // Denied at the service: a clinician may not read delivery status in person.
  reply = Call(http::verb::get, kReminders, "", clinician);
  EXPECT_EQ(reply.status, 403) << reply.body;
  // Unauthenticated: a forged token and a garbage one. Refused from the headers alone, and only counted (a
  // flood of bad tokens must not become a flood of log lines), so these two leave no line to look for.
  reply = Call(http::verb::get, kReminders, "", forged);
  EXPECT_EQ(reply.status, 401) << reply.body;
  reply = Call(http::verb::put, kDiscretion, R"({"mode": "DISCRETION_MODE_OPTED_OUT"})", kClinical);
  EXPECT_EQ(reply.status, 401) << reply.body;
  // Malformed JSON, an unknown field and an unknown enum value, each carrying the text.
  reply = Call(http::verb::put, kDiscretion, absl::StrCat(R"({"mode": ")", kClinical, " ", kEmail), admin);
  EXPECT_EQ(reply.status, 400) << reply.body;
  reply = Call(http::verb::put, kDiscretion,
               absl::StrCat(R"({"mode": "DISCRETION_MODE_OPTED_OUT", "note": ")", kClinical, R"("})"), admin);
  EXPECT_EQ(reply.status, 400) << reply.body;
  reply = Call(http::verb::put, kDiscretion, absl::StrCat(R"({"mode": ")", kClinical, R"("})"), admin);
  EXPECT_EQ(reply.status, 400) << reply.body;
  // Text in an unknown query parameter and in a path variable.
  reply = Call(http::verb::get, absl::StrCat(kReminders, "?", kClinical, "=", kEmail), "", support);
  EXPECT_EQ(reply.status, 400) << reply.body;
  reply = Call(http::verb::get, absl::StrCat(kReminders, "/", kEmail), "", support);
  EXPECT_EQ(reply.status, 400) << reply.body;
  // A body the service accepts.
  reply = Call(http::verb::put, kDiscretion, R"({"mode": "DISCRETION_MODE_ENFORCED"})", admin);
  EXPECT_EQ(reply.status, 200) << reply.body;

  // Stopped, so every line is written and flushed.
  ASSERT_TRUE(gateway_->Stop(SIGTERM, absl::Seconds(10)).ok());
  ASSERT_TRUE(backend_->Stop(SIGTERM, absl::Seconds(10)).ok());
  const std::string gateway_log = ReadWholeFile(gateway_log_);
  const std::string backend_log = ReadWholeFile(backend_log_);
  const std::vector<nlohmann::json> gateway_lines = JsonLogLines(gateway_log);
  const std::vector<nlohmann::json> backend_lines = JsonLogLines(backend_log);

  // The capture holds the request lines: without them, finding no secret would prove nothing.
  const auto http_lines = [&](const std::string& route, int status) {
    int count = 0;
    for (const nlohmann::json& line : gateway_lines) {
      if (line.value("event", "") == "http" && line.value("route", "") == route &&
          line.value("status", 0) == status) {
        ++count;
      }
    }
    return count;
  };
  const std::string list_route = "/v1/clinics/{clinic_id}/reminders";
  const std::string discretion_route = "/v1/clinics/{clinic_id}/reminder-templates/{template_id}/discretion";
  EXPECT_GE(http_lines(list_route, 200), 2) << gateway_log;
  EXPECT_EQ(http_lines(list_route, 403), 1) << gateway_log;
  EXPECT_EQ(http_lines(list_route, 400), 2) << gateway_log;
  EXPECT_EQ(http_lines("/v1/clinics/{clinic_id}/reminders/{reminder_id}", 400), 1) << gateway_log;
  EXPECT_EQ(http_lines(discretion_route, 400), 3) << gateway_log;
  EXPECT_EQ(http_lines(discretion_route, 200), 1) << gateway_log;
  EXPECT_GE(CountLogLines(backend_lines, "rpc", "rpc", "/tandem.reminders.v1.ReminderService/ListReminders"),
            3)
      << backend_log;
  EXPECT_EQ(CountLogLines(backend_lines, "rpc", "code", "PERMISSION_DENIED"), 1) << backend_log;
  EXPECT_GE(CountLogLines(backend_lines, "rpc", "code", "INVALID_ARGUMENT"), 2) << backend_log;
  EXPECT_EQ(CountLogLines(backend_lines, "rpc", "rpc",
                          "/tandem.reminders.v1.ReminderService/SetTemplateDiscretion"),
            1)
      << backend_log;
  EXPECT_GE(CountLogLines(gateway_lines, "gateway_listening", "level", "info"), 1) << gateway_log;

  for (const std::string& secret :
       {std::string(kClinical), std::string("zzpatient"), std::string("example.org"), support,
        SignatureOf(support), admin, SignatureOf(admin), clinician, SignatureOf(clinician), forged,
        SignatureOf(forged)}) {
    EXPECT_THAT(gateway_log, Not(HasSubstr(secret))) << "gateway";
    EXPECT_THAT(backend_log, Not(HasSubstr(secret))) << "reminders";
  }
}

}  // namespace
}  // namespace tandem::gateway
