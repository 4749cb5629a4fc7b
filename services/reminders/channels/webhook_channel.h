#ifndef TANDEM_SERVICES_REMINDERS_CHANNELS_WEBHOOK_CHANNEL_H_
#define TANDEM_SERVICES_REMINDERS_CHANNELS_WEBHOOK_CHANNEL_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/time/clock.h"
#include "services/reminders/channels/curl_support.h"
#include "services/reminders/domain/channel.h"

namespace tandem::reminders {

struct WebhookChannelOptions {
  std::string url;     // http:// or https://; the one destination, from configuration
  std::string secret;  // HMAC key shared with the receiver, at least 16 bytes
  absl::Duration connect_timeout = absl::Seconds(3);
  absl::Duration timeout = absl::Seconds(10);  // the whole request, connect included
  std::string ca_file;  // PEM bundle to verify an https receiver; empty for the system store
  // http:// is accepted for loopback receivers only (a local sink or a sidecar) unless this is set.
  bool allow_plain_http = false;
};

// Delivers a reminder as an HTTP POST of JSON {id, recipient, sender, text, due_at} to one configured URL
// (an SMS or push provider's relay), with the headers
//   Tandem-Idempotency-Key: <id>   (the same on every attempt, so the receiver drops duplicates)
//   Tandem-Timestamp, Tandem-Signature: see webhook_signature.h
// Redirects are not followed and https receivers are verified, so the text only ever goes to the configured
// host. A 2xx answer is success; 408, 429 and 5xx are UNAVAILABLE (retry later), a timeout DEADLINE_EXCEEDED,
// 400 and 422 INVALID_ARGUMENT, any other answer FAILED_PRECONDITION (permanent). Errors never quote the
// response body, which may echo the request. Thread-safe; connections are reused across sends.
class WebhookChannel final : public Channel {
 public:
  // INVALID_ARGUMENT for a URL that is not http(s), plain http to a non-loopback host without
  // allow_plain_http, a short secret or non-positive timeouts. `clock` stamps Tandem-Timestamp and must
  // outlive the channel.
  static absl::StatusOr<std::unique_ptr<WebhookChannel>> Create(WebhookChannelOptions options,
                                                                const Clock& clock = Clock::Real());

  absl::Status Send(const OutboundMessage& message) override;

 private:
  WebhookChannel(WebhookChannelOptions options, const Clock& clock)
      : options_(std::move(options)), clock_(clock) {}

  const WebhookChannelOptions options_;
  const Clock& clock_;
  curl::HandlePool handles_;
};

// The JSON body: {"id","recipient","sender","text","due_at"} with due_at in RFC 3339 UTC. INVALID_ARGUMENT
// when a field is not valid UTF-8.
absl::StatusOr<std::string> WebhookBody(const OutboundMessage& message);

}  // namespace tandem::reminders

#endif  // TANDEM_SERVICES_REMINDERS_CHANNELS_WEBHOOK_CHANNEL_H_
