// The reminders gRPC API in process on the real runtime (SQLite, real Redis), and its read routes through the
// real gateway over HTTP: the authorization table (every method, every kind of caller), tenancy, every bad
// input refused with nothing stored, idempotent scheduling, indexing in Redis, cancellation, the audit trail
// and what support sees of a reminder.
#include "services/reminders/api/reminders_service.h"

#include <sys/stat.h>

#include <fstream>
#include <memory>
#include <string>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/synchronization/notification.h"
#include "common/status/field_violations.h"
#include "common/status/grpc_status.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
#include "grpcpp/client_context.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/slice.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "services/gateway/gateway_server.h"
#include "services/reminders/api/reminders_app.h"
#include "services/reminders/store/sql_reminder_store.h"
#include "tests/fixtures/redis_server.h"
#include "tests/fixtures/temp_dir.h"
#include "tests/support/http_client.h"
#include "tests/support/rpc_expectations.h"
#include "tests/support/service_fixture.h"
#include "tests/support/test_tokens.h"

ABSL_DECLARE_FLAG(bool, dispatch);
ABSL_DECLARE_FLAG(bool, log_channel);
ABSL_DECLARE_FLAG(bool, webhook_allow_http);
ABSL_DECLARE_FLAG(std::string, redis_prefix);
ABSL_DECLARE_FLAG(std::string, webhook_secret_file);
ABSL_DECLARE_FLAG(std::string, webhook_url);

namespace tandem::reminders {
namespace {

namespace v1 = tandem::reminders::v1;
using google::protobuf::util::TimeUtil;
using tandem::testing::PersonToken;
using tandem::testing::ServiceFixture;
using tandem::testing::ViolatedFields;
using ::testing::Contains;

std::string Token(const std::string& subject, const std::vector<std::string>& roles,
                  const std::string& clinic = "") {
  auth::TokenClaims claims;
  claims.subject = subject;
  claims.clinic_id = clinic;
  claims.roles = roles;
  return tandem::testing::MintToken(claims);
}

class RemindersServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto redis_server = tandem::testing::RedisServer::Start();
    ASSERT_TRUE(redis_server.ok()) << redis_server.status();
    redis_server_ = *std::move(redis_server);
    absl::SetFlag(&FLAGS_dispatch, false);  // the API alone: nothing is sent while a test looks at state
    // The webhook and log channels are configured (nothing is sent: the dispatcher is off); email is not.
    auto dir = tandem::testing::MakeTempDir("reminders-service");
    ASSERT_TRUE(dir.ok());
    dir_ = *dir;
    std::ofstream(dir_ + "/webhook.secret") << "webhook-secret-0123456789abcdef";
    chmod((dir_ + "/webhook.secret").c_str(), 0600);  // a secret file others may read is refused
    absl::SetFlag(&FLAGS_webhook_url, "http://127.0.0.1:1/hook");
    absl::SetFlag(&FLAGS_webhook_allow_http, true);
    absl::SetFlag(&FLAGS_webhook_secret_file, dir_ + "/webhook.secret");
    absl::SetFlag(&FLAGS_log_channel, true);
    auto fixture = ServiceFixture::Start(
        RemindersDefinition(), BuildReminders,
        {.db_url = "", .redis_url = absl::StrCat("redis://127.0.0.1:", redis_server_->port())});
    ASSERT_TRUE(fixture.ok()) << fixture.status();
    fixture_ = *std::move(fixture);
    // A second view of the same database and Redis, for checking what the service stored.
    store_ = std::make_unique<SqlReminderStore>(fixture_->runtime().database(), fixture_->runtime().cipher(),
                                                fixture_->runtime().audit());
    redis::RedisPoolOptions options;
    options.port = redis_server_->port();
    redis_ = std::make_unique<redis::RedisPool>(options);
    index_ = std::make_unique<DueIndex>(*redis_, absl::GetFlag(FLAGS_redis_prefix));
    stub_ = v1::ReminderService::NewStub(fixture_->channel());
    ASSERT_TRUE(RegisterTemplate(ValidTemplate()).ok());
  }
  void TearDown() override {
    if (gateway_) gateway_->Shutdown(absl::Seconds(1));
    fixture_.reset();
    if (!dir_.empty()) tandem::testing::RemoveTree(dir_);
  }

