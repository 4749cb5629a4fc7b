#include "services/reminders/channels/webhook_channel.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status/status_macros.h"
#include "nlohmann/json.hpp"
#include "services/reminders/channels/webhook_signature.h"

namespace tandem::reminders {
namespace {

constexpr size_t kMinSecretBytes = 16;

size_t DiscardBody(char* /*data*/, size_t size, size_t count, void* /*user*/) { return size * count; }

absl::Status StatusFromHttp(long code) {  // NOLINT(google-runtime-int): libcurl's type
  if (code >= 200 && code < 300) return absl::OkStatus();
  const std::string message = absl::StrCat("webhook receiver answered HTTP ", code);
  if (code == 408 || code == 429 || (code >= 500 && code < 600)) return absl::UnavailableError(message);
  if (code == 400 || code == 422) return absl::InvalidArgumentError(message);
  return absl::FailedPreconditionError(message);
}

}  // namespace

absl::StatusOr<std::string> WebhookBody(const OutboundMessage& message) {
  RETURN_IF_ERROR(CheckOutboundMessage(message));
  const nlohmann::json body = {
      {"id", message.idempotency_id},
      {"recipient", message.recipient},
      {"sender", message.sender_name},
      {"text", message.body},
      {"due_at", absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", message.due_at, absl::UTCTimeZone())},
  };
  // UTF-8 was checked above; `replace` keeps dump() from throwing regardless.
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

absl::StatusOr<std::unique_ptr<WebhookChannel>> WebhookChannel::Create(WebhookChannelOptions options,
                                                                       const Clock& clock) {
  ASSIGN_OR_RETURN(curl::UrlParts url, curl::ParseUrl(options.url, "webhook url"));
  if (url.scheme != "http" && url.scheme != "https") {
    return absl::InvalidArgumentError("webhook url must be http:// or https://");
  }
  if (url.scheme == "http" && !curl::IsLoopbackHost(url.host) && !options.allow_plain_http) {
    return absl::InvalidArgumentError(
        "webhook url must be https:// unless the receiver is on loopback or plain http is allowed");
  }
  if (options.secret.size() < kMinSecretBytes) {
    return absl::InvalidArgumentError("webhook secret must be at least 16 bytes");
  }
  if (options.connect_timeout <= absl::ZeroDuration() || options.timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("webhook timeouts must be positive");
  }
  return std::unique_ptr<WebhookChannel>(new WebhookChannel(std::move(options), clock));
}

absl::Status WebhookChannel::Send(const OutboundMessage& message) {
  ASSIGN_OR_RETURN(const std::string body, WebhookBody(message));
  const std::string timestamp = absl::StrCat(absl::ToUnixSeconds(clock_.Now()));

  curl::Slist headers;
  for (const std::string& line : {
           std::string("Content-Type: application/json"),
           std::string("Expect:"),  // no 100-continue round trip
           absl::StrCat(kIdempotencyKeyHeader, ": ", message.idempotency_id),
           absl::StrCat(kTimestampHeader, ": ", timestamp),
           absl::StrCat(kSignatureHeader, ": ", WebhookSignatureHeader(options_.secret, timestamp, body)),
       }) {
    if (!curl::Append(headers, line)) return absl::ResourceExhaustedError("out of memory building a webhook");
  }

  curl::EasyHandle handle = handles_.Acquire();
  if (handle == nullptr) return absl::ResourceExhaustedError("out of memory starting a webhook request");
  CURL* h = handle.get();
  curl_easy_setopt(h, CURLOPT_URL, options_.url.c_str());
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!options_.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, options_.ca_file.c_str());
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, curl::TimeoutMillis(options_.connect_timeout));
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, curl::TimeoutMillis(options_.timeout));
  curl_easy_setopt(h, CURLOPT_USERAGENT, "tandem-reminders");
  curl_easy_setopt(h, CURLOPT_POST, 1L);
  curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &DiscardBody);

  const CURLcode code = curl_easy_perform(h);
  long http_code = 0;  // NOLINT(google-runtime-int): CURLINFO_RESPONSE_CODE writes a C long
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &http_code);
  // Detach the request's buffers before the handle goes back to the pool.
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, nullptr);
  curl_easy_setopt(h, CURLOPT_POSTFIELDS, nullptr);
  handles_.Release(std::move(handle));

  if (code != CURLE_OK) return curl::StatusFromCurl(code, "webhook request failed");
  return StatusFromHttp(http_code);
}

}  // namespace tandem::reminders
