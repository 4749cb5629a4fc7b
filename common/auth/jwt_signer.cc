#include "common/auth/jwt_signer.h"

#include <jwt.h>

#include <cstdlib>

#include "common/auth/principal.h"
#include "common/status/status_macros.h"
#include "common/time/uuid.h"
#include "nlohmann/json.hpp"

namespace tandem::auth {
namespace {

struct JwtDeleter {
  void operator()(jwt_t* jwt) const { jwt_free(jwt); }
};

}  // namespace

absl::StatusOr<std::unique_ptr<JwtSigner>> JwtSigner::FromPrivateKeyPem(absl::string_view pem,
                                                                        std::string kid, std::string issuer,
                                                                        const Clock& clock) {
  ASSIGN_OR_RETURN(EvpPkeyPtr key, ParsePrivateKeyPem(pem));
  ASSIGN_OR_RETURN(KeyType type, KeyTypeOf(key.get()));
  if (kid.empty()) {
    ASSIGN_OR_RETURN(kid, JwkThumbprint(key.get()));
  }
  return std::unique_ptr<JwtSigner>(new JwtSigner(std::string(AlgorithmFor(type)), std::string(pem),
                                                  std::move(kid), std::move(issuer), clock));
}

absl::StatusOr<std::unique_ptr<JwtSigner>> JwtSigner::FromHs256Secret(absl::string_view secret,
                                                                      std::string issuer,
                                                                      const Clock& clock) {
  if (secret.size() < 32) return absl::InvalidArgumentError("HS256 secret must be at least 32 bytes");
  return std::unique_ptr<JwtSigner>(
      new JwtSigner("HS256", std::string(secret), "", std::move(issuer), clock));
}

absl::StatusOr<std::string> JwtSigner::Sign(const TokenClaims& claims) const {
  if (claims.subject.empty() || claims.roles.empty()) {
    return absl::InvalidArgumentError("a token needs a subject and at least one role");
  }
  int64_t now = absl::ToUnixSeconds(clock_.Now());
  nlohmann::json grants = {
      {"sub", claims.subject},
      {"roles", claims.roles},
      {"iat", now},
      {"exp", now + absl::ToInt64Seconds(claims.lifetime)},
      {"jti", claims.token_id.empty() ? NewUuidV7(clock_) : claims.token_id},
  };
  if (!claims.clinic_id.empty()) grants["clinic_id"] = claims.clinic_id;
  if (!issuer_.empty()) grants["iss"] = issuer_;
  if (!claims.audience.empty()) grants["aud"] = claims.audience;
  if (!claims.actor.empty()) {
    grants["act"] = {{"sub", claims.actor}};
    grants[kTokenTypeClaim] = kAssertionTokenType;
  }
  if (claims.not_before_offset > absl::ZeroDuration()) {
    grants["nbf"] = now + absl::ToInt64Seconds(claims.not_before_offset);
  }

  jwt_t* raw = nullptr;
  if (jwt_new(&raw) != 0) return absl::InternalError("jwt_new failed");
  std::unique_ptr<jwt_t, JwtDeleter> jwt(raw);
  if (jwt_add_grants_json(jwt.get(), grants.dump().c_str()) != 0 ||
      (!kid_.empty() && jwt_add_header(jwt.get(), "kid", kid_.c_str()) != 0) ||
      jwt_set_alg(jwt.get(), jwt_str_alg(alg_.c_str()), reinterpret_cast<const unsigned char*>(key_.data()),
                  static_cast<int>(key_.size())) != 0) {
    return absl::InternalError("cannot build token");
  }
  char* encoded = jwt_encode_str(jwt.get());
  if (encoded == nullptr) return absl::InternalError("cannot sign token");
  std::string token(encoded);
  free(encoded);  // NOLINT(cppcoreguidelines-no-malloc): allocated by libjwt with malloc
  return token;
}

}  // namespace tandem::auth
