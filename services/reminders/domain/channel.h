#ifndef TANDEM_SERVICES_REMINDERS_DOMAIN_CHANNEL_H_
#define TANDEM_SERVICES_REMINDERS_DOMAIN_CHANNEL_H_

#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace tandem::reminders {

// One rendered reminder on its way out. The text has passed the discretion check already.
struct OutboundMessage {
  std::string idempotency_id;  // stable per reminder (its id), the same on every attempt
  std::string recipient;       // the address, valid for the channel (see address.h)
  std::string sender_name;     // shown as the sender, e.g. the practice's neutral name
  std::string subject;         // used by channels that have one (email)
  std::string body;            // the rendered text
  absl::Time due_at;           // when the reminder was due
};

// A way to deliver a reminder. Destinations and credentials come from configuration, never from a request.
// Send is called from several workers at once, so implementations are thread-safe. Errors say whether a retry
// may help (IsRetryable): UNAVAILABLE or DEADLINE_EXCEEDED for network failures, timeouts, overload (HTTP 5xx
// and 429, SMTP 4xx); FAILED_PRECONDITION or INVALID_ARGUMENT when the receiver refused the message for good
// (HTTP 4xx, SMTP 5xx) or the configuration is wrong. No error quotes the text or the address.
class Channel {
 public:
  virtual ~Channel() = default;
  virtual absl::Status Send(const OutboundMessage& message) = 0;
};

// The checks every channel makes before sending: INVALID_ARGUMENT unless the idempotency id is 1-128
// letters, digits, '.', '_' or '-' with no leading, trailing or doubled '.' (it goes into headers and a
// Message-ID), the recipient is not empty, and the sender name, subject and body are valid UTF-8.
absl::Status CheckOutboundMessage(const OutboundMessage& message);

// True for errors worth retrying with backoff (UNAVAILABLE, DEADLINE_EXCEEDED).
inline bool IsRetryable(const absl::Status& status) {
  return status.code() == absl::StatusCode::kUnavailable ||
         status.code() == absl::StatusCode::kDeadlineExceeded;
}

}  // namespace tandem::reminders

#endif  // TANDEM_SERVICES_REMINDERS_DOMAIN_CHANNEL_H_