  static std::unique_ptr<grpc::ClientContext> Context(const std::string& token) {
    return ServiceFixture::Context(token);
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

  static std::string ServiceToken() { return tandem::testing::ServiceToken("scheduling", "reminders"); }

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

  int CountRows(const std::string& clinic, const std::string& outcome) {
    int n = 0;
    for (const auto& row : fixture_->AuditRows(clinic)) n += row.outcome == outcome;
    return n;
  }

  // A request through a real gateway in front of this service.
  tandem::testing::HttpReply HttpGet(const std::string& target, const std::string& token) {
    if (!gateway_) {
      gateway::GatewayConfig config;
      config.http.address = "127.0.0.1";
      config.backends.push_back({std::string(v1::ReminderService::service_full_name()),
                                 absl::StrCat("127.0.0.1:", fixture_->port())});
      auto created = gateway::GatewayServer::Create(std::move(config), tandem::testing::TestVerifier());
      EXPECT_TRUE(created.ok()) << created.status();
      gateway_ = *std::move(created);
      EXPECT_TRUE(gateway_->Start().ok());
    }
    return tandem::testing::HttpGet(gateway_->port(), target, token);
  }

  std::string dir_;
  std::unique_ptr<tandem::testing::RedisServer> redis_server_;
  std::unique_ptr<ServiceFixture> fixture_;
  std::unique_ptr<SqlReminderStore> store_;
  std::unique_ptr<redis::RedisPool> redis_;
  std::unique_ptr<DueIndex> index_;
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
  auto score = redis_->Command({"ZSCORE", index_->due_key(), reminder.reminder_id()});
  ASSERT_TRUE(score.ok());
  EXPECT_EQ(score->str(), absl::StrCat(TimeUtil::TimestampToMilliseconds(reminder.next_attempt_time())));
  // The stored row still has the real recipient (sealed at rest, opened for the dispatcher).
  EXPECT_EQ(store_->Get("c1", reminder.reminder_id())->recipient(), "+15550100");

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

TEST_F(RemindersServiceTest, OnlyTheRemindingServicesMaySchedule) {
  const int denied_before = CountRows("c1", "denied");
  v1::Reminder reminder;
  EXPECT_EQ(Schedule(ValidRequest(), &reminder, "").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Schedule(ValidRequest(), &reminder, "not-a-token").error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Schedule(ValidRequest(), &reminder, Token("u1", {"clinician"}, "c1")).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Schedule(ValidRequest(), &reminder, Token("u1", {"admin"}, "c1")).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(
      Schedule(ValidRequest(), &reminder, tandem::testing::ServiceToken("notes", "reminders")).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(RegisterTemplate(ValidTemplate(), Token("u1", {"clinician"}, "c1")).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Stored(), 0);
  // Each refusal of an authenticated caller is one denied row; calls without a valid token write nothing.
  EXPECT_EQ(CountRows("c1", "denied") - denied_before, 4);
}

TEST_F(RemindersServiceTest, AServiceActingForSomeoneIsHeldToThatPersonsRoleAndClinic) {
  v1::Reminder reminder;
  auto for_person = [&](const std::string& person) {
    return stub_
        ->ScheduleReminder(ServiceFixture::Context(ServiceToken(), person).get(), ValidRequest(), &reminder)
        .error_code();
  };
  using tandem::testing::EndUserAssertion;
  // Another clinic's person: the request's clinic is not theirs, which looks like a missing record.
  EXPECT_EQ(for_person(EndUserAssertion("scheduling", "reminders", "clinician", "u9", "c2")),
            grpc::StatusCode::NOT_FOUND);
  // Support staff may read delivery status but not schedule, even through a service.
  EXPECT_EQ(for_person(EndUserAssertion("scheduling", "reminders", "support", "s1", "c1")),
            grpc::StatusCode::PERMISSION_DENIED);
  // The person's own token is no assertion; an assertion made by another service, or for another one, fails.
  EXPECT_EQ(for_person(Token("u1", {"clinician"}, "c1")), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(for_person(EndUserAssertion("homework", "reminders", "clinician")),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(for_person(EndUserAssertion("scheduling", "notes", "clinician")),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Stored(), 0);
  ASSERT_EQ(for_person(EndUserAssertion("scheduling", "reminders", "clinician")), grpc::StatusCode::OK);
  auto rows = fixture_->AuditRows("c1");
  ASSERT_FALSE(rows.empty());
  EXPECT_EQ(rows.back().action, "reminder.schedule");
  EXPECT_EQ(rows.back().actor, "scheduling");
  EXPECT_EQ(rows.back().on_behalf_of, "u1");
  EXPECT_EQ(rows.back().resource_id, reminder.reminder_id());
}

TEST_F(RemindersServiceTest, EveryMethodHasARuleAndRefusesOthersWithAnAuditedDenial) {
  ASSERT_TRUE(RemindersRules().Validate().ok());
  grpc::GenericStub generic(fixture_->channel());
  const auto* service = google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
      std::string(v1::ReminderService::service_full_name()));
  ASSERT_NE(service, nullptr);
  for (int i = 0; i < service->method_count(); ++i) {
    const std::string method = absl::StrCat("/", service->full_name(), "/", service->method(i)->name());
    struct Caller {
      std::string token;
      grpc::StatusCode code;
      int denied_rows;  // in clinic c1
    };
    // The request names no clinic, so a denial is recorded in the caller's own clinic when it has one.
    const std::vector<Caller> callers = {
        {"", grpc::StatusCode::UNAUTHENTICATED, 0},
        {Token("c9", {"client"}, "c1"), grpc::StatusCode::PERMISSION_DENIED, 1},
        {tandem::testing::ServiceToken("reminders-intruder", "reminders"),
         grpc::StatusCode::PERMISSION_DENIED, 0},
    };
    for (const Caller& caller : callers) {
      const int denied_before = CountRows("c1", "denied");
      grpc::ClientContext context;
      if (!caller.token.empty()) context.AddMetadata("authorization", "Bearer " + caller.token);
      grpc::Slice empty("");  // an empty message: every field at its default
      grpc::ByteBuffer request(&empty, 1), response;
      absl::Notification done;
      grpc::Status status;
      generic.UnaryCall(&context, method, grpc::StubOptions(), &request, &response, [&](grpc::Status s) {
        status = std::move(s);
        done.Notify();
      });
      done.WaitForNotification();
      EXPECT_EQ(status.error_code(), caller.code) << method;
      EXPECT_EQ(CountRows("c1", "denied") - denied_before, caller.denied_rows) << method;
    }
  }
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
    EXPECT_THAT(ViolatedFields(status), Contains(c.field)) << c.name;
  }
  EXPECT_EQ(Stored(), 0);
  auto zcard = redis_->Command({"ZCARD", index_->due_key()});
  EXPECT_EQ(zcard->integer(), 0);
}

TEST_F(RemindersServiceTest, ADiscreetTemplateWithADeniedWordIsRefusedAndNotStored) {
  v1::Template t = ValidTemplate();
  t.set_template_id("indiscreet");
  t.set_body("Your sex therapy session is at {{due_local_time}}");
  grpc::Status status = RegisterTemplate(t);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(status), Contains("template.body"));
  EXPECT_EQ(status.error_message().find("therapy"), std::string::npos);
  EXPECT_EQ(store_->GetTemplate("c1", "indiscreet").status().code(), absl::StatusCode::kNotFound);
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

TEST_F(RemindersServiceTest, PagesAreKeysetTokensBoundToTheirFilter) {
  for (const char* key : {"p1", "p2", "p3"}) {
    v1::Reminder reminder;
    ASSERT_TRUE(Schedule(ValidRequest(key), &reminder).ok());
  }
  v1::ListRemindersRequest list;
  list.set_clinic_id("c1");
  list.mutable_page()->set_page_size(2);
  v1::ListRemindersResponse first;
  ASSERT_TRUE(stub_->ListReminders(Context(ServiceToken()).get(), list, &first).ok());
  ASSERT_EQ(first.reminders_size(), 2);
  ASSERT_FALSE(first.page().next_page_token().empty());
  // A reminder scheduled between pages does not shift the next one.
  v1::Reminder late;
  ASSERT_TRUE(Schedule(ValidRequest("p4"), &late).ok());
  list.mutable_page()->set_page_token(first.page().next_page_token());
  v1::ListRemindersResponse second;
  ASSERT_TRUE(stub_->ListReminders(Context(ServiceToken()).get(), list, &second).ok());
  ASSERT_EQ(second.reminders_size(), 2);
  EXPECT_NE(second.reminders(0).reminder_id(), first.reminders(1).reminder_id());
  EXPECT_EQ(second.reminders(1).reminder_id(), late.reminder_id());
  // The token belongs to its filter; a negative size is refused; 0 is the default and a huge one is clamped.
  v1::ListRemindersRequest other = list;
  other.set_state(v1::REMINDER_STATE_SCHEDULED);
  v1::ListRemindersResponse unused;
  grpc::Status changed = stub_->ListReminders(Context(ServiceToken()).get(), other, &unused);
  EXPECT_EQ(changed.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(changed), Contains("page.page_token"));
  other = list;
  other.mutable_page()->set_page_size(-1);
  grpc::Status negative = stub_->ListReminders(Context(ServiceToken()).get(), other, &unused);
  EXPECT_EQ(negative.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(negative), Contains("page.page_size"));
  other.clear_page();
  other.mutable_page()->set_page_size(1 << 30);
  v1::ListRemindersResponse all;
  ASSERT_TRUE(stub_->ListReminders(Context(ServiceToken()).get(), other, &all).ok());
  EXPECT_EQ(all.reminders_size(), 4);
  EXPECT_TRUE(all.page().next_page_token().empty());
}

TEST_F(RemindersServiceTest, SupportStaffReadDeliveryStatusThroughTheGatewayInTheirOwnClinicOnly) {
  v1::Reminder reminder;
  ASSERT_TRUE(Schedule(ValidRequest(), &reminder).ok());
  const std::string support = PersonToken("support", "s1", "c1");
  auto got = HttpGet("/v1/clinics/c1/reminders/" + reminder.reminder_id(), support);
  EXPECT_EQ(got.status, 200);
  EXPECT_EQ(got.json()["reminderId"], reminder.reminder_id());
  EXPECT_EQ(got.json()["state"], "REMINDER_STATE_SCHEDULED");
  EXPECT_EQ(got.json()["recipient"], "(phone)");

  auto list = HttpGet("/v1/clinics/c1/reminders?state=REMINDER_STATE_SCHEDULED", support);
  EXPECT_EQ(list.status, 200);
  EXPECT_EQ(list.json()["reminders"].size(), 1u);

  EXPECT_EQ(HttpGet("/v1/clinics/c1/reminders/" + reminder.reminder_id(), PersonToken("clinician")).status,
            403);
  // Another clinic's support staff cannot tell the reminder exists.
  EXPECT_EQ(HttpGet("/v1/clinics/c1/reminders/" + reminder.reminder_id(), PersonToken("support", "s2", "c2"))
                .status,
            404);
  EXPECT_EQ(HttpGet("/v1/clinics/c1/reminders/0190aaaa-0000-7000-8000-000000000000", support).status, 404);
  // Service tokens belong inside the cluster: the public gateway refuses them.
  EXPECT_EQ(HttpGet("/v1/clinics/c1/reminders/" + reminder.reminder_id(), ServiceToken()).status, 401);
  // The reads were audited with the person who made them.
  auto rows = fixture_->AuditRows("c1");
  int support_reads = 0;
  for (const auto& row : rows) support_reads += row.actor == "s1" && row.outcome == "ok";
  EXPECT_EQ(support_reads, 2);
}

// Discretion applies to every template, whatever the registering service says; only a clinic admin, in
// person, can exempt one, and that decision is audited and confined to the admin's clinic.
TEST_F(RemindersServiceTest, OnlyAClinicAdminOptsATemplateOutOfDiscretionAudited) {
  v1::Template staff = ValidTemplate();
  staff.set_template_id("staff-handover");
  staff.set_body("Therapy handover with {{first_name}} at {{due_local_time}}");
  staff.set_discreet(false);  // a caller's flag does not switch the check off
  grpc::Status refused = RegisterTemplate(staff);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(refused), Contains("template.body"));

  auto set = [&](const std::string& token, const std::string& clinic, v1::DiscretionMode mode,
                 v1::TemplateDiscretion* out) {
    v1::SetTemplateDiscretionRequest request;
    request.set_clinic_id(clinic);
    request.set_template_id("staff-handover");
    request.set_mode(mode);
    return stub_->SetTemplateDiscretion(Context(token).get(), request, out);
  };
  auto get = [&](const std::string& token, const std::string& clinic, v1::TemplateDiscretion* out) {
    v1::GetTemplateDiscretionRequest request;
    request.set_clinic_id(clinic);
    request.set_template_id("staff-handover");
    return stub_->GetTemplateDiscretion(Context(token).get(), request, out);
  };
  const std::string admin = Token("a1", {"admin"}, "c1");
  const std::string other_admin = Token("a2", {"admin"}, "c2");
  v1::TemplateDiscretion decision;

  // Not a clinician, not a service (even one that may register templates), not another clinic's admin.
  const int denied_before = CountRows("c1", "denied");
  EXPECT_EQ(
      set(Token("u1", {"clinician"}, "c1"), "c1", v1::DISCRETION_MODE_OPTED_OUT, &decision).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(set(ServiceToken(), "c1", v1::DISCRETION_MODE_OPTED_OUT, &decision).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(set(other_admin, "c1", v1::DISCRETION_MODE_OPTED_OUT, &decision).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(get(other_admin, "c1", &decision).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_GE(CountRows("c1", "denied") - denied_before, 2);
  // A request without a mode never opts out.
  grpc::Status no_mode = set(admin, "c1", v1::DISCRETION_MODE_UNSPECIFIED, &decision);
  EXPECT_EQ(no_mode.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(no_mode), Contains("mode"));
  ASSERT_TRUE(get(admin, "c1", &decision).ok());
  EXPECT_EQ(decision.mode(), v1::DISCRETION_MODE_ENFORCED);
  EXPECT_TRUE(decision.updated_by().empty());

  // The clinic's admin opts it out: audited with who did it, and the template can now be registered.
  ASSERT_TRUE(set(admin, "c1", v1::DISCRETION_MODE_OPTED_OUT, &decision).ok());
  EXPECT_EQ(decision.mode(), v1::DISCRETION_MODE_OPTED_OUT);
  EXPECT_EQ(decision.updated_by(), "a1");
  EXPECT_GT(decision.update_time().seconds(), 0);
  auto rows = fixture_->AuditRows("c1");
  ASSERT_FALSE(rows.empty());
  EXPECT_EQ(rows.back().action, "reminder_template.discretion.set");
  EXPECT_EQ(rows.back().actor, "a1");
  EXPECT_EQ(rows.back().resource_id, "staff-handover");
  EXPECT_EQ(rows.back().outcome, "ok");
  v1::RegisterTemplateRequest register_request;
  *register_request.mutable_template_() = staff;
  v1::Template registered;
  ASSERT_TRUE(stub_->RegisterTemplate(Context(ServiceToken()).get(), register_request, &registered).ok());
  EXPECT_FALSE(registered.discreet());
  EXPECT_FALSE(store_->GetTemplate("c1", "staff-handover")->discreet());

  // Another clinic's template of the same id is still checked, and its admin sees no decision.
  staff.set_clinic_id("c2");
  EXPECT_EQ(RegisterTemplate(staff).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  ASSERT_TRUE(get(other_admin, "c2", &decision).ok());
  EXPECT_EQ(decision.mode(), v1::DISCRETION_MODE_ENFORCED);

  // Opting back in puts the check back on what the dispatcher reads before every send.
  ASSERT_TRUE(set(admin, "c1", v1::DISCRETION_MODE_ENFORCED, &decision).ok());
  EXPECT_TRUE(store_->GetTemplate("c1", "staff-handover")->discreet());
}

TEST_F(RemindersServiceTest, TemplateDiscretionIsReachableThroughTheGatewayForAdminsOnly) {
  const std::string path = "/v1/clinics/c1/reminder-templates/appointment-tomorrow/discretion";
  auto before = HttpGet(path, PersonToken("admin", "a1", "c1"));
  ASSERT_EQ(before.status, 200);
  EXPECT_EQ(before.json()["mode"], "DISCRETION_MODE_ENFORCED");
  auto put = tandem::testing::HttpCall(gateway_->port(), {boost::beast::http::verb::put,
                                                          path,
                                                          R"({"mode":"DISCRETION_MODE_OPTED_OUT"})",
                                                          PersonToken("admin", "a1", "c1"),
                                                          {}});
  ASSERT_EQ(put.status, 200);
  EXPECT_EQ(put.json()["mode"], "DISCRETION_MODE_OPTED_OUT");
  EXPECT_EQ(put.json()["updatedBy"], "a1");
  EXPECT_EQ(tandem::testing::HttpCall(gateway_->port(), {boost::beast::http::verb::put,
                                                         path,
                                                         R"({"mode":"DISCRETION_MODE_ENFORCED"})",
                                                         PersonToken("clinician", "u1", "c1"),
                                                         {}})
                .status,
            403);
  EXPECT_EQ(HttpGet(path, PersonToken("admin", "a2", "c2")).status, 404);
  EXPECT_EQ(HttpGet(path, PersonToken("admin", "a1", "c1")).json()["mode"], "DISCRETION_MODE_OPTED_OUT");
}

}  // namespace
}  // namespace tandem::reminders
