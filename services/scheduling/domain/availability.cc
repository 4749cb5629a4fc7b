#include "services/scheduling/domain/availability.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "services/scheduling/domain/recurrence.h"

namespace tandem::scheduling {
namespace {

constexpr int kMinutesPerDay = 24 * 60;
using Info = absl::TimeZone::TimeInfo;

// The instant a working interval starts at local `local`: the jump for a time in a gap; the later of two
// readings, so no minute before the start is offered.
absl::Time WorkStart(const absl::TimeZone& zone, absl::CivilMinute local) {
  const Info info = zone.At(local);
  switch (info.kind) {
    case Info::UNIQUE:
      return info.pre;
    case Info::SKIPPED:
      return info.trans;
    case Info::REPEATED:
      return info.post;
  }
  return info.pre;
}

// The instant a working interval ends at local `local`: the jump for a time in a gap; the earlier of two
// readings, so no minute after the end is offered.
absl::Time WorkEnd(const absl::TimeZone& zone, absl::CivilMinute local) {
  const Info info = zone.At(local);
  return info.kind == Info::SKIPPED ? info.trans : info.pre;
}

// The first instant of local `day` (a skipped midnight starts the day at the jump).
absl::Time DayStart(const absl::TimeZone& zone, absl::CivilDay day) {
  const Info info = zone.At(absl::CivilSecond(day));
  return info.kind == Info::SKIPPED ? info.trans : info.pre;
}

bool InEffect(const WorkingHoursRule& rule, absl::CivilDay day) {
  return absl::GetWeekday(day) == rule.weekday && (!rule.effective_from || *rule.effective_from <= day) &&
         (!rule.effective_until || day <= *rule.effective_until);
}

std::string Indexed(absl::string_view list, size_t i, absl::string_view field) {
  return absl::StrCat(list, "[", i, "].", field);
}

}  // namespace

Interval ProtectedInterval(const Interval& appointment, const Buffers& buffers) {
  return {appointment.start - buffers.before, appointment.end + buffers.after};
}

std::vector<FieldViolation> ValidateCalendar(const ClinicianCalendar& calendar) {
  std::vector<FieldViolation> v;
  const ClinicianPolicy& p = calendar.policy;
  if (p.default_session_length <= absl::ZeroDuration() || p.default_session_length > kMaxSessionLength) {
    v.push_back({"policy.default_session_length", "must be positive and at most 8 hours"});
  }
  if (p.buffers.before < absl::ZeroDuration()) v.push_back({"policy.buffers.before", "must not be negative"});
  if (p.buffers.after < absl::ZeroDuration()) v.push_back({"policy.buffers.after", "must not be negative"});
  if (p.minimum_notice < absl::ZeroDuration()) v.push_back({"policy.minimum_notice", "must not be negative"});
  if (p.booking_horizon <= absl::ZeroDuration()) v.push_back({"policy.booking_horizon", "must be positive"});
  for (size_t i = 0; i < calendar.working_hours.size(); ++i) {
    const WorkingHoursRule& r = calendar.working_hours[i];
    const bool start_ok = r.start_minute >= 0 && r.start_minute < kMinutesPerDay;
    const bool end_ok = r.end_minute > 0 && r.end_minute <= kMinutesPerDay;
    if (!start_ok) {
      v.push_back({Indexed("working_hours", i, "start_minute"), "must be between 00:00 and 23:59"});
    }
    if (!end_ok) v.push_back({Indexed("working_hours", i, "end_minute"), "must be between 00:01 and 24:00"});
    if (start_ok && end_ok && r.end_minute <= r.start_minute) {
      v.push_back({Indexed("working_hours", i, "end_minute"), "must be after start_minute"});
    }
    if (r.effective_from && r.effective_until && *r.effective_until < *r.effective_from) {
      v.push_back({Indexed("working_hours", i, "effective_until"), "must not be before effective_from"});
    }
  }
  for (size_t i = 0; i < calendar.days_off.size(); ++i) {
    if (calendar.days_off[i].last < calendar.days_off[i].first) {
      v.push_back({Indexed("days_off", i, "last"), "must not be before first"});
    }
  }
  for (size_t i = 0; i < calendar.time_off.size(); ++i) {
    if (calendar.time_off[i].empty()) v.push_back({Indexed("time_off", i, "end"), "must be after start"});
  }
  for (size_t i = 0; i < calendar.appointments.size(); ++i) {
    if (calendar.appointments[i].interval.empty()) {
      v.push_back({Indexed("appointments", i, "end"), "must be after start"});
    }
  }
  return v;
}

std::vector<FieldViolation> ValidateSlotRequest(const SlotRequest& request, const ClinicianPolicy& policy) {
  std::vector<FieldViolation> v;
  if (request.last_date < request.first_date) {
    v.push_back({"last_date", "must not be before first_date"});
  } else if (request.last_date - request.first_date >= kMaxSlotSearchDays) {
    v.push_back({"last_date", absl::StrCat("the range may span at most ", kMaxSlotSearchDays, " days")});
  }
  const absl::Duration duration =
      request.duration == absl::ZeroDuration() ? policy.default_session_length : request.duration;
  if (duration <= absl::ZeroDuration()) {
    v.push_back({"duration", "must be positive"});
  } else if (duration > kMaxSessionLength) {
    v.push_back({"duration", "must be at most 8 hours"});
  }
  if (request.step < absl::Minutes(1) || request.step > kMaxSessionLength ||
      request.step % absl::Minutes(1) != absl::ZeroDuration()) {
    v.push_back({"step", "must be a whole number of minutes between 1 minute and 8 hours"});
  }
  return v;
}

absl::StatusOr<std::vector<Interval>> FindSlots(const ClinicianCalendar& calendar,
                                                const SlotRequest& request) {
  std::vector<FieldViolation> v = ValidateCalendar(calendar);
  std::vector<FieldViolation> request_violations = ValidateSlotRequest(request, calendar.policy);
  v.insert(v.end(), request_violations.begin(), request_violations.end());
  if (!v.empty()) return ViolationsToStatus(v);
  const ClinicianPolicy& policy = calendar.policy;
  if (request.self_booking && !policy.self_booking_allowed) {
    return absl::FailedPreconditionError("this clinician does not accept self-booking");
  }
  const absl::TimeZone& zone = policy.time_zone;
  const absl::Duration duration =
      request.duration == absl::ZeroDuration() ? policy.default_session_length : request.duration;

  std::vector<Interval> windows;
  for (absl::CivilDay day = request.first_date; day <= request.last_date; ++day) {
    for (const WorkingHoursRule& rule : calendar.working_hours) {
      if (!InEffect(rule, day)) continue;
      windows.push_back({WorkStart(zone, absl::CivilMinute(day) + rule.start_minute),
                         WorkEnd(zone, absl::CivilMinute(day) + rule.end_minute)});
    }
  }
  windows = Merge(std::move(windows));

  // A candidate [s, e) keeps the buffer rule against an appointment [a, b) iff [s - before, e + after) and
  // [a - before, b + after) do not overlap, iff [s, e) and [a - before - after, b + after + before) do not:
  // so appointments widened by both buffers join time off in one sorted list of blocked time.
  const absl::Duration both = policy.buffers.before + policy.buffers.after;
  std::vector<Interval> blocked = calendar.time_off;
  for (const DaysOff& off : calendar.days_off) {
    blocked.push_back({DayStart(zone, off.first), DayStart(zone, off.last + 1)});
  }
  for (const BusyAppointment& a : calendar.appointments) {
    if (ProtectsTime(a.status)) blocked.push_back({a.interval.start - both, a.interval.end + both});
  }
  blocked = Merge(std::move(blocked));

  absl::Time earliest = request.now;
  absl::Time latest = absl::InfiniteFuture();
  if (request.self_booking) {
    earliest = request.now + policy.minimum_notice;
    latest = request.now + policy.booking_horizon;
  }

  std::vector<Interval> slots;
  for (const Interval& window : windows) {
    for (absl::Time start = window.start; start + duration <= window.end && start <= latest;
         start += request.step) {
      const Interval slot{start, start + duration};
      if (start < earliest || OverlapsAnyMerged(slot, blocked)) continue;
      slots.push_back(slot);
    }
  }
  return slots;
}

std::optional<std::string> ConflictsWith(const Interval& candidate, const Buffers& buffers,
                                         absl::Span<const BusyAppointment> existing,
                                         absl::string_view ignore_id) {
  const Interval wanted = ProtectedInterval(candidate, buffers);
  const BusyAppointment* first = nullptr;
  for (const BusyAppointment& a : existing) {
    if (!ProtectsTime(a.status) || (!ignore_id.empty() && a.id == ignore_id)) continue;
    if (!Overlaps(wanted, ProtectedInterval(a.interval, buffers))) continue;
    if (first == nullptr || std::pair(a.interval.start, a.id) < std::pair(first->interval.start, first->id)) {
      first = &a;
    }
  }
  if (first == nullptr) return std::nullopt;
  return first->id;
}

}  // namespace tandem::scheduling
