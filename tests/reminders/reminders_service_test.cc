// The reminders gRPC API in process (real SQLite, real Redis), and its read routes through the real gateway
// over HTTP: service-only access, tenancy of the end user, every bad input refused with nothing stored,
// idempotent scheduling, indexing in Redis, cancellation, and what support sees of a reminder.
#include "services/reminders/reminders_service.h"

#include <memory>
#include <string>

#include "boost/asio.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "common/audit/audit_log.h"
#include "common/auth/jwt_signer.h"
#include "common/grpc/server_host.h"
#include "common/status/field_violations.h"
#include "common/status/grpc_status.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
#include "grpcpp/client_context.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "services/gateway/gateway_server.h"
#include "tests/reminders/reminders_harness.h"

namespace tandem::reminders {
namespace {

namespace v1 = tandem::reminders::v1;
namespace http = boost::beast::http;
using google::protobuf::util::TimeUtil;
using ::testing::Contains;

constexpr char kSecret[] = "reminders-service-test-secret-0123456789";

std::string Token(const std::string& subject, const std::vector<std::string>& roles,
                  const std::string& clinic = "") {
  auto signer = auth::JwtSigner::FromHs256Secret(kSecret, "");
  auth::TokenClaims claims;
  claims.subject = subject;
  claims.clinic_id = clinic;
  claims.roles = roles;
  claims.audience = "tandem";
  return *(*signer)->Sign(claims);
}

std::vector<std::string> Fields(const grpc::Status& status) {
  std::vector<std::string> out;
  for (const auto& v : GetFieldViolations(FromGrpcStatus(status))) out.push_back(v.field());
  return out;
}

class RemindersServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto harness = RemindersHarness::Create();
    ASSERT_TRUE(harness.ok()) << harness.status();
    h_ = *std::move(harness);
    auto verifier = auth::JwtVerifier::FromHs256Secret(kSecret, {"", "tandem"});
    ASSERT_TRUE(verifier.ok());
    verifier_ = *std::move(verifier);
    audit_ = std::make_unique<audit::AuditLog>(h_->database());
    ServerOptions options;
    options.address = "127.0.0.1";
    host_ = std::make_unique<ServerHost>(options);
    RemindersServiceDeps deps;
    deps.store = &h_->store();
    deps.index = &h_->index();
    deps.verifier = verifier_.get();
    deps.audit = audit_.get();
    deps.workers = &host_->workers();
    deps.policy = &DiscretionPolicy::Default();
    deps.channels = {ChannelKind::kWebhook, ChannelKind::kLog};
    service_ = std::make_unique<RemindersService>(std::move(deps));
    host_->AddService(service_.get());
    ASSERT_TRUE(host_->Start().ok());
    stub_ = v1::ReminderService::NewStub(host_->InProcessChannel());
    ASSERT_TRUE(RegisterTemplate(ValidTemplate()).ok());
  }
  void TearDown() override {
    if (gateway_) gateway_->Shutdown(absl::Seconds(1));
    host_->Shutdown(absl::Seconds(1));
  }

  std::unique_ptr<grpc::ClientContext> Context(const std::string& token) {
    auto context = std::make_unique<grpc::ClientContext>();
    if (!token.empty()) context->AddMetadata("authorization", "Bearer " + token);
    return context;
  }

  static v1::Template ValidTemplate() {
    v1::Template t;
    t.set_clinic_id("c1");
    t.set_template_id("appointment-tomorrow");
    t.set_sender_name("Linden Practice");
    t.set_subject("See you tomorrow");
    t.set_body("Hello {{first_name}}, see you {{due_local_time}}.");
    t.set_discreet(true);
    return t;
  }

  grpc::Status RegisterTemplate(const v1::Template& t, const std::string& token = ServiceToken()) {
    v1::RegisterTemplateRequest request;
    *request.mutable_template_() = t;
    v1::Template response;
    return stub_->RegisterTemplate(Context(token).get(), request, &response);
  }

  static std::string ServiceToken() { return Token("scheduling", {"service"}); }

