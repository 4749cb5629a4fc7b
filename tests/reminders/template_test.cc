#include "services/reminders/domain/template.h"

#include <string>

#include "absl/time/civil_time.h"
#include "common/status/field_violations.h"
#include "common/time/time_zone.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tandem::reminders {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

absl::TimeZone Zone(const char* name) {
  auto zone = LoadTimeZone(name);
  EXPECT_TRUE(zone.ok()) << zone.status();
  return zone.ok() ? *zone : absl::UTCTimeZone();
}

// 2026-07-14 16:00 UTC = Tue 14 Jul, 18:00 in Berlin (CEST), 12:00 in New York (EDT).
const absl::Time kDue = absl::FromCivil(absl::CivilSecond(2026, 7, 14, 16, 0, 0), absl::UTCTimeZone());

std::vector<std::string> ViolationFields(const absl::Status& status) {
  std::vector<std::string> fields;
  for (const auto& v : GetFieldViolations(status)) fields.push_back(v.field());
  return fields;
}

struct SyntaxCase {
  std::string text;
  bool ok;
};

class TemplateSyntaxTest : public ::testing::TestWithParam<SyntaxCase> {};

TEST_P(TemplateSyntaxTest, ParsesOrRejects) {
  const SyntaxCase& c = GetParam();
  auto parsed = ReminderTemplate::Parse(c.text);
  EXPECT_EQ(parsed.ok(), c.ok) << c.text << " -> " << parsed.status();
  if (!parsed.ok()) {
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Syntax, TemplateSyntaxTest,
    ::testing::Values(
        SyntaxCase{"Plain text", true}, SyntaxCase{"Hi {{name}}", true},
        SyntaxCase{"{{ name }} at {{due_local_time}}", true}, SyntaxCase{"{{a}}{{b_2}}", true},
        SyntaxCase{"Line one\nline two", true}, SyntaxCase{"", false}, SyntaxCase{"Hi {{name", false},
        SyntaxCase{"Hi name}}", false}, SyntaxCase{"Hi {name}", false}, SyntaxCase{"Hi {{{name}}}", false},
        SyntaxCase{"Hi {{name}}}", false}, SyntaxCase{"{{}}", false}, SyntaxCase{"{{ }}", false},
        SyntaxCase{"{{1st}}", false}, SyntaxCase{"{{name|upper}}", false}, SyntaxCase{"{{#if x}}", false},
        SyntaxCase{"{{first name}}", false}, SyntaxCase{"{{a{{b}}}}", false}, SyntaxCase{"bad \xC3", false},
        SyntaxCase{"tab\there", false}, SyntaxCase{std::string(5000, 'a'), false}));

TEST(TemplateTest, SyntaxErrorsGiveAnOffsetNotTheText) {
  auto parsed = ReminderTemplate::Parse("Secret words {{oops");
  ASSERT_FALSE(parsed.ok());
  EXPECT_THAT(std::string(parsed.status().message()), HasSubstr("at byte 13"));
  EXPECT_THAT(std::string(parsed.status().message()), Not(HasSubstr("Secret")));
}

TEST(TemplateTest, RendersParametersAndBuiltinsInTheRecipientsZone) {
  auto tmpl = ReminderTemplate::Parse(
      "Hi {{name}}, see you {{ due_local_time }} ({{due_local_date}} at {{due_local_clock}}) with "
      "{{clinician}}. Bye {{name}}");
  ASSERT_TRUE(tmpl.ok()) << tmpl.status();
  EXPECT_THAT(tmpl->required_parameters(), ElementsAre("name", "clinician"));
  auto text = tmpl->Render({{"name", "Sam"}, {"clinician", "Dr. Weber"}, {"unused", "x"}},
                           {kDue, Zone("Europe/Berlin")});
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text, "Hi Sam, see you Tue 14 Jul, 18:00 (Tue 14 Jul at 18:00) with Dr. Weber. Bye Sam");
}

struct LocalCase {
  const char* zone;
  absl::CivilSecond utc;
  const char* expected;
};

class LocalTimeTest : public ::testing::TestWithParam<LocalCase> {};

TEST_P(LocalTimeTest, FormatsDueTimeInZone) {
  const LocalCase& c = GetParam();
  EXPECT_EQ(FormatLocalDateTime(absl::FromCivil(c.utc, absl::UTCTimeZone()), Zone(c.zone)), c.expected);
}

INSTANTIATE_TEST_SUITE_P(
    Zones, LocalTimeTest,
    ::testing::Values(
        LocalCase{"Europe/Berlin", absl::CivilSecond(2026, 7, 14, 16, 0, 0), "Tue 14 Jul, 18:00"},
        LocalCase{"America/New_York", absl::CivilSecond(2026, 7, 14, 16, 0, 0), "Tue 14 Jul, 12:00"},
        LocalCase{"Europe/Berlin", absl::CivilSecond(2026, 1, 5, 8, 30, 59), "Mon 5 Jan, 09:30"},
        LocalCase{"Asia/Tokyo", absl::CivilSecond(2026, 12, 31, 15, 5, 0), "Fri 1 Jan, 00:05"},
        LocalCase{"America/New_York", absl::CivilSecond(2026, 3, 1, 3, 0, 0), "Sat 28 Feb, 22:00"},
        LocalCase{"UTC", absl::CivilSecond(2026, 2, 1, 0, 0, 0), "Sun 1 Feb, 00:00"}));

