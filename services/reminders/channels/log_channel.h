#ifndef TANDEM_SERVICES_REMINDERS_CHANNELS_LOG_CHANNEL_H_
#define TANDEM_SERVICES_REMINDERS_CHANNELS_LOG_CHANNEL_H_

#include <functional>
#include <utility>

#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"
#include "services/reminders/domain/channel.h"

namespace tandem::reminders {

// "Delivers" a reminder as one log line, for local runs without a provider. The line holds the reminder id,
// the recipient's address *shape* ("email", "phone", "id"), the text lengths and the due time; never the
// text, subject, sender or address, since logs must not tell anyone who is in therapy. Thread-safe.
class LogChannel final : public Channel {
 public:
  using Sink = std::function<void(absl::string_view event, const nlohmann::json& fields)>;

  // Writes through common/log at info level.
  LogChannel();
  // Writes to `sink` instead (tests). The sink must be thread-safe.
  explicit LogChannel(Sink sink) : sink_(std::move(sink)) {}

  absl::Status Send(const OutboundMessage& message) override;

 private:
  Sink sink_;
};

}  // namespace tandem::reminders

#endif  // TANDEM_SERVICES_REMINDERS_CHANNELS_LOG_CHANNEL_H_
