#ifndef TANDEM_SERVICES_REMINDERS_DOMAIN_CHANNEL_KIND_H_
#define TANDEM_SERVICES_REMINDERS_DOMAIN_CHANNEL_KIND_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tandem::reminders {

// How a reminder reaches its recipient.
enum class ChannelKind {
  kWebhook,  // HTTP POST to the configured provider (SMS, push), which knows the recipient by id or number
  kEmail,    // SMTP through the configured relay
  kLog,      // a log line without content, for local runs
};

// "webhook", "email", "log".
absl::string_view ChannelKindName(ChannelKind kind);
// INVALID_ARGUMENT for an unknown name.
absl::StatusOr<ChannelKind> ParseChannelKind(absl::string_view name);

}  // namespace tandem::reminders

#endif  // TANDEM_SERVICES_REMINDERS_DOMAIN_CHANNEL_KIND_H_