TEST(TemplateTest, MissingParametersAreAllListedByNameNeverByValue) {
  auto tmpl = ReminderTemplate::Parse("{{a}} {{b}} {{c}} {{due_local_time}}");
  ASSERT_TRUE(tmpl.ok());
  auto text = tmpl->Render({{"b", "private value"}}, {kDue, absl::UTCTimeZone()});
  ASSERT_EQ(text.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(ViolationFields(text.status()), ElementsAre("params.a", "params.c"));
  EXPECT_THAT(std::string(text.status().message()), Not(HasSubstr("private value")));
}

TEST(TemplateTest, RejectsReservedOversizedAndControlValues) {
  auto tmpl = ReminderTemplate::Parse("{{a}} {{b}} {{c}} {{d}}");
  ASSERT_TRUE(tmpl.ok());
  const absl::Status status = tmpl->ValidateParameters({{"a", std::string(513, 'x')},
                                                        {"b", "line\nbreak"},
                                                        {"c", "bad \xFF utf8"},
                                                        {"d", "fine"},
                                                        {"due_local_time", "forged"}});
  EXPECT_THAT(ViolationFields(status),
              ElementsAre("params.a", "params.b", "params.c", "params.due_local_time"));
  EXPECT_THAT(std::string(status.message()), Not(HasSubstr("forged")));
  EXPECT_TRUE(
      tmpl->ValidateParameters({{"a", std::string(512, 'x')}, {"b", "x"}, {"c", "\xC3\xA9"}, {"d", ""}})
          .ok());
}

TEST(TemplateTest, ValuesAreNotExpandedAgain) {
  auto tmpl = ReminderTemplate::Parse("Hi {{name}}");
  ASSERT_TRUE(tmpl.ok());
  auto text = tmpl->Render({{"name", "{{due_local_time}}"}}, {kDue, absl::UTCTimeZone()});
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text, "Hi {{due_local_time}}");
}

struct RegisterCase {
  std::string text;
  bool discreet;
  absl::StatusCode code;
};

class RegisterTest : public ::testing::TestWithParam<RegisterCase> {};

TEST_P(RegisterTest, DiscreetTemplatesRefuseDeniedLiteralText) {
  const RegisterCase& c = GetParam();
  auto tmpl = ReminderTemplate::Register(c.text, c.discreet, DiscretionPolicy::Default());
  EXPECT_EQ(tmpl.status().code(), c.code) << c.text;
  if (tmpl.ok()) {
    EXPECT_EQ(tmpl->discreet(), c.discreet);
  }
  if (c.code == absl::StatusCode::kFailedPrecondition) {
    EXPECT_TRUE(IsDiscretionViolation(tmpl.status()));
  }
}

INSTANTIATE_TEST_SUITE_P(
    Register, RegisterTest,
    ::testing::Values(
        RegisterCase{"Reminder: {{due_local_time}} with {{clinician}}", true, absl::StatusCode::kOk},
        RegisterCase{"Your therapy session is {{due_local_time}}", true,
                     absl::StatusCode::kFailedPrecondition},
        RegisterCase{"Your therapy session is {{due_local_time}}", false, absl::StatusCode::kOk},
        RegisterCase{"Meet in Essex {{due_local_date}}", true, absl::StatusCode::kOk},
        RegisterCase{"{{x}}Sex{{y}}", true, absl::StatusCode::kFailedPrecondition},
        RegisterCase{"the{{x}}rapy", true, absl::StatusCode::kFailedPrecondition},
        RegisterCase{"{{therapy}}", true, absl::StatusCode::kOk},  // a parameter name is not text
        RegisterCase{"Unclosed {{", true, absl::StatusCode::kInvalidArgument}));

TEST(TemplateTest, RenderForSendingChecksRenderedTextAndSenderName) {
  auto tmpl = ReminderTemplate::Register("Appointment {{due_local_time}} with {{who}}", true,
                                         DiscretionPolicy::Default());
  ASSERT_TRUE(tmpl.ok());
  const RenderContext context{kDue, Zone("Europe/Berlin")};
  const DiscretionPolicy& policy = DiscretionPolicy::Default();

  auto ok = tmpl->RenderForSending({{"who", "Dr. Weber"}}, context, "Riverside Practice", policy);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(*ok, "Appointment Tue 14 Jul, 18:00 with Dr. Weber");

  auto bad_text = tmpl->RenderForSending({{"who", "your sex therapist"}}, context, "Riverside", policy);
  EXPECT_EQ(bad_text.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(IsDiscretionViolation(bad_text.status()));
  EXPECT_THAT(std::string(bad_text.status().message()), HasSubstr("rendered text"));

  auto bad_sender = tmpl->RenderForSending({{"who", "Dr. Weber"}}, context, "Weber Sex Therapy", policy);
  EXPECT_EQ(bad_sender.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(bad_sender.status().message()), HasSubstr("sender name"));
  EXPECT_THAT(std::string(bad_sender.status().message()), Not(HasSubstr("Weber")));

  auto not_discreet = ReminderTemplate::Parse("Therapy {{due_local_clock}}", /*discreet=*/false);
  ASSERT_TRUE(not_discreet.ok());
  EXPECT_TRUE(not_discreet->RenderForSending({}, context, "Sex Therapy Center", policy).ok());
}

}  // namespace
}  // namespace tandem::reminders