  static v1::ScheduleReminderRequest ValidRequest(const std::string& key = "appointment/a1/24h") {
    v1::ScheduleReminderRequest r;
    r.set_clinic_id("c1");
    r.set_idempotency_key(key);
    r.set_owner_ref("appointment/a1");
    r.set_channel(v1::CHANNEL_WEBHOOK);
    r.set_recipient("+15550100");
    r.set_template_id("appointment-tomorrow");
    (*r.mutable_params())["first_name"] = "Robin";
    r.set_time_zone("Europe/Berlin");
    *r.mutable_due_time() = TimeUtil::SecondsToTimestamp(absl::ToUnixSeconds(absl::Now() + absl::Hours(24)));
    return r;
  }

  grpc::Status Schedule(const v1::ScheduleReminderRequest& request, v1::Reminder* response,
                        const std::string& token = ServiceToken()) {
    return stub_->ScheduleReminder(Context(token).get(), request, response);
  }

  int Stored() {
    v1::ListRemindersRequest request;
    request.set_clinic_id("c1");
    v1::ListRemindersResponse response;
    EXPECT_TRUE(stub_->ListReminders(Context(ServiceToken()).get(), request, &response).ok());
    return response.reminders_size();
  }

  // GET through a real gateway in front of this service.
  std::pair<int, nlohmann::json> HttpGet(const std::string& target, const std::string& token) {
    if (!gateway_) {
      gateway::GatewayConfig config;
      config.http.address = "127.0.0.1";
      config.backends.push_back(
          {std::string(v1::ReminderService::service_full_name()), absl::StrCat("127.0.0.1:", host_->port())});
      auto verifier = auth::JwtVerifier::FromHs256Secret(kSecret, {"", "tandem"});
      auto created = gateway::GatewayServer::Create(std::move(config), *std::move(verifier));
      EXPECT_TRUE(created.ok()) << created.status();
      gateway_ = *std::move(created);
      EXPECT_TRUE(gateway_->Start().ok());
    }
    boost::asio::io_context io;
    boost::asio::ip::tcp::socket socket(io);
    socket.connect({boost::asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(gateway_->port())});
    http::request<http::string_body> request(http::verb::get, target, 11);
    request.set(http::field::host, "localhost");
    request.set(http::field::authorization, "Bearer " + token);
    http::write(socket, request);
    boost::beast::flat_buffer buffer;
    http::response<http::string_body> response;
    http::read(socket, buffer, response);
    return {static_cast<int>(response.result_int()), nlohmann::json::parse(response.body(), nullptr, false)};
  }

  std::unique_ptr<RemindersHarness> h_;
  std::unique_ptr<auth::JwtVerifier> verifier_;
  std::unique_ptr<audit::AuditLog> audit_;
  std::unique_ptr<ServerHost> host_;
  std::unique_ptr<RemindersService> service_;
  std::unique_ptr<v1::ReminderService::Stub> stub_;
  std::unique_ptr<gateway::GatewayServer> gateway_;
};

TEST_F(RemindersServiceTest, SchedulesStoresIndexesAndShowsSupportNoPersonalData) {
  v1::Reminder reminder;
  grpc::Status status = Schedule(ValidRequest(), &reminder);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(reminder.state(), v1::REMINDER_STATE_SCHEDULED);
  EXPECT_FALSE(reminder.delivery_id().empty());
  EXPECT_EQ(reminder.recipient().find("5550100"), std::string::npos);
  EXPECT_TRUE(reminder.params().empty());
  // Indexed by next attempt time; Redis holds the id only.
  auto score = h_->redis().Command({"ZSCORE", h_->index().due_key(), reminder.reminder_id()});
  ASSERT_TRUE(score.ok());
  EXPECT_EQ(score->str(), absl::StrCat(TimeUtil::TimestampToMilliseconds(reminder.next_attempt_time())));
  // The stored row still has the real recipient (sealed at rest, opened for the dispatcher).
  EXPECT_EQ(h_->store().Get("c1", reminder.reminder_id())->recipient(), "+15550100");

  v1::GetReminderRequest get;
  get.set_clinic_id("c1");
  get.set_reminder_id(reminder.reminder_id());
  v1::Reminder got;
  ASSERT_TRUE(stub_->GetReminder(Context(ServiceToken()).get(), get, &got).ok());
  EXPECT_EQ(got.reminder_id(), reminder.reminder_id());
  EXPECT_EQ(got.recipient(), "(phone)");
}

