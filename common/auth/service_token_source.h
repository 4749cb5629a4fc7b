#ifndef TANDEM_COMMON_AUTH_SERVICE_TOKEN_SOURCE_H_
#define TANDEM_COMMON_AUTH_SERVICE_TOKEN_SOURCE_H_

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
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
  ServiceTokenSource(std::unique_ptr<JwtSigner> signer, std::string service_name,
                     const Clock& clock = Clock::Real(), absl::Duration lifetime = absl::Minutes(5));

  // This service's token for calls to the service named `audience` ("reminders"): a token is good at one
  // service only, so a service that receives it cannot replay it to another. One is kept per audience.
  absl::StatusOr<std::string> Token(absl::string_view audience);

  // An end-user assertion for a call to `audience` (the called service's name) made on behalf of `person`:
  // their verified subject, clinic, roles and token id, signed by this service and valid for a minute or
  // until the person's own token expires, whichever is sooner. Never the person's own token, which the called
  // service could replay. FAILED_PRECONDITION when the person's token has already expired.
  absl::StatusOr<std::string> Assert(const Principal& person, absl::string_view audience) const;

  const std::string& service_name() const { return service_name_; }

 private:
  std::unique_ptr<JwtSigner> signer_;
  std::string service_name_;
  const Clock& clock_;
  absl::Duration lifetime_;
  struct Cached {
    std::string token;
    absl::Time refresh_at = absl::InfinitePast();
  };
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Cached> tokens_ ABSL_GUARDED_BY(mu_);  // by audience
};

}  // namespace tandem::auth

#endif  // TANDEM_COMMON_AUTH_SERVICE_TOKEN_SOURCE_H_
