// Clinics are isolated in every reminders RPC, on SQLite and PostgreSQL. Both clinics hold records with the
// same template id, owner refs and idempotency keys; for every method of the service's descriptor, a caller
// of clinic B whose role the method admits
//   - naming its own clinic with clinic A's ids reaches only its own records (another clinic's reminder id is
//     NOT_FOUND), and
//   - naming clinic A is answered NOT_FOUND, as for a record that does not exist (DESIGN.md),
// and neither answer carries anything of clinic A nor changes any of clinic A's rows. The same request from
// clinic A's own caller then succeeds, so the refusals were about the clinic and not the request.
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/message.h"
#include "gtest/gtest.h"
#include "tests/reminders/reminders_api_fixture.h"

namespace tandem::reminders {
namespace {

namespace v1 = tandem::reminders::v1;

constexpr char kClinicA[] = "clinic-a";
constexpr char kClinicB[] = "clinic-b";
constexpr char kAdminA[] = "admin-a";
constexpr char kAdminB[] = "admin-b";

struct Answer {
  grpc::Status status;
  std::string text;  // the response and the error message: searched for anything of clinic A
};

Answer Answered(grpc::Status status, const google::protobuf::Message& response) {
  std::string text = absl::StrCat(response.ShortDebugString(), " ", status.error_message());
  return {std::move(status), std::move(text)};
}

class RemindersIsolationTest : public RemindersApiTest {
 protected:
  // Calls one RPC as `caller`, naming `clinic`, about clinic A's records (`a`).
  using Rpc = std::function<Answer(const Caller& caller, const std::string& clinic, const Seeded& a)>;

  struct Case {
    Caller own;    // clinic A's caller the rule admits
    Caller other;  // clinic B's caller of the same kind
    // What clinic B's caller gets when naming its own clinic with clinic A's ids.
    grpc::StatusCode in_own_clinic;
    Rpc call;
    // What clinic A's own answer shows, proving the request was about a real record.
    std::string control_shows = kClinicA;
  };