TEST_F(RemindersServiceTest, QuietHoursMoveTheFirstAttempt) {
  v1::ScheduleReminderRequest request = ValidRequest();
  absl::TimeZone berlin;
  ASSERT_TRUE(absl::LoadTimeZone("Europe/Berlin", &berlin));
  absl::CivilDay tomorrow = absl::ToCivilDay(absl::Now(), berlin) + 1;
  absl::Time at_23 =
      absl::FromCivil(absl::CivilHour(tomorrow.year(), tomorrow.month(), tomorrow.day(), 23), berlin);
  *request.mutable_due_time() = TimeUtil::SecondsToTimestamp(absl::ToUnixSeconds(at_23));
  request.mutable_quiet_hours()->mutable_start()->set_hours(22);
  request.mutable_quiet_hours()->mutable_end()->set_hours(7);
  v1::Reminder reminder;
  ASSERT_TRUE(Schedule(request, &reminder).ok());
  absl::CivilDay next_day = tomorrow + 1;
  absl::Time at_7 =
      absl::FromCivil(absl::CivilHour(next_day.year(), next_day.month(), next_day.day(), 7), berlin);
  EXPECT_EQ(TimeUtil::TimestampToSeconds(reminder.next_attempt_time()), absl::ToUnixSeconds(at_7));
  EXPECT_EQ(TimeUtil::TimestampToSeconds(reminder.due_time()), absl::ToUnixSeconds(at_23));
}

