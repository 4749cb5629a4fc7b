// Clinical and personal data at rest: after a reminder whose every `sensitive` field (recipient, parameters)
// carries a marker goes through every write the service makes (schedule, a retry, cancel, reads), a raw scan
// of every table — and on SQLite of the database file and its write-ahead log byte by byte — finds the marker
// nowhere, while the service still reads it back.
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "common/db/open_database.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "services/reminders/api/reminders_app.h"
#include "services/reminders/store/sql_reminder_store.h"
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

constexpr char kRecipientMarker[] = "zq7marker";  // inside the recipient's address
constexpr char kParamMarker[] = "Xylophonist-Quill";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

class RemindersAtRestTest : public ::testing::TestWithParam<std::string> {
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

  std::unique_ptr<tandem::testing::RedisServer> redis_;
  std::unique_ptr<ServiceFixture> fixture_;
  std::unique_ptr<v1::ReminderService::Stub> stub_;
};

TEST_P(RemindersAtRestTest, MarkedFieldsAreSealedInEveryTable) {
  const std::string service = tandem::testing::ServiceToken("scheduling", "reminders");
  v1::RegisterTemplateRequest registered;
  v1::Template& t = *registered.mutable_template_();
  t.set_clinic_id("c1");
  t.set_template_id("t1");
  t.set_sender_name("Linden Practice");
  t.set_subject("See you");
  t.set_body("Hello {{first_name}}");
  t.set_discreet(true);
  v1::Template stored_template;
  ASSERT_TRUE(
      stub_->RegisterTemplate(ServiceFixture::Context(service).get(), registered, &stored_template).ok());

  v1::ScheduleReminderRequest request;
  request.set_clinic_id("c1");
  request.set_idempotency_key("appointment/a1/24h");
  request.set_owner_ref("appointment/a1");
  request.set_channel(v1::CHANNEL_LOG);
  request.set_recipient(absl::StrCat(kRecipientMarker, "@example.org"));
  request.set_template_id("t1");
  (*request.mutable_params())["first_name"] = kParamMarker;
  request.set_time_zone("Europe/Berlin");
  *request.mutable_due_time() =
      TimeUtil::SecondsToTimestamp(absl::ToUnixSeconds(absl::Now() + absl::Hours(24)));
  v1::Reminder reminder, again;
  ASSERT_TRUE(stub_->ScheduleReminder(ServiceFixture::Context(service).get(), request, &reminder).ok());
  ASSERT_TRUE(stub_->ScheduleReminder(ServiceFixture::Context(service).get(), request, &again).ok());
  v1::GetReminderRequest get;
  get.set_clinic_id("c1");
  get.set_reminder_id(reminder.reminder_id());
  v1::Reminder got;
  ASSERT_TRUE(stub_->GetReminder(ServiceFixture::Context(service).get(), get, &got).ok());

  // The service still has the real values (it sends them), sealed at rest.
  SqlReminderStore store(fixture_->runtime().database(), fixture_->runtime().cipher(),
                         fixture_->runtime().audit());
  auto opened = store.Get("c1", reminder.reminder_id());
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(opened->params().at("first_name"), kParamMarker);

  // Every row of every table, as text.
  db::Database& database = fixture_->runtime().database();
  auto tx = database.Begin(db::TxMode::kRead);
  ASSERT_TRUE(tx.ok());
  const bool sqlite = database.dialect() == db::Dialect::kSqlite;
  auto tables = tx->Execute(sqlite ? "SELECT name FROM sqlite_master WHERE type = 'table'"
                                   : "SELECT table_name AS name FROM information_schema.tables "
                                     "WHERE table_schema = current_schema()");
  ASSERT_TRUE(tables.ok()) << tables.status();
  int scanned = 0;
  for (const db::Row& table : *tables) {
    std::string name = *table.GetText("name");
    auto rows = tx->Execute(sqlite ? absl::StrCat("SELECT * FROM \"", name, "\"")
                                   : absl::StrCat("SELECT t::text AS row_text FROM \"", name, "\" t"));
    ASSERT_TRUE(rows.ok()) << name << ": " << rows.status();
    for (const db::Row& row : *rows) {
      for (const db::Value& cell : row.values()) {
        std::string bytes = cell.AsText() ? *cell.AsText() : cell.AsBytes() ? cell.AsBytes()->data : "";
        EXPECT_EQ(bytes.find(kRecipientMarker), std::string::npos) << "table " << name;
        EXPECT_EQ(bytes.find(kParamMarker), std::string::npos) << "table " << name;
      }
    }
    ++scanned;
  }
  EXPECT_GE(scanned, 6);  // reminders, templates, audit, data keys, idempotency keys, schema_migrations
  ASSERT_TRUE(tx->Commit().ok());

  if (sqlite) {
    const std::string path = fixture_->runtime().config().db_url.substr(std::string("sqlite://").size());
    for (const std::string& file : {path, path + "-wal"}) {
      std::string raw = ReadFile(file);
      EXPECT_EQ(raw.find(kRecipientMarker), std::string::npos) << file;
      EXPECT_EQ(raw.find(kParamMarker), std::string::npos) << file;
    }
    EXPECT_FALSE(ReadFile(path).empty());
  }
}

INSTANTIATE_TEST_SUITE_P(Databases, RemindersAtRestTest, ::testing::Values("sqlite", "postgres"));

}  // namespace
}  // namespace tandem::reminders
