#include "common/auth/service_token_source.h"

#include <algorithm>
#include <utility>

#include "common/auth/principal.h"

namespace tandem::auth {

ServiceTokenSource::ServiceTokenSource(std::unique_ptr<JwtSigner> signer, std::string service_name,
                                       const Clock& clock, absl::Duration lifetime)
    : signer_(std::move(signer)),
      service_name_(std::move(service_name)),
      clock_(clock),
      lifetime_(lifetime) {}

absl::StatusOr<std::string> ServiceTokenSource::Token(absl::string_view audience) {
  if (audience.empty()) return absl::FailedPreconditionError("a service token is addressed to one service");
  absl::MutexLock lock(&mu_);
  absl::Time now = clock_.Now();
  Cached& cached = tokens_[audience];
  if (now < cached.refresh_at) return cached.token;
  TokenClaims claims;
  claims.subject = service_name_;
  claims.roles = {kRoleService};
  claims.audience = std::string(audience);
  claims.lifetime = lifetime_;
  absl::StatusOr<std::string> token = signer_->Sign(claims);
  if (!token.ok()) return token.status();
  cached.token = *std::move(token);
  // Refresh at 80% of the lifetime so a token in flight never expires on the wire.
  cached.refresh_at = now + lifetime_ * 4 / 5;
  return cached.token;
}

absl::StatusOr<std::string> ServiceTokenSource::Assert(const Principal& person,
                                                       absl::string_view audience) const {
  if (person.IsService()) return absl::InvalidArgumentError("only a person's claims can be asserted");
  if (audience.empty()) return absl::FailedPreconditionError("an assertion is addressed to one service");
  // Never outlives the person's own token (whole seconds, as JWT times are).
  const absl::Duration left = absl::Seconds(absl::ToInt64Seconds(person.expires_at - clock_.Now()));
  if (left <= absl::ZeroDuration()) return absl::FailedPreconditionError("the person's token has expired");
  TokenClaims claims;
  claims.subject = person.subject;
  claims.clinic_id = person.clinic_id;
  claims.roles.assign(person.roles.begin(), person.roles.end());
  claims.audience = std::string(audience);
  claims.actor = service_name_;
  claims.lifetime = std::min(absl::Minutes(1), left);
  claims.token_id = person.token_id;
  return signer_->Sign(claims);
}

}  // namespace tandem::auth
