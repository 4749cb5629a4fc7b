#include "services/scheduling/domain/appointment_status.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace tandem::scheduling {
namespace {

using S = AppointmentStatus;

}  // namespace

absl::string_view AppointmentStatusName(AppointmentStatus status) {
  switch (status) {
    case S::kProposed:
      return "proposed";
    case S::kPending:
      return "pending";
    case S::kBooked:
      return "booked";
    case S::kArrived:
      return "arrived";
    case S::kCheckedIn:
      return "checked-in";
    case S::kFulfilled:
      return "fulfilled";
    case S::kCancelled:
      return "cancelled";
    case S::kNoShow:
      return "noshow";
    case S::kEnteredInError:
      return "entered-in-error";
    case S::kWaitlist:
      return "waitlist";
  }
  return "unknown";
}

absl::StatusOr<AppointmentStatus> ParseAppointmentStatus(absl::string_view name) {
  for (AppointmentStatus status : kAllAppointmentStatuses) {
    if (AppointmentStatusName(status) == name) return status;
  }
  return absl::InvalidArgumentError("unknown appointment status");
}

bool IsTerminal(AppointmentStatus status) {
  return status == S::kFulfilled || status == S::kCancelled || status == S::kNoShow ||
         status == S::kEnteredInError;
}

bool ProtectsTime(AppointmentStatus status) {
  return !(status == S::kCancelled || status == S::kNoShow || status == S::kEnteredInError ||
           status == S::kWaitlist);
}

absl::string_view AppointmentActionName(AppointmentAction action) {
  switch (action) {
    case AppointmentAction::kBook:
      return "book";
    case AppointmentAction::kReschedule:
      return "reschedule";
    case AppointmentAction::kCancel:
      return "cancel";
    case AppointmentAction::kArrive:
      return "mark arrived";
    case AppointmentAction::kCheckIn:
      return "check in";
    case AppointmentAction::kComplete:
      return "complete";
    case AppointmentAction::kMarkNoShow:
      return "mark no-show";
    case AppointmentAction::kEnterInError:
      return "mark entered-in-error";
  }
  return "unknown";
}

bool CanTransition(AppointmentStatus from, AppointmentStatus to) {
  if (to == S::kEnteredInError) return from != S::kEnteredInError;
  switch (from) {
    case S::kProposed:
      return to == S::kPending || to == S::kBooked || to == S::kCancelled || to == S::kWaitlist;
    case S::kPending:
      return to == S::kBooked || to == S::kCancelled || to == S::kWaitlist;
    case S::kWaitlist:
      return to == S::kBooked || to == S::kCancelled;
    case S::kBooked:
      return to == S::kArrived || to == S::kCheckedIn || to == S::kFulfilled || to == S::kCancelled ||
             to == S::kNoShow;
    case S::kArrived:
      return to == S::kCheckedIn || to == S::kFulfilled;
    case S::kCheckedIn:
      return to == S::kFulfilled;
    case S::kFulfilled:
    case S::kCancelled:
    case S::kNoShow:
    case S::kEnteredInError:
      return false;
  }
  return false;
}

absl::Status CheckTransition(AppointmentStatus from, AppointmentStatus to) {
  if (CanTransition(from, to)) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "an appointment cannot move from ", AppointmentStatusName(from), " to ", AppointmentStatusName(to)));
}

absl::StatusOr<AppointmentStatus> ApplyAction(AppointmentStatus from, AppointmentAction action) {
  AppointmentStatus to = from;
  switch (action) {
    case AppointmentAction::kBook:
      to = S::kBooked;
      break;
    case AppointmentAction::kReschedule:
      if (from == S::kProposed || from == S::kPending || from == S::kBooked) return from;
      return absl::FailedPreconditionError(absl::StrCat("cannot reschedule: an appointment that is ",
                                                        AppointmentStatusName(from), " stays ",
                                                        AppointmentStatusName(from), " at its time"));
    case AppointmentAction::kCancel:
      to = S::kCancelled;
      break;
    case AppointmentAction::kArrive:
      to = S::kArrived;
      break;
    case AppointmentAction::kCheckIn:
      to = S::kCheckedIn;
      break;
    case AppointmentAction::kComplete:
      to = S::kFulfilled;
      break;
    case AppointmentAction::kMarkNoShow:
      to = S::kNoShow;
      break;
    case AppointmentAction::kEnterInError:
      to = S::kEnteredInError;
      break;
  }
  if (CanTransition(from, to)) return to;
  return absl::FailedPreconditionError(
      absl::StrCat("cannot ", AppointmentActionName(action), ": an appointment cannot move from ",
                   AppointmentStatusName(from), " to ", AppointmentStatusName(to)));
}

bool IsLateCancellation(absl::Time start, absl::Time cancelled_at, absl::Duration window) {
  return cancelled_at > start - std::max(window, absl::ZeroDuration());
}

}  // namespace tandem::scheduling
