#ifndef TANDEM_COMMON_AUTH_SERVICE_TOKEN_SOURCE_H_
#define TANDEM_COMMON_AUTH_SERVICE_TOKEN_SOURCE_H_

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/auth/jwt_signer.h"
#include "common/auth/principal.h"

namespace tandem::auth {

// The calling service's own identity for outbound calls: a short-lived `service` token signed with the
// service's key, reused until shortly before it expires so that signing stays off the per-request path.
class ServiceTokenSource {
 public:
  ServiceTokenSource(std::unique_ptr<JwtSigner> signer, std::string service_name, std::string audience,
                     const Clock& clock = Clock::Real(), absl::Duration lifetime = absl::Minutes(5));

  absl::StatusOr<std::string> Token();

  // An end-user assertion for a call to `audience` (the called service's name) made on behalf of `person`:
  // their verified subject, clinic and roles, signed by this service and valid for a minute. Never the
  // person's own token, which the called service could replay.
  absl::StatusOr<std::string> Assert(const Principal& person, absl::string_view audience) const;

  const std::string& service_name() const { return service_name_; }

 private:
  std::unique_ptr<JwtSigner> signer_;
  std::string service_name_;
  std::string audience_;
  const Clock& clock_;
  absl::Duration lifetime_;
  absl::Mutex mu_;
  std::string token_ ABSL_GUARDED_BY(mu_);
  absl::Time refresh_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

}  // namespace tandem::auth

#endif  // TANDEM_COMMON_AUTH_SERVICE_TOKEN_SOURCE_H_
