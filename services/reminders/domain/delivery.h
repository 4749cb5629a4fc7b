#ifndef TANDEM_SERVICES_REMINDERS_DOMAIN_DELIVERY_H_
#define TANDEM_SERVICES_REMINDERS_DOMAIN_DELIVERY_H_

#include <optional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/reminders/domain/backoff.h"
#include "services/reminders/domain/channel.h"
#include "services/reminders/domain/channel_kind.h"
#include "services/reminders/domain/discretion.h"
#include "services/reminders/domain/quiet_hours.h"
#include "services/reminders/domain/reminder_store.h"

namespace tandem::reminders {

// Reasons a reminder is given up, stored in dead_reason and counted in metrics. Never content.
inline constexpr char kDeadDiscretion[] = "discretion";
inline constexpr char kDeadMaxAttempts[] = "max_attempts";
inline constexpr char kDeadPermanentFailure[] = "permanent_failure";
inline constexpr char kDeadTemplateMissing[] = "template_missing";
inline constexpr char kDeadChannelUnavailable[] = "channel_unavailable";

// The channel a reminder's proto enum names, or nullopt for UNSPECIFIED and unknown values.
std::optional<ChannelKind> ChannelKindOf(tandem::reminders::v1::Channel channel);

// The reminder's quiet hours, when it has any.
std::optional<QuietHours> QuietHoursOf(const ReminderProto& reminder);

// When a reminder due at `due` should first be attempted: at `due`, or at the end of the recipient's quiet
// hours when `due` falls inside them.
absl::Time FirstAttemptTime(absl::Time due, const absl::TimeZone& zone,
                            const std::optional<QuietHours>& quiet);

// The message for one claimed reminder: subject and body rendered in the recipient's zone, and, for a
// discreet template, the rendered text and the sender name checked against the deny-list (a violation is an
// error for which IsDiscretionViolation holds).
absl::StatusOr<OutboundMessage> BuildMessage(const ReminderProto& reminder,
                                             const TemplateProto& reminder_template,
                                             const DiscretionPolicy& policy);

// What to record after an attempt that ended with `sent`. `attempts` counts this one. A retryable failure is
// retried after a backoff (moved out of quiet hours) until the policy's attempts are used up; any other
// failure is permanent.
AttemptOutcome DecideOutcome(const absl::Status& sent, int attempts, const Backoff& backoff, absl::Time now,
                             const absl::TimeZone& zone, const std::optional<QuietHours>& quiet);

// The outcome for a reminder that cannot be built or sent at all.
AttemptOutcome DeadOutcome(const char* reason);

}  // namespace tandem::reminders

#endif  // TANDEM_SERVICES_REMINDERS_DOMAIN_DELIVERY_H_
