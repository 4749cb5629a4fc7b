#include "services/reminders/domain/reminder_state.h"

#include "absl/strings/str_cat.h"

namespace tandem::reminders {

absl::string_view ReminderStateName(ReminderState state) {
  switch (state) {
    case ReminderState::kScheduled:
      return "scheduled";
    case ReminderState::kQueued:
      return "queued";
    case ReminderState::kDelivering:
      return "delivering";
    case ReminderState::kDelivered:
      return "delivered";
    case ReminderState::kFailed:
      return "failed";
    case ReminderState::kCancelled:
      return "cancelled";
    case ReminderState::kDead:
      return "dead";
  }
  return "unknown";
}

absl::StatusOr<ReminderState> ParseReminderState(absl::string_view name) {
  for (ReminderState state : kAllReminderStates) {
    if (ReminderStateName(state) == name) return state;
  }
  return absl::InvalidArgumentError("unknown reminder state");
}

bool IsTerminal(ReminderState state) {
  return state == ReminderState::kDelivered || state == ReminderState::kCancelled ||
         state == ReminderState::kDead;
}

bool CanTransition(ReminderState from, ReminderState to) {
  using S = ReminderState;
  switch (from) {
    case S::kScheduled:
      return to == S::kQueued || to == S::kDelivering || to == S::kCancelled;
    case S::kQueued:
      return to == S::kDelivering || to == S::kScheduled || to == S::kCancelled;
    case S::kDelivering:
      return to == S::kDelivered || to == S::kFailed || to == S::kDead || to == S::kCancelled ||
             to == S::kScheduled || to == S::kDelivering;
    case S::kFailed:
      return to == S::kQueued || to == S::kDelivering || to == S::kCancelled;
    case S::kDelivered:
    case S::kCancelled:
    case S::kDead:
      return false;
  }
  return false;
}

absl::Status CheckTransition(ReminderState from, ReminderState to) {
  if (CanTransition(from, to)) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat("a reminder cannot move from ", ReminderStateName(from), " to ", ReminderStateName(to)));
}

}  // namespace tandem::reminders
