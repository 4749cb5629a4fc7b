// What a caller reads when a reminders RPC runs into a conflict, on SQLite and PostgreSQL: the status says
// what happened in words written for the caller, and nothing of the schema (no SQLSTATE, constraint, table,
// column or index name, no SQL) reaches the message or the details, even when the database itself refused.
// The database conflicts are provoked with extra unique indexes a test adds to the service's own schema.
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/db/open_database.h"
#include "google/protobuf/util/time_util.h"
#include "grpcpp/client_context.h"
#include "gtest/gtest.h"
#include "services/reminders/api/reminders_app.h"
#include "tandem/reminders/v1/reminders.grpc.pb.h"
#include "tests/fixtures/redis_server.h"
#include "tests/fixtures/test_postgres.h"
#include "tests/support/service_fixture.h"
#include "tests/support/test_tokens.h"

ABSL_DECLARE_FLAG(bool, dispatch);
ABSL_DECLARE_FLAG(bool, log_channel);

namespace tandem::reminders {
namespace {

namespace v1 = tandem::reminders::v1;
using google::protobuf::util::TimeUtil;
using tandem::testing::ServiceFixture;

// Words of SQL and of this schema that must never reach a caller.
const std::vector<std::string>& SchemaWords() {
  static const auto* const kWords = new std::vector<std::string>{
      "sqlstate",   "constraint",       "table",      "duplicate key", "unique",  "insert",
      "update",     "violates",         "sqlite",     "postgres",      "select",  "index",
      "clinic_id",  "owner_ref",        "due_at",     "template_id",   "subject", "reminder_templates",
      "reminders.", "idempotency_keys", "reminders_", "23505",         "2067",    "database"};
  return *kWords;
}

void ExpectNoSchemaWords(const grpc::Status& status, const std::string& what) {
  const std::string message = absl::AsciiStrToLower(status.error_message());
  const std::string details = absl::AsciiStrToLower(status.error_details());
  for (const std::string& word : SchemaWords()) {
    EXPECT_EQ(message.find(word), std::string::npos) << what << ": \"" << status.error_message() << "\"";
    EXPECT_EQ(details.find(word), std::string::npos) << what << ": details hold \"" << word << "\"";
  }
}

class RemindersPublicErrorsTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    auto redis = tandem::testing::RedisServer::Start();
    ASSERT_TRUE(redis.ok()) << redis.status();
    redis_ = *std::move(redis);
    absl::SetFlag(&FLAGS_dispatch, false);
    absl::SetFlag(&FLAGS_log_channel, true);
    tandem::testing::ServiceFixtureOptions options;
    options.redis_url = absl::StrCat("redis://127.0.0.1:", redis_->port());
    if (GetParam() == "postgres") {
      auto url = tandem::testing::NewTestDatabaseUrl();
      ASSERT_TRUE(url.ok()) << url.status();
      options.db_url = *url;
    }
    auto fixture = ServiceFixture::Start(RemindersDefinition(), BuildReminders, options);
    ASSERT_TRUE(fixture.ok()) << fixture.status();
    fixture_ = *std::move(fixture);
    stub_ = v1::ReminderService::NewStub(fixture_->channel());
  }

  static std::unique_ptr<grpc::ClientContext> Context() {
    auto context = ServiceFixture::Context(tandem::testing::ServiceToken("scheduling", "reminders"));
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    return context;
  }

  // Unique indexes the service's schema does not have, so that the database itself refuses a write.
  void AddConflictingIndexes() {
    absl::Status added =
        fixture_->runtime().database().RunInTransaction(db::TxMode::kWrite, [](db::Transaction& tx) {
          for (const char* sql :
               {"CREATE UNIQUE INDEX reminders_one_per_due_time ON reminders (clinic_id, owner_ref, due_at)",
                "CREATE UNIQUE INDEX reminders_one_cancelled ON reminders (clinic_id, owner_ref) "
                "WHERE state = 'cancelled'",
                "CREATE UNIQUE INDEX reminder_templates_one_subject ON reminder_templates (clinic_id, "
                "subject)"}) {
            absl::Status status = tx.Execute(sql).status();
            if (!status.ok()) return status;
          }
          return absl::OkStatus();
        });
    ASSERT_TRUE(added.ok()) << added;
  }

  static v1::Template Template(const std::string& id) {
    v1::Template t;
    t.set_clinic_id("c1");
    t.set_template_id(id);
    t.set_sender_name("Linden Practice");
    t.set_subject("See you");
    t.set_body("Hello {{first_name}}");
    t.set_discreet(true);
    return t;
  }

  grpc::Status Register(const v1::Template& t) {
    v1::RegisterTemplateRequest request;
    *request.mutable_template_() = t;
    v1::Template response;
    return stub_->RegisterTemplate(Context().get(), request, &response);
  }

