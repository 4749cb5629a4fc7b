#include "services/scheduling/domain/request_validation.h"

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/status/field_violations.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/scheduling/domain/recurrence.h"

namespace tandem::scheduling {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

const absl::Time kNow = absl::FromCivil(absl::CivilMinute(2026, 3, 2, 12, 0), absl::UTCTimeZone());

void SetTime(google::protobuf::Timestamp* t, absl::Time time) {
  t->set_seconds(absl::ToUnixSeconds(time));
  t->set_nanos(0);
}

void SetDate(tandem::common::v1::CivilDate* d, int y, int m, int day) {
  d->set_year(y);
  d->set_month(m);
  d->set_day(day);
}

void SetClock(tandem::common::v1::CivilTime* t, int h, int m) {
  t->set_hours(h);
  t->set_minutes(m);
}

// The fields a status names, in order; empty for OK.
std::vector<std::string> Fields(const absl::Status& status) {
  std::vector<std::string> fields;
  for (const auto& v : GetFieldViolations(status)) fields.push_back(v.field());
  return fields;
}

// Every violation's description, joined, to check that no value is quoted back.
std::string Descriptions(const absl::Status& status) {
  std::string all = std::string(status.message());
  for (const auto& v : GetFieldViolations(status)) absl::StrAppend(&all, "|", v.description());
  return all;
}

// One table row: a change to a valid request and the fields it must break (exactly those, in order).
template <typename Request>
struct Case {
  std::string name;
  std::function<void(Request&)> change;
  std::vector<std::string> fields;
};

template <typename Request, typename Validate>
void RunCases(const Request& valid, Validate validate, const std::vector<Case<Request>>& cases) {
  ASSERT_THAT(Fields(validate(valid)), IsEmpty()) << "the base request must be valid";
  for (const auto& c : cases) {
    Request request = valid;
    c.change(request);
    absl::Status status = validate(request);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.name << ": " << status;
    EXPECT_THAT(Fields(status), ElementsAreArray(c.fields)) << c.name << ": " << status;
  }
}

// ---- Clinician ----

v1::UpsertClinicianRequest ValidClinician() {
  v1::UpsertClinicianRequest request;
  v1::Clinician& c = *request.mutable_clinician();
  c.set_clinic_id("clinic-1");
  c.set_clinician_id("dr-ada");
  c.set_display_name("Dr. Ada Łukasiewicz");
  c.set_time_zone("Europe/Berlin");
  c.set_supervisor_id("dr-sup");
  auto* email = c.add_contacts();
  email->set_kind(v1::CONTACT_KIND_EMAIL);
  email->set_address("ada@clinic.example");
  auto* sms = c.add_contacts();
  sms->set_kind(v1::CONTACT_KIND_SMS);
  sms->set_address("+4915112345678");
  return request;
}

absl::Status ClinicianStatus(const v1::UpsertClinicianRequest& r) {
  return ValidateUpsertClinician(r).status();
}

TEST(ValidateUpsertClinicianTest, AppliesDefaultsToAValidClinician) {
  auto policy = ValidateUpsertClinician(ValidClinician());
  ASSERT_TRUE(policy.ok()) << policy.status();
  EXPECT_EQ(policy->time_zone.name(), "Europe/Berlin");
  EXPECT_EQ(policy->default_session_length, absl::Minutes(50));
  EXPECT_EQ(policy->booking_horizon, absl::Hours(24 * 90));
  EXPECT_EQ(policy->late_cancellation_window, absl::Hours(24));
  EXPECT_EQ(policy->buffers.before, absl::ZeroDuration());
  EXPECT_EQ(policy->minimum_notice, absl::ZeroDuration());
  EXPECT_FALSE(policy->self_booking_allowed);
}

TEST(ValidateUpsertClinicianTest, ConvertsEverySetting) {
  v1::UpsertClinicianRequest request = ValidClinician();
  v1::Clinician& c = *request.mutable_clinician();
  c.set_time_zone("Asia/Kolkata");
  c.set_default_session_minutes(480);
  c.set_buffer_before_minutes(10);
  c.set_buffer_after_minutes(240);
  c.set_minimum_notice_minutes(30 * 24 * 60);
  c.set_booking_horizon_days(730);
  c.set_late_cancellation_hours(336);
  c.set_self_booking_allowed(true);
  c.set_display_name(std::string(200, 'x'));
  auto policy = ValidateUpsertClinician(request);
  ASSERT_TRUE(policy.ok()) << policy.status();
  EXPECT_EQ(policy->time_zone.name(), "Asia/Kolkata");
  EXPECT_EQ(policy->default_session_length, absl::Hours(8));
  EXPECT_EQ(policy->buffers.before, absl::Minutes(10));
  EXPECT_EQ(policy->buffers.after, absl::Minutes(240));
  EXPECT_EQ(policy->minimum_notice, absl::Hours(24 * 30));
  EXPECT_EQ(policy->booking_horizon, absl::Hours(24 * 730));
  EXPECT_EQ(policy->late_cancellation_window, absl::Hours(336));
  EXPECT_TRUE(policy->self_booking_allowed);
}

TEST(ValidateUpsertClinicianTest, NamesEveryBadField) {
  using C = Case<v1::UpsertClinicianRequest>;
  auto clin = [](v1::UpsertClinicianRequest& r) { return r.mutable_clinician(); };
  RunCases(
      ValidClinician(), ClinicianStatus,
      std::vector<C>{
          {"no clinician", [](auto& r) { r.clear_clinician(); }, {"clinician"}},
          {"clinic id", [&](auto& r) { clin(r)->clear_clinic_id(); }, {"clinician.clinic_id"}},
          {"clinician id", [&](auto& r) { clin(r)->set_clinician_id("a b"); }, {"clinician.clinician_id"}},
          {"no name", [&](auto& r) { clin(r)->clear_display_name(); }, {"clinician.display_name"}},
          {"long name",
           [&](auto& r) { clin(r)->set_display_name(std::string(201, 'x')); },
           {"clinician.display_name"}},
          {"control in name",
           [&](auto& r) { clin(r)->set_display_name("Ada\nEvil"); },
           {"clinician.display_name"}},
          {"C1 control in name",
           [&](auto& r) { clin(r)->set_display_name("Ada\u0085"); },
           {"clinician.display_name"}},
          {"no zone", [&](auto& r) { clin(r)->clear_time_zone(); }, {"clinician.time_zone"}},
          {"unknown zone", [&](auto& r) { clin(r)->set_time_zone("Mars/Base"); }, {"clinician.time_zone"}},
          {"session negative",
           [&](auto& r) { clin(r)->set_default_session_minutes(-1); },
           {"clinician.default_session_minutes"}},
          {"session too long",
           [&](auto& r) { clin(r)->set_default_session_minutes(481); },
           {"clinician.default_session_minutes"}},
          {"buffer before negative",
           [&](auto& r) { clin(r)->set_buffer_before_minutes(-5); },
           {"clinician.buffer_before_minutes"}},
          {"buffer after too long",
           [&](auto& r) { clin(r)->set_buffer_after_minutes(241); },
           {"clinician.buffer_after_minutes"}},
          {"notice too long",
           [&](auto& r) { clin(r)->set_minimum_notice_minutes(30 * 24 * 60 + 1); },
           {"clinician.minimum_notice_minutes"}},
          {"notice negative",
           [&](auto& r) { clin(r)->set_minimum_notice_minutes(-1); },
           {"clinician.minimum_notice_minutes"}},
          {"horizon too long",
           [&](auto& r) { clin(r)->set_booking_horizon_days(731); },
           {"clinician.booking_horizon_days"}},
          {"horizon negative",
           [&](auto& r) { clin(r)->set_booking_horizon_days(-1); },
           {"clinician.booking_horizon_days"}},
          {"late too long",
           [&](auto& r) { clin(r)->set_late_cancellation_hours(337); },
           {"clinician.late_cancellation_hours"}},
          {"late negative",
           [&](auto& r) { clin(r)->set_late_cancellation_hours(-1); },
           {"clinician.late_cancellation_hours"}},
          {"supervisor invalid",
           [&](auto& r) { clin(r)->set_supervisor_id("x y"); },
           {"clinician.supervisor_id"}},
          {"supervises self",
           [&](auto& r) { clin(r)->set_supervisor_id("dr-ada"); },
           {"clinician.supervisor_id"}},
          {"contact kind",
           [&](auto& r) { clin(r)->mutable_contacts(1)->set_kind(v1::CONTACT_KIND_UNSPECIFIED); },
           {"clinician.contacts[1].kind"}},
          {"contact kind unknown number",
           [&](auto& r) { clin(r)->mutable_contacts(0)->set_kind(static_cast<v1::ContactKind>(9)); },
           {"clinician.contacts[0].kind"}},
          {"contact address missing",
           [&](auto& r) { clin(r)->mutable_contacts(0)->clear_address(); },
           {"clinician.contacts[0].address"}},
          {"email without at",
           [&](auto& r) { clin(r)->mutable_contacts(0)->set_address("ada.clinic.example"); },
           {"clinician.contacts[0].address"}},
          {"email without dotted domain",
           [&](auto& r) { clin(r)->mutable_contacts(0)->set_address("ada@localhost"); },
           {"clinician.contacts[0].address"}},
          {"email with space",
           [&](auto& r) { clin(r)->mutable_contacts(0)->set_address("a da@clinic.example"); },
           {"clinician.contacts[0].address"}},
          {"email twice at",
           [&](auto& r) { clin(r)->mutable_contacts(0)->set_address("a@b@clinic.example"); },
           {"clinician.contacts[0].address"}},
          {"sms not e164",
           [&](auto& r) { clin(r)->mutable_contacts(1)->set_address("015112345678"); },
           {"clinician.contacts[1].address"}},
          {"sms too short",
           [&](auto& r) { clin(r)->mutable_contacts(1)->set_address("+123456"); },
           {"clinician.contacts[1].address"}},
          {"sms too long",
           [&](auto& r) { clin(r)->mutable_contacts(1)->set_address("+1234567890123456"); },
           {"clinician.contacts[1].address"}},
          {"sms leading zero",
           [&](auto& r) { clin(r)->mutable_contacts(1)->set_address("+0151123456"); },
           {"clinician.contacts[1].address"}},
          {"email address as sms",
           [&](auto& r) { clin(r)->mutable_contacts(1)->set_address("ada@clinic.example"); },
           {"clinician.contacts[1].address"}},
          {"too many contacts",
           [&](auto& r) {
             for (int i = 0; i < 9; ++i) *clin(r)->add_contacts() = r.clinician().contacts(0);
           },
           {"clinician.contacts"}},
          {"every field at once",
           [&](auto& r) {
             clin(r)->clear_display_name();
             clin(r)->set_time_zone("Mars/Base");
             clin(r)->set_buffer_before_minutes(999);
           },
           {"clinician.display_name", "clinician.time_zone", "clinician.buffer_before_minutes"}},
      });
}

TEST(ValidateUpsertClinicianTest, TenContactsAreAllowed) {
  v1::UpsertClinicianRequest request = ValidClinician();
  for (int i = 0; i < 8; ++i) *request.mutable_clinician()->add_contacts() = request.clinician().contacts(0);
  EXPECT_TRUE(ValidateUpsertClinician(request).ok());
}

// A contact is later the recipient of a reminder, so it must pass the reminders channel's own address rule
// (an RFC 5321 subset for email, E.164 for SMS), not merely look like local@domain.
TEST(ValidateUpsertClinicianTest, ContactsFollowTheReminderChannelRules) {
  auto with_email = [](const std::string& address) {
    v1::UpsertClinicianRequest request = ValidClinician();
    request.mutable_clinician()->mutable_contacts(0)->set_address(address);
    return ValidateUpsertClinician(request).status();
  };
  for (const std::string address :
       {"Ada.L+reminders@mail.clinic.example", "o'brien@clinic.example", "ada@xn--bcher-kva.example"}) {
    EXPECT_TRUE(with_email(address).ok()) << address;
  }
  for (const std::string address :
       {"\"ada\"@clinic.example", "a..da@clinic.example", ".ada@clinic.example", "<ada@clinic.example>",
        "ada(x)@clinic.example", "ada@clinic.123", "ada@clinic.e", "ada@-clinic.example",
        "ada@clin_ic.example", "ada@clinic..example", "ada@[127.0.0.1].example"}) {
    absl::Status status = with_email(address);
    EXPECT_THAT(Fields(status), ElementsAre("clinician.contacts[0].address")) << address;
  }
  EXPECT_THAT(Descriptions(with_email("ada@clinic.123")), HasSubstr("not a valid host name"));

  v1::UpsertClinicianRequest sms = ValidClinician();
  sms.mutable_clinician()->mutable_contacts(1)->set_address("+49 151 1234");
  EXPECT_THAT(Descriptions(ValidateUpsertClinician(sms).status()), HasSubstr("E.164"));
}

TEST(ValidateUpsertClinicianTest, NeverQuotesTheAddressOrName) {
  v1::UpsertClinicianRequest request = ValidClinician();
  request.mutable_clinician()->mutable_contacts(0)->set_address("secret-person@nowhere");
  request.mutable_clinician()->set_display_name("Secret\tName");
  absl::Status status = ValidateUpsertClinician(request).status();
  ASSERT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Descriptions(status), Not(HasSubstr("secret-person")));
  EXPECT_THAT(Descriptions(status), Not(HasSubstr("Secret")));
}

