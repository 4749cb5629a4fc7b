#include "tests/reminders/reminders_api_fixture.h"

#include <chrono>
#include <utility>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/util/time_util.h"
#include "services/reminders/api/reminders_app.h"
#include "tests/fixtures/test_postgres.h"
#include "tests/support/rpc_expectations.h"
#include "tests/support/test_tokens.h"

ABSL_DECLARE_FLAG(bool, dispatch);
ABSL_DECLARE_FLAG(bool, log_channel);

namespace tandem::reminders {

using google::protobuf::util::TimeUtil;

void RemindersApiTest::SetUp() {
  auto redis = tandem::testing::RedisServer::Start();
  ASSERT_TRUE(redis.ok()) << redis.status();
  redis_ = *std::move(redis);
  absl::SetFlag(&FLAGS_dispatch, false);  // nothing is sent while a test compares what is stored
  absl::SetFlag(&FLAGS_log_channel, true);
  tandem::testing::ServiceFixtureOptions options;
  options.redis_url = absl::StrCat("redis://127.0.0.1:", redis_->port());
  if (IsPostgres()) {
    auto url = tandem::testing::NewTestDatabaseUrl();
    ASSERT_TRUE(url.ok()) << url.status();
    options.db_url = *url;
  }
  auto fixture = tandem::testing::ServiceFixture::Start(RemindersDefinition(), BuildReminders, options);
  ASSERT_TRUE(fixture.ok()) << fixture.status();
  fixture_ = *std::move(fixture);
  stub_ = v1::ReminderService::NewStub(fixture_->channel());
}

void RemindersApiTest::TearDown() {
  stub_.reset();
  fixture_.reset();
}

std::string RemindersApiTest::ServiceToken() {
  return tandem::testing::ServiceToken("scheduling", "reminders");
}

Caller RemindersApiTest::SchedulingFor(absl::string_view role, absl::string_view subject,
                                       absl::string_view clinic) {
  return {ServiceToken(),
          tandem::testing::EndUserAssertion("scheduling", "reminders", role, subject, clinic)};
}

Caller RemindersApiTest::Person(absl::string_view role, absl::string_view subject, absl::string_view clinic) {
  return {tandem::testing::PersonToken(role, subject, clinic), ""};
}

std::unique_ptr<grpc::ClientContext> RemindersApiTest::Context(const Caller& caller,
                                                               const std::string& request_id) {
  auto context = tandem::testing::ServiceFixture::Context(caller.token, caller.end_user);
  if (!request_id.empty()) context->AddMetadata("x-request-id", request_id);
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  return context;
}

v1::Template RemindersApiTest::Template(const std::string& clinic, const std::string& id) {
  v1::Template t;
  t.set_clinic_id(clinic);
  t.set_template_id(id);
  t.set_sender_name("Linden Practice");
  t.set_subject("See you");
  t.set_body("Hello {{first_name}}, see you {{due_local_time}}.");
  t.set_discreet(true);
  return t;
}

v1::ScheduleReminderRequest RemindersApiTest::ScheduleRequest(const std::string& clinic,
                                                              const std::string& key,
                                                              const std::string& owner) {
  v1::ScheduleReminderRequest request;
  request.set_clinic_id(clinic);
  request.set_idempotency_key(key);
  request.set_owner_ref(owner);
  request.set_channel(v1::CHANNEL_LOG);
  request.set_recipient("sam@example.org");
  request.set_template_id("t1");
  (*request.mutable_params())["first_name"] = "Sam";
  request.set_time_zone("Europe/Berlin");
  static const int64_t kDue = (absl::ToUnixSeconds(absl::Now()) / 3600 + 24) * 3600;
  *request.mutable_due_time() = TimeUtil::SecondsToTimestamp(kDue);
  return request;
}

Seeded RemindersApiTest::Seed(const std::string& clinic, const std::string& admin) {
  Seeded seeded;
  v1::RegisterTemplateRequest register_request;
  *register_request.mutable_template_() = Template(clinic, "t1");
  v1::Template registered;
  grpc::Status status = stub_->RegisterTemplate(Context(Scheduling()).get(), register_request, &registered);
  EXPECT_TRUE(status.ok()) << status.error_message();
  for (const auto& [owner, id] :
       {std::pair{"appointment/a1", &seeded.reminder_a1}, std::pair{"appointment/a2", &seeded.reminder_a2}}) {
    v1::Reminder reminder;
    status = stub_->ScheduleReminder(Context(Scheduling()).get(),
                                     ScheduleRequest(clinic, absl::StrCat("seed/", owner), owner), &reminder);
    EXPECT_TRUE(status.ok()) << status.error_message();
    *id = reminder.reminder_id();
  }
  v1::SetTemplateDiscretionRequest decide;
  decide.set_clinic_id(clinic);
  decide.set_template_id("t1");
  decide.set_mode(v1::DISCRETION_MODE_ENFORCED);
  v1::TemplateDiscretion decision;
  status = stub_->SetTemplateDiscretion(Context(Person("admin", admin, clinic)).get(), decide, &decision);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return seeded;
}

std::vector<std::string> RemindersApiTest::Snapshot(const std::string& clinic) {
  // Every column as text, so one reader serves both dialects and all four tables.
  static const std::vector<std::pair<int, std::string>> kQueries = {
      {9,
       "SELECT reminder_id, owner_ref, state, CAST(attempts AS TEXT), CAST(next_attempt_at AS TEXT), "
       "CAST(due_at AS TEXT), template_id, CAST(owner_generation AS TEXT), COALESCE(dead_reason, '') "
       "FROM reminders WHERE clinic_id = $1 ORDER BY reminder_id"},
      {5,
       "SELECT template_id, sender_name, subject, body, CAST(discreet AS TEXT) FROM reminder_templates "
       "WHERE clinic_id = $1 ORDER BY template_id"},
      {4,
       "SELECT template_id, CAST(opted_out AS TEXT), updated_by, CAST(updated_at AS TEXT) "
       "FROM reminder_template_discretion WHERE clinic_id = $1 ORDER BY template_id"},
      {4,
       "SELECT caller, rpc, idem_key, request_hash FROM idempotency_keys WHERE clinic_id = $1 "
       "ORDER BY caller, rpc, idem_key"},
  };
  std::vector<std::string> lines;
  absl::Status read = fixture_->runtime().database().RunInTransaction(
      db::TxMode::kRead, [&](db::Transaction& tx) -> absl::Status {
        for (const auto& [columns, sql] : kQueries) {
          absl::StatusOr<db::ResultSet> rows = tx.Execute(sql, {clinic});
          if (!rows.ok()) return rows.status();
          for (const db::Row& row : *rows) {
            std::vector<std::string> values;
            for (int i = 0; i < columns; ++i) {
              absl::StatusOr<std::string> value = row.GetText(i);
              if (!value.ok()) return value.status();
              values.push_back(*std::move(value));
            }
            lines.push_back(absl::StrJoin(values, "|"));
          }
        }
        return absl::OkStatus();
      });
  EXPECT_TRUE(read.ok()) << read;
  return lines;
}

absl::Status RemindersApiTest::Exec(const std::string& sql) {
  return fixture_->runtime().database().RunInTransaction(
      db::TxMode::kWrite, [&](db::Transaction& tx) { return tx.ExecuteScript(sql); });
}

std::vector<std::string> RemindersApiTest::Methods() {
  return tandem::testing::MethodNames(v1::ReminderService::service_full_name());
}

void RemindersApiTest::ExpectEveryMethodCovered(const std::set<std::string>& covered) {
  tandem::testing::ExpectEveryMethodCovered(v1::ReminderService::service_full_name(), covered);
}

}  // namespace tandem::reminders
