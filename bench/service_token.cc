#include "bench/service_token.h"

#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "common/auth/jwt_signer.h"
#include "common/auth/keys.h"
#include "common/auth/service_token_source.h"

namespace tandem::bench {

absl::StatusOr<std::string> MintServiceToken(absl::string_view private_key_pem, absl::string_view service,
                                             absl::string_view audience, absl::string_view issuer,
                                             absl::Duration lifetime) {
  if (service.empty()) return absl::InvalidArgumentError("the calling service's name is empty");
  if (audience.empty()) return absl::InvalidArgumentError("the called service's name is empty");
  absl::StatusOr<auth::EvpPkeyPtr> key = auth::ParsePrivateKeyPem(private_key_pem);
  if (!key.ok()) return key.status();
  // The key id is the key's thumbprint: what tandemctl publishes in the JWKS and the runtime signs with.
  absl::StatusOr<std::string> kid = auth::JwkThumbprint(key->get());
  if (!kid.ok()) return kid.status();
  absl::StatusOr<std::unique_ptr<auth::JwtSigner>> signer =
      auth::JwtSigner::FromPrivateKeyPem(private_key_pem, *std::move(kid), std::string(issuer));
  if (!signer.ok()) return signer.status();
  auth::ServiceTokenSource source(*std::move(signer), std::string(service), Clock::Real(), lifetime);
  return source.Token(audience);
}

}  // namespace tandem::bench
