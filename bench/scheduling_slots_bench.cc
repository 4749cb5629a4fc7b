// Google Benchmark of slot search (scheduling::FindSlots), the work behind every "when is this clinician
// free?" call, next to the least any slot search must do: sort and merge the clinician's busy intervals.
// The ratio of the two says what the working hours, days off, time zone and the scan in steps add.
#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "benchmark/benchmark.h"
#include "common/time/time_zone.h"
#include "services/scheduling/domain/availability.h"
#include "services/scheduling/domain/interval.h"

namespace tandem::scheduling {
namespace {

// A Monday; 90 days reach 2027-04-03 and cross New York's spring-forward change on 2027-03-14.
constexpr absl::CivilDay kFirstDay(2027, 1, 4);
constexpr int kCalendarDays = 90;
constexpr int kAppointments = 500;
constexpr int kSessionMinutes = 50;

WorkingHoursRule Hours(absl::Weekday weekday, int start_hour, int end_hour) {
  WorkingHoursRule rule;
  rule.weekday = weekday;
  rule.start_minute = start_hour * 60;
  rule.end_minute = end_hour * 60;
  return rule;
}

absl::Time Local(const absl::TimeZone& zone, absl::CivilDay day, int hour, int minute) {
  return zone.At(absl::CivilMinute(day) + (hour * 60 + minute)).pre;
}

bool IsDayOff(const ClinicianCalendar& calendar, absl::CivilDay day) {
  for (const DaysOff& off : calendar.days_off) {
    if (off.first <= day && day <= off.last) return true;
  }
  return false;
}

// A clinician in `zone`: Monday to Friday 09:00-12:00 and 13:00-17:00 local, 50-minute sessions, 10 minutes
// kept free before and after each, two public holidays and a week of leave, every other Friday afternoon and
// one Tuesday morning off, and 500 appointments over the 90 days from kFirstDay. The appointments come from a
// fixed seed: each is a session at a quarter hour of a working day; one that would break the buffer rule
// against those placed before it, or falls in time off, is stored as cancelled or no-show (history that holds
// no time, as a store returns it), the others as booked or pending. 500 sessions cannot all hold time here
// (with the buffers a day takes at most 5), so 169 do, which leaves a few free slots on most days, as in a
// busy practice.
ClinicianCalendar MakeCalendar(const absl::TimeZone& zone) {
  ClinicianCalendar calendar;
  calendar.policy.time_zone = zone;
  calendar.policy.default_session_length = absl::Minutes(kSessionMinutes);
  calendar.policy.buffers = {absl::Minutes(10), absl::Minutes(10)};
  for (absl::Weekday weekday : {absl::Weekday::monday, absl::Weekday::tuesday, absl::Weekday::wednesday,
                                absl::Weekday::thursday, absl::Weekday::friday}) {
    calendar.working_hours.push_back(Hours(weekday, 9, 12));
    calendar.working_hours.push_back(Hours(weekday, 13, 17));
  }
  calendar.days_off = {{absl::CivilDay(2027, 1, 18), absl::CivilDay(2027, 1, 18)},
                       {absl::CivilDay(2027, 2, 15), absl::CivilDay(2027, 2, 15)},
                       {absl::CivilDay(2027, 3, 22), absl::CivilDay(2027, 3, 26)}};
  for (absl::CivilDay friday = kFirstDay + 4; friday < kFirstDay + kCalendarDays; friday += 14) {
    calendar.time_off.push_back({Local(zone, friday, 13, 0), Local(zone, friday, 17, 0)});
  }
  calendar.time_off.push_back(
      {Local(zone, absl::CivilDay(2027, 2, 9), 9, 0), Local(zone, absl::CivilDay(2027, 2, 9), 11, 0)});

  std::vector<absl::CivilDay> working_days;
  for (absl::CivilDay day = kFirstDay; day < kFirstDay + kCalendarDays; ++day) {
    const absl::Weekday weekday = absl::GetWeekday(day);
    if (weekday != absl::Weekday::saturday && weekday != absl::Weekday::sunday && !IsDayOff(calendar, day)) {
      working_days.push_back(day);
    }
  }
  // Quarter hours at which a 50-minute session fits in the morning (09:00-11:00) or the afternoon
  // (13:00-16:00).
  std::vector<int> starts;
  for (int minute = 9 * 60; minute + kSessionMinutes <= 12 * 60; minute += 15) starts.push_back(minute);
  for (int minute = 13 * 60; minute + kSessionMinutes <= 17 * 60; minute += 15) starts.push_back(minute);

  std::mt19937 random(20270104);
  std::uniform_int_distribution<size_t> pick_day(0, working_days.size() - 1);
  std::uniform_int_distribution<size_t> pick_start(0, starts.size() - 1);
  for (int i = 0; i < kAppointments; ++i) {
    const absl::Time start = Local(zone, working_days[pick_day(random)], 0, starts[pick_start(random)]);
    const Interval session{start, start + absl::Minutes(kSessionMinutes)};
    bool in_time_off = false;
    for (const Interval& off : calendar.time_off) in_time_off = in_time_off || Overlaps(session, off);
    AppointmentStatus status = i % 10 == 0 ? AppointmentStatus::kPending : AppointmentStatus::kBooked;
    if (in_time_off || ConflictsWith(session, calendar.policy.buffers, calendar.appointments)) {
      status = i % 3 == 0 ? AppointmentStatus::kNoShow : AppointmentStatus::kCancelled;
    }
    calendar.appointments.push_back({absl::StrCat("a", i), session, status});
  }
  return calendar;
}

SlotRequest Request(const absl::TimeZone& zone, int days) {
  SlotRequest request;
  request.first_date = kFirstDay;
  request.last_date = kFirstDay + (days - 1);
  request.duration = absl::Minutes(kSessionMinutes);
  request.step = absl::Minutes(15);
  request.now = Local(zone, kFirstDay - 1, 12, 0);  // a staff search the day before the range
  return request;
}

int64_t HoldingTime(const ClinicianCalendar& calendar) {
  int64_t n = 0;
  for (const BusyAppointment& a : calendar.appointments) n += ProtectsTime(a.status) ? 1 : 0;
  return n;
}

// Slot search over the first `days` of the calendar, which always carries all 500 appointments (the 1- and
// 7-day searches are thus the worst case of a caller that does not narrow them to the range).
void BM_FindSlots(benchmark::State& state, const char* zone_name, int days) {
  auto zone = LoadTimeZone(zone_name);
  if (!zone.ok()) {
    state.SkipWithError(std::string(zone.status().message()).c_str());
    return;
  }
  const ClinicianCalendar calendar = MakeCalendar(*zone);
  const SlotRequest request = Request(*zone, days);
  auto first = FindSlots(calendar, request);
  if (!first.ok() || first->empty()) {
    state.SkipWithError("the benchmark calendar is refused or has no free slot");
    return;
  }
  for (auto _ : state) {
    auto slots = FindSlots(calendar, request);
    benchmark::DoNotOptimize(slots);
  }
  state.counters["slots"] = static_cast<double>(first->size());
  state.counters["holding"] = static_cast<double>(HoldingTime(calendar));
}
BENCHMARK_CAPTURE(BM_FindSlots, new_york_1d, "America/New_York", 1);
BENCHMARK_CAPTURE(BM_FindSlots, new_york_7d, "America/New_York", 7);
BENCHMARK_CAPTURE(BM_FindSlots, new_york_90d, "America/New_York", 90);
BENCHMARK_CAPTURE(BM_FindSlots, kolkata_90d, "Asia/Kolkata", 90);

// The baseline: read the 500 appointments, widen those that hold time by both buffers, sort and merge them,
// as any slot search must before it can answer.
void BM_MergeBusyIntervals(benchmark::State& state) {
  auto zone = LoadTimeZone("America/New_York");
  if (!zone.ok()) {
    state.SkipWithError(std::string(zone.status().message()).c_str());
    return;
  }
  const ClinicianCalendar calendar = MakeCalendar(*zone);
  const absl::Duration both = calendar.policy.buffers.before + calendar.policy.buffers.after;
  for (auto _ : state) {
    std::vector<Interval> busy;
    busy.reserve(calendar.appointments.size());
    for (const BusyAppointment& a : calendar.appointments) {
      if (ProtectsTime(a.status)) busy.push_back({a.interval.start - both, a.interval.end + both});
    }
    auto merged = Merge(std::move(busy));
    benchmark::DoNotOptimize(merged);
  }
  state.counters["holding"] = static_cast<double>(HoldingTime(calendar));
}
BENCHMARK(BM_MergeBusyIntervals);

}  // namespace
}  // namespace tandem::scheduling