// ---- Availability ----

v1::SetAvailabilityRequest ValidAvailability() {
  v1::SetAvailabilityRequest request;
  v1::Availability& a = *request.mutable_availability();
  a.set_clinic_id("clinic-1");
  a.set_clinician_id("dr-ada");
  auto* tue = a.add_working_hours();
  tue->set_weekday(2);
  SetClock(tue->mutable_start(), 9, 0);
  SetClock(tue->mutable_end(), 12, 30);
  auto* sun = a.add_working_hours();
  sun->set_weekday(7);
  SetClock(sun->mutable_start(), 18, 0);
  sun->set_until_midnight(true);
  SetDate(sun->mutable_effective_from(), 2026, 1, 1);
  SetDate(sun->mutable_effective_until(), 2026, 12, 31);
  auto* mon = a.add_working_hours();
  mon->set_weekday(1);
  SetClock(mon->mutable_start(), 13, 0);
  SetClock(mon->mutable_end(), 17, 0);
  auto* off = a.add_days_off();
  SetDate(off->mutable_first(), 2026, 12, 24);
  SetDate(off->mutable_last(), 2026, 12, 26);
  auto* part = a.add_time_off();
  SetTime(part->mutable_start_time(), kNow);
  SetTime(part->mutable_end_time(), kNow + absl::Hours(3));
  return request;
}

