#ifndef TANDEM_SERVICES_GATEWAY_GATEWAY_HANDLER_H_
#define TANDEM_SERVICES_GATEWAY_GATEWAY_HANDLER_H_

#include <string>

#include "absl/time/time.h"
#include "common/auth/jwt_verifier.h"
#include "services/gateway/backend_health.h"
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
// public routes (/healthz, /readyz, /metrics, /openapi.json) -> GET /v1/session (answered here) -> route
// match (404 / 405 + Allow) -> bearer token verified (401 + WWW-Authenticate) -> request message from path,
// query and body (400 with field violations) -> generic gRPC call with deadline, x-request-id and the token
// -> proto3 JSON, or the error body with the mapped status. Never blocks an I/O thread.
class GatewayHandler final : public RequestHandler {
 public:
  GatewayHandler(const RouteTable& routes, GrpcForwarder& forwarder, const auth::JwtVerifier& verifier,
                 BackendHealth& health, std::string openapi_json, GatewayOptions options = {});

  void Handle(HttpRequest request, std::string peer_address, Respond respond) override;

 private:
  // GET /v1/session: who the bearer token says the caller is (frontends show it; scripts check a token).
  void HandleSession(const HttpRequest& request, const std::string& request_id, Respond& respond);
  bool HandlePublic(const HttpRequest& request, absl::string_view path, const std::string& request_id,
                    Respond& respond);

  const RouteTable& routes_;
  GrpcForwarder& forwarder_;
  const auth::JwtVerifier& verifier_;
  BackendHealth& health_;
  std::string openapi_json_;
  GatewayOptions options_;
};

// Parses a gRPC `grpc-timeout` header value ("250m", "5S": up to 8 digits and a unit H M S m u n).
absl::optional<absl::Duration> ParseGrpcTimeout(absl::string_view value);

}  // namespace tandem::gateway

#endif  // TANDEM_SERVICES_GATEWAY_GATEWAY_HANDLER_H_
