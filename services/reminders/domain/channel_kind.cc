#include "services/reminders/domain/channel_kind.h"

namespace tandem::reminders {

absl::string_view ChannelKindName(ChannelKind kind) {
  switch (kind) {
    case ChannelKind::kWebhook:
      return "webhook";
    case ChannelKind::kEmail:
      return "email";
    case ChannelKind::kLog:
      return "log";
  }
  return "unknown";
}

absl::StatusOr<ChannelKind> ParseChannelKind(absl::string_view name) {
  for (ChannelKind kind : {ChannelKind::kWebhook, ChannelKind::kEmail, ChannelKind::kLog}) {
    if (ChannelKindName(kind) == name) return kind;
  }
  return absl::InvalidArgumentError("unknown channel (expected webhook, email or log)");
}

}  // namespace tandem::reminders
