#include "services/reminders/channels/log_channel.h"

#include "common/log/log.h"
#include "common/status/status_macros.h"
#include "services/reminders/domain/address.h"

namespace tandem::reminders {

LogChannel::LogChannel()
    : sink_([](absl::string_view event, const nlohmann::json& fields) { log::Info(event, fields); }) {}

absl::Status LogChannel::Send(const OutboundMessage& message) {
  RETURN_IF_ERROR(CheckOutboundMessage(message));
  sink_("reminder_delivered_to_log",
        {{"reminder_id", message.idempotency_id},
         {"recipient_kind", std::string(AddressShape(message.recipient))},
         {"text_bytes", message.body.size()},
         {"subject_bytes", message.subject.size()},
         {"due_at", absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", message.due_at, absl::UTCTimeZone())}});
  return absl::OkStatus();
}

}  // namespace tandem::reminders
