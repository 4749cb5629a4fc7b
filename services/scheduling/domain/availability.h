#ifndef TANDEM_SERVICES_SCHEDULING_DOMAIN_AVAILABILITY_H_
#define TANDEM_SERVICES_SCHEDULING_DOMAIN_AVAILABILITY_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "services/scheduling/domain/appointment_status.h"
#include "services/scheduling/domain/field_violation.h"
#include "services/scheduling/domain/interval.h"

namespace tandem::scheduling {

// At most this many local days in one slot search (a quarter, the benchmark's 90 days with room to spare).
inline constexpr int kMaxSlotSearchDays = 92;

// Time a clinician keeps free around every appointment (notes, a break, a room turnover).
struct Buffers {
  absl::Duration before;
  absl::Duration after;
};

// The clinician's booking policy.
struct ClinicianPolicy {
  absl::TimeZone time_zone;  // working hours and days off are in this zone's civil time
  absl::Duration default_session_length = absl::Minutes(50);
  Buffers buffers;
  // For a client's self-booking only: no slot starts before now + minimum_notice or after now + horizon.
  absl::Duration minimum_notice;
  absl::Duration booking_horizon = absl::Hours(24 * 90);
  bool self_booking_allowed = false;
  // A cancellation after start - late_cancellation_window is late (IsLateCancellation); slot search ignores
  // it.
  absl::Duration late_cancellation_window = absl::Hours(24);
};

// One weekly working interval in local civil time: "Tuesdays 09:00-12:30", from `effective_from` through
// `effective_until` (local dates, inclusive; absent means unbounded). A weekday may have several.
struct WorkingHoursRule {
  absl::Weekday weekday = absl::Weekday::monday;
  int start_minute = 0;  // minutes since local midnight
  int end_minute = 0;    // exclusive; up to 1440 (midnight at the end of the day)
  std::optional<absl::CivilDay> effective_from;
  std::optional<absl::CivilDay> effective_until;
};

// Whole local days off, first through last inclusive (a holiday, a week of leave).
struct DaysOff {
  absl::CivilDay first;
  absl::CivilDay last;
};

// An existing appointment of the clinician, as slot search and booking see it.
struct BusyAppointment {
  std::string id;
  Interval interval;
  AppointmentStatus status = AppointmentStatus::kBooked;
};

// Everything slot search knows about one clinician.
struct ClinicianCalendar {
  ClinicianPolicy policy;
  std::vector<WorkingHoursRule> working_hours;
  std::vector<DaysOff> days_off;
  std::vector<Interval> time_off;  // partial days off, in UTC
  std::vector<BusyAppointment> appointments;
};

struct SlotRequest {
  absl::CivilDay first_date;  // local dates in the clinician's zone, inclusive
  absl::CivilDay last_date;
  absl::Duration duration;  // zero: the clinician's default session length
  absl::Duration step = absl::Minutes(15);
  absl::Time now;
  // A client booking themselves: the clinician must allow it, and notice and horizon apply. Staff bookings
  // (front desk, the clinician) skip both; nobody gets a slot that starts before `now`.
  bool self_booking = false;
};

// The interval an appointment keeps from others: [start - before, end + after). Two protected intervals of
// the same clinician never overlap, so the gap between two appointments covers the earlier one's after-buffer
// plus the later one's before-buffer; with zero buffers back-to-back appointments are fine.
Interval ProtectedInterval(const Interval& appointment, const Buffers& buffers);

// Every problem with the rules, by field ("working_hours[2].end_minute", "days_off[0].last"): minutes in
// range, start before end, effective dates in order, days off in order.
std::vector<FieldViolation> ValidateCalendar(const ClinicianCalendar& calendar);

// Every problem with the request, by field: first_date <= last_date, at most 92 days, duration (after the
// default) in (0, 8 h], step a whole number of minutes between 1 minute and 8 hours.
std::vector<FieldViolation> ValidateSlotRequest(const SlotRequest& request, const ClinicianPolicy& policy);

// The free slots [start, start + duration), in UTC and start order, whose local dates lie in the requested
// range. A slot:
//   - lies wholly inside one working interval (merged with any it overlaps or touches) on a local date whose
//     rules are in effect; its buffers may reach outside working hours;
//   - starts at the working interval's start plus a multiple of `step` (elapsed time, which is the local
//     clock's alignment unless a clock change falls inside the interval);
//   - overlaps no day off and no time off;
//   - keeps the buffer rule against every appointment whose status protects time (ProtectsTime);
//   - starts at or after `now` and, for a self-booking, at or after now + minimum_notice and at or before
//     now + booking_horizon.
// Working-hour edges on clock-change days: an edge in a spring-forward gap is the instant of the jump; an
// edge that occurs twice is taken so that every offered minute reads inside the working hours on the wall
// clock (the later occurrence for a start, the earlier for an end). INVALID_ARGUMENT naming the fields for an
// invalid calendar or request; FAILED_PRECONDITION for a self-booking with a clinician who does not allow it.
absl::StatusOr<std::vector<Interval>> FindSlots(const ClinicianCalendar& calendar,
                                                const SlotRequest& request);

// The id of the appointment that `candidate` may not be booked beside: the earliest-starting one (ties by id)
// whose protected interval overlaps the candidate's, among those whose status protects time, skipping
// `ignore_id` (the appointment being rescheduled). nullopt when the candidate is free of them.
std::optional<std::string> ConflictsWith(const Interval& candidate, const Buffers& buffers,
                                         absl::Span<const BusyAppointment> existing,
                                         absl::string_view ignore_id = {});

}  // namespace tandem::scheduling

#endif  // TANDEM_SERVICES_SCHEDULING_DOMAIN_AVAILABILITY_H_