absl::Status AvailabilityStatus(const v1::SetAvailabilityRequest& r) {
  return ValidateSetAvailability(r).status();
}

TEST(ValidateSetAvailabilityTest, ConvertsAValidAvailability) {
  auto rules = ValidateSetAvailability(ValidAvailability());
  ASSERT_TRUE(rules.ok()) << rules.status();
  ASSERT_EQ(rules->working_hours.size(), 3u);
  EXPECT_EQ(rules->working_hours[0].weekday, absl::Weekday::tuesday);
  EXPECT_EQ(rules->working_hours[0].start_minute, 9 * 60);
  EXPECT_EQ(rules->working_hours[0].end_minute, 12 * 60 + 30);
  EXPECT_EQ(rules->working_hours[0].effective_from, std::nullopt);
  EXPECT_EQ(rules->working_hours[1].weekday, absl::Weekday::sunday);
  EXPECT_EQ(rules->working_hours[1].end_minute, 24 * 60);
  EXPECT_EQ(rules->working_hours[1].effective_from, absl::CivilDay(2026, 1, 1));
  EXPECT_EQ(rules->working_hours[1].effective_until, absl::CivilDay(2026, 12, 31));
  EXPECT_EQ(rules->working_hours[2].weekday, absl::Weekday::monday);
  ASSERT_EQ(rules->days_off.size(), 1u);
  EXPECT_EQ(rules->days_off[0].first, absl::CivilDay(2026, 12, 24));
  EXPECT_EQ(rules->days_off[0].last, absl::CivilDay(2026, 12, 26));
  ASSERT_EQ(rules->time_off.size(), 1u);
  EXPECT_EQ(rules->time_off[0], (Interval{kNow, kNow + absl::Hours(3)}));
}

TEST(ValidateSetAvailabilityTest, NamesEveryBadField) {
  using C = Case<v1::SetAvailabilityRequest>;
  auto wh = [](v1::SetAvailabilityRequest& r, int i) {
    return r.mutable_availability()->mutable_working_hours(i);
  };
  auto av = [](v1::SetAvailabilityRequest& r) { return r.mutable_availability(); };
  RunCases(
      ValidAvailability(), AvailabilityStatus,
      std::vector<C>{
          {"no availability", [](auto& r) { r.clear_availability(); }, {"availability"}},
          {"clinic id", [&](auto& r) { av(r)->set_clinic_id(""); }, {"availability.clinic_id"}},
          {"clinician id", [&](auto& r) { av(r)->set_clinician_id("é"); }, {"availability.clinician_id"}},
          {"weekday 0",
           [&](auto& r) { wh(r, 2)->set_weekday(0); },
           {"availability.working_hours[2].weekday"}},
          {"weekday 8",
           [&](auto& r) { wh(r, 0)->set_weekday(8); },
           {"availability.working_hours[0].weekday"}},
          {"end before start",
           [&](auto& r) { SetClock(wh(r, 2)->mutable_end(), 12, 0); },
           {"availability.working_hours[2].end"}},
          {"end equals start",
           [&](auto& r) { SetClock(wh(r, 0)->mutable_end(), 9, 0); },
           {"availability.working_hours[0].end"}},
          {"start missing",
           [&](auto& r) { wh(r, 0)->clear_start(); },
           {"availability.working_hours[0].start"}},
          {"end missing", [&](auto& r) { wh(r, 0)->clear_end(); }, {"availability.working_hours[0].end"}},
          {"hour 24",
           [&](auto& r) { SetClock(wh(r, 0)->mutable_end(), 24, 0); },
           {"availability.working_hours[0].end"}},
          {"minute 60",
           [&](auto& r) { SetClock(wh(r, 0)->mutable_start(), 9, 60); },
           {"availability.working_hours[0].start"}},
          {"negative hour",
           [&](auto& r) { SetClock(wh(r, 0)->mutable_start(), -1, 0); },
           {"availability.working_hours[0].start"}},
          {"seconds",
           [&](auto& r) { wh(r, 0)->mutable_start()->set_seconds(30); },
           {"availability.working_hours[0].start"}},
          {"until midnight with an end",
           [&](auto& r) { SetClock(wh(r, 1)->mutable_end(), 23, 0); },
           {"availability.working_hours[1].end"}},
          {"midnight end without until_midnight",
           [&](auto& r) { wh(r, 1)->set_until_midnight(false); },
           {"availability.working_hours[1].end"}},
          {"effective from invalid date",
           [&](auto& r) { SetDate(wh(r, 1)->mutable_effective_from(), 2026, 2, 30); },
           {"availability.working_hours[1].effective_from"}},
          {"effective until invalid month",
           [&](auto& r) { SetDate(wh(r, 1)->mutable_effective_until(), 2026, 13, 1); },
           {"availability.working_hours[1].effective_until"}},
          {"effective until before from",
           [&](auto& r) { SetDate(wh(r, 1)->mutable_effective_until(), 2025, 12, 31); },
           {"availability.working_hours[1].effective_until"}},
          {"days off reversed",
           [&](auto& r) { SetDate(av(r)->mutable_days_off(0)->mutable_last(), 2026, 12, 23); },
           {"availability.days_off[0].last"}},
          {"days off first missing",
           [&](auto& r) { av(r)->mutable_days_off(0)->clear_first(); },
           {"availability.days_off[0].first"}},
          {"days off invalid date",
           [&](auto& r) { SetDate(av(r)->mutable_days_off(0)->mutable_first(), 2026, 4, 31); },
           {"availability.days_off[0].first"}},
          {"days off year 0",
           [&](auto& r) { SetDate(av(r)->mutable_days_off(0)->mutable_first(), 0, 1, 1); },
           {"availability.days_off[0].first"}},
          {"time off reversed",
           [&](auto& r) { SetTime(av(r)->mutable_time_off(0)->mutable_end_time(), kNow - absl::Hours(1)); },
           {"availability.time_off[0].end_time"}},
          {"time off start missing",
           [&](auto& r) { av(r)->mutable_time_off(0)->clear_start_time(); },
           {"availability.time_off[0].start_time"}},
          {"time off bad nanos",
           [&](auto& r) { av(r)->mutable_time_off(0)->mutable_end_time()->set_nanos(-1); },
           {"availability.time_off[0].end_time"}},
          {"too many working intervals",
           [&](auto& r) {
             for (int i = 0; i < 48; ++i) *av(r)->add_working_hours() = r.availability().working_hours(0);
           },
           {"availability.working_hours"}},
          {"too many days off",
           [&](auto& r) {
             for (int i = 0; i < 200; ++i) *av(r)->add_days_off() = r.availability().days_off(0);
           },
           {"availability.days_off"}},
          {"too many time off",
           [&](auto& r) {
             for (int i = 0; i < 500; ++i) *av(r)->add_time_off() = r.availability().time_off(0);
           },
           {"availability.time_off"}},
          {"calendar indices follow the proto after a field error",
           [&](auto& r) {
             wh(r, 0)->set_weekday(9);                  // field error: entry 0 never reaches the calendar
             SetClock(wh(r, 2)->mutable_end(), 12, 0);  // calendar error on proto entry 2
           },
           {"availability.working_hours[0].weekday", "availability.working_hours[2].end"}},
      });
}

