#include "common/auth/service_token_source.h"

#include <utility>

#include "common/auth/principal.h"

namespace tandem::auth {

ServiceTokenSource::ServiceTokenSource(std::unique_ptr<JwtSigner> signer, std::string service_name,
                                       std::string audience, const Clock& clock, absl::Duration lifetime)
    : signer_(std::move(signer)),
      service_name_(std::move(service_name)),
      audience_(std::move(audience)),
      clock_(clock),
      lifetime_(lifetime) {}

absl::StatusOr<std::string> ServiceTokenSource::Token() {
  absl::MutexLock lock(&mu_);
  absl::Time now = clock_.Now();
  if (now < refresh_at_) return token_;
  TokenClaims claims;
  claims.subject = service_name_;
  claims.roles = {kRoleService};
  claims.audience = audience_;
  claims.lifetime = lifetime_;
  absl::StatusOr<std::string> token = signer_->Sign(claims);
  if (!token.ok()) return token.status();
  token_ = *std::move(token);
  // Refresh at 80% of the lifetime so a token in flight never expires on the wire.
  refresh_at_ = now + lifetime_ * 4 / 5;
  return token_;
}

}  // namespace tandem::auth
