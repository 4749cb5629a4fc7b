#include "services/scheduling/domain/availability.h"

#include <algorithm>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "common/time/time_zone.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tandem::scheduling {
namespace {

using ::testing::ElementsAreArray;
using CD = absl::CivilDay;
using W = absl::Weekday;

absl::Time Utc(int y, int mo, int d, int h, int mi) {
  return absl::FromCivil(absl::CivilMinute(y, mo, d, h, mi), absl::UTCTimeZone());
}

WorkingHoursRule Hours(W weekday, int start_hour, int start_min, int end_hour, int end_min) {
  WorkingHoursRule rule;
  rule.weekday = weekday;
  rule.start_minute = start_hour * 60 + start_min;
  rule.end_minute = end_hour * 60 + end_min;
  return rule;
}

BusyAppointment Busy(std::string id, absl::Time start, absl::Duration length,
                     AppointmentStatus status = AppointmentStatus::kBooked) {
  return {std::move(id), {start, start + length}, status};
}

// One case: a clinician in `zone` with no rules, a staff request for one day at 50 minutes in steps of
// `step`, changed by `setup`; the expected slot starts in UTC ("YYYY-MM-DD HH:MM").
struct SlotCase {
  std::string name;
  const char* zone;
  CD day;
  std::function<void(ClinicianCalendar&, SlotRequest&)> setup;
  std::vector<std::string> starts;
};

class FindSlotsTest : public ::testing::TestWithParam<SlotCase> {};

TEST_P(FindSlotsTest, FindsExactlyTheFreeSlots) {
  const SlotCase& c = GetParam();
  auto zone = LoadTimeZone(c.zone);
  ASSERT_TRUE(zone.ok()) << zone.status();
  ClinicianCalendar calendar;
  calendar.policy.time_zone = *zone;
  SlotRequest request;
  request.first_date = c.day;
  request.last_date = c.day;
  request.duration = absl::Minutes(50);
  request.step = absl::Minutes(10);
  request.now = Utc(2026, 1, 1, 0, 0);
  c.setup(calendar, request);
  auto slots = FindSlots(calendar, request);
  ASSERT_TRUE(slots.ok()) << slots.status();
  std::vector<std::string> starts;
  for (const Interval& slot : *slots) {
    starts.push_back(absl::FormatTime("%Y-%m-%d %H:%M", slot.start, absl::UTCTimeZone()));
    const absl::Duration expected =
        request.duration == absl::ZeroDuration() ? calendar.policy.default_session_length : request.duration;
    EXPECT_EQ(slot.length(), expected);
  }
  EXPECT_THAT(starts, ElementsAreArray(c.starts));
}

// A UTC clinician working 09:00-13:00 on Monday 2026-06-01, one 50-minute appointment at 11:00.
void MorningWithEleven(ClinicianCalendar& cal, SlotRequest&) {
  cal.working_hours = {Hours(W::monday, 9, 0, 13, 0)};
  cal.appointments = {Busy("a1", Utc(2026, 6, 1, 11, 0), absl::Minutes(50))};
}

std::vector<std::string> Starts(const std::string& day, std::vector<std::string> times) {
  for (std::string& t : times) t = absl::StrCat(day, " ", t);
  return times;
}

INSTANTIATE_TEST_SUITE_P(
    Calendars, FindSlotsTest,
    ::testing::Values(
        // Zero buffers: back-to-back on both sides (half-open intervals).
        SlotCase{"BackToBackWithoutBuffers", "UTC", CD(2026, 6, 1), MorningWithEleven,
                 Starts("2026-06-01", {"09:00", "09:10", "09:20", "09:30", "09:40", "09:50", "10:00", "10:10",
                                       "11:50", "12:00", "12:10"})},
        // Before 5, after 10: every gap must be at least 15 minutes on both sides.
        SlotCase{"BuffersWidenTheGap", "UTC", CD(2026, 6, 1),
                 [](ClinicianCalendar& cal, SlotRequest& req) {
                   MorningWithEleven(cal, req);
                   cal.policy.buffers = {absl::Minutes(5), absl::Minutes(10)};
                 },
                 Starts("2026-06-01", {"09:00", "09:10", "09:20", "09:30", "09:40", "09:50", "12:10"})},
        SlotCase{
            "CancelledAndNoShowProtectNothing", "UTC", CD(2026, 6, 1),
            [](ClinicianCalendar& cal, SlotRequest&) {
              cal.working_hours = {Hours(W::monday, 9, 0, 11, 0)};
              cal.appointments = {
                  Busy("c", Utc(2026, 6, 1, 9, 0), absl::Minutes(50), AppointmentStatus::kCancelled),
                  Busy("n", Utc(2026, 6, 1, 10, 0), absl::Minutes(50), AppointmentStatus::kNoShow),
                  Busy("e", Utc(2026, 6, 1, 9, 30), absl::Minutes(50), AppointmentStatus::kEnteredInError),
                  Busy("w", Utc(2026, 6, 1, 9, 30), absl::Minutes(50), AppointmentStatus::kWaitlist)};
            },
            Starts("2026-06-01", {"09:00", "09:10", "09:20", "09:30", "09:40", "09:50", "10:00", "10:10"})},
        SlotCase{"PendingProtectsTime", "UTC", CD(2026, 6, 1),
                 [](ClinicianCalendar& cal, SlotRequest&) {
                   cal.working_hours = {Hours(W::monday, 9, 0, 11, 0)};
                   cal.appointments = {
                       Busy("p", Utc(2026, 6, 1, 9, 0), absl::Minutes(50), AppointmentStatus::kPending)};
                 },
                 Starts("2026-06-01", {"09:50", "10:00", "10:10"})},
        // Partial time off 09:00-10:00 and an overlapping 09:30-10:20.
        SlotCase{"OverlappingTimeOff", "UTC", CD(2026, 6, 1),
                 [](ClinicianCalendar& cal, SlotRequest&) {
                   cal.working_hours = {Hours(W::monday, 9, 0, 12, 0)};
                   cal.time_off = {{Utc(2026, 6, 1, 9, 0), Utc(2026, 6, 1, 10, 0)},
                                   {Utc(2026, 6, 1, 9, 30), Utc(2026, 6, 1, 10, 20)}};
                 },
                 Starts("2026-06-01", {"10:20", "10:30", "10:40", "10:50", "11:00", "11:10"})},
        SlotCase{"DayOff",
                 "UTC",
                 CD(2026, 6, 1),
                 [](ClinicianCalendar& cal, SlotRequest&) {
                   cal.working_hours = {Hours(W::monday, 9, 0, 12, 0)};
                   cal.days_off = {{CD(2026, 5, 30), CD(2026, 6, 1)}};
                 },
                 {}},
        // Two rules that touch make one working interval; a slot may span the seam.
        SlotCase{"TouchingRulesJoin", "UTC", CD(2026, 6, 1),
                 [](ClinicianCalendar& cal, SlotRequest& req) {
                   cal.working_hours = {Hours(W::monday, 12, 0, 13, 0), Hours(W::monday, 11, 0, 12, 0)};
                   req.step = absl::Minutes(30);
                 },
                 Starts("2026-06-01", {"11:00", "11:30", "12:00"})},
        // Steps align to each working interval's own start: 13:05, not 13:10.
        SlotCase{"StepAlignsToEachIntervalStart", "UTC", CD(2026, 6, 1),
                 [](ClinicianCalendar& cal, SlotRequest& req) {
                   cal.working_hours = {Hours(W::monday, 9, 0, 10, 0), Hours(W::monday, 13, 5, 14, 20)};
                   req.step = absl::Minutes(15);
                 },
                 Starts("2026-06-01", {"09:00", "13:05", "13:20"})},
        SlotCase{"RuleNotInEffect", "UTC", CD(2026, 6, 1),
                 [](ClinicianCalendar& cal, SlotRequest& req) {
                   WorkingHoursRule old = Hours(W::monday, 9, 0, 10, 0);
                   old.effective_until = CD(2026, 5, 31);
                   WorkingHoursRule current = Hours(W::monday, 14, 0, 15, 0);
                   current.effective_from = CD(2026, 6, 1);
                   WorkingHoursRule future = Hours(W::monday, 16, 0, 17, 0);
                   future.effective_from = CD(2026, 6, 2);
                   cal.working_hours = {old, current, future};
                   req.step = absl::Minutes(60);
                 },
                 Starts("2026-06-01", {"14:00"})},
        SlotCase{"DefaultSessionLength", "UTC", CD(2026, 6, 1),
                 [](ClinicianCalendar& cal, SlotRequest& req) {
                   cal.working_hours = {Hours(W::monday, 9, 0, 11, 0)};
                   cal.policy.default_session_length = absl::Minutes(90);
                   req.duration = absl::ZeroDuration();
                   req.step = absl::Minutes(30);
                 },
                 Starts("2026-06-01", {"09:00", "09:30"})},
        // Staff skip notice and horizon but never get the past; clients get neither.
        SlotCase{"StaffNotBeforeNow", "UTC", CD(2026, 6, 1),
                 [](ClinicianCalendar& cal, SlotRequest& req) {
                   cal.working_hours = {Hours(W::monday, 9, 0, 11, 0)};
                   cal.policy.minimum_notice = absl::Hours(24);
                   cal.policy.booking_horizon = absl::Minutes(1);
                   req.now = Utc(2026, 6, 1, 9, 40);
                 },
                 Starts("2026-06-01", {"09:40", "09:50", "10:00", "10:10"})},
        SlotCase{"ClientMinimumNotice", "UTC", CD(2026, 6, 1),
                 [](ClinicianCalendar& cal, SlotRequest& req) {
                   cal.working_hours = {Hours(W::monday, 9, 0, 11, 0)};
                   cal.policy.self_booking_allowed = true;
                   cal.policy.minimum_notice = absl::Hours(2);
                   req.self_booking = true;
                   req.now = Utc(2026, 6, 1, 7, 50);  // the first slot may start at 09:50
                 },
                 Starts("2026-06-01", {"09:50", "10:00", "10:10"})},
        SlotCase{"ClientHorizonIsInclusive", "UTC", CD(2026, 6, 1),
                 [](ClinicianCalendar& cal, SlotRequest& req) {
                   cal.working_hours = {Hours(W::monday, 9, 0, 11, 0)};
                   cal.policy.self_booking_allowed = true;
                   cal.policy.booking_horizon = absl::Hours(48);
                   req.self_booking = true;
                   req.now = Utc(2026, 5, 30, 9, 20);  // the last slot may start at 09:20 on 06-01
                 },
                 Starts("2026-06-01", {"09:00", "09:10", "09:20"})},
        // New York, Sunday 09:00-11:00 in steps of 30: the same local slots an hour earlier in UTC once
        // daylight time starts on 2026-03-08 and an hour later once it ends on 2026-11-01.
        SlotCase{"NewYorkSpringForwardDay", "America/New_York", CD(2026, 3, 8),
                 [](ClinicianCalendar& cal, SlotRequest& req) {
                   cal.working_hours = {Hours(W::sunday, 9, 0, 11, 0)};
                   req.step = absl::Minutes(30);
                 },
                 Starts("2026-03-08", {"13:00", "13:30", "14:00"})},
        SlotCase{"NewYorkSundayBefore", "America/New_York", CD(2026, 3, 1),
                 [](ClinicianCalendar& cal, SlotRequest& req) {
                   cal.working_hours = {Hours(W::sunday, 9, 0, 11, 0)};
                   req.step = absl::Minutes(30);
                 },
                 Starts("2026-03-01", {"14:00", "14:30", "15:00"})},
        SlotCase{"NewYorkFallBackDay", "America/New_York", CD(2026, 11, 1),
                 [](ClinicianCalendar& cal, SlotRequest& req) {
                   cal.working_hours = {Hours(W::sunday, 9, 0, 11, 0)};
                   req.step = absl::Minutes(30);
                 },
                 Starts("2026-11-01", {"14:00", "14:30", "15:00"})},
        // 01:00-04:00 on the spring-forward night is two hours of real time: 01:00 EST and 03:00 EDT.
        SlotCase{"NewYorkNightAcrossTheGap", "America/New_York", CD(2026, 3, 8),
                 [](ClinicianCalendar& cal, SlotRequest& req) {
                   cal.working_hours = {Hours(W::sunday, 1, 0, 4, 0)};
                   req.duration = absl::Minutes(60);
                   req.step = absl::Minutes(60);
                 },
                 Starts("2026-03-08", {"06:00", "07:00"})},
        // 00:00-03:00 on the fall-back night is four hours of real time.
        SlotCase{"NewYorkNightAcrossTheRepeat", "America/New_York", CD(2026, 11, 1),
                 [](ClinicianCalendar& cal, SlotRequest& req) {
                   cal.working_hours = {Hours(W::sunday, 0, 0, 3, 0)};
                   req.duration = absl::Minutes(60);
                   req.step = absl::Minutes(60);
                 },
                 Starts("2026-11-01", {"04:00", "05:00", "06:00", "07:00"})},
        // A start at 02:30, which does not exist on 2026-03-08, starts when the clocks jump (07:00Z = 03:00
        // EDT), so one hour fits before 04:00 EDT.
        SlotCase{"NewYorkStartInTheGap", "America/New_York", CD(2026, 3, 8),
                 [](ClinicianCalendar& cal, SlotRequest& req) {
                   cal.working_hours = {Hours(W::sunday, 2, 30, 4, 0)};
                   req.duration = absl::Minutes(60);
                   req.step = absl::Minutes(30);
                 },
                 Starts("2026-03-08", {"07:00"})},
        // A start at 01:30, which happens twice on 2026-11-01, is the second 01:30 (EST, 06:30Z), so every
        // offered minute reads 01:30 or later on the wall clock.
        SlotCase{"NewYorkStartRepeated", "America/New_York", CD(2026, 11, 1),
                 [](ClinicianCalendar& cal, SlotRequest& req) {
                   cal.working_hours = {Hours(W::sunday, 1, 30, 3, 0)};
                   req.duration = absl::Minutes(30);
                   req.step = absl::Minutes(30);
                 },
                 Starts("2026-11-01", {"06:30", "07:00", "07:30"})},
        // An end at 01:30 on the fall-back night ends at the first 01:30 (EDT, 05:30Z).
        SlotCase{"NewYorkEndRepeated", "America/New_York", CD(2026, 11, 1),
                 [](ClinicianCalendar& cal, SlotRequest& req) {
                   cal.working_hours = {Hours(W::sunday, 0, 30, 1, 30)};
                   req.duration = absl::Minutes(30);
                   req.step = absl::Minutes(30);
                 },
                 Starts("2026-11-01", {"04:30", "05:00"})},
        SlotCase{"BerlinSpringForwardDay", "Europe/Berlin", CD(2026, 3, 29),
                 [](ClinicianCalendar& cal, SlotRequest& req) {
                   cal.working_hours = {Hours(W::sunday, 9, 0, 11, 0)};
                   req.step = absl::Minutes(30);
                 },
                 Starts("2026-03-29", {"07:00", "07:30", "08:00"})},
        SlotCase{"BerlinFallBackDay", "Europe/Berlin", CD(2026, 10, 25),
                 [](ClinicianCalendar& cal, SlotRequest& req) {
                   cal.working_hours = {Hours(W::sunday, 9, 0, 11, 0)};
                   req.step = absl::Minutes(30);
                 },
                 Starts("2026-10-25", {"08:00", "08:30", "09:00"})},
        // A Berlin day off on the fall-back Sunday is 25 hours long: nothing of it is offered.
        SlotCase{"BerlinDayOffOnTheLongDay", "Europe/Berlin", CD(2026, 10, 25),
                 [](ClinicianCalendar& cal, SlotRequest& req) {
                   cal.working_hours = {Hours(W::sunday, 0, 0, 24, 0), Hours(W::monday, 0, 0, 1, 0)};
                   cal.days_off = {{CD(2026, 10, 25), CD(2026, 10, 25)}};
                   req.last_date = CD(2026, 10, 26);
                   req.duration = absl::Minutes(60);
                   req.step = absl::Minutes(60);
                 },
                 Starts("2026-10-25", {"23:00"})},
        SlotCase{"KolkataHalfHourOffset", "Asia/Kolkata", CD(2026, 3, 9),
                 [](ClinicianCalendar& cal, SlotRequest& req) {
                   cal.working_hours = {Hours(W::monday, 9, 0, 10, 0)};
                   req.step = absl::Minutes(5);
                 },
                 Starts("2026-03-09", {"03:30", "03:35", "03:40"})}),
    [](const auto& test_info) { return test_info.param.name; });

ClinicianCalendar UtcCalendar() {
  ClinicianCalendar cal;
  cal.policy.time_zone = absl::UTCTimeZone();
  cal.working_hours = {Hours(W::monday, 9, 0, 17, 0)};
  return cal;
}

SlotRequest OneDay() {
  SlotRequest req;
  req.first_date = CD(2026, 6, 1);
  req.last_date = CD(2026, 6, 1);
  req.duration = absl::Minutes(50);
  req.now = Utc(2026, 1, 1, 0, 0);
  return req;
}

TEST(FindSlotsTest, SelfBookingNeedsTheClinicianToAllowIt) {
  SlotRequest req = OneDay();
  req.self_booking = true;
  EXPECT_EQ(FindSlots(UtcCalendar(), req).status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(FindSlotsTest, OnlyLocalDatesInTheRange) {
  ClinicianCalendar cal = UtcCalendar();
  cal.working_hours = {Hours(W::monday, 9, 0, 10, 0), Hours(W::tuesday, 9, 0, 10, 0),
                       Hours(W::wednesday, 9, 0, 10, 0)};
  SlotRequest req = OneDay();
  req.step = absl::Minutes(60);
  req.last_date = CD(2026, 6, 2);
  auto slots = FindSlots(cal, req);
  ASSERT_TRUE(slots.ok()) << slots.status();
  ASSERT_EQ(slots->size(), 2u);
  EXPECT_EQ((*slots)[0].start, Utc(2026, 6, 1, 9, 0));
  EXPECT_EQ((*slots)[1].start, Utc(2026, 6, 2, 9, 0));
}

TEST(FindSlotsTest, ValidationReportsEveryField) {
  ClinicianCalendar cal = UtcCalendar();
  cal.policy.buffers.after = absl::Minutes(-1);
  cal.working_hours.push_back(Hours(W::tuesday, 12, 0, 11, 0));
  cal.working_hours.push_back(Hours(W::tuesday, 25, 0, 24, 1));
  cal.days_off = {{CD(2026, 6, 2), CD(2026, 6, 1)}};
  SlotRequest req = OneDay();
  req.last_date = CD(2026, 5, 31);
  req.duration = absl::Hours(9);
  req.step = absl::Seconds(90);
  std::vector<std::string> fields;
  for (const FieldViolation& v : ValidateCalendar(cal)) fields.push_back(v.field);
  for (const FieldViolation& v : ValidateSlotRequest(req, cal.policy)) fields.push_back(v.field);
  EXPECT_THAT(fields, ElementsAreArray({"policy.buffers.after", "working_hours[1].end_minute",
                                        "working_hours[2].start_minute", "working_hours[2].end_minute",
                                        "days_off[0].last", "last_date", "duration", "step"}));
  auto slots = FindSlots(cal, req);
  EXPECT_EQ(slots.status().code(), absl::StatusCode::kInvalidArgument);
  for (const std::string& field : fields) EXPECT_THAT(slots.status().message(), ::testing::HasSubstr(field));
}

struct RangeCase {
  int extra_days;
  absl::Duration duration;
  absl::Duration step;
  bool ok;
};

class SlotRequestLimitsTest : public ::testing::TestWithParam<RangeCase> {};

TEST_P(SlotRequestLimitsTest, AcceptsUpToTheCaps) {
  const RangeCase& c = GetParam();
  SlotRequest req = OneDay();
  req.last_date = req.first_date + c.extra_days;
  req.duration = c.duration;
  req.step = c.step;
  EXPECT_EQ(ValidateSlotRequest(req, UtcCalendar().policy).empty(), c.ok);
  EXPECT_EQ(FindSlots(UtcCalendar(), req).ok(), c.ok);
}

INSTANTIATE_TEST_SUITE_P(
    Caps, SlotRequestLimitsTest,
    ::testing::Values(RangeCase{kMaxSlotSearchDays - 1, absl::Hours(8), absl::Minutes(1), true},
                      RangeCase{kMaxSlotSearchDays, absl::Hours(1), absl::Minutes(15), false},
                      RangeCase{0, absl::Hours(8) + absl::Seconds(1), absl::Minutes(15), false},
                      RangeCase{0, absl::Minutes(-50), absl::Minutes(15), false},
                      RangeCase{0, absl::Minutes(50), absl::ZeroDuration(), false},
                      RangeCase{0, absl::Minutes(50), absl::Hours(8), true},
                      RangeCase{0, absl::Minutes(50), absl::Hours(8) + absl::Minutes(1), false}));

// Every slot found is bookable: ConflictsWith agrees with FindSlots over a crowded week.
TEST(FindSlotsTest, EverySlotIsFreeForBooking) {
  ClinicianCalendar cal = UtcCalendar();
  cal.working_hours = {Hours(W::monday, 8, 0, 18, 0), Hours(W::tuesday, 8, 0, 18, 0)};
  cal.policy.buffers = {absl::Minutes(10), absl::Minutes(5)};
  for (int i = 0; i < 12; ++i) {
    cal.appointments.push_back(
        Busy("a" + std::to_string(i), Utc(2026, 6, 1 + i % 2, 8 + i % 9, (i * 17) % 60), absl::Minutes(45)));
  }
  SlotRequest req = OneDay();
  req.last_date = CD(2026, 6, 2);
  req.step = absl::Minutes(5);
  auto slots = FindSlots(cal, req);
  ASSERT_TRUE(slots.ok()) << slots.status();
  ASSERT_FALSE(slots->empty());
  for (const Interval& slot : *slots) {
    EXPECT_EQ(ConflictsWith(slot, cal.policy.buffers, cal.appointments), std::nullopt)
        << absl::FormatTime(slot.start, absl::UTCTimeZone());
  }
  // And every working-hours start that is not a slot conflicts with something.
  for (absl::Time t = Utc(2026, 6, 1, 8, 0); t + absl::Minutes(50) <= Utc(2026, 6, 1, 18, 0); t += req.step) {
    const Interval candidate{t, t + absl::Minutes(50)};
    const bool offered = std::find(slots->begin(), slots->end(), candidate) != slots->end();
    EXPECT_EQ(offered, !ConflictsWith(candidate, cal.policy.buffers, cal.appointments).has_value())
        << absl::FormatTime(t, absl::UTCTimeZone());
  }
}

struct ConflictCase {
  std::string name;
  absl::Time start;  // of a 50-minute candidate
  Buffers buffers;
  std::vector<BusyAppointment> existing;
  std::string ignore_id;
  std::optional<std::string> conflict;
};

class ConflictsWithTest : public ::testing::TestWithParam<ConflictCase> {};

TEST_P(ConflictsWithTest, NamesTheConflictingAppointment) {
  const ConflictCase& c = GetParam();
  EXPECT_EQ(ConflictsWith({c.start, c.start + absl::Minutes(50)}, c.buffers, c.existing, c.ignore_id),
            c.conflict);
}

const absl::Duration k50 = absl::Minutes(50);

INSTANTIATE_TEST_SUITE_P(
    Bookings, ConflictsWithTest,
    ::testing::Values(ConflictCase{"Free", Utc(2026, 6, 1, 9, 0), {}, {}, "", std::nullopt},
                      ConflictCase{"BackToBackAfter",
                                   Utc(2026, 6, 1, 10, 50),
                                   {},
                                   {Busy("a", Utc(2026, 6, 1, 10, 0), k50)},
                                   "",
                                   std::nullopt},
                      ConflictCase{"BackToBackBefore",
                                   Utc(2026, 6, 1, 9, 10),
                                   {},
                                   {Busy("a", Utc(2026, 6, 1, 10, 0), k50)},
                                   "",
                                   std::nullopt},
                      ConflictCase{"OneMinuteOverlap",
                                   Utc(2026, 6, 1, 9, 11),
                                   {},
                                   {Busy("a", Utc(2026, 6, 1, 10, 0), k50)},
                                   "",
                                   "a"},
                      // before 10 + after 5: the gap after an appointment must be 15 minutes.
                      ConflictCase{"GapCoversBothBuffers",
                                   Utc(2026, 6, 1, 11, 5),
                                   {absl::Minutes(10), absl::Minutes(5)},
                                   {Busy("a", Utc(2026, 6, 1, 10, 0), k50)},
                                   "",
                                   std::nullopt},
                      ConflictCase{"GapOneMinuteShort",
                                   Utc(2026, 6, 1, 11, 4),
                                   {absl::Minutes(10), absl::Minutes(5)},
                                   {Busy("a", Utc(2026, 6, 1, 10, 0), k50)},
                                   "",
                                   "a"},
                      ConflictCase{"GapBeforeCoversBothBuffers",
                                   Utc(2026, 6, 1, 8, 55),
                                   {absl::Minutes(10), absl::Minutes(5)},
                                   {Busy("a", Utc(2026, 6, 1, 10, 0), k50)},
                                   "",
                                   std::nullopt},
                      ConflictCase{"GapBeforeOneMinuteShort",
                                   Utc(2026, 6, 1, 8, 56),
                                   {absl::Minutes(10), absl::Minutes(5)},
                                   {Busy("a", Utc(2026, 6, 1, 10, 0), k50)},
                                   "",
                                   "a"},
                      ConflictCase{"CancelledIgnored",
                                   Utc(2026, 6, 1, 10, 0),
                                   {},
                                   {Busy("a", Utc(2026, 6, 1, 10, 0), k50, AppointmentStatus::kCancelled)},
                                   "",
                                   std::nullopt},
                      ConflictCase{"RescheduleIgnoresItself",
                                   Utc(2026, 6, 1, 10, 10),
                                   {},
                                   {Busy("a", Utc(2026, 6, 1, 10, 0), k50)},
                                   "a",
                                   std::nullopt},
                      ConflictCase{"EarliestOfSeveral",
                                   Utc(2026, 6, 1, 10, 0),
                                   {},
                                   {Busy("late", Utc(2026, 6, 1, 10, 30), k50),
                                    Busy("early", Utc(2026, 6, 1, 9, 30), k50),
                                    Busy("z", Utc(2026, 6, 1, 9, 30), k50)},
                                   "",
                                   "early"}),
    [](const auto& test_info) { return test_info.param.name; });

}  // namespace
}  // namespace tandem::scheduling
