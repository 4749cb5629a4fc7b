#ifndef TANDEM_COMMON_GRPC_CALL_CONTEXT_H_
#define TANDEM_COMMON_GRPC_CALL_CONTEXT_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/auth/jwt_verifier.h"
#include "common/auth/principal.h"
#include "grpcpp/server_context.h"

namespace tandem {

inline constexpr char kRequestIdHeader[] = "x-request-id";
inline constexpr char kAuthorizationHeader[] = "authorization";
inline constexpr char kEndUserHeader[] = "x-tandem-end-user";

// The request id of an inbound call. RequestIdInterceptor guarantees one is present (generated when the
// caller sent none or an unsafe one), so this is empty only on servers built without it.
std::string RequestIdOf(const grpc::ServerContextBase& context);

// A request id is safe to log and forward when it is short and made of [A-Za-z0-9._-] only.
bool IsSafeRequestId(absl::string_view id);

// The bearer token of an inbound call, or an empty view.
absl::string_view BearerTokenOf(const grpc::ServerContextBase& context);

// Verifies the caller's bearer token. A `service` caller acting for a person adds, in x-tandem-end-user, an
// end-user assertion it signed for this service (`service_name`); it is verified (made by the caller,
// addressed to this service) and attached as principal.end_user. Anyone else sending that header is refused
// (PERMISSION_DENIED): only services act on behalf of others.
absl::StatusOr<auth::Principal> Authenticate(const grpc::ServerContextBase& context,
                                             const auth::JwtVerifier& verifier,
                                             absl::string_view service_name);

// Authenticate in its two steps, for a caller that treats them apart (the service kit audits the refusal of
// an authenticated person who sent an end-user assertion, and counts a bad token as unauthenticated):
// the bearer token alone, then the end-user assertion attached to that principal.
absl::StatusOr<auth::Principal> AuthenticateBearer(const grpc::ServerContextBase& context,
                                                   const auth::JwtVerifier& verifier,
                                                   absl::string_view service_name);
absl::Status AttachEndUser(const grpc::ServerContextBase& context, const auth::JwtVerifier& verifier,
                           absl::string_view service_name, auth::Principal& principal);

// The status a handler returns to the caller. Internal failures (INTERNAL, UNKNOWN, DATA_LOSS) are logged
// with the request id and replaced by a generic message, so no SQL, path or clinical text crosses the
// boundary. A status marked server-only (a database's report, common/status/server_only_message.h) is logged
// the same way and answered with a message written for the caller for its code.
grpc::Status ToPublicStatus(const absl::Status& status, absl::string_view request_id);

}  // namespace tandem

#endif  // TANDEM_COMMON_GRPC_CALL_CONTEXT_H_