TEST(ValidateSetAvailabilityTest, DescribesCalendarProblemsInProtoTerms) {
  v1::SetAvailabilityRequest request = ValidAvailability();
  SetClock(request.mutable_availability()->mutable_working_hours(0)->mutable_end(), 8, 0);
  auto violations = GetFieldViolations(ValidateSetAvailability(request).status());
  ASSERT_EQ(violations.size(), 1u);
  EXPECT_EQ(violations[0].field(), "availability.working_hours[0].end");
  EXPECT_EQ(violations[0].description(), "must be after start");
}

TEST(ValidateSetAvailabilityTest, LimitsAreInclusive) {
  v1::SetAvailabilityRequest request = ValidAvailability();
  v1::Availability& a = *request.mutable_availability();
  for (int i = 0; i < 47; ++i) *a.add_working_hours() = a.working_hours(0);
  for (int i = 0; i < 199; ++i) *a.add_days_off() = a.days_off(0);
  for (int i = 0; i < 499; ++i) *a.add_time_off() = a.time_off(0);
  EXPECT_TRUE(ValidateSetAvailability(request).ok()) << ValidateSetAvailability(request).status();
}

// ---- Client ----

v1::UpsertClientRequest ValidClient() {
  v1::UpsertClientRequest request;
  v1::Client& c = *request.mutable_client();
  c.set_clinic_id("clinic-1");
  c.set_client_id("client-7");
  c.set_display_name("Jo Doe");
  c.set_time_zone("Asia/Kolkata");
  auto* email = c.add_contacts();
  email->set_kind(v1::CONTACT_KIND_EMAIL);
  email->set_address("jo@example.org");
  c.mutable_reminders()->add_offsets_minutes(1440);
  c.mutable_reminders()->add_offsets_minutes(5);
  c.mutable_reminders()->add_offsets_minutes(20160);
  SetClock(c.mutable_reminders()->mutable_quiet_hours()->mutable_start(), 22, 0);
  SetClock(c.mutable_reminders()->mutable_quiet_hours()->mutable_end(), 7, 0);
  c.set_partner_client_id("client-8");
  c.add_care_team("not an id, output only");
  return request;
}

TEST(ValidateUpsertClientTest, NamesEveryBadField) {
  using C = Case<v1::UpsertClientRequest>;
  auto cl = [](v1::UpsertClientRequest& r) { return r.mutable_client(); };
  RunCases(
      ValidClient(), ValidateUpsertClient,
      std::vector<C>{
          {"no client", [](auto& r) { r.clear_client(); }, {"client"}},
          {"clinic id", [&](auto& r) { cl(r)->clear_clinic_id(); }, {"client.clinic_id"}},
          {"client id", [&](auto& r) { cl(r)->set_client_id(std::string(129, 'a')); }, {"client.client_id"}},
          {"no name", [&](auto& r) { cl(r)->clear_display_name(); }, {"client.display_name"}},
          {"long name",
           [&](auto& r) { cl(r)->set_display_name(std::string(201, 'y')); },
           {"client.display_name"}},
          {"control in name", [&](auto& r) { cl(r)->set_display_name("Jo\x7f"); }, {"client.display_name"}},
          {"unknown zone", [&](auto& r) { cl(r)->set_time_zone("Mars/Base"); }, {"client.time_zone"}},
          {"no zone", [&](auto& r) { cl(r)->clear_time_zone(); }, {"client.time_zone"}},
          {"contact",
           [&](auto& r) { cl(r)->mutable_contacts(0)->set_address("jo"); },
           {"client.contacts[0].address"}},
          {"too many offsets",
           [&](auto& r) {
             cl(r)->mutable_reminders()->add_offsets_minutes(60);
             cl(r)->mutable_reminders()->add_offsets_minutes(61);
           },
           {"client.reminders.offsets_minutes"}},
          {"offset too small",
           [&](auto& r) { cl(r)->mutable_reminders()->set_offsets_minutes(1, 4); },
           {"client.reminders.offsets_minutes[1]"}},
          {"offset too large",
           [&](auto& r) { cl(r)->mutable_reminders()->set_offsets_minutes(2, 20161); },
           {"client.reminders.offsets_minutes[2]"}},
          {"quiet start invalid",
           [&](auto& r) {
             SetClock(cl(r)->mutable_reminders()->mutable_quiet_hours()->mutable_start(), 25, 0);
           },
           {"client.reminders.quiet_hours.start"}},
          {"quiet end missing",
           [&](auto& r) { cl(r)->mutable_reminders()->mutable_quiet_hours()->clear_end(); },
           {"client.reminders.quiet_hours.end"}},
          {"quiet empty",
           [&](auto& r) {
             SetClock(cl(r)->mutable_reminders()->mutable_quiet_hours()->mutable_end(), 22, 0);
           },
           {"client.reminders.quiet_hours.end"}},
          {"partner invalid",
           [&](auto& r) { cl(r)->set_partner_client_id("a\nb"); },
           {"client.partner_client_id"}},
          {"partner is self",
           [&](auto& r) { cl(r)->set_partner_client_id("client-7"); },
           {"client.partner_client_id"}},
      });
}

TEST(ValidateUpsertClientTest, OptionalPartsMayBeAbsent) {
  v1::UpsertClientRequest request = ValidClient();
  request.mutable_client()->clear_reminders();
  request.mutable_client()->clear_partner_client_id();
  request.mutable_client()->clear_contacts();
  EXPECT_TRUE(ValidateUpsertClient(request).ok());
}

// ---- Care team and simple reads ----

TEST(ValidateSetCareTeamTest, NamesEveryBadField) {
  v1::SetCareTeamRequest valid;
  valid.set_clinic_id("clinic-1");
  valid.set_client_id("client-7");
  valid.add_clinician_ids("dr-ada");
  valid.add_clinician_ids("dr-bo");
  auto ids = ValidateSetCareTeam(valid);
  ASSERT_TRUE(ids.ok()) << ids.status();
  EXPECT_THAT(*ids, ElementsAre("dr-ada", "dr-bo"));

  using C = Case<v1::SetCareTeamRequest>;
  RunCases(
      valid, [](const v1::SetCareTeamRequest& r) { return ValidateSetCareTeam(r).status(); },
      std::vector<C>{
          {"clinic", [](auto& r) { r.clear_clinic_id(); }, {"clinic_id"}},
          {"client", [](auto& r) { r.set_client_id("?"); }, {"client_id"}},
          {"bad id", [](auto& r) { r.set_clinician_ids(1, ""); }, {"clinician_ids[1]"}},
          {"duplicate", [](auto& r) { r.add_clinician_ids("dr-ada"); }, {"clinician_ids[2]"}},
          {"too many",
           [](auto& r) {
             for (int i = 0; i < kMaxCareTeamSize - 1; ++i) r.add_clinician_ids(absl::StrCat("dr-", i));
           },
           {"clinician_ids"}},
      });
  v1::SetCareTeamRequest empty = valid;
  empty.clear_clinician_ids();
  EXPECT_TRUE(ValidateSetCareTeam(empty).ok());
}

