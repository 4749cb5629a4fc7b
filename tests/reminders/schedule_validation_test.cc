// Validation of scheduling and template registration: every problem reported at once, on the right field,
// without quoting values.
#include "services/reminders/domain/schedule_validation.h"

#include <string>
#include <vector>

#include "common/status/field_violations.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"

namespace tandem::reminders {
namespace {

using google::protobuf::util::TimeUtil;
using ::testing::IsSupersetOf;
using ::testing::UnorderedElementsAre;
namespace v1 = tandem::reminders::v1;

const absl::Time kNow = absl::FromUnixSeconds(1767225600);

std::vector<std::string> Fields(const absl::Status& status) {
  std::vector<std::string> out;
  for (const auto& v : GetFieldViolations(status)) out.push_back(v.field());
  return out;
}

class ScheduleValidationTest : public ::testing::Test {
 protected:
  ScheduleValidationTest() {
    template_.set_clinic_id("c1");
    template_.set_template_id("appointment-tomorrow");
    template_.set_sender_name("Linden Practice");
    template_.set_subject("Tomorrow at {{due_local_clock}}");
    template_.set_body("Hello {{first_name}}, see you {{due_local_time}}.");
    template_.set_discreet(true);
    channels_ = {ChannelKind::kWebhook, ChannelKind::kLog};
  }

  v1::ScheduleReminderRequest Valid() const {
    v1::ScheduleReminderRequest r;
    r.set_clinic_id("c1");
    r.set_idempotency_key("appointment/a1/24h");
    r.set_owner_ref("appointment/a1");
    r.set_channel(v1::CHANNEL_WEBHOOK);
    r.set_recipient("+15550100");
    r.set_template_id("appointment-tomorrow");
    (*r.mutable_params())["first_name"] = "Robin";
    r.set_time_zone("Europe/Berlin");
    r.mutable_quiet_hours()->mutable_start()->set_hours(22);
    r.mutable_quiet_hours()->mutable_end()->set_hours(7);
    *r.mutable_due_time() = TimeUtil::SecondsToTimestamp(absl::ToUnixSeconds(kNow + absl::Hours(24)));
    return r;
  }

  absl::Status Validate(const v1::ScheduleReminderRequest& r, bool with_template = true) const {
    return ValidateSchedule(r, {kNow, &channels_, with_template ? &template_ : nullptr, ScheduleLimits{}});
  }

