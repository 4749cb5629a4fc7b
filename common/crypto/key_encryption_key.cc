#include "common/crypto/key_encryption_key.h"

#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <array>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/config/secret_file.h"
#include "common/crypto/aes_gcm.h"

namespace tandem::crypto {
namespace {

constexpr absl::string_view kKekIdLabel = "tandem kek id v1";
constexpr size_t kKekIdBytes = 16;

std::string Hex(const unsigned char* bytes, size_t size) {
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(bytes), size));
}

KeyEncryptionKey WithId(std::string key) {
  std::string id = KekId(key);
  return KeyEncryptionKey{std::move(id), std::move(key)};
}

bool IsHex(absl::string_view s) {
  for (char c : s) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

// The id is a PRF output keyed by the KEK itself: without the key it is indistinguishable from random, so it
// says nothing about the key, and the label keeps it from matching any other hash or MAC of the same bytes. A
// bare SHA-256 prefix was a public fingerprint of the key. Like any value derived from the key (the GCM tag
// of every wrapped data key is one too), it can confirm a guess; what makes guessing hopeless is that only
// 256 random bits (64 hex digits) are accepted as a key.
std::string KekId(absl::string_view key) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(kKekIdLabel.data()), kKekIdLabel.size(), mac.data(), &mac_len);
  return absl::StrCat("kek2-", Hex(mac.data(), kKekIdBytes));
}

std::string LegacyKekId(absl::string_view key) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
  SHA256(reinterpret_cast<const unsigned char*>(key.data()), key.size(), digest.data());
  return absl::StrCat("kek-", Hex(digest.data(), digest.size()).substr(0, 16));
}

absl::StatusOr<KeyEncryptionKey> ParseKeyEncryptionKey(absl::string_view text) {
  absl::string_view trimmed = absl::StripAsciiWhitespace(text);
  if (trimmed.size() == 2 * kAes256KeyBytes && IsHex(trimmed)) {
    return WithId(absl::HexStringToBytes(trimmed));
  }
  // Never echoes the text: it is meant to be a secret.
  return absl::InvalidArgumentError(
      "key-encryption key must be 64 hex digits (32 random bytes), as written by `tandemctl kek`");
}

absl::StatusOr<KeyEncryptionKey> LoadKeyEncryptionKeyFile(const std::string& path) {
  absl::StatusOr<std::string> text = config::ReadSecretFile(path);
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
  for (const auto& key : keys_) legacy_ids_.push_back(LegacyKekId(key.key));
}

absl::StatusOr<const KeyEncryptionKey*> KeyRing::Find(absl::string_view id) const {
  for (const auto& key : keys_) {
    if (key.id == id) return &key;
  }
  for (size_t i = 0; i < keys_.size(); ++i) {
    if (legacy_ids_[i] == id) return &keys_[i];
  }
  return absl::NotFoundError(absl::StrCat("key-encryption key ", id, " is not configured"));
}

}  // namespace tandem::crypto
