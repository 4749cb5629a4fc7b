#ifndef TANDEM_SERVICES_REMINDERS_CHANNELS_SMTP_CHANNEL_H_
#define TANDEM_SERVICES_REMINDERS_CHANNELS_SMTP_CHANNEL_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/time/clock.h"
#include "services/reminders/domain/channel.h"

namespace tandem::reminders {

struct SmtpChannelOptions {
  // smtp://relay:587 or smtps://relay:465 (implicit TLS). A path names the EHLO domain
  // (smtp://relay:587/clinic.example).
  std::string url;
  std::string from_address;  // envelope sender and From address, e.g. reminders@clinic.example
  // For smtp://: upgrade with STARTTLS and refuse to send if the server does not offer it.
  bool require_starttls = false;
  std::string username;  // empty: no authentication
  std::string password;
  absl::Duration connect_timeout = absl::Seconds(5);
  absl::Duration timeout = absl::Seconds(30);  // the whole session
  std::string ca_file;                         // PEM bundle to verify the server; empty for the system store
  // smtp:// without STARTTLS is accepted for a loopback relay only (a local MTA) unless this is set.
  bool allow_plaintext = false;
  // The right-hand side of Message-IDs; empty for the domain of from_address.
  std::string message_id_domain;
};

// Delivers a reminder as a plain-text email through one configured SMTP relay (libcurl). The Message-ID is
// <idempotency id@domain>, so every attempt of one reminder carries the same id and mail systems can drop
// duplicates. Server certificates are verified. An SMTP 5xx answer is permanent (FAILED_PRECONDITION), a 4xx
// answer or a network failure UNAVAILABLE, a timeout DEADLINE_EXCEEDED; a relay that does not offer the
// required STARTTLS is FAILED_PRECONDITION and nothing is sent. Thread-safe (one session per message).
class SmtpChannel final : public Channel {
 public:
  // INVALID_ARGUMENT for a URL that is not smtp(s), plaintext to a non-loopback relay without
  // allow_plaintext, an invalid from address or non-positive timeouts. `clock` stamps the Date header and
  // must outlive the channel.
  static absl::StatusOr<std::unique_ptr<SmtpChannel>> Create(SmtpChannelOptions options,
                                                             const Clock& clock = Clock::Real());

  absl::Status Send(const OutboundMessage& message) override;

 private:
  SmtpChannel(SmtpChannelOptions options, const Clock& clock) : options_(std::move(options)), clock_(clock) {}

  const SmtpChannelOptions options_;
  const Clock& clock_;
};

// The RFC 5322 message (CRLF line ends): Date, From ("sender name" <from_address>), To, Subject, Message-ID,
// MIME headers, Auto-Submitted, then the body as UTF-8 text, quoted-printable unless it is short-lined
// ASCII. Non-ASCII names and subjects become RFC 2047 encoded words. INVALID_ARGUMENT when the message fails
// CheckOutboundMessage, the recipient is not an email address, or the sender name or subject holds control
// characters (header injection).
absl::StatusOr<std::string> BuildMailMessage(const SmtpChannelOptions& options,
                                             const OutboundMessage& message, absl::Time now);

}  // namespace tandem::reminders

#endif  // TANDEM_SERVICES_REMINDERS_CHANNELS_SMTP_CHANNEL_H_
