#include "services/reminders/domain/delivery.h"

#include "common/status/status_macros.h"
#include "common/time/time_zone.h"
#include "google/protobuf/util/time_util.h"
#include "services/reminders/domain/template.h"

namespace tandem::reminders {
namespace {

absl::Time FromProto(const google::protobuf::Timestamp& t) {
  return absl::FromUnixMicros(google::protobuf::util::TimeUtil::TimestampToMicroseconds(t));
}

}  // namespace

std::optional<ChannelKind> ChannelKindOf(tandem::reminders::v1::Channel channel) {
  switch (channel) {
    case tandem::reminders::v1::CHANNEL_WEBHOOK:
      return ChannelKind::kWebhook;
    case tandem::reminders::v1::CHANNEL_EMAIL:
      return ChannelKind::kEmail;
    case tandem::reminders::v1::CHANNEL_LOG:
      return ChannelKind::kLog;
    default:
      return std::nullopt;
  }
}

std::optional<QuietHours> QuietHoursOf(const ReminderProto& reminder) {
  if (!reminder.has_quiet_hours()) return std::nullopt;
  const auto& q = reminder.quiet_hours();
  auto quiet = QuietHours::Create(q.start().hours() * 60 + q.start().minutes(),
                                  q.end().hours() * 60 + q.end().minutes());
  if (!quiet.ok()) return std::nullopt;
  return *quiet;
}

absl::Time FirstAttemptTime(absl::Time due, const absl::TimeZone& zone,
                            const std::optional<QuietHours>& quiet) {
  return quiet.has_value() ? NextAllowedTime(due, zone, *quiet) : due;
}

absl::StatusOr<OutboundMessage> BuildMessage(const ReminderProto& reminder,
                                             const TemplateProto& reminder_template,
                                             const DiscretionPolicy& policy) {
  ASSIGN_OR_RETURN(absl::TimeZone zone, LoadTimeZone(reminder.time_zone()));
  ASSIGN_OR_RETURN(ReminderTemplate body,
                   ReminderTemplate::Parse(reminder_template.body(), reminder_template.discreet()));
  TemplateParams params(reminder.params().begin(), reminder.params().end());
  RenderContext context{FromProto(reminder.due_time()), zone};
  OutboundMessage message;
  ASSIGN_OR_RETURN(message.body,
                   body.RenderForSending(params, context, reminder_template.sender_name(), policy));
  if (!reminder_template.subject().empty()) {
    ASSIGN_OR_RETURN(ReminderTemplate subject,
                     ReminderTemplate::Parse(reminder_template.subject(), reminder_template.discreet()));
    ASSIGN_OR_RETURN(message.subject,
                     subject.RenderForSending(params, context, reminder_template.sender_name(), policy));
  }
  message.idempotency_id = reminder.delivery_id();
  message.recipient = reminder.recipient();
  message.sender_name = reminder_template.sender_name();
  message.due_at = context.due;
  return message;
}

AttemptOutcome DecideOutcome(const absl::Status& sent, int attempts, const Backoff& backoff, absl::Time now,
                             const absl::TimeZone& zone, const std::optional<QuietHours>& quiet) {
  AttemptOutcome outcome;
  if (sent.ok()) {
    outcome.state = ReminderState::kDelivered;
    return outcome;
  }
  if (IsDiscretionViolation(sent)) return DeadOutcome(kDeadDiscretion);
  if (!IsRetryable(sent)) return DeadOutcome(kDeadPermanentFailure);
  if (backoff.ShouldDeadLetter(attempts)) return DeadOutcome(kDeadMaxAttempts);
  outcome.state = ReminderState::kFailed;
  outcome.next_attempt_at = FirstAttemptTime(backoff.NextAttemptTime(attempts, now), zone, quiet);
  return outcome;
}

AttemptOutcome DeadOutcome(const char* reason) {
  AttemptOutcome outcome;
  outcome.state = ReminderState::kDead;
  outcome.dead_reason = reason;
  return outcome;
}

}  // namespace tandem::reminders