TEST(ValidateGetContactTest, NamesEveryBadField) {
  v1::GetContactRequest valid;
  valid.set_clinic_id("clinic-1");
  valid.set_kind(v1::PERSON_KIND_CLINICIAN);
  valid.set_person_id("dr-ada");
  using C = Case<v1::GetContactRequest>;
  RunCases(valid, ValidateGetContact,
           std::vector<C>{
               {"clinic", [](auto& r) { r.clear_clinic_id(); }, {"clinic_id"}},
               {"kind unset", [](auto& r) { r.clear_kind(); }, {"kind"}},
               {"kind unknown", [](auto& r) { r.set_kind(static_cast<v1::PersonKind>(3)); }, {"kind"}},
               {"person", [](auto& r) { r.set_person_id("a b"); }, {"person_id"}},
           });
}

TEST(ValidateReadRequestsTest, RequireValidIds) {
  v1::GetClinicianRequest clinician;
  EXPECT_THAT(Fields(ValidateGetClinician(clinician)), ElementsAre("clinic_id", "clinician_id"));
  v1::GetAvailabilityRequest availability;
  EXPECT_THAT(Fields(ValidateGetAvailability(availability)), ElementsAre("clinic_id", "clinician_id"));
  v1::GetClientRequest client;
  client.set_clinic_id("c");
  EXPECT_THAT(Fields(ValidateGetClient(client)), ElementsAre("client_id"));
  v1::CheckCareTeamRequest check;
  check.set_clinic_id("c");
  check.set_client_id("x");
  EXPECT_THAT(Fields(ValidateCheckCareTeam(check)), ElementsAre("clinician_id"));
  check.set_clinician_id("y");
  EXPECT_TRUE(ValidateCheckCareTeam(check).ok());
  v1::GetAppointmentRequest appointment;
  appointment.set_appointment_id("a-1");
  EXPECT_THAT(Fields(ValidateGetAppointment(appointment)), ElementsAre("clinic_id"));
}

// ---- Booking ----

v1::BookAppointmentRequest ValidBooking() {
  v1::BookAppointmentRequest r;
  r.set_clinic_id("clinic-1");
  r.set_idempotency_key(std::string(200, 'k'));
  r.set_clinician_id("dr-ada");
  r.add_client_ids("client-7");
  r.add_client_ids("client-8");
  SetTime(r.mutable_start_time(), kNow + absl::Hours(24));
  SetTime(r.mutable_end_time(), kNow + absl::Hours(24) + kMaxSessionLength);
  r.set_modality(v1::MODALITY_IN_PERSON);
  r.set_room(std::string(100, 'r'));
  return r;
}

absl::Status BookingStatus(const v1::BookAppointmentRequest& r) {
  return ValidateBookAppointment(r, kNow).status();
}

TEST(ValidateBookAppointmentTest, ReturnsTheInterval) {
  auto interval = ValidateBookAppointment(ValidBooking(), kNow);
  ASSERT_TRUE(interval.ok()) << interval.status();
  EXPECT_EQ(*interval, (Interval{kNow + absl::Hours(24), kNow + absl::Hours(32)}));

  v1::BookAppointmentRequest telehealth = ValidBooking();
  telehealth.set_modality(v1::MODALITY_TELEHEALTH);
  telehealth.clear_room();
  telehealth.set_telehealth_url("https://video.example/room/abc?token=x");
  SetTime(telehealth.mutable_start_time(), kNow);  // starting right now is not the past
  SetTime(telehealth.mutable_end_time(), kNow + absl::Minutes(50));
  EXPECT_TRUE(ValidateBookAppointment(telehealth, kNow).ok());
}

TEST(ValidateBookAppointmentTest, NamesEveryBadField) {
  using C = Case<v1::BookAppointmentRequest>;
  auto telehealth = [](v1::BookAppointmentRequest& r) {
    r.set_modality(v1::MODALITY_TELEHEALTH);
    r.clear_room();
  };
  RunCases(
      ValidBooking(), BookingStatus,
      std::vector<C>{
          {"clinic", [](auto& r) { r.clear_clinic_id(); }, {"clinic_id"}},
          {"no key", [](auto& r) { r.clear_idempotency_key(); }, {"idempotency_key"}},
          {"long key", [](auto& r) { r.set_idempotency_key(std::string(201, 'k')); }, {"idempotency_key"}},
          {"key with space", [](auto& r) { r.set_idempotency_key("a b"); }, {"idempotency_key"}},
          {"clinician", [](auto& r) { r.clear_clinician_id(); }, {"clinician_id"}},
          {"no clients", [](auto& r) { r.clear_client_ids(); }, {"client_ids"}},
          {"three clients", [](auto& r) { r.add_client_ids("client-9"); }, {"client_ids"}},
          {"bad client id", [](auto& r) { r.set_client_ids(1, "a/b c"); }, {"client_ids[1]"}},
          {"same client twice", [](auto& r) { r.set_client_ids(1, "client-7"); }, {"client_ids[1]"}},
          {"no start", [](auto& r) { r.clear_start_time(); }, {"start_time"}},
          {"no end", [](auto& r) { r.clear_end_time(); }, {"end_time"}},
          {"invalid start",
           [](auto& r) { r.mutable_start_time()->set_seconds(-62135596801); },
           {"start_time"}},
          {"end before start",
           [](auto& r) { SetTime(r.mutable_end_time(), kNow + absl::Hours(23)); },
           {"end_time"}},
          {"zero length", [](auto& r) { *r.mutable_end_time() = r.start_time(); }, {"end_time"}},
          {"over eight hours",
           [](auto& r) { r.mutable_end_time()->set_seconds(r.end_time().seconds() + 1); },
           {"end_time"}},
          {"in the past",
           [](auto& r) {
             SetTime(r.mutable_start_time(), kNow - absl::Seconds(1));
             SetTime(r.mutable_end_time(), kNow + absl::Minutes(50));
           },
           {"start_time"}},
          {"no modality",
           [](auto& r) {
             r.clear_modality();
             r.clear_room();
           },
           {"modality"}},
          {"unknown modality",
           [](auto& r) {
             r.set_modality(static_cast<v1::Modality>(7));
             r.clear_room();
           },
           {"modality"}},
          {"room too long", [](auto& r) { r.set_room(std::string(101, 'r')); }, {"room"}},
          {"room with control", [](auto& r) { r.set_room("Room\r1"); }, {"room"}},
          {"room for telehealth",
           [&](auto& r) {
             telehealth(r);
             r.set_room("R1");
           },
           {"room"}},
          {"url for in person",
           [](auto& r) { r.set_telehealth_url("https://video.example/x"); },
           {"telehealth_url"}},
          {"url not https",
           [&](auto& r) {
             telehealth(r);
             r.set_telehealth_url("http://video.example/x");
           },
           {"telehealth_url"}},
          {"url without host",
           [&](auto& r) {
             telehealth(r);
             r.set_telehealth_url("https:///x");
           },
           {"telehealth_url"}},
          {"url with credentials",
           [&](auto& r) {
             telehealth(r);
             r.set_telehealth_url("https://clinic.example@evil.example/x");
           },
           {"telehealth_url"}},
          {"url with space",
           [&](auto& r) {
             telehealth(r);
             r.set_telehealth_url("https://video.example/a b");
           },
           {"telehealth_url"}},
          {"url too long",
           [&](auto& r) {
             telehealth(r);
             r.set_telehealth_url("https://v.example/" + std::string(1983, 'a'));
           },
           {"telehealth_url"}},
          {"every problem at once",
           [](auto& r) {
             r.clear_clinic_id();
             r.clear_idempotency_key();
             r.clear_client_ids();
             r.clear_modality();
           },
           {"clinic_id", "idempotency_key", "client_ids", "modality", "room"}},
      });
}

