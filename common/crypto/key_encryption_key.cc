#include "common/crypto/key_encryption_key.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <array>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/auth/jwt_verifier.h"
#include "common/crypto/aes_gcm.h"

namespace tandem::crypto {
namespace {

KeyEncryptionKey WithId(std::string key) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
  SHA256(reinterpret_cast<const unsigned char*>(key.data()), key.size(), digest.data());
  std::string hex =
      absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
  return KeyEncryptionKey{absl::StrCat("kek-", hex.substr(0, 16)), std::move(key)};
}

bool IsHex(absl::string_view s) {
  for (char c : s) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<KeyEncryptionKey> ParseKeyEncryptionKey(absl::string_view text) {
  if (text.size() == kAes256KeyBytes) return WithId(std::string(text));
  absl::string_view trimmed = absl::StripAsciiWhitespace(text);
  if (trimmed.size() == 2 * kAes256KeyBytes && IsHex(trimmed)) {
    return WithId(absl::HexStringToBytes(trimmed));
  }
  std::string decoded;
  if (absl::Base64Unescape(trimmed, &decoded) && decoded.size() == kAes256KeyBytes) {
    return WithId(std::move(decoded));
  }
  OPENSSL_cleanse(decoded.data(), decoded.size());
  return absl::InvalidArgumentError(
      "key-encryption key must be 32 bytes: 64 hex digits, base64, or raw bytes");
}

absl::StatusOr<KeyEncryptionKey> LoadKeyEncryptionKeyFile(const std::string& path) {
  absl::StatusOr<std::string> text = auth::ReadSecretFile(path);
  if (!text.ok()) return text.status();
  absl::StatusOr<KeyEncryptionKey> kek = ParseKeyEncryptionKey(*text);
  OPENSSL_cleanse(text->data(), text->size());
  if (!kek.ok()) return absl::InvalidArgumentError(absl::StrCat(path, ": ", kek.status().message()));
  return kek;
}

absl::StatusOr<std::string> NewKeyEncryptionKeyHex() {
  absl::StatusOr<std::string> bytes = RandomBytes(kAes256KeyBytes);
  if (!bytes.ok()) return bytes.status();
  return absl::BytesToHexString(*bytes);
}

KeyRing::KeyRing(KeyEncryptionKey primary, std::vector<KeyEncryptionKey> previous) {
  keys_.push_back(std::move(primary));
  for (auto& key : previous) keys_.push_back(std::move(key));
}

absl::StatusOr<const KeyEncryptionKey*> KeyRing::Find(absl::string_view id) const {
  for (const auto& key : keys_) {
    if (key.id == id) return &key;
  }
  return absl::NotFoundError(absl::StrCat("key-encryption key ", id, " is not configured"));
}

}  // namespace tandem::crypto
