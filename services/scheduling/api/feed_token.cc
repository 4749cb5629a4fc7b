#include "services/scheduling/api/feed_token.h"

#include <openssl/sha.h>

#include <array>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/crypto/aes_gcm.h"
#include "common/status/status_macros.h"

namespace tandem::scheduling {
namespace {

constexpr size_t kTokenBytes = 32;
constexpr size_t kTokenChars = 43;  // 32 bytes in base64url without padding

}  // namespace

absl::StatusOr<std::string> NewFeedToken() {
  ASSIGN_OR_RETURN(std::string bytes, crypto::RandomBytes(kTokenBytes));
  return absl::WebSafeBase64Escape(bytes);
}

bool IsWellFormedFeedToken(absl::string_view token) {
  if (token.size() != kTokenChars) return false;
  for (char c : token) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  }
  return true;
}

std::string FeedTokenHash(absl::string_view token) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(), digest.data());
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

std::string FeedUrlPath(absl::string_view token) { return absl::StrCat("/v1/calendar-feeds/", token); }

}  // namespace tandem::scheduling
