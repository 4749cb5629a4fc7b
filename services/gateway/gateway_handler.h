#ifndef TANDEM_SERVICES_GATEWAY_GATEWAY_HANDLER_H_
#define TANDEM_SERVICES_GATEWAY_GATEWAY_HANDLER_H_

#include <optional>
#include <string>

#include "absl/time/time.h"
#include "common/auth/jwt_verifier.h"
#include "services/gateway/grpc_forwarder.h"
#include "services/gateway/http_server.h"
#include "services/gateway/route_table.h"

namespace tandem::gateway {

struct GatewayOptions {
  // Deadline when the request has no grpc-timeout header; a header may ask for less or more, up to the
  // maximum.
  absl::Duration default_timeout = absl::Seconds(10);
  absl::Duration max_timeout = absl::Seconds(60);
};

// Turns one HTTP request into one backend gRPC call and its answer back into HTTP:
// public routes (GET /healthz, /openapi.json) -> GET /v1/session (answered here) -> route match (404 / 405 +
// Allow) -> bearer token verified (401 + WWW-Authenticate) -> request message from path, query and body (400
// with field violations) -> generic gRPC call with deadline, x-request-id and the token -> proto3 JSON (a
// tandem.api.v1.HttpBody response is written as its own content), or the error body with the mapped status.
// A route with a path_token skips the bearer check and forwards no authorization: its credential is a path
// variable the service verifies. /metrics and /readyz are not here: they are on the admin port. Never blocks
// an I/O thread.
class GatewayHandler final : public RequestHandler {
 public:
  GatewayHandler(const RouteTable& routes, GrpcForwarder& forwarder, const auth::JwtVerifier& verifier,
                 std::string openapi_json, GatewayOptions options = {});

  // From the header alone: 404 / 405 for no route, 401 for a missing or invalid bearer token where one is
  // needed (counted in tandem_gateway_unauthenticated_total), before the body is read.
  std::optional<HttpResponse> Screen(const HttpRequestHeader& request) override;
  void Handle(HttpRequest request, std::string peer_address, Respond respond) override;

 private:
  static bool IsPublic(const HttpRequestHeader& request, absl::string_view path);
  // GET /v1/session: who the bearer token says the caller is (frontends show it; scripts check a token).
  void HandleSession(const HttpRequest& request, const std::string& request_id, Respond& respond);
  bool HandlePublic(const HttpRequest& request, absl::string_view path, const std::string& request_id,
                    Respond& respond);
  // A person's verified token; service tokens are refused (UNAUTHENTICATED) at the public door.
  absl::StatusOr<auth::Principal> VerifyPerson(const std::string& token) const;

  const RouteTable& routes_;
  GrpcForwarder& forwarder_;
  const auth::JwtVerifier& verifier_;
  std::string openapi_json_;
  GatewayOptions options_;
};

// Parses a gRPC `grpc-timeout` header value ("250m", "5S": up to 8 digits and a unit H M S m u n).
absl::optional<absl::Duration> ParseGrpcTimeout(absl::string_view value);

// The Content-Type for a raw (tandem.api.v1.HttpBody) response: `value` when it is a media type
// (`type/subtype` tokens, then `; name=value` parameters, at most 127 characters; no control characters, so
// no CR/LF to split the header), otherwise application/octet-stream.
std::string SafeContentType(absl::string_view value);

}  // namespace tandem::gateway

#endif  // TANDEM_SERVICES_GATEWAY_GATEWAY_HANDLER_H_