TEST(ValidateBookAppointmentTest, UrlOfExactlyTheLimitIsAllowed) {
  v1::BookAppointmentRequest r = ValidBooking();
  r.set_modality(v1::MODALITY_TELEHEALTH);
  r.clear_room();
  r.set_telehealth_url("https://v.example/" + std::string(1982, 'a'));
  ASSERT_EQ(r.telehealth_url().size(), 2000u);
  EXPECT_TRUE(ValidateBookAppointment(r, kNow).ok());
}

TEST(ValidateBookAppointmentTest, NeverQuotesTheUrl) {
  v1::BookAppointmentRequest r = ValidBooking();
  r.set_telehealth_url("https://video.example/secret-room-token");
  absl::Status status = ValidateBookAppointment(r, kNow).status();
  ASSERT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Descriptions(status), Not(HasSubstr("secret-room-token")));
}

// ---- Changes to an appointment ----

TEST(ValidateRescheduleAppointmentTest, NamesEveryBadField) {
  v1::RescheduleAppointmentRequest valid;
  valid.set_clinic_id("clinic-1");
  valid.set_appointment_id("appt-1");
  SetTime(valid.mutable_start_time(), kNow + absl::Hours(1));
  SetTime(valid.mutable_end_time(), kNow + absl::Hours(2));
  auto interval = ValidateRescheduleAppointment(valid, kNow);
  ASSERT_TRUE(interval.ok()) << interval.status();
  EXPECT_EQ(*interval, (Interval{kNow + absl::Hours(1), kNow + absl::Hours(2)}));
  using C = Case<v1::RescheduleAppointmentRequest>;
  RunCases(
      valid,
      [](const v1::RescheduleAppointmentRequest& r) {
        return ValidateRescheduleAppointment(r, kNow).status();
      },
      std::vector<C>{
          {"clinic", [](auto& r) { r.clear_clinic_id(); }, {"clinic_id"}},
          {"appointment", [](auto& r) { r.clear_appointment_id(); }, {"appointment_id"}},
          {"past", [](auto& r) { SetTime(r.mutable_start_time(), kNow - absl::Minutes(1)); }, {"start_time"}},
          {"reversed", [](auto& r) { SetTime(r.mutable_end_time(), kNow); }, {"end_time"}},
          {"too long", [](auto& r) { SetTime(r.mutable_end_time(), kNow + absl::Hours(10)); }, {"end_time"}},
          {"no times",
           [](auto& r) {
             r.clear_start_time();
             r.clear_end_time();
           },
           {"start_time", "end_time"}},
      });
}

TEST(ValidateCancelAppointmentTest, LimitsTheReason) {
  v1::CancelAppointmentRequest valid;
  valid.set_clinic_id("clinic-1");
  valid.set_appointment_id("appt-1");
  valid.set_reason(std::string(1000, 'x'));
  using C = Case<v1::CancelAppointmentRequest>;
  RunCases(valid, ValidateCancelAppointment,
           std::vector<C>{
               {"clinic", [](auto& r) { r.clear_clinic_id(); }, {"clinic_id"}},
               {"appointment", [](auto& r) { r.set_appointment_id("a b"); }, {"appointment_id"}},
               {"reason", [](auto& r) { r.set_reason(std::string(1001, 'x')); }, {"reason"}},
           });
  valid.clear_reason();
  EXPECT_TRUE(ValidateCancelAppointment(valid).ok());
}

TEST(ValidateCancelAppointmentTest, CountsCharactersNotBytes) {
  v1::CancelAppointmentRequest request;
  request.set_clinic_id("clinic-1");
  request.set_appointment_id("appt-1");
  std::string reason;
  for (int i = 0; i < 1000; ++i) reason += "\xC3\xA4";  // 1000 times U+00E4
  request.set_reason(reason);
  EXPECT_TRUE(ValidateCancelAppointment(request).ok());
  request.set_reason(reason + "\xC3\xA4");
  EXPECT_THAT(Fields(ValidateCancelAppointment(request)), ElementsAre("reason"));
}

TEST(ValidateRecordAttendanceTest, RequiresAKnownAction) {
  v1::RecordAttendanceRequest valid;
  valid.set_clinic_id("clinic-1");
  valid.set_appointment_id("appt-1");
  valid.set_action(v1::ATTENDANCE_ACTION_MARK_NO_SHOW);
  using C = Case<v1::RecordAttendanceRequest>;
  RunCases(valid, ValidateRecordAttendance,
           std::vector<C>{
               {"clinic", [](auto& r) { r.clear_clinic_id(); }, {"clinic_id"}},
               {"appointment", [](auto& r) { r.clear_appointment_id(); }, {"appointment_id"}},
               {"unset", [](auto& r) { r.clear_action(); }, {"action"}},
               {"unknown", [](auto& r) { r.set_action(static_cast<v1::AttendanceAction>(42)); }, {"action"}},
           });
}

// ---- Reads over time ----

TEST(ValidateListAppointmentsTest, BuildsTheFilter) {
  v1::ListAppointmentsRequest valid;
  valid.set_clinic_id("clinic-1");
  valid.set_clinician_id("dr-ada");
  SetTime(valid.mutable_start_time(), kNow);
  SetTime(valid.mutable_end_time(), kNow + absl::Hours(1));
  valid.add_statuses(v1::APPOINTMENT_STATUS_BOOKED);
  valid.add_statuses(v1::APPOINTMENT_STATUS_WAITLIST);
  valid.mutable_page()->set_page_size(25);
  auto query = ValidateListAppointments(valid);
  ASSERT_TRUE(query.ok()) << query.status();
  EXPECT_EQ(query->filter.clinic_id, "clinic-1");
  EXPECT_EQ(query->filter.clinician_id, "dr-ada");
  EXPECT_EQ(query->filter.client_id, "");
  EXPECT_EQ(query->filter.starts_from, kNow);
  EXPECT_EQ(query->filter.starts_before, kNow + absl::Hours(1));
  EXPECT_THAT(query->filter.statuses,
              ElementsAre(v1::APPOINTMENT_STATUS_BOOKED, v1::APPOINTMENT_STATUS_WAITLIST));
  EXPECT_EQ(query->page_size, 25);

  v1::ListAppointmentsRequest open;
  open.set_clinic_id("clinic-1");
  auto open_query = ValidateListAppointments(open);
  ASSERT_TRUE(open_query.ok());
  EXPECT_EQ(open_query->filter.starts_from, std::nullopt);
  EXPECT_EQ(open_query->filter.starts_before, std::nullopt);

  using C = Case<v1::ListAppointmentsRequest>;
  RunCases(
      valid, [](const v1::ListAppointmentsRequest& r) { return ValidateListAppointments(r).status(); },
      std::vector<C>{
          {"clinic", [](auto& r) { r.clear_clinic_id(); }, {"clinic_id"}},
          {"clinician", [](auto& r) { r.set_clinician_id("a b"); }, {"clinician_id"}},
          {"client", [](auto& r) { r.set_client_id("a b"); }, {"client_id"}},
          {"reversed", [](auto& r) { SetTime(r.mutable_end_time(), kNow); }, {"end_time"}},
          {"invalid start", [](auto& r) { r.mutable_start_time()->set_nanos(1000000000); }, {"start_time"}},
          {"unspecified status",
           [](auto& r) { r.add_statuses(v1::APPOINTMENT_STATUS_UNSPECIFIED); },
           {"statuses[2]"}},
          {"unknown status",
           [](auto& r) { r.set_statuses(0, static_cast<v1::AppointmentStatus>(99)); },
           {"statuses[0]"}},
          {"negative page size", [](auto& r) { r.mutable_page()->set_page_size(-1); }, {"page.page_size"}},
      });
}

