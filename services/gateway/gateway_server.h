#ifndef TANDEM_SERVICES_GATEWAY_GATEWAY_SERVER_H_
#define TANDEM_SERVICES_GATEWAY_GATEWAY_SERVER_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "common/auth/jwt_verifier.h"
#include "services/gateway/backend_health.h"
#include "services/gateway/gateway_handler.h"
#include "services/gateway/grpc_forwarder.h"
#include "services/gateway/http_server.h"
#include "services/gateway/route_table.h"

namespace tandem::gateway {

struct Backend {
  std::string service;  // full name, e.g. "tandem.notes.v1.NotesService"
  std::string target;   // gRPC target, e.g. "notes:50051"
};

// Parses "service=target" (the --backend flag's form).
absl::StatusOr<Backend> ParseBackend(absl::string_view spec);

struct GatewayConfig {
  HttpServerOptions http;
  GatewayOptions gateway;
  std::vector<Backend> backends;
  std::string title = "Tandem API";
};

// The whole gateway: routes and OpenAPI from the backends' descriptors, one channel per backend, the handler
// and the HTTP server. Start-up fails on an unknown service name or colliding HTTP rules.
class GatewayServer {
 public:
  static absl::StatusOr<std::unique_ptr<GatewayServer>> Create(GatewayConfig config,
                                                               std::unique_ptr<auth::JwtVerifier> verifier);
  absl::Status Start() { return http_->Start(); }
  int port() const { return http_->port(); }
  void Shutdown(absl::Duration grace) { http_->Shutdown(grace); }
  const RouteTable& routes() const { return *routes_; }

 private:
  GatewayServer() = default;

  std::unique_ptr<auth::JwtVerifier> verifier_;
  std::unique_ptr<RouteTable> routes_;
  std::unique_ptr<GrpcForwarder> forwarder_;
  std::unique_ptr<BackendHealth> health_;
  std::unique_ptr<GatewayHandler> handler_;
  std::unique_ptr<HttpServer> http_;
};

}  // namespace tandem::gateway

#endif  // TANDEM_SERVICES_GATEWAY_GATEWAY_SERVER_H_
