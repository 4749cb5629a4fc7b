// ValidateBookSeries and the change scope of a reschedule or a cancellation: every bad field is named as the
// proto spells it, and a valid request yields the recurrence rule the handler expands.
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/status/field_violations.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/scheduling/domain/recurrence.h"
#include "services/scheduling/domain/request_validation.h"

namespace tandem::scheduling {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::IsEmpty;

const absl::Time kNow = absl::FromCivil(absl::CivilMinute(2026, 12, 1, 12, 0), absl::UTCTimeZone());

std::vector<std::string> Fields(const absl::Status& status) {
  std::vector<std::string> fields;
  for (const auto& v : GetFieldViolations(status)) fields.push_back(v.field());
  return fields;
}

void SetDate(tandem::common::v1::CivilDate* d, int y, int m, int day) {
  d->set_year(y);
  d->set_month(m);
  d->set_day(day);
}

// Tuesdays at 09:00 for 50 minutes from 2027-03-02, 12 times, nothing booked when one conflicts.
v1::BookSeriesRequest ValidSeries() {
  v1::BookSeriesRequest r;
  r.set_clinic_id("clinic-1");
  r.set_idempotency_key("series-key");
  r.set_clinician_id("dr-ada");
  r.add_client_ids("client-7");
  r.set_modality(v1::MODALITY_TELEHEALTH);
  r.set_on_conflict(v1::SERIES_CONFLICT_POLICY_BOOK_NONE);
  v1::Recurrence& rec = *r.mutable_recurrence();
  SetDate(rec.mutable_first_date(), 2027, 3, 2);
  rec.add_weekdays(2);
  rec.mutable_start()->set_hours(9);
  rec.set_duration_minutes(50);
  rec.set_count(12);
  return r;
}

TEST(ValidateBookSeriesTest, AValidRequestYieldsTheRule) {
  absl::StatusOr<SeriesBooking> series = ValidateBookSeries(ValidSeries());
  ASSERT_TRUE(series.ok()) << series.status();
  EXPECT_FALSE(series->skip_conflicts);
  const RecurrenceRule& rule = series->rule;
  EXPECT_EQ(rule.first_date, absl::CivilDay(2027, 3, 2));
  EXPECT_EQ(rule.interval_weeks, 1) << "0 means every week";
  EXPECT_THAT(rule.weekdays, ElementsAre(absl::Weekday::tuesday));
  EXPECT_EQ(rule.start_minute, 9 * 60);
  EXPECT_EQ(rule.duration, absl::Minutes(50));
  EXPECT_EQ(rule.count, 12);
  EXPECT_FALSE(rule.until.has_value());

  v1::BookSeriesRequest by_until = ValidSeries();
  by_until.set_on_conflict(v1::SERIES_CONFLICT_POLICY_SKIP_CONFLICTS);
  by_until.mutable_recurrence()->clear_count();
  by_until.mutable_recurrence()->set_interval_weeks(2);
  by_until.mutable_recurrence()->add_weekdays(7);
  SetDate(by_until.mutable_recurrence()->mutable_until(), 2027, 6, 30);
  series = ValidateBookSeries(by_until);
  ASSERT_TRUE(series.ok()) << series.status();
  EXPECT_TRUE(series->skip_conflicts);
  EXPECT_EQ(series->rule.interval_weeks, 2);
  EXPECT_THAT(series->rule.weekdays, ElementsAre(absl::Weekday::tuesday, absl::Weekday::sunday));
  EXPECT_FALSE(series->rule.count.has_value());
  EXPECT_EQ(series->rule.until, absl::CivilDay(2027, 6, 30));
}

struct Case {
  std::string name;
  std::function<void(v1::BookSeriesRequest&)> change;
  std::vector<std::string> fields;
};

TEST(ValidateBookSeriesTest, NamesEveryBadFieldAsTheProtoDoes) {
  const std::vector<Case> cases = {
      {"no conflict policy", [](auto& r) { r.clear_on_conflict(); }, {"on_conflict"}},
      {"unknown conflict policy",
       [](auto& r) { r.set_on_conflict(static_cast<v1::SeriesConflictPolicy>(9)); },
       {"on_conflict"}},
      {"no recurrence", [](auto& r) { r.clear_recurrence(); }, {"recurrence"}},
      {"no first date",
       [](auto& r) { r.mutable_recurrence()->clear_first_date(); },
       {"recurrence.first_date"}},
      {"first date not a date",
       [](auto& r) { SetDate(r.mutable_recurrence()->mutable_first_date(), 2027, 2, 30); },
       {"recurrence.first_date"}},
      {"no start", [](auto& r) { r.mutable_recurrence()->clear_start(); }, {"recurrence.start"}},
      {"start with seconds",
       [](auto& r) { r.mutable_recurrence()->mutable_start()->set_seconds(30); },
       {"recurrence.start"}},
      {"start hour 24",
       [](auto& r) { r.mutable_recurrence()->mutable_start()->set_hours(24); },
       {"recurrence.start"}},
      {"weekday 0", [](auto& r) { r.mutable_recurrence()->set_weekdays(0, 0); }, {"recurrence.weekdays[0]"}},
      {"weekday 8 second",
       [](auto& r) { r.mutable_recurrence()->add_weekdays(8); },
       {"recurrence.weekdays[1]"}},
      {"no weekday", [](auto& r) { r.mutable_recurrence()->clear_weekdays(); }, {"recurrence.weekdays"}},
      {"weekday twice", [](auto& r) { r.mutable_recurrence()->add_weekdays(2); }, {"recurrence.weekdays"}},
      {"count and until",
       [](auto& r) { SetDate(r.mutable_recurrence()->mutable_until(), 2027, 6, 1); },
       {"recurrence.until"}},
      {"neither count nor until",
       [](auto& r) { r.mutable_recurrence()->clear_count(); },
       {"recurrence.count"}},
      {"count 261", [](auto& r) { r.mutable_recurrence()->set_count(261); }, {"recurrence.count"}},
      {"count negative", [](auto& r) { r.mutable_recurrence()->set_count(-1); }, {"recurrence.count"}},
      {"interval 53 weeks",
       [](auto& r) { r.mutable_recurrence()->set_interval_weeks(53); },
       {"recurrence.interval_weeks"}},
      {"interval negative",
       [](auto& r) { r.mutable_recurrence()->set_interval_weeks(-1); },
       {"recurrence.interval_weeks"}},
      {"duration 0",
       [](auto& r) { r.mutable_recurrence()->set_duration_minutes(0); },
       {"recurrence.duration_minutes"}},
      {"duration 481",
       [](auto& r) { r.mutable_recurrence()->set_duration_minutes(481); },
       {"recurrence.duration_minutes"}},
      {"until not a date",
       [](auto& r) {
         r.mutable_recurrence()->clear_count();
         SetDate(r.mutable_recurrence()->mutable_until(), 2027, 13, 1);
       },
       {"recurrence.until"}},
      {"until before first date",
       [](auto& r) {
         r.mutable_recurrence()->clear_count();
         SetDate(r.mutable_recurrence()->mutable_until(), 2027, 3, 1);
       },
       {"recurrence.until"}},
      {"bad booking fields too",
       [](auto& r) {
         r.clear_idempotency_key();
         r.clear_on_conflict();
         r.mutable_recurrence()->set_duration_minutes(481);
       },
       {"idempotency_key", "on_conflict", "recurrence.duration_minutes"}},
  };
  ASSERT_TRUE(ValidateBookSeries(ValidSeries()).ok());
  for (const Case& c : cases) {
    v1::BookSeriesRequest request = ValidSeries();
    c.change(request);
    absl::Status status = ValidateBookSeries(request).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.name << ": " << status;
    EXPECT_THAT(Fields(status), ElementsAreArray(c.fields)) << c.name << ": " << status;
  }
}

TEST(ValidateBookSeriesTest, TheLimitsThemselvesAreAccepted) {
  for (int count : {1, 260}) {
    v1::BookSeriesRequest r = ValidSeries();
    r.mutable_recurrence()->set_count(count);
    EXPECT_TRUE(ValidateBookSeries(r).ok()) << count;
  }
  for (int minutes : {1, 480}) {
    v1::BookSeriesRequest r = ValidSeries();
    r.mutable_recurrence()->set_duration_minutes(minutes);
    EXPECT_TRUE(ValidateBookSeries(r).ok()) << minutes;
  }
  v1::BookSeriesRequest r = ValidSeries();
  r.mutable_recurrence()->set_interval_weeks(52);
  EXPECT_TRUE(ValidateBookSeries(r).ok());
}

v1::RescheduleAppointmentRequest ValidReschedule() {
  v1::RescheduleAppointmentRequest r;
  r.set_clinic_id("clinic-1");
  r.set_appointment_id("appt-1");
  r.mutable_start_time()->set_seconds(absl::ToUnixSeconds(kNow + absl::Hours(24)));
  r.mutable_end_time()->set_seconds(absl::ToUnixSeconds(kNow + absl::Hours(25)));
  return r;
}

v1::CancelAppointmentRequest ValidCancel() {
  v1::CancelAppointmentRequest r;
  r.set_clinic_id("clinic-1");
  r.set_appointment_id("appt-1");
  return r;
}

TEST(CheckScopeTest, EveryKnownScopeIsAcceptedAndAnUnknownOneIsNamed) {
  for (v1::ChangeScope scope : {v1::CHANGE_SCOPE_UNSPECIFIED, v1::CHANGE_SCOPE_THIS_OCCURRENCE,
                                v1::CHANGE_SCOPE_THIS_AND_FOLLOWING, v1::CHANGE_SCOPE_WHOLE_SERIES}) {
    v1::RescheduleAppointmentRequest reschedule = ValidReschedule();
    reschedule.set_scope(scope);
    EXPECT_TRUE(ValidateRescheduleAppointment(reschedule, kNow).ok()) << scope;
    v1::CancelAppointmentRequest cancel = ValidCancel();
    cancel.set_scope(scope);
    EXPECT_TRUE(ValidateCancelAppointment(cancel).ok()) << scope;
  }
  v1::RescheduleAppointmentRequest reschedule = ValidReschedule();
  reschedule.set_scope(static_cast<v1::ChangeScope>(99));
  absl::Status status = ValidateRescheduleAppointment(reschedule, kNow).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Fields(status), ElementsAre("scope"));

  v1::CancelAppointmentRequest cancel = ValidCancel();
  cancel.set_scope(static_cast<v1::ChangeScope>(99));
  status = ValidateCancelAppointment(cancel);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Fields(status), ElementsAre("scope"));
  EXPECT_THAT(Fields(ValidateCancelAppointment(ValidCancel())), IsEmpty());
}

}  // namespace
}  // namespace tandem::scheduling