TEST(ValidateGetClinicianDayTest, RequiresARealDate) {
  v1::GetClinicianDayRequest valid;
  valid.set_clinic_id("clinic-1");
  valid.set_clinician_id("dr-ada");
  SetDate(valid.mutable_date(), 2028, 2, 29);
  auto day = ValidateGetClinicianDay(valid);
  ASSERT_TRUE(day.ok()) << day.status();
  EXPECT_EQ(*day, absl::CivilDay(2028, 2, 29));
  using C = Case<v1::GetClinicianDayRequest>;
  RunCases(
      valid, [](const v1::GetClinicianDayRequest& r) { return ValidateGetClinicianDay(r).status(); },
      std::vector<C>{
          {"clinic", [](auto& r) { r.clear_clinic_id(); }, {"clinic_id"}},
          {"clinician", [](auto& r) { r.clear_clinician_id(); }, {"clinician_id"}},
          {"no date", [](auto& r) { r.clear_date(); }, {"date"}},
          {"29 February of a common year", [](auto& r) { SetDate(r.mutable_date(), 2027, 2, 29); }, {"date"}},
          {"day 0", [](auto& r) { SetDate(r.mutable_date(), 2027, 2, 0); }, {"date"}},
      });
}

TEST(ValidateFindSlotsTest, NamesEveryBadField) {
  v1::FindSlotsRequest valid;
  valid.set_clinic_id("clinic-1");
  for (int i = 0; i < kMaxSlotSearchClinicians; ++i) valid.add_clinician_ids(absl::StrCat("dr-", i));
  SetDate(valid.mutable_first_date(), 2026, 3, 1);
  SetDate(valid.mutable_last_date(), 2026, 5, 31);  // 92 days inclusive
  valid.set_client_id("client-7");
  valid.set_duration_minutes(480);
  auto search = ValidateFindSlots(valid);
  ASSERT_TRUE(search.ok()) << search.status();
  EXPECT_EQ(search->clinician_ids.size(), 10u);
  EXPECT_EQ(search->first_date, absl::CivilDay(2026, 3, 1));
  EXPECT_EQ(search->last_date, absl::CivilDay(2026, 5, 31));
  EXPECT_EQ(search->duration, absl::Hours(8));
  EXPECT_EQ(search->step, absl::Minutes(15));
  valid.set_step_minutes(30);
  valid.set_duration_minutes(0);
  search = ValidateFindSlots(valid);
  ASSERT_TRUE(search.ok()) << search.status();
  EXPECT_EQ(search->step, absl::Minutes(30));
  EXPECT_EQ(search->duration, absl::ZeroDuration());

  using C = Case<v1::FindSlotsRequest>;
  RunCases(
      valid, [](const v1::FindSlotsRequest& r) { return ValidateFindSlots(r).status(); },
      std::vector<C>{
          {"clinic", [](auto& r) { r.clear_clinic_id(); }, {"clinic_id"}},
          {"no clinicians", [](auto& r) { r.clear_clinician_ids(); }, {"clinician_ids"}},
          {"eleven clinicians", [](auto& r) { r.add_clinician_ids("dr-x"); }, {"clinician_ids"}},
          {"bad clinician id", [](auto& r) { r.set_clinician_ids(3, ""); }, {"clinician_ids[3]"}},
          {"repeated clinician", [](auto& r) { r.set_clinician_ids(4, "dr-0"); }, {"clinician_ids[4]"}},
          {"client", [](auto& r) { r.set_client_id("a b"); }, {"client_id"}},
          {"no first date", [](auto& r) { r.clear_first_date(); }, {"first_date"}},
          {"bad last date", [](auto& r) { SetDate(r.mutable_last_date(), 2026, 6, 31); }, {"last_date"}},
          {"reversed", [](auto& r) { SetDate(r.mutable_last_date(), 2026, 2, 28); }, {"last_date"}},
          {"93 days", [](auto& r) { SetDate(r.mutable_last_date(), 2026, 6, 1); }, {"last_date"}},
          {"duration negative", [](auto& r) { r.set_duration_minutes(-1); }, {"duration_minutes"}},
          {"duration too long", [](auto& r) { r.set_duration_minutes(481); }, {"duration_minutes"}},
          {"step negative", [](auto& r) { r.set_step_minutes(-15); }, {"step_minutes"}},
          {"step too long", [](auto& r) { r.set_step_minutes(481); }, {"step_minutes"}},
      });
}

TEST(ValidateGetAttendanceSummaryTest, NamesEveryBadField) {
  v1::GetAttendanceSummaryRequest valid;
  valid.set_clinic_id("clinic-1");
  valid.set_client_id("client-7");
  SetTime(valid.mutable_start_time(), kNow);
  SetTime(valid.mutable_end_time(), kNow + kMaxAttendanceWindow);
  auto window = ValidateGetAttendanceSummary(valid);
  ASSERT_TRUE(window.ok()) << window.status();
  EXPECT_EQ(*window, (Interval{kNow, kNow + kMaxAttendanceWindow}));
  using C = Case<v1::GetAttendanceSummaryRequest>;
  RunCases(
      valid,
      [](const v1::GetAttendanceSummaryRequest& r) { return ValidateGetAttendanceSummary(r).status(); },
      std::vector<C>{
          {"clinic", [](auto& r) { r.clear_clinic_id(); }, {"clinic_id"}},
          {"client", [](auto& r) { r.clear_client_id(); }, {"client_id"}},
          {"no start", [](auto& r) { r.clear_start_time(); }, {"start_time"}},
          {"no end", [](auto& r) { r.clear_end_time(); }, {"end_time"}},
          {"reversed", [](auto& r) { SetTime(r.mutable_end_time(), kNow); }, {"end_time"}},
          {"over three years",
           [](auto& r) { r.mutable_end_time()->set_seconds(r.end_time().seconds() + 1); },
           {"end_time"}},
      });
}

// ---- Waitlist ----

