#ifndef TANDEM_COMMON_AUTH_KEYS_H_
#define TANDEM_COMMON_AUTH_KEYS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"
#include "openssl/evp.h"

namespace tandem::auth {

struct EvpPkeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, EvpPkeyDeleter>;

enum class KeyType { kRsa, kEcP256 };

// The only JWS algorithm accepted for a key of each type. Binding the algorithm to the key (not to the
// token's header) is what stops algorithm-confusion attacks such as HS256 signed with an RSA public key.
absl::string_view AlgorithmFor(KeyType type);

// Asymmetric signing keys in the forms Tandem stores and publishes: PEM for OpenSSL and libjwt, JWK for the
// JWKS.
absl::StatusOr<EvpPkeyPtr> GenerateKey(KeyType type);
absl::StatusOr<EvpPkeyPtr> ParsePrivateKeyPem(absl::string_view pem);
absl::StatusOr<std::string> PrivateKeyPem(EVP_PKEY* key);
absl::StatusOr<std::string> PublicKeyPem(EVP_PKEY* key);
absl::StatusOr<KeyType> KeyTypeOf(EVP_PKEY* key);

// The public JWK of `key` ({kty, n, e} or {kty, crv, x, y}, plus kid, alg and use).
absl::StatusOr<nlohmann::json> PublicJwk(EVP_PKEY* key, absl::string_view kid);

// RFC 7638 thumbprint of the public key: a stable key id when none is given.
absl::StatusOr<std::string> JwkThumbprint(EVP_PKEY* key);

// A public key from one JWK object (RSA or EC P-256).
absl::StatusOr<EvpPkeyPtr> PublicKeyFromJwk(const nlohmann::json& jwk);

std::string Base64UrlEncode(absl::string_view bytes);
absl::StatusOr<std::string> Base64UrlDecode(absl::string_view text);

}  // namespace tandem::auth

#endif  // TANDEM_COMMON_AUTH_KEYS_H_
