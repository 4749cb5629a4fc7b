#ifndef TANDEM_SERVICES_SCHEDULING_DOMAIN_APPOINTMENT_STATUS_H_
#define TANDEM_SERVICES_SCHEDULING_DOMAIN_APPOINTMENT_STATUS_H_

#include <array>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace tandem::scheduling {

// The FHIR Appointment status vocabulary, so other systems read our appointments without a mapping table.
enum class AppointmentStatus {
  kProposed,        // suggested, nobody has agreed yet
  kPending,         // some participants have not confirmed
  kBooked,          // confirmed
  kArrived,         // the client is here (in the waiting room or the video lobby)
  kCheckedIn,       // administrative work done; the session may begin
  kFulfilled,       // the session took place (terminal)
  kCancelled,       // will not take place (terminal)
  kNoShow,          // the client did not come (terminal)
  kEnteredInError,  // should never have existed; kept for the audit trail (terminal)
  kWaitlist,        // wants a slot; holds none
};

inline constexpr std::array<AppointmentStatus, 10> kAllAppointmentStatuses = {
    AppointmentStatus::kProposed,  AppointmentStatus::kPending,   AppointmentStatus::kBooked,
    AppointmentStatus::kArrived,   AppointmentStatus::kCheckedIn, AppointmentStatus::kFulfilled,
    AppointmentStatus::kCancelled, AppointmentStatus::kNoShow,    AppointmentStatus::kEnteredInError,
    AppointmentStatus::kWaitlist};

// The FHIR code ("checked-in", "noshow", "entered-in-error", ...), also the stored form.
absl::string_view AppointmentStatusName(AppointmentStatus status);
// INVALID_ARGUMENT for anything but a FHIR code above.
absl::StatusOr<AppointmentStatus> ParseAppointmentStatus(absl::string_view name);

// fulfilled, cancelled, noshow and entered-in-error: nothing happens to the appointment any more, except that
// fulfilled, cancelled and noshow can still be marked entered-in-error (the one correction path, audited).
bool IsTerminal(AppointmentStatus status);

// Whether the appointment holds its clinician's (and room's) time: false for cancelled, noshow,
// entered-in-error and waitlist, which block nothing in slot search or booking.
bool ProtectsTime(AppointmentStatus status);

// What a caller can do to an appointment; each action has one resulting status.
enum class AppointmentAction {
  kBook,          // proposed, pending or waitlist -> booked (a waitlisted client accepts an offered slot)
  kReschedule,    // proposed, pending or booked -> unchanged status, new time
  kCancel,        // proposed, pending, booked or waitlist -> cancelled
  kArrive,        // booked -> arrived
  kCheckIn,       // booked or arrived -> checked-in (telehealth often skips "arrived")
  kComplete,      // booked, arrived or checked-in -> fulfilled (a session recorded afterwards may skip both)
  kMarkNoShow,    // booked -> noshow (an arrived or checked-in client came)
  kEnterInError,  // any status except entered-in-error -> entered-in-error
};

absl::string_view AppointmentActionName(AppointmentAction action);

// The allowed moves between statuses (the union of the actions above; rescheduling is not a move):
//   proposed   -> pending, booked, cancelled, waitlist, entered-in-error
//   pending    -> booked, cancelled, waitlist, entered-in-error
//   waitlist   -> booked, cancelled, entered-in-error
//   booked     -> arrived, checked-in, fulfilled, cancelled, noshow, entered-in-error
//   arrived    -> checked-in, fulfilled, entered-in-error (once here, the client can no longer no-show or be
//                 cancelled; a session that ends early is still fulfilled)
//   checked-in -> fulfilled, entered-in-error
//   fulfilled, cancelled, noshow -> entered-in-error only
//   entered-in-error -> nothing
bool CanTransition(AppointmentStatus from, AppointmentStatus to);

// OK, or FAILED_PRECONDITION "an appointment cannot move from <from> to <to>".
absl::Status CheckTransition(AppointmentStatus from, AppointmentStatus to);

// The status after `action`, or FAILED_PRECONDITION naming the action and both statuses (for a reschedule,
// the one status it would keep).
absl::StatusOr<AppointmentStatus> ApplyAction(AppointmentStatus from, AppointmentAction action);

// A cancellation is late iff it happens after `start - window` (strictly): with a 24 h window, cancelling at
// exactly 24 h before is on time, one second later is late. Cancelling after the start is late too. A zero or
// negative window makes only cancellations after the start late.
bool IsLateCancellation(absl::Time start, absl::Time cancelled_at, absl::Duration window);

}  // namespace tandem::scheduling

#endif  // TANDEM_SERVICES_SCHEDULING_DOMAIN_APPOINTMENT_STATUS_H_
