// The audit trail of every reminders RPC, on SQLite and PostgreSQL: a success writes its rows (one per call;
// a listing one per record it returned) naming the action, the outcome, the record and who called; an
// authenticated caller refused for their role writes exactly one `denied` row; and when the trail cannot be
// written, no RPC answers or changes anything. The tables below must cover every method of the service's
// descriptor, so an RPC added to the proto fails here until its audit is tested.
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/audit/audit_entry.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/reminders/reminders_api_fixture.h"

namespace tandem::reminders {
namespace {

namespace v1 = tandem::reminders::v1;
using ::testing::UnorderedElementsAreArray;

// One RPC called by a caller its rule admits: the status and the ids of the records the answer is about.
struct Outcome {
  grpc::Status status;
  std::vector<std::string> records;
  bool answered = false;  // the response carries data (a read that failed must carry none)
};

class RemindersAuditTest : public RemindersApiTest {
 protected:
  using Rpc = std::function<Outcome(const Caller&, const std::string& request_id)>;

  struct Case {
    Caller allowed;
    std::string actor;
    std::string actor_role;
    std::string on_behalf_of;
    std::string action;
    std::string resource_type;
    Rpc call;
    Caller wrong_role;  // authenticated, of clinic c1, but not admitted by the method's rule
    std::string wrong_actor;
  };

  // Every RPC of the service, called in clinic c1 on the records Seed() made.
  std::map<std::string, Case> Cases(const Seeded& seeded) {
    std::map<std::string, Case> cases;
    cases["ScheduleReminder"] = {SchedulingFor("clinician", "u1", "c1"),
                                 "scheduling",
                                 "service",
                                 "u1",
                                 "reminder.schedule",
                                 "reminder",
                                 [this](const Caller& caller, const std::string& request_id) {
                                   v1::Reminder reminder;
                                   Outcome out;
                                   out.status = stub_->ScheduleReminder(
                                       Context(caller, request_id).get(),
                                       ScheduleRequest("c1", request_id, "appointment/a3"), &reminder);
                                   out.records = {reminder.reminder_id()};
                                   out.answered = !reminder.reminder_id().empty();
                                   return out;
                                 },
                                 Person("clinician", "u1", "c1"),
                                 "u1"};
    cases["CancelReminders"] = {Scheduling(),
                                "scheduling",
                                "service",
                                "",
                                "reminder.cancel",
                                "reminder",
                                [this](const Caller& caller, const std::string& request_id) {
                                  v1::CancelRemindersRequest request;
                                  request.set_clinic_id("c1");
                                  request.set_owner_ref("appointment/a2");
                                  v1::CancelRemindersResponse response;
                                  Outcome out;
                                  out.status = stub_->CancelReminders(Context(caller, request_id).get(),
                                                                      request, &response);
                                  // A cancel by owner is recorded on the owner it names.
                                  out.records = {"appointment/a2"};
                                  out.answered = response.cancelled() > 0;
                                  return out;
                                },
                                Person("support", "s1", "c1"),
                                "s1"};
    cases["RegisterTemplate"] = {Scheduling(),
                                 "scheduling",
                                 "service",
                                 "",
                                 "reminder_template.register",
                                 "reminder_template",
                                 [this](const Caller& caller, const std::string& request_id) {
                                   v1::RegisterTemplateRequest request;
                                   *request.mutable_template_() = Template("c1", "t2");
                                   v1::Template response;
                                   Outcome out;
                                   out.status = stub_->RegisterTemplate(Context(caller, request_id).get(),
                                                                        request, &response);
                                   out.records = {"t2"};
                                   out.answered = !response.template_id().empty();
                                   return out;
                                 },
                                 Person("admin", "a1", "c1"),
                                 "a1"};
    cases["GetReminder"] = {
        Person("support", "s1", "c1"),
        "s1",
        "support",
        "",
        "reminder.read",
        "reminder",
        [this, id = seeded.reminder_a1](const Caller& caller, const std::string& request_id) {
          v1::GetReminderRequest request;
          request.set_clinic_id("c1");
          request.set_reminder_id(id);
          v1::Reminder response;
          Outcome out;
          out.status = stub_->GetReminder(Context(caller, request_id).get(), request, &response);
          out.records = {id};
          out.answered = !response.reminder_id().empty();
          return out;
        },
        Person("clinician", "u1", "c1"),
        "u1"};
    cases["ListReminders"] = {Person("support", "s1", "c1"),
                              "s1",
                              "support",
                              "",
                              "reminder.list",
                              "reminder",
                              [this](const Caller& caller, const std::string& request_id) {
                                v1::ListRemindersRequest request;
                                request.set_clinic_id("c1");
                                v1::ListRemindersResponse response;
                                Outcome out;
                                out.status = stub_->ListReminders(Context(caller, request_id).get(), request,
                                                                  &response);
                                for (const v1::Reminder& r : response.reminders()) {
                                  out.records.push_back(r.reminder_id());
                                }
                                out.answered = response.reminders_size() > 0;
                                return out;
                              },
                              Person("client", "k1", "c1"),
                              "k1"};
    cases["SetTemplateDiscretion"] = {
        Person("admin", "a1", "c1"), "a1", "admin", "", "reminder_template.discretion.set",
        "reminder_template",
        [this](const Caller& caller, const std::string& request_id) {
          v1::SetTemplateDiscretionRequest request;
          request.set_clinic_id("c1");
          request.set_template_id("t1");
          request.set_mode(v1::DISCRETION_MODE_OPTED_OUT);
          v1::TemplateDiscretion response;
          Outcome out;
          out.status = stub_->SetTemplateDiscretion(Context(caller, request_id).get(), request, &response);
          out.records = {"t1"};
          out.answered = !response.template_id().empty();
          return out;
        },
        // A service may not make this decision, even one that registers templates.
        Scheduling(), "scheduling"};
    cases["GetTemplateDiscretion"] = {Person("admin", "a1", "c1"),
                                      "a1",
                                      "admin",
                                      "",
                                      "reminder_template.discretion.read",
                                      "reminder_template",
                                      [this](const Caller& caller, const std::string& request_id) {
                                        v1::GetTemplateDiscretionRequest request;
                                        request.set_clinic_id("c1");
                                        request.set_template_id("t1");
                                        v1::TemplateDiscretion response;
                                        Outcome out;
                                        out.status = stub_->GetTemplateDiscretion(
                                            Context(caller, request_id).get(), request, &response);
                                        out.records = {"t1"};
                                        out.answered = !response.template_id().empty();
                                        return out;
                                      },
                                      Person("support", "s1", "c1"),
                                      "s1"};
    std::set<std::string> covered;
    for (const auto& [method, unused] : cases) covered.insert(method);
    ExpectEveryMethodCovered(covered);
    return cases;
  }

