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

absl::StatusOr<std::string> ServiceTokenSource::Assert(const Principal& person,
                                                       absl::string_view audience) const {
  if (person.IsService()) return absl::InvalidArgumentError("only a person's claims can be asserted");
  if (audience.empty()) return absl::InvalidArgumentError("an assertion is addressed to one service");
  TokenClaims claims;
  claims.subject = person.subject;
  claims.clinic_id = person.clinic_id;
  claims.roles.assign(person.roles.begin(), person.roles.end());
  claims.audience = std::string(audience);
  claims.actor = service_name_;
  claims.lifetime = absl::Minutes(1);
  return signer_->Sign(claims);
}

}  // namespace tandem::auth
