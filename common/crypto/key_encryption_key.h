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
  std::string id;   // "kek-" + first 16 hex digits of SHA-256(key): names the key without revealing it
  std::string key;  // 32 bytes
};

// Accepts 64 hex digits, standard base64 of 32 bytes, or 32 raw bytes (surrounding white space ignored).
absl::StatusOr<KeyEncryptionKey> ParseKeyEncryptionKey(absl::string_view text);
absl::StatusOr<KeyEncryptionKey> LoadKeyEncryptionKeyFile(const std::string& path);

// A fresh random key, hex-encoded, for `tandemctl kek` and local runs.
absl::StatusOr<std::string> NewKeyEncryptionKeyHex();

// The primary KEK wraps new data keys; older ones are kept only to unwrap during a rotation.
class KeyRing {
 public:
  explicit KeyRing(KeyEncryptionKey primary, std::vector<KeyEncryptionKey> previous = {});
  const KeyEncryptionKey& primary() const { return keys_.front(); }
  // NOT_FOUND (naming only the id) when the ring has no such key.
  absl::StatusOr<const KeyEncryptionKey*> Find(absl::string_view id) const;

 private:
  std::vector<KeyEncryptionKey> keys_;
};

}  // namespace tandem::crypto

#endif  // TANDEM_COMMON_CRYPTO_KEY_ENCRYPTION_KEY_H_