  // The rows appended to clinic c1's trail since it held `before` rows.
  std::vector<audit::AuditEntry> RowsSince(size_t before) {
    std::vector<audit::AuditEntry> rows = fixture_->AuditRows("c1");
    if (rows.size() < before) return {};
    return {rows.begin() + static_cast<std::ptrdiff_t>(before), rows.end()};
  }

  // Makes the trail refuse every new row, as a full disk or a revoked grant would.
  void BreakTheAuditTrail() {
    absl::Status broken = IsPostgres()
                              ? Exec(
                                    "CREATE FUNCTION audit_down() RETURNS trigger LANGUAGE plpgsql AS "
                                    "$$ BEGIN RAISE EXCEPTION 'audit trail down'; END $$; "
                                    "CREATE TRIGGER audit_down BEFORE INSERT ON audit_log "
                                    "FOR EACH ROW EXECUTE FUNCTION audit_down();")
                              : Exec(
                                    "CREATE TRIGGER audit_down BEFORE INSERT ON audit_log "
                                    "BEGIN SELECT RAISE(ABORT, 'audit trail down'); END;");
    ASSERT_TRUE(broken.ok()) << broken;
  }
  void RepairTheAuditTrail() {
    absl::Status repaired =
        Exec(IsPostgres() ? "DROP TRIGGER audit_down ON audit_log; DROP FUNCTION audit_down();"
                          : "DROP TRIGGER audit_down;");
    ASSERT_TRUE(repaired.ok()) << repaired;
  }
};

TEST_P(RemindersAuditTest, EverySuccessWritesItsRowsNamingActionRecordAndCaller) {
  const Seeded seeded = Seed("c1");
  for (auto& [method, c] : Cases(seeded)) {
    SCOPED_TRACE(method);
    const size_t before = fixture_->AuditRows("c1").size();
    const size_t other_clinic_before = fixture_->AuditRows("c2").size();
    const std::string request_id = absl::StrCat("ok-", absl::AsciiStrToLower(method));
    const Outcome out = c.call(c.allowed, request_id);
    ASSERT_TRUE(out.status.ok()) << out.status.error_message();
    ASSERT_FALSE(out.records.empty());
    const std::vector<audit::AuditEntry> rows = RowsSince(before);
    // One row per call, and a listing's rows name exactly the records it returned.
    std::vector<std::string> named;
    for (const audit::AuditEntry& row : rows) {
      named.push_back(row.resource_id);
      EXPECT_EQ(row.outcome, "ok");
      EXPECT_EQ(row.clinic_id, "c1");
      EXPECT_EQ(row.action, c.action);
      EXPECT_EQ(row.resource_type, c.resource_type);
      EXPECT_EQ(row.actor, c.actor);
      EXPECT_EQ(row.actor_role, c.actor_role);
      EXPECT_EQ(row.on_behalf_of, c.on_behalf_of);
      EXPECT_EQ(row.request_id, request_id);
      EXPECT_TRUE(row.reason.empty()) << row.reason;
    }
    EXPECT_THAT(named, UnorderedElementsAreArray(out.records));
    EXPECT_EQ(fixture_->AuditRows("c2").size(), other_clinic_before);
  }
}

// A listing is audited record by record, so "who saw this reminder" has an answer; an empty page still leaves
// its one row.
TEST_P(RemindersAuditTest, AListingNamesEveryRecordItReturnedAndOnlyThose) {
  const Seeded seeded = Seed("c1");
  auto list = [&](int page_size, const std::string& token, const std::string& owner,
                  v1::ListRemindersResponse* response) {
    v1::ListRemindersRequest request;
    request.set_clinic_id("c1");
    request.set_owner_ref(owner);
    request.mutable_page()->set_page_size(page_size);
    request.mutable_page()->set_page_token(token);
    return stub_->ListReminders(Context(Person("support", "s1", "c1")).get(), request, response);
  };
  auto resources = [&](size_t before) {
    std::vector<std::string> ids;
    for (const audit::AuditEntry& row : RowsSince(before)) ids.push_back(row.resource_id);
    return ids;
  };
  size_t before = fixture_->AuditRows("c1").size();
  v1::ListRemindersResponse first;
  ASSERT_TRUE(list(1, "", "", &first).ok());
  ASSERT_EQ(first.reminders_size(), 1);
  EXPECT_EQ(resources(before), std::vector<std::string>{first.reminders(0).reminder_id()});

  before = fixture_->AuditRows("c1").size();
  v1::ListRemindersResponse second;
  ASSERT_TRUE(list(1, first.page().next_page_token(), "", &second).ok());
  ASSERT_EQ(second.reminders_size(), 1);
  EXPECT_EQ(resources(before), std::vector<std::string>{second.reminders(0).reminder_id()});
  EXPECT_THAT((std::vector<std::string>{first.reminders(0).reminder_id(), second.reminders(0).reminder_id()}),
              UnorderedElementsAreArray({seeded.reminder_a1, seeded.reminder_a2}));

  before = fixture_->AuditRows("c1").size();
  v1::ListRemindersResponse none;
  ASSERT_TRUE(list(0, "", "appointment/none", &none).ok());
  EXPECT_EQ(none.reminders_size(), 0);
  const std::vector<audit::AuditEntry> rows = RowsSince(before);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].action, "reminder.list");
  EXPECT_EQ(rows[0].outcome, "ok");
  EXPECT_TRUE(rows[0].resource_id.empty()) << rows[0].resource_id;
}

