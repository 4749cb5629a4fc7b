#ifndef TANDEM_COMMON_AUTH_JWS_SIGNATURE_H_
#define TANDEM_COMMON_AUTH_JWS_SIGNATURE_H_

#include "absl/strings/string_view.h"
#include "common/auth/keys.h"
#include "openssl/evp.h"

namespace tandem::auth {

// JWS signature checks (RFC 7515/7518) on keys parsed once at start-up. libjwt 1.10 takes the key as PEM and
// decodes it again on every verification, which under OpenSSL 3 costs about a millisecond of provider lookups
// per token; checking the signature here with the EVP_PKEY already held removes that from every request.
// `signing_input` is "<header>.<payload>" as it appears in the token; `signature` is the decoded third part.

// RS256 (RSASSA-PKCS1-v1_5 with SHA-256) for kRsa, ES256 (ECDSA P-256 with SHA-256, the 64-byte R || S form)
// for kEcP256. `key` must be of `type`.
bool VerifyAsymmetricJws(KeyType type, EVP_PKEY* key, absl::string_view signing_input,
                         absl::string_view signature);

// HS256 (HMAC-SHA-256), compared in constant time.
bool VerifyHs256Jws(absl::string_view secret, absl::string_view signing_input, absl::string_view signature);

}  // namespace tandem::auth

#endif  // TANDEM_COMMON_AUTH_JWS_SIGNATURE_H_
