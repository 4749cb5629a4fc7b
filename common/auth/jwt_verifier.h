#ifndef TANDEM_COMMON_AUTH_JWT_VERIFIER_H_
#define TANDEM_COMMON_AUTH_JWT_VERIFIER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/auth/keys.h"
#include "common/auth/principal.h"
#include "common/time/clock.h"

namespace tandem::auth {

struct VerifierOptions {
  std::string issuer;    // required: `iss` must equal it (construction fails when empty)
  std::string audience;  // when set, `aud` (string or array) must contain it
  // A token may not live longer than this (exp - iat), so a leaked long-lived token is refused outright.
  absl::Duration max_lifetime = absl::Hours(12);
  // Allowed clock skew for exp / nbf / iat.
  absl::Duration leeway = absl::Seconds(30);
};

// Verifies bearer tokens and turns them into a Principal.
//
// libjwt 1.10 has no JWKS support and no claim checks, would accept an HS256 token whose HMAC key is an RSA
// public key, and re-parses a PEM key on every verification. So this class turns each JWK into an OpenSSL key
// once, selects it by `kid`, requires the token's `alg` to be the one algorithm bound to that key's type,
// checks the signature with OpenSSL (jws_signature.h), and checks exp, nbf, iat, iss, aud and the maximum
// lifetime in code. Every failure is UNAUTHENTICATED with a short reason that never quotes the token.
// Construction fails without an issuer, so `iss` is always checked. Dates must be whole seconds between 1970
// and 9999, a token with a `crit` header is refused (no extension is understood), and a JWK published for
// another purpose ("use" other than "sig", "key_ops" without "verify") never verifies anything.
class JwtVerifier {
 public:
  // Production: keys from a JWKS document (RSA >= 2048 bits or EC P-256).
  static absl::StatusOr<std::unique_ptr<JwtVerifier>> FromJwks(absl::string_view jwks_json,
                                                               VerifierOptions options,
                                                               const Clock& clock = Clock::Real());
  // Local runs only: one shared HS256 secret (at least 32 bytes).
  static absl::StatusOr<std::unique_ptr<JwtVerifier>> FromHs256Secret(absl::string_view secret,
                                                                      VerifierOptions options,
                                                                      const Clock& clock = Clock::Real());
  // From configuration files: a JWKS file wins, and an HS256 secret is refused once a JWKS is configured.
  static absl::StatusOr<std::unique_ptr<JwtVerifier>> FromFiles(const std::string& jwks_path,
                                                                const std::string& hs256_secret_path,
                                                                VerifierOptions options,
                                                                const Clock& clock = Clock::Real());

  // Thread-safe. A token verified once is remembered (up to kCacheCapacity tokens) with what it proved, so
  // the signature, which costs more than the rest of a gateway request, is checked once per token rather than
  // once per request; every later use still re-checks the token's time window against the clock.
  //
  // A bearer token: a person's, or a Tandem service's own `service` token. End-user assertions are refused.
  absl::StatusOr<Principal> Verify(absl::string_view token) const;

  // An end-user assertion (kAssertionTokenType) in a call from the service `actor` to the service
  // `audience`: signed by a key bound to `actor`, naming it in `act`, addressed to `audience`, and carrying
  // a person's claims. Anything else is UNAUTHENTICATED.
  absl::StatusOr<Principal> VerifyAssertion(absl::string_view token, absl::string_view actor,
                                            absl::string_view audience) const;

  static constexpr size_t kCacheCapacity = 10000;

 private:
  struct Verified {
    Principal principal;
    absl::Time not_before = absl::InfinitePast();
    bool assertion = false;
    std::string actor;                   // assertions: `act.sub`
    std::vector<std::string> audiences;  // assertions: `aud`
  };
  absl::StatusOr<Verified> VerifyCached(absl::string_view token) const;
  absl::StatusOr<Verified> VerifyUncached(absl::string_view token) const;
  absl::Status CheckTimeWindow(const Verified& verified) const;

  // What a key may sign (JWK member "tandem_subjects"). A key without subjects belongs to the people's
  // issuer: it signs person tokens only. A key with subjects belongs to those Tandem services: it signs
  // exactly their own `service` tokens and their end-user assertions, never a token a person could present.
  struct Key {
    KeyType type;
    EvpPkeyPtr public_key;  // parsed once; read-only, so shared by every thread that verifies
    std::vector<std::string> subjects;
  };
  static absl::Status CheckKeyBinding(const Key& key, const Verified& verified);
  JwtVerifier(VerifierOptions options, const Clock& clock) : options_(std::move(options)), clock_(clock) {}

  VerifierOptions options_;
  const Clock& clock_;
  absl::flat_hash_map<std::string, Key> keys_;  // by kid
  // Kids of JWKs published for another purpose ("use" other than "sig", or "key_ops" without "verify"), so
  // that a token naming one is told why it is refused.
  absl::flat_hash_set<std::string> non_signing_kids_;
  std::string hs256_secret_;  // only when keys_ is empty
  mutable absl::Mutex cache_mu_;
  // Keyed by the SHA-256 of the whole token: only the exact bytes that were verified hit.
  mutable absl::flat_hash_map<std::string, Verified> cache_ ABSL_GUARDED_BY(cache_mu_);
};

}  // namespace tandem::auth

#endif  // TANDEM_COMMON_AUTH_JWT_VERIFIER_H_
