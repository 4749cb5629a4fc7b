#ifndef TANDEM_SERVICES_SCHEDULING_DOMAIN_ATTENDANCE_H_
#define TANDEM_SERVICES_SCHEDULING_DOMAIN_ATTENDANCE_H_

#include <optional>

#include "absl/time/time.h"
#include "absl/types/span.h"
#include "services/scheduling/domain/appointment_status.h"
#include "services/scheduling/domain/interval.h"

namespace tandem::scheduling {

// One of a client's appointments, as the attendance summary sees it. `late_cancellation` is the flag stored
// when it was cancelled (IsLateCancellation under the clinician's policy then), not recomputed.
struct AttendanceRecord {
  absl::Time start;
  AppointmentStatus status = AppointmentStatus::kBooked;
  bool late_cancellation = false;
};

// How a client attended the appointments that start inside a window. Engagement, not billing: the progress
// service reads it beside homework adherence.
struct AttendanceSummary {
  int booked = 0;     // committed appointments: booked, arrived, checked-in, fulfilled, cancelled, noshow
  int upcoming = 0;   // of those, not yet resolved: booked, arrived, checked-in
  int attended = 0;   // fulfilled
  int cancelled = 0;  // every cancellation, late ones included
  int late_cancelled = 0;  // the cancellations flagged late
  int no_show = 0;         // noshow
  // attended / (attended + no_show + late_cancelled): of the sessions the client was committed to when it was
  // too late to free the slot, the share they came to. On-time cancellations and upcoming sessions do not
  // count against it. nullopt when the denominator is zero (no evidence is not a rate of 0 or 1).
  std::optional<double> rate;
};

// Counts the records whose start lies in `window` ([start, end)). entered-in-error never happened and is
// ignored; proposed, pending and waitlist were never committed to and are ignored too.
AttendanceSummary SummarizeAttendance(absl::Span<const AttendanceRecord> records, const Interval& window);

}  // namespace tandem::scheduling

#endif  // TANDEM_SERVICES_SCHEDULING_DOMAIN_ATTENDANCE_H_