TEST_P(RemindersAuditTest, AnAuthenticatedCallerRefusedForTheirRoleWritesExactlyOneDeniedRow) {
  const Seeded seeded = Seed("c1");
  for (auto& [method, c] : Cases(seeded)) {
    SCOPED_TRACE(method);
    const std::vector<std::string> snapshot = Snapshot("c1");
    const size_t before = fixture_->AuditRows("c1").size();
    const std::string request_id = absl::StrCat("denied-", absl::AsciiStrToLower(method));
    const Outcome out = c.call(c.wrong_role, request_id);
    EXPECT_EQ(out.status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << out.status.error_message();
    EXPECT_FALSE(out.answered);
    const std::vector<audit::AuditEntry> rows = RowsSince(before);
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].outcome, "denied");
    EXPECT_EQ(rows[0].clinic_id, "c1");
    EXPECT_EQ(rows[0].action, c.action);
    EXPECT_EQ(rows[0].resource_type, c.resource_type);
    EXPECT_EQ(rows[0].actor, c.wrong_actor);
    EXPECT_EQ(rows[0].request_id, request_id);
    EXPECT_FALSE(rows[0].reason.empty());
    EXPECT_EQ(Snapshot("c1"), snapshot);
  }
}

// Audit fails closed: with the trail refusing rows, every RPC fails without an answer and without a change,
// with a status that names nothing of the schema; denials are still refused. Once the trail is back, the same
// calls succeed (so the refusals were the trail's doing).
TEST_P(RemindersAuditTest, WhenTheTrailCannotBeWrittenNoRpcAnswersOrChangesAnything) {
  const Seeded seeded = Seed("c1");
  auto cases = Cases(seeded);
  BreakTheAuditTrail();
  for (auto& [method, c] : cases) {
    SCOPED_TRACE(method);
    const std::vector<std::string> snapshot = Snapshot("c1");
    const Outcome out = c.call(c.allowed, absl::StrCat("down-", absl::AsciiStrToLower(method)));
    EXPECT_EQ(out.status.error_code(), grpc::StatusCode::UNAVAILABLE) << out.status.error_message();
    const std::string message = absl::AsciiStrToLower(out.status.error_message());
    for (const char* word : {"audit_log", "trigger", "sqlite", "postgres", "insert", "sqlstate", "raise"}) {
      EXPECT_EQ(message.find(word), std::string::npos) << out.status.error_message();
    }
    EXPECT_FALSE(out.answered);
    EXPECT_EQ(Snapshot("c1"), snapshot);
    const Outcome denied = c.call(c.wrong_role, "");
    EXPECT_EQ(denied.status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  }
  RepairTheAuditTrail();
  for (auto& [method, c] : cases) {
    SCOPED_TRACE(method);
    const Outcome out = c.call(c.allowed, absl::StrCat("up-", absl::AsciiStrToLower(method)));
    EXPECT_TRUE(out.status.ok()) << out.status.error_message();
  }
}

INSTANTIATE_TEST_SUITE_P(Databases, RemindersAuditTest, ::testing::Values("sqlite", "postgres"));

}  // namespace
}  // namespace tandem::reminders