  TemplateProto template_;
  absl::flat_hash_set<ChannelKind> channels_;
};

TEST_F(ScheduleValidationTest, AValidRequestPasses) { EXPECT_TRUE(Validate(Valid()).ok()); }

TEST_F(ScheduleValidationTest, ADueTimeWithinTheGraceIsAccepted) {
  auto r = Valid();
  *r.mutable_due_time() = TimeUtil::SecondsToTimestamp(absl::ToUnixSeconds(kNow - absl::Minutes(4)));
  EXPECT_TRUE(Validate(r).ok());
}

TEST_F(ScheduleValidationTest, EachBadFieldIsNamed) {
  struct Case {
    const char* name;
    std::function<void(v1::ScheduleReminderRequest&)> mutate;
    const char* field;
  };
  const std::vector<Case> cases = {
      {"past",
       [](auto& r) {
         *r.mutable_due_time() = TimeUtil::SecondsToTimestamp(absl::ToUnixSeconds(kNow - absl::Hours(1)));
       },
       "due_time"},
      {"far future",
       [](auto& r) {
         *r.mutable_due_time() =
             TimeUtil::SecondsToTimestamp(absl::ToUnixSeconds(kNow + absl::Hours(24 * 1000)));
       },
       "due_time"},
      {"no due", [](auto& r) { r.clear_due_time(); }, "due_time"},
      {"unknown channel", [](auto& r) { r.set_channel(v1::CHANNEL_UNSPECIFIED); }, "channel"},
      {"unconfigured channel",
       [](auto& r) {
         r.set_channel(v1::CHANNEL_EMAIL);
         r.set_recipient("a@b.example");
       },
       "channel"},
      {"malformed phone", [](auto& r) { r.set_recipient("+12"); }, "recipient"},
      {"no recipient", [](auto& r) { r.clear_recipient(); }, "recipient"},
      {"missing parameter", [](auto& r) { r.clear_params(); }, "params.first_name"},
      {"bad zone", [](auto& r) { r.set_time_zone("Mars/Olympus"); }, "time_zone"},
      {"no zone", [](auto& r) { r.clear_time_zone(); }, "time_zone"},
      {"bad quiet hour", [](auto& r) { r.mutable_quiet_hours()->mutable_start()->set_hours(24); },
       "quiet_hours.start.hours"},
      {"empty quiet window", [](auto& r) { r.mutable_quiet_hours()->mutable_end()->set_hours(22); },
       "quiet_hours"},
      {"no owner", [](auto& r) { r.clear_owner_ref(); }, "owner_ref"},
      {"owner with spaces", [](auto& r) { r.set_owner_ref("appointment a1"); }, "owner_ref"},
      {"no key", [](auto& r) { r.clear_idempotency_key(); }, "idempotency_key"},
      {"no clinic", [](auto& r) { r.clear_clinic_id(); }, "clinic_id"},
      {"no template", [](auto& r) { r.clear_template_id(); }, "template_id"},
  };
  for (const Case& c : cases) {
    auto r = Valid();
    c.mutate(r);
    absl::Status status = Validate(r);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.name;
    EXPECT_THAT(Fields(status), ::testing::Contains(c.field)) << c.name;
  }
}

TEST_F(ScheduleValidationTest, AnUnknownTemplateIsNamed) {
  EXPECT_THAT(Fields(Validate(Valid(), /*with_template=*/false)), UnorderedElementsAre("template_id"));
}

TEST_F(ScheduleValidationTest, EveryViolationIsReportedAtOnceWithoutValues) {
  v1::ScheduleReminderRequest r = Valid();
  r.set_recipient("not-a-phone +");
  r.set_time_zone("Nowhere/Never");
  r.clear_params();
  r.set_channel(v1::CHANNEL_UNSPECIFIED);
  *r.mutable_due_time() = TimeUtil::SecondsToTimestamp(absl::ToUnixSeconds(kNow - absl::Hours(2)));
  absl::Status status = Validate(r);
  EXPECT_THAT(Fields(status), IsSupersetOf({"channel", "time_zone", "params.first_name", "due_time"}));
  std::string everything(status.message());
  for (const auto& v : GetFieldViolations(status)) everything += v.description();
  EXPECT_EQ(everything.find("Nowhere"), std::string::npos);
  EXPECT_EQ(everything.find("not-a-phone"), std::string::npos);
}

v1::RegisterTemplateRequest TemplateRequest(const std::string& body, bool discreet = true) {
  v1::RegisterTemplateRequest r;
  auto* t = r.mutable_template_();
  t->set_clinic_id("c1");
  t->set_template_id("t1");
  t->set_sender_name("Linden Practice");
  t->set_subject("A reminder");
  t->set_body(body);
  t->set_discreet(discreet);
  return r;
}

TEST(ValidateTemplateTest, DiscreetTemplatesRefuseDeniedWordsAsWholeWordsAnyCase) {
  const DiscretionPolicy& policy = DiscretionPolicy::Default();
  EXPECT_TRUE(ValidateTemplate(TemplateRequest("See you in Essex at {{due_local_time}}"), policy).ok());
  EXPECT_THAT(Fields(ValidateTemplate(TemplateRequest("Your THERAPY session is {{due_local_time}}"), policy)),
              UnorderedElementsAre("template.body"));
  auto subject = TemplateRequest("See you soon");
  subject.mutable_template_()->set_subject("Counselling tomorrow");
  EXPECT_THAT(Fields(ValidateTemplate(subject, policy)), UnorderedElementsAre("template.subject"));
  auto sender = TemplateRequest("See you soon");
  sender.mutable_template_()->set_sender_name("Sexual Health Clinic");
  EXPECT_THAT(Fields(ValidateTemplate(sender, policy)), UnorderedElementsAre("template.sender_name"));
  EXPECT_TRUE(ValidateTemplate(TemplateRequest("Therapy group notes", /*discreet=*/false), policy).ok());
}

TEST(ValidateTemplateTest, AConfiguredDenyListIsUsed) {
  auto policy = DiscretionPolicy::Create({{"oncology", TermMatch::kWord}});
  ASSERT_TRUE(policy.ok());
  EXPECT_FALSE(ValidateTemplate(TemplateRequest("Oncology follow-up"), *policy).ok());
  EXPECT_TRUE(ValidateTemplate(TemplateRequest("Therapy follow-up"), *policy).ok());
}

TEST(ValidateTemplateTest, SyntaxAndRequiredFields) {
  const DiscretionPolicy& policy = DiscretionPolicy::Default();
  EXPECT_THAT(Fields(ValidateTemplate(TemplateRequest("Hello {{name"), policy)),
              UnorderedElementsAre("template.body"));
  v1::RegisterTemplateRequest empty;
  EXPECT_THAT(Fields(ValidateTemplate(empty, policy)), UnorderedElementsAre("template"));
  auto missing = TemplateRequest("");
  missing.mutable_template_()->clear_clinic_id();
  missing.mutable_template_()->clear_sender_name();
  EXPECT_THAT(Fields(ValidateTemplate(missing, policy)),
              UnorderedElementsAre("template.clinic_id", "template.sender_name", "template.body"));
}

}  // namespace
}  // namespace tandem::reminders
