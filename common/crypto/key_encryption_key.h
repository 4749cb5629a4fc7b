#ifndef TANDEM_COMMON_CRYPTO_KEY_ENCRYPTION_KEY_H_
#define TANDEM_COMMON_CRYPTO_KEY_ENCRYPTION_KEY_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tandem::crypto {

// The key that wraps per-clinic data keys. It lives only in a file (a mounted Kubernetes Secret in
// production) and in memory; the database stores data keys wrapped by it, never the key itself.
struct KeyEncryptionKey {
  std::string id;   // KekId(key): names the key in data_keys rows without revealing anything about it
  std::string key;  // 32 bytes
};

// Only 64 hex digits (surrounding white space ignored): a key written by `tandemctl kek`. Any other form is
// refused, so a passphrase that happens to be 32 characters long never becomes a key.
absl::StatusOr<KeyEncryptionKey> ParseKeyEncryptionKey(absl::string_view text);
// The file must not be readable by every user (config::ReadSecretFile).
absl::StatusOr<KeyEncryptionKey> LoadKeyEncryptionKeyFile(const std::string& path);

// "kek2-" + 32 hex digits of HMAC-SHA256(key, "tandem kek id v1").
std::string KekId(absl::string_view key);
// The id earlier releases stored: "kek-" + 16 hex digits of SHA-256(key). Only recognised, to rename the rows
// that carry it (ClinicalCipher::AdoptLegacyKekIds); never written.
std::string LegacyKekId(absl::string_view key);

// A fresh random key, hex-encoded, for `tandemctl kek` and local runs.
absl::StatusOr<std::string> NewKeyEncryptionKeyHex();

// The primary KEK wraps new data keys; older ones are kept only to unwrap during a rotation.
class KeyRing {
 public:
  explicit KeyRing(KeyEncryptionKey primary, std::vector<KeyEncryptionKey> previous = {});
  const KeyEncryptionKey& primary() const { return keys_.front(); }
  // NOT_FOUND (naming only the id) when the ring has no such key. A key's legacy id finds it too, so rows
  // written before their rename (or by an older replica during an upgrade) still open.
  absl::StatusOr<const KeyEncryptionKey*> Find(absl::string_view id) const;
  const std::vector<KeyEncryptionKey>& keys() const { return keys_; }

 private:
  std::vector<KeyEncryptionKey> keys_;
  std::vector<std::string> legacy_ids_;  // LegacyKekId of keys_[i]
};

}  // namespace tandem::crypto

#endif  // TANDEM_COMMON_CRYPTO_KEY_ENCRYPTION_KEY_H_
