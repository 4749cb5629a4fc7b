#ifndef TANDEM_COMMON_AUTH_JWT_SIGNER_H_
#define TANDEM_COMMON_AUTH_JWT_SIGNER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/auth/keys.h"
#include "common/time/clock.h"

namespace tandem::auth {

struct TokenClaims {
  std::string subject;
  std::string clinic_id;  // empty for service tokens
  std::vector<std::string> roles;
  std::string audience;
  absl::Duration lifetime = absl::Minutes(5);
  // Seconds after issue before the token is valid (0 = immediately); tests use it for "not yet valid".
  absl::Duration not_before_offset = absl::ZeroDuration();
  // Set for an end-user assertion (kAssertionTokenType): the service asserting the person's claims.
  std::string actor;
  // `jti`: a fresh id when empty; an assertion carries the person's own token id, so revoking it covers both.
  std::string token_id;
};

// Mints signed tokens: services sign their own short-lived `service` tokens for outbound calls, and tandemctl
// mints tokens for local runs and tests. Each token carries a fresh `jti` so it can be revoked.
class JwtSigner {
 public:
  // RS256 or ES256 depending on the key; `kid` is published with the public key in the JWKS.
  static absl::StatusOr<std::unique_ptr<JwtSigner>> FromPrivateKeyPem(absl::string_view pem, std::string kid,
                                                                      std::string issuer,
                                                                      const Clock& clock = Clock::Real());
  static absl::StatusOr<std::unique_ptr<JwtSigner>> FromHs256Secret(absl::string_view secret,
                                                                    std::string issuer,
                                                                    const Clock& clock = Clock::Real());

  absl::StatusOr<std::string> Sign(const TokenClaims& claims) const;

 private:
  JwtSigner(std::string alg, std::string key, std::string kid, std::string issuer, const Clock& clock)
      : alg_(std::move(alg)),
        key_(std::move(key)),
        kid_(std::move(kid)),
        issuer_(std::move(issuer)),
        clock_(clock) {}

  std::string alg_;
  std::string key_;  // PEM private key or HMAC secret
  std::string kid_;
  std::string issuer_;
  const Clock& clock_;
};

}  // namespace tandem::auth

#endif  // TANDEM_COMMON_AUTH_JWT_SIGNER_H_
