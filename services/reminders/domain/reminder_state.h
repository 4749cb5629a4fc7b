#ifndef TANDEM_SERVICES_REMINDERS_DOMAIN_REMINDER_STATE_H_
#define TANDEM_SERVICES_REMINDERS_DOMAIN_REMINDER_STATE_H_

#include <array>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tandem::reminders {

// The life of a reminder row. The database is the source of truth; Redis only indexes rows by due time.
enum class ReminderState {
  kScheduled,   // stored; waiting for its due time in the due index
  kQueued,      // due; moved from the due index into the stream, waiting for a worker
  kDelivering,  // claimed by a worker under a lease; a send may be in flight
  kDelivered,   // the channel accepted it (terminal)
  kFailed,      // the last attempt failed; a retry is pending at its next attempt time
  kCancelled,   // cancelled by its owner before delivery (terminal)
  kDead,        // given up, with a reason: attempts exhausted, permanent error, discretion (terminal)
};

inline constexpr std::array<ReminderState, 7> kAllReminderStates = {
    ReminderState::kScheduled, ReminderState::kQueued, ReminderState::kDelivering,
    ReminderState::kDelivered, ReminderState::kFailed, ReminderState::kCancelled,
    ReminderState::kDead};

// The lower-case name stored in the database ("scheduled", ...).
absl::string_view ReminderStateName(ReminderState state);
// INVALID_ARGUMENT for an unknown name.
absl::StatusOr<ReminderState> ParseReminderState(absl::string_view name);

bool IsTerminal(ReminderState state);

// The allowed moves. Every move not listed is refused; in particular nothing leaves a terminal state.
//   scheduled  -> queued, delivering, cancelled
//   queued     -> delivering, scheduled (re-indexed after Redis lost its stream), cancelled
//   delivering -> delivered, failed, dead, cancelled (a cancel that lands while a send is in flight; the
//                 send may still arrive), scheduled (deferred, e.g. by quiet hours), delivering (an expired
//                 lease taken over by another worker)
//   failed     -> queued, delivering, cancelled
bool CanTransition(ReminderState from, ReminderState to);

// OK, or FAILED_PRECONDITION naming both states.
absl::Status CheckTransition(ReminderState from, ReminderState to);

}  // namespace tandem::reminders

#endif  // TANDEM_SERVICES_REMINDERS_DOMAIN_REMINDER_STATE_H_
