#ifndef TANDEM_BENCH_SERVICE_TOKEN_H_
#define TANDEM_BENCH_SERVICE_TOKEN_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace tandem::bench {

// The bearer token the service `service` sends when it calls the service `audience` on its own account: a
// `service` token signed with that service's own private key (PEM, as `tandemctl service-key` writes it) and
// the key's thumbprint as its id, exactly as the service runtime makes it. Internal RPCs (CheckCareTeam,
// GetContact) admit only such tokens, so a load run needs one to drive them. `lifetime` should cover the run.
absl::StatusOr<std::string> MintServiceToken(absl::string_view private_key_pem, absl::string_view service,
                                             absl::string_view audience, absl::string_view issuer,
                                             absl::Duration lifetime);

}  // namespace tandem::bench

#endif  // TANDEM_BENCH_SERVICE_TOKEN_H_