TEST_F(RemindersServiceTest, ARetriedScheduleReturnsTheFirstReminderAndAReusedKeyIsRefused) {
  v1::Reminder first, again, other;
  ASSERT_TRUE(Schedule(ValidRequest("k"), &first).ok());
  ASSERT_TRUE(Schedule(ValidRequest("k"), &again).ok());
  EXPECT_EQ(again.reminder_id(), first.reminder_id());
  v1::ScheduleReminderRequest changed = ValidRequest("k");
  changed.set_owner_ref("appointment/a2");
  EXPECT_EQ(Schedule(changed, &other).error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(Stored(), 1);
}

TEST_F(RemindersServiceTest, OnlyServicesMayCallAndTheirEndUserMustBelongToTheClinic) {
  v1::Reminder reminder;
  EXPECT_EQ(Schedule(ValidRequest(), &reminder, "").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Schedule(ValidRequest(), &reminder, Token("u1", {"clinician"}, "c1")).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Schedule(ValidRequest(), &reminder, Token("u1", {"admin"}, "c1")).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  auto context = Context(ServiceToken());
  context->AddMetadata("x-tandem-end-user", Token("u9", {"clinician"}, "c2"));
  EXPECT_EQ(stub_->ScheduleReminder(context.get(), ValidRequest(), &reminder).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(RegisterTemplate(ValidTemplate(), Token("u1", {"clinician"}, "c1")).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Stored(), 0);
  // The refusals are audited.
  auto entries = audit_->List("c1", {}, 50, "");
  ASSERT_TRUE(entries.ok());
  int denied = 0;
  for (const auto& e : entries->entries) denied += e.outcome == "denied";
  EXPECT_GE(denied, 3);
}

TEST_F(RemindersServiceTest, BadInputIsRefusedWithEveryViolationAndNothingIsStored) {
  struct Case {
    const char* name;
    std::function<void(v1::ScheduleReminderRequest&)> mutate;
    const char* field;
  };
  const std::vector<Case> cases = {
      {"past due",
       [](auto& r) {
         *r.mutable_due_time() =
             TimeUtil::SecondsToTimestamp(absl::ToUnixSeconds(absl::Now() - absl::Hours(1)));
       },
       "due_time"},
      {"unknown channel", [](auto& r) { r.set_channel(static_cast<v1::Channel>(9)); }, "channel"},
      {"unconfigured email",
       [](auto& r) {
         r.set_channel(v1::CHANNEL_EMAIL);
         r.set_recipient("robin@example.org");
       },
       "channel"},
      {"malformed address", [](auto& r) { r.set_recipient("+1 (555) 0100"); }, "recipient"},
      {"missing parameter", [](auto& r) { r.clear_params(); }, "params.first_name"},
      {"unknown template", [](auto& r) { r.set_template_id("nope"); }, "template_id"},
  };
  for (const Case& c : cases) {
    v1::ScheduleReminderRequest request = ValidRequest(std::string("key-") + c.name);
    for (char& ch : *request.mutable_idempotency_key()) ch = ch == ' ' ? '-' : ch;
    c.mutate(request);
    v1::Reminder reminder;
    grpc::Status status = Schedule(request, &reminder);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << c.name;
    EXPECT_THAT(Fields(status), Contains(c.field)) << c.name;
  }
  EXPECT_EQ(Stored(), 0);
  auto zcard = h_->redis().Command({"ZCARD", h_->index().due_key()});
  EXPECT_EQ(zcard->integer(), 0);
}

TEST_F(RemindersServiceTest, ADiscreetTemplateWithADeniedWordIsRefusedAndNotStored) {
  v1::Template t = ValidTemplate();
  t.set_template_id("indiscreet");
  t.set_body("Your sex therapy session is at {{due_local_time}}");
  grpc::Status status = RegisterTemplate(t);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(Fields(status), Contains("template.body"));
  EXPECT_EQ(status.error_message().find("therapy"), std::string::npos);
  EXPECT_EQ(h_->store().GetTemplate("c1", "indiscreet").status().code(), absl::StatusCode::kNotFound);
  t.set_body("See you in Essex at {{due_local_time}}");  // whole words only
  EXPECT_TRUE(RegisterTemplate(t).ok());
}

TEST_F(RemindersServiceTest, CancelByOwnerAndListByState) {
  v1::Reminder a, b;
  ASSERT_TRUE(Schedule(ValidRequest("a"), &a).ok());
  v1::ScheduleReminderRequest other = ValidRequest("b");
  other.set_owner_ref("appointment/a2");
  ASSERT_TRUE(Schedule(other, &b).ok());
  v1::CancelRemindersRequest cancel;
  cancel.set_clinic_id("c1");
  cancel.set_owner_ref("appointment/a1");
  v1::CancelRemindersResponse cancelled;
  ASSERT_TRUE(stub_->CancelReminders(Context(ServiceToken()).get(), cancel, &cancelled).ok());
  EXPECT_EQ(cancelled.cancelled(), 1);
  v1::ListRemindersRequest list;
  list.set_clinic_id("c1");
  list.set_state(v1::REMINDER_STATE_CANCELLED);
  v1::ListRemindersResponse listed;
  ASSERT_TRUE(stub_->ListReminders(Context(ServiceToken()).get(), list, &listed).ok());
  ASSERT_EQ(listed.reminders_size(), 1);
  EXPECT_EQ(listed.reminders(0).reminder_id(), a.reminder_id());
  cancel.clear_owner_ref();
  EXPECT_EQ(stub_->CancelReminders(Context(ServiceToken()).get(), cancel, &cancelled).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(RemindersServiceTest, ReadRoutesThroughTheGatewayOverHttp) {
  v1::Reminder reminder;
  ASSERT_TRUE(Schedule(ValidRequest(), &reminder).ok());
  auto [status, body] = HttpGet("/v1/clinics/c1/reminders/" + reminder.reminder_id(), ServiceToken());
  EXPECT_EQ(status, 200);
  EXPECT_EQ(body["reminderId"], reminder.reminder_id());
  EXPECT_EQ(body["state"], "REMINDER_STATE_SCHEDULED");
  EXPECT_EQ(body["recipient"], "(phone)");

  auto [list_status, list] =
      HttpGet("/v1/clinics/c1/reminders?state=REMINDER_STATE_SCHEDULED", ServiceToken());
  EXPECT_EQ(list_status, 200);
  EXPECT_EQ(list["reminders"].size(), 1u);

  auto [denied, error] =
      HttpGet("/v1/clinics/c1/reminders/" + reminder.reminder_id(), Token("u1", {"clinician"}, "c1"));
  EXPECT_EQ(denied, 403);
  auto [missing, _] =
      HttpGet("/v1/clinics/c1/reminders/0190aaaa-0000-7000-8000-000000000000", ServiceToken());
  EXPECT_EQ(missing, 404);
}

}  // namespace
}  // namespace tandem::reminders