  static v1::ScheduleReminderRequest Request(const std::string& key, const std::string& owner,
                                             absl::Duration due_in = absl::Hours(24)) {
    v1::ScheduleReminderRequest request;
    request.set_clinic_id("c1");
    request.set_idempotency_key(key);
    request.set_owner_ref(owner);
    request.set_channel(v1::CHANNEL_LOG);
    request.set_recipient("sam@example.org");
    request.set_template_id("t1");
    (*request.mutable_params())["first_name"] = "Sam";
    request.set_time_zone("Europe/Berlin");
    // Whole seconds from a fixed point, so that two requests can name the very same due time.
    const absl::Time base = absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now()) / 3600 * 3600);
    *request.mutable_due_time() = TimeUtil::SecondsToTimestamp(absl::ToUnixSeconds(base + due_in));
    return request;
  }

  grpc::Status Schedule(const v1::ScheduleReminderRequest& request, v1::Reminder* response = nullptr) {
    v1::Reminder unused;
    return stub_->ScheduleReminder(Context().get(), request, response != nullptr ? response : &unused);
  }

  grpc::Status Cancel(const std::string& owner, int64_t before_generation = 0) {
    v1::CancelRemindersRequest request;
    request.set_clinic_id("c1");
    request.set_owner_ref(owner);
    request.set_before_generation(before_generation);
    v1::CancelRemindersResponse response;
    return stub_->CancelReminders(Context().get(), request, &response);
  }

  std::unique_ptr<tandem::testing::RedisServer> redis_;
  std::unique_ptr<ServiceFixture> fixture_;
  std::unique_ptr<v1::ReminderService::Stub> stub_;
};

TEST_P(RemindersPublicErrorsTest, ConflictsOfEveryRpcSpeakToTheCallerNotOfTheSchema) {
  ASSERT_TRUE(Register(Template("t1")).ok());
  AddConflictingIndexes();

  // ScheduleReminder: a key reused with another body.
  ASSERT_TRUE(Schedule(Request("k1", "appointment/a1")).ok());
  v1::ScheduleReminderRequest other_body = Request("k1", "appointment/a1");
  (*other_body.mutable_params())["first_name"] = "Alex";
  grpc::Status reused = Schedule(other_body);
  EXPECT_EQ(reused.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  ExpectNoSchemaWords(reused, "reused key");

  // ScheduleReminder: the database refuses the row (a second reminder of the owner at the same time).
  grpc::Status duplicate_row = Schedule(Request("k2", "appointment/a1"));
  EXPECT_EQ(duplicate_row.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(duplicate_row.error_message(), "the record already exists");
  ExpectNoSchemaWords(duplicate_row, "duplicate row");

  // ScheduleReminder: a late generation after a newer one.
  v1::ScheduleReminderRequest g2 = Request("g2", "appointment/g", absl::Hours(30));
  g2.set_owner_generation(2);
  ASSERT_TRUE(Schedule(g2).ok());
  v1::ScheduleReminderRequest g1 = Request("g1", "appointment/g", absl::Hours(31));
  g1.set_owner_generation(1);
  grpc::Status late = Schedule(g1);
  EXPECT_EQ(late.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  ExpectNoSchemaWords(late, "late generation");

  // CancelReminders: cancelling twice is no conflict; cancelling rows the database refuses to change is.
  ASSERT_TRUE(Cancel("appointment/a1").ok());
  grpc::Status twice = Cancel("appointment/a1");
  EXPECT_TRUE(twice.ok()) << twice.error_message();
  ASSERT_TRUE(Schedule(Request("m1", "appointment/m", absl::Hours(40))).ok());
  ASSERT_TRUE(Schedule(Request("m2", "appointment/m", absl::Hours(41))).ok());
  grpc::Status refused_cancel = Cancel("appointment/m");
  EXPECT_EQ(refused_cancel.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  ExpectNoSchemaWords(refused_cancel, "refused cancel");

  // RegisterTemplate: the database refuses a second template with the same subject.
  grpc::Status template_conflict = Register(Template("t2"));
  EXPECT_EQ(template_conflict.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  ExpectNoSchemaWords(template_conflict, "template conflict");

  // GetReminder and ListReminders only read: their refusals are checked too.
  v1::GetReminderRequest get;
  get.set_clinic_id("c1");
  get.set_reminder_id("no-such-reminder");
  v1::Reminder got;
  grpc::Status missing = stub_->GetReminder(Context().get(), get, &got);
  EXPECT_EQ(missing.error_code(), grpc::StatusCode::NOT_FOUND);
  ExpectNoSchemaWords(missing, "missing reminder");
  v1::ListRemindersRequest list;
  list.set_clinic_id("c1");
  list.mutable_page()->set_page_token("not-a-token");
  v1::ListRemindersResponse listed;
  grpc::Status bad_token = stub_->ListReminders(Context().get(), list, &listed);
  EXPECT_EQ(bad_token.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  ExpectNoSchemaWords(bad_token, "bad page token");
}

// SQLite has one writer: a write that waits too long for it is ABORTED, and says so without naming SQLite.
TEST_P(RemindersPublicErrorsTest, AWriterThatWaitsTooLongIsToldToRetry) {
  if (GetParam() != "sqlite") GTEST_SKIP() << "PostgreSQL writers wait for row locks, not for the database";
  ASSERT_TRUE(Register(Template("t1")).ok());
  auto other = db::OpenDatabase(fixture_->runtime().config().db_url);
  ASSERT_TRUE(other.ok()) << other.status();
  auto holder = (*other)->Begin(db::TxMode::kWrite);
  ASSERT_TRUE(holder.ok()) << holder.status();
  ASSERT_TRUE(holder->Execute("UPDATE reminder_templates SET sender_name = sender_name").ok());
  grpc::Status busy = Schedule(Request("busy", "appointment/busy"));
  ASSERT_TRUE(holder->Rollback().ok());
  EXPECT_EQ(busy.error_code(), grpc::StatusCode::ABORTED) << busy.error_message();
  EXPECT_EQ(busy.error_message(), "the request conflicts with a concurrent change; retry");
  ExpectNoSchemaWords(busy, "busy");
}

INSTANTIATE_TEST_SUITE_P(Databases, RemindersPublicErrorsTest, ::testing::Values("sqlite", "postgres"));

}  // namespace
}  // namespace tandem::reminders
