#ifndef TANDEM_SERVICES_GATEWAY_GATEWAY_SERVER_H_
#define TANDEM_SERVICES_GATEWAY_GATEWAY_SERVER_H_

#include <atomic>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "common/auth/jwt_verifier.h"
#include "common/metrics/admin_http_server.h"
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
  // The admin port (/metrics, /healthz, /readyz) for the cluster, never the public one. -1: off, 0: any free
  // port. An empty address is the public listen address.
  std::string admin_address;
  int admin_port = -1;
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
  // Starts the admin port (when configured), then the public one.
  absl::Status Start();
  int port() const { return http_->port(); }
  int admin_port() const { return admin_ ? admin_->port() : -1; }
  // Reports not ready at once (so load balancers stop sending), then drains the public port.
  void Shutdown(absl::Duration grace);
  const RouteTable& routes() const { return *routes_; }

 private:
  GatewayServer() = default;

  std::string admin_address_;
  int admin_port_ = -1;
  std::atomic<bool> draining_{false};

  std::unique_ptr<auth::JwtVerifier> verifier_;
  std::unique_ptr<RouteTable> routes_;
  std::unique_ptr<GrpcForwarder> forwarder_;
  std::unique_ptr<BackendHealth> health_;
  std::unique_ptr<GatewayHandler> handler_;
  std::unique_ptr<HttpServer> http_;
  std::unique_ptr<metrics::AdminHttpServer> admin_;
};

}  // namespace tandem::gateway

#endif  // TANDEM_SERVICES_GATEWAY_GATEWAY_SERVER_H_
