#include "services/scheduling/domain/attendance.h"

namespace tandem::scheduling {

AttendanceSummary SummarizeAttendance(absl::Span<const AttendanceRecord> records, const Interval& window) {
  using S = AppointmentStatus;
  AttendanceSummary s;
  for (const AttendanceRecord& r : records) {
    if (!window.Contains(r.start)) continue;
    switch (r.status) {
      case S::kProposed:
      case S::kPending:
      case S::kWaitlist:
      case S::kEnteredInError:
        continue;
      case S::kBooked:
      case S::kArrived:
      case S::kCheckedIn:
        ++s.upcoming;
        break;
      case S::kFulfilled:
        ++s.attended;
        break;
      case S::kCancelled:
        ++s.cancelled;
        if (r.late_cancellation) ++s.late_cancelled;
        break;
      case S::kNoShow:
        ++s.no_show;
        break;
    }
    ++s.booked;
  }
  const int denominator = s.attended + s.no_show + s.late_cancelled;
  if (denominator > 0) s.rate = static_cast<double>(s.attended) / denominator;
  return s;
}

}  // namespace tandem::scheduling