v1::JoinWaitlistRequest ValidJoin() {
  v1::JoinWaitlistRequest request;
  v1::WaitlistEntry& e = *request.mutable_entry();
  e.set_clinic_id("clinic-1");
  e.set_client_id("client-7");
  e.set_clinician_id("dr-1");
  auto* tue = e.add_windows();
  tue->set_weekday(2);
  SetClock(tue->mutable_start(), 9, 0);
  SetClock(tue->mutable_end(), 12, 0);
  auto* mon = e.add_windows();
  mon->set_weekday(1);
  SetClock(mon->mutable_start(), 13, 0);
  SetClock(mon->mutable_end(), 17, 0);
  auto* sun = e.add_windows();
  sun->set_weekday(7);
  SetClock(sun->mutable_start(), 18, 0);
  sun->set_until_midnight(true);
  SetDate(sun->mutable_effective_until(), 2027, 3, 1);
  e.set_time_zone("Asia/Kolkata");
  e.set_modality(v1::MODALITY_TELEHEALTH);
  return request;
}

absl::Status JoinStatus(const v1::JoinWaitlistRequest& r) { return ValidateJoinWaitlist(r).status(); }

TEST(ValidateJoinWaitlistTest, ReturnsTheWindowsAndTheZone) {
  auto windows = ValidateJoinWaitlist(ValidJoin());
  ASSERT_TRUE(windows.ok()) << windows.status();
  ASSERT_EQ(windows->windows.size(), 3u);
  EXPECT_EQ(windows->windows[0].weekday, absl::Weekday::tuesday);
  EXPECT_EQ(windows->windows[0].start_minute, 9 * 60);
  EXPECT_EQ(windows->windows[0].end_minute, 12 * 60);
  EXPECT_EQ(windows->windows[1].weekday, absl::Weekday::monday);
  EXPECT_EQ(windows->windows[2].weekday, absl::Weekday::sunday);
  EXPECT_EQ(windows->windows[2].end_minute, 24 * 60);
  EXPECT_EQ(windows->windows[2].effective_until, absl::CivilDay(2027, 3, 1));
  ASSERT_TRUE(windows->zone.has_value());
  EXPECT_EQ(windows->zone->name(), "Asia/Kolkata");

  // No zone named: the client's zone is used, which is the handler's to look up.
  v1::JoinWaitlistRequest no_zone = ValidJoin();
  no_zone.mutable_entry()->clear_time_zone();
  windows = ValidateJoinWaitlist(no_zone);
  ASSERT_TRUE(windows.ok()) << windows.status();
  EXPECT_EQ(windows->zone, std::nullopt);

  // In person is the other modality allowed; 14 windows is the limit, inclusive.
  v1::JoinWaitlistRequest in_person = ValidJoin();
  in_person.mutable_entry()->set_modality(v1::MODALITY_IN_PERSON);
  for (int i = 0; i < kMaxWaitlistWindows - 3; ++i) {
    *in_person.mutable_entry()->add_windows() = in_person.entry().windows(0);
  }
  ASSERT_EQ(in_person.entry().windows_size(), 14);
  EXPECT_TRUE(ValidateJoinWaitlist(in_person).ok()) << ValidateJoinWaitlist(in_person).status();
}

TEST(ValidateJoinWaitlistTest, NamesEveryBadField) {
  using C = Case<v1::JoinWaitlistRequest>;
  auto e = [](v1::JoinWaitlistRequest& r) { return r.mutable_entry(); };
  RunCases(
      ValidJoin(), JoinStatus,
      std::vector<C>{
          {"no entry", [](auto& r) { r.clear_entry(); }, {"entry"}},
          {"clinic id", [&](auto& r) { e(r)->set_clinic_id(""); }, {"entry.clinic_id"}},
          {"client id", [&](auto& r) { e(r)->set_client_id("a b"); }, {"entry.client_id"}},
          {"clinician id", [&](auto& r) { e(r)->set_clinician_id("é"); }, {"entry.clinician_id"}},
          {"no windows", [&](auto& r) { e(r)->clear_windows(); }, {"entry.windows"}},
          {"15 windows",
           [&](auto& r) {
             for (int i = 0; i < 12; ++i) *e(r)->add_windows() = r.entry().windows(0);
           },
           {"entry.windows"}},
          {"weekday 8",
           [&](auto& r) { e(r)->mutable_windows(0)->set_weekday(8); },
           {"entry.windows[0].weekday"}},
          {"end before start",
           [&](auto& r) { SetClock(e(r)->mutable_windows(1)->mutable_end(), 12, 0); },
           {"entry.windows[1].end"}},
          {"unknown zone", [&](auto& r) { e(r)->set_time_zone("Mars/Base"); }, {"entry.time_zone"}},
          {"no modality", [&](auto& r) { e(r)->set_modality(v1::MODALITY_UNSPECIFIED); }, {"entry.modality"}},
          {"all at once",
           [&](auto& r) {
             e(r)->set_clinic_id("");
             e(r)->set_client_id("a b");
             e(r)->set_clinician_id("é");
             e(r)->mutable_windows(0)->set_weekday(8);  // never reaches the calendar check
             SetClock(e(r)->mutable_windows(1)->mutable_end(), 12, 0);
             e(r)->set_time_zone("Mars/Base");
             e(r)->set_modality(v1::MODALITY_UNSPECIFIED);
           },
           {"entry.clinic_id", "entry.client_id", "entry.clinician_id", "entry.windows[0].weekday",
            "entry.windows[1].end", "entry.time_zone", "entry.modality"}},
      });
}

TEST(ValidateJoinWaitlistTest, NeverQuotesTheZone) {
  v1::JoinWaitlistRequest request = ValidJoin();
  request.mutable_entry()->set_time_zone("Secret/Place");
  EXPECT_THAT(Descriptions(JoinStatus(request)), Not(HasSubstr("Secret")));
}

TEST(ValidateWaitlistReadsTest, RequireValidIds) {
  v1::ListWaitlistRequest list;
  list.set_clinic_id("clinic-1");
  EXPECT_THAT(Fields(ValidateListWaitlist(list)), ElementsAre("clinician_id"));
  list.set_clinician_id("dr-1");
  EXPECT_TRUE(ValidateListWaitlist(list).ok());
  list.set_client_id("client-7");
  EXPECT_TRUE(ValidateListWaitlist(list).ok());
  list.clear_clinician_id();
  EXPECT_TRUE(ValidateListWaitlist(list).ok());
  list.set_client_id("a b");
  EXPECT_THAT(Fields(ValidateListWaitlist(list)), ElementsAre("client_id"));
  list.set_client_id("client-7");
  list.set_clinician_id("é");
  list.set_clinic_id("");
  EXPECT_THAT(Fields(ValidateListWaitlist(list)), ElementsAre("clinic_id", "clinician_id"));

  v1::LeaveWaitlistRequest leave;
  EXPECT_THAT(Fields(ValidateLeaveWaitlist(leave)), ElementsAre("clinic_id", "entry_id"));
  leave.set_clinic_id("clinic-1");
  leave.set_entry_id("entry-1");
  EXPECT_TRUE(ValidateLeaveWaitlist(leave).ok());

  EXPECT_THAT(Fields(ValidateWaitlistOfferAnswer("", "a b")), ElementsAre("clinic_id", "appointment_id"));
  EXPECT_TRUE(ValidateWaitlistOfferAnswer("clinic-1", "appt-1").ok());
}

}  // namespace
}  // namespace tandem::scheduling
