#ifndef TANDEM_COMMON_CRYPTO_AES_GCM_H_
#define TANDEM_COMMON_CRYPTO_AES_GCM_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tandem::crypto {

inline constexpr size_t kAes256KeyBytes = 32;
inline constexpr size_t kGcmNonceBytes = 12;
inline constexpr size_t kGcmTagBytes = 16;

// AES-256-GCM with a fresh random 96-bit nonce per message (OpenSSL EVP). Output is nonce || ciphertext ||
// tag. `associated_data` is authenticated but not stored: the reader must supply the same bytes, which is how
// a ciphertext is bound to its record.
absl::StatusOr<std::string> AesGcmSeal(absl::string_view key, absl::string_view plaintext,
                                       absl::string_view associated_data);

// Fails with DATA_LOSS when the ciphertext, tag or associated data do not match; never returns partial
// plaintext.
absl::StatusOr<std::string> AesGcmOpen(absl::string_view key, absl::string_view sealed,
                                       absl::string_view associated_data);

// Cryptographically secure random bytes (OpenSSL RAND_bytes).
absl::StatusOr<std::string> RandomBytes(size_t n);

}  // namespace tandem::crypto

#endif  // TANDEM_COMMON_CRYPTO_AES_GCM_H_