  std::map<std::string, Case> Cases() {
    std::map<std::string, Case> cases;
    cases["ScheduleReminder"] = {
        SchedulingFor("clinician", "u-a", kClinicA), SchedulingFor("clinician", "u-b", kClinicB),
        // The same key and body as clinic A's first reminder: clinic B's own retry, answered with its own.
        grpc::StatusCode::OK, [this](const Caller& caller, const std::string& clinic, const Seeded&) {
          v1::Reminder response;
          return Answered(stub_->ScheduleReminder(
                              Context(caller).get(),
                              ScheduleRequest(clinic, "seed/appointment/a1", "appointment/a1"), &response),
                          response);
        }};
    cases["CancelReminders"] = {
        SchedulingFor("clinician", "u-a", kClinicA), SchedulingFor("clinician", "u-b", kClinicB),
        grpc::StatusCode::OK,
        [this](const Caller& caller, const std::string& clinic, const Seeded&) {
          v1::CancelRemindersRequest request;
          request.set_clinic_id(clinic);
          request.set_owner_ref("appointment/a2");
          v1::CancelRemindersResponse response;
          return Answered(stub_->CancelReminders(Context(caller).get(), request, &response), response);
        },
        "cancelled: 1"};
    cases["RegisterTemplate"] = {
        SchedulingFor("admin", kAdminA, kClinicA), SchedulingFor("admin", kAdminB, kClinicB),
        grpc::StatusCode::OK, [this](const Caller& caller, const std::string& clinic, const Seeded&) {
          v1::RegisterTemplateRequest request;
          *request.mutable_template_() = Template(clinic, "t1");
          request.mutable_template_()->set_subject("Changed");
          v1::Template response;
          return Answered(stub_->RegisterTemplate(Context(caller).get(), request, &response), response);
        }};
    cases["GetReminder"] = {
        Person("support", "s-a", kClinicA), Person("support", "s-b", kClinicB), grpc::StatusCode::NOT_FOUND,
        [this](const Caller& caller, const std::string& clinic, const Seeded& a) {
          v1::GetReminderRequest request;
          request.set_clinic_id(clinic);
          request.set_reminder_id(a.reminder_a1);
          v1::Reminder response;
          return Answered(stub_->GetReminder(Context(caller).get(), request, &response), response);
        }};
    cases["ListReminders"] = {
        Person("support", "s-a", kClinicA), Person("support", "s-b", kClinicB), grpc::StatusCode::OK,
        [this](const Caller& caller, const std::string& clinic, const Seeded&) {
          v1::ListRemindersRequest request;
          request.set_clinic_id(clinic);
          v1::ListRemindersResponse response;
          return Answered(stub_->ListReminders(Context(caller).get(), request, &response), response);
        }};
    cases["SetTemplateDiscretion"] = {
        Person("admin", kAdminA, kClinicA), Person("admin", kAdminB, kClinicB), grpc::StatusCode::OK,
        [this](const Caller& caller, const std::string& clinic, const Seeded&) {
          v1::SetTemplateDiscretionRequest request;
          request.set_clinic_id(clinic);
          request.set_template_id("t1");
          request.set_mode(v1::DISCRETION_MODE_OPTED_OUT);
          v1::TemplateDiscretion response;
          return Answered(stub_->SetTemplateDiscretion(Context(caller).get(), request, &response), response);
        }};
    cases["GetTemplateDiscretion"] = {
        Person("admin", kAdminA, kClinicA), Person("admin", kAdminB, kClinicB), grpc::StatusCode::OK,
        [this](const Caller& caller, const std::string& clinic, const Seeded&) {
          v1::GetTemplateDiscretionRequest request;
          request.set_clinic_id(clinic);
          request.set_template_id("t1");
          v1::TemplateDiscretion response;
          return Answered(stub_->GetTemplateDiscretion(Context(caller).get(), request, &response), response);
        }};
    std::set<std::string> covered;
    for (const auto& [method, unused] : cases) covered.insert(method);
    ExpectEveryMethodCovered(covered);
    return cases;
  }
};

void ExpectNothingOfClinicA(const Answer& answer, const Seeded& a) {
  for (const std::string& marker :
       {std::string(kClinicA), std::string(kAdminA), a.reminder_a1, a.reminder_a2}) {
    EXPECT_EQ(answer.text.find(marker), std::string::npos)
        << "the answer holds " << marker << ": " << answer.text;
  }
}

TEST_P(RemindersIsolationTest, AnotherClinicsCallerNeitherSeesNorChangesAClinicsRecords) {
  const Seeded a = Seed(kClinicA, kAdminA);
  const Seeded b = Seed(kClinicB, kAdminB);
  ASSERT_FALSE(a.reminder_a1.empty());
  ASSERT_FALSE(b.reminder_a1.empty());
  for (auto& [method, c] : Cases()) {
    SCOPED_TRACE(method);
    const std::vector<std::string> before = Snapshot(kClinicA);
    ASSERT_FALSE(before.empty());

    const Answer own_clinic = c.call(c.other, kClinicB, a);
    EXPECT_EQ(own_clinic.status.error_code(), c.in_own_clinic) << own_clinic.status.error_message();
    ExpectNothingOfClinicA(own_clinic, a);
    EXPECT_EQ(Snapshot(kClinicA), before) << "clinic A changed when clinic B named itself";

    const Answer named_a = c.call(c.other, kClinicA, a);
    EXPECT_EQ(named_a.status.error_code(), grpc::StatusCode::NOT_FOUND) << named_a.status.error_message();
    ExpectNothingOfClinicA(named_a, a);
    EXPECT_EQ(Snapshot(kClinicA), before) << "clinic A differs from before clinic B's calls";

    // The very request clinic B was refused is clinic A's own business.
    const Answer control = c.call(c.own, kClinicA, a);
    EXPECT_TRUE(control.status.ok()) << control.status.error_message();
    EXPECT_NE(control.text.find(c.control_shows), std::string::npos) << control.text;
  }
}

INSTANTIATE_TEST_SUITE_P(Databases, RemindersIsolationTest, ::testing::Values("sqlite", "postgres"));

}  // namespace
}  // namespace tandem::reminders
