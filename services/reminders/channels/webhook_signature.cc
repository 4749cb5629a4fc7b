#include "services/reminders/channels/webhook_signature.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdint>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace tandem::reminders {
namespace {

constexpr size_t kMaxTimestampDigits = 12;
constexpr size_t kSignatureHexLength = 64;

bool ParseUnixSeconds(absl::string_view text, int64_t* seconds) {
  if (text.empty() || text.size() > kMaxTimestampDigits) return false;
  int64_t value = 0;
  for (char c : text) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
    value = value * 10 + (c - '0');
  }
  *seconds = value;
  return true;
}

}  // namespace

std::string ComputeWebhookSignature(absl::string_view secret, absl::string_view timestamp,
                                    absl::string_view body) {
  const std::string signed_payload = absl::StrCat(timestamp, ".", body);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_length = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(signed_payload.data()), signed_payload.size(), mac,
       &mac_length);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(mac), mac_length));
}

std::string WebhookSignatureHeader(absl::string_view secret, absl::string_view timestamp,
                                   absl::string_view body) {
  return absl::StrCat("v1=", ComputeWebhookSignature(secret, timestamp, body));
}

absl::Status VerifyWebhookSignature(absl::string_view secret, absl::string_view timestamp_header,
                                    absl::string_view body, absl::string_view signature_header,
                                    absl::Time now, absl::Duration tolerance) {
  int64_t seconds = 0;
  if (!ParseUnixSeconds(timestamp_header, &seconds)) {
    return absl::UnauthenticatedError("webhook timestamp is missing or not unix seconds");
  }
  if (absl::AbsDuration(now - absl::FromUnixSeconds(seconds)) > tolerance) {
    return absl::UnauthenticatedError("webhook timestamp is outside the tolerance");
  }
  const std::string expected = ComputeWebhookSignature(secret, timestamp_header, body);
  bool any_v1 = false;
  bool matched = false;
  for (absl::string_view entry : absl::StrSplit(signature_header, ',')) {
    entry = absl::StripAsciiWhitespace(entry);
    if (!absl::ConsumePrefix(&entry, "v1=")) continue;
    any_v1 = true;
    if (entry.size() != kSignatureHexLength) continue;
    const std::string candidate = absl::AsciiStrToLower(entry);
    // Every candidate is compared, in constant time, so timing says nothing about which one matched.
    if (CRYPTO_memcmp(candidate.data(), expected.data(), kSignatureHexLength) == 0) matched = true;
  }
  if (!any_v1) return absl::UnauthenticatedError("webhook signature header has no v1 signature");
  if (!matched) return absl::UnauthenticatedError("webhook signature does not match");
  return absl::OkStatus();
}

}  // namespace tandem::reminders
