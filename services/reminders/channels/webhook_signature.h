#ifndef TANDEM_SERVICES_REMINDERS_CHANNELS_WEBHOOK_SIGNATURE_H_
#define TANDEM_SERVICES_REMINDERS_CHANNELS_WEBHOOK_SIGNATURE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace tandem::reminders {

// How a webhook receiver knows a reminder came from us and is fresh, in the style of Stripe's signatures:
//   Tandem-Timestamp: <unix seconds>
//   Tandem-Signature: v1=<lower-case hex HMAC-SHA256(secret, timestamp + "." + body)>
// The timestamp is signed with the body, so a captured request cannot be replayed outside the tolerance.
// During a secret rotation the signature header may carry several comma-separated "v1=" entries; one match
// is enough.
inline constexpr char kIdempotencyKeyHeader[] = "Tandem-Idempotency-Key";
inline constexpr char kTimestampHeader[] = "Tandem-Timestamp";
inline constexpr char kSignatureHeader[] = "Tandem-Signature";

// The hex HMAC-SHA256 of `timestamp` + "." + `body` under `secret`.
std::string ComputeWebhookSignature(absl::string_view secret, absl::string_view timestamp,
                                    absl::string_view body);

// "v1=" + ComputeWebhookSignature(...): the Tandem-Signature header value.
std::string WebhookSignatureHeader(absl::string_view secret, absl::string_view timestamp,
                                   absl::string_view body);

// For receivers (and tests): OK when `signature_header` holds a v1 signature of `timestamp_header` and
// `body` under `secret` (compared in constant time) and the timestamp is within `tolerance` of `now`.
// UNAUTHENTICATED otherwise, saying which check failed.
absl::Status VerifyWebhookSignature(absl::string_view secret, absl::string_view timestamp_header,
                                    absl::string_view body, absl::string_view signature_header,
                                    absl::Time now, absl::Duration tolerance = absl::Minutes(5));

}  // namespace tandem::reminders

#endif  // TANDEM_SERVICES_REMINDERS_CHANNELS_WEBHOOK_SIGNATURE_H_
