#include "services/gateway/gateway_server.h"

#include "absl/strings/str_cat.h"
#include "common/grpc/client_channel.h"
#include "common/status/status_macros.h"
#include "google/protobuf/descriptor.h"
#include "services/gateway/openapi.h"

namespace tandem::gateway {

absl::StatusOr<Backend> ParseBackend(absl::string_view spec) {
  size_t eq = spec.find('=');
  if (eq == absl::string_view::npos || eq == 0 || eq + 1 == spec.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--backend must be service=host:port, e.g. tandem.notes.v1.NotesService=notes:50051; got \"", spec,
        "\""));
  }
  return Backend{std::string(spec.substr(0, eq)), std::string(spec.substr(eq + 1))};
}

absl::StatusOr<std::unique_ptr<GatewayServer>> GatewayServer::Create(
    GatewayConfig config, std::unique_ptr<auth::JwtVerifier> verifier) {
  std::unique_ptr<GatewayServer> server(new GatewayServer());
  server->verifier_ = std::move(verifier);
  std::vector<const google::protobuf::ServiceDescriptor*> services;
  absl::flat_hash_map<std::string, std::shared_ptr<grpc::Channel>> channels;
  std::vector<BackendHealth::Backend> health_backends;
  for (const Backend& backend : config.backends) {
    const google::protobuf::ServiceDescriptor* descriptor =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(backend.service);
    if (descriptor == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown service \"", backend.service, "\" in --backend"));
    }
    if (channels.contains(backend.service)) {
      return absl::InvalidArgumentError(absl::StrCat("service \"", backend.service, "\" configured twice"));
    }
    services.push_back(descriptor);
    auto channel = MakeServiceChannel(backend.target);
    channels.emplace(backend.service, channel);
    health_backends.push_back({backend.service, channel});
  }
  ASSIGN_OR_RETURN(RouteTable routes, RouteTable::Build(services));
  server->routes_ = std::make_unique<RouteTable>(std::move(routes));
  server->forwarder_ = std::make_unique<GrpcForwarder>(std::move(channels));
  server->health_ = std::make_unique<BackendHealth>(std::move(health_backends));
  server->handler_ =
      std::make_unique<GatewayHandler>(*server->routes_, *server->forwarder_, *server->verifier_,
                                       OpenApiDocument(*server->routes_, config.title), config.gateway);
  server->admin_address_ = config.admin_address.empty() ? config.http.address : config.admin_address;
  server->admin_port_ = config.admin_port;
  server->http_ = std::make_unique<HttpServer>(std::move(config.http), *server->handler_);
  return server;
}

absl::Status GatewayServer::Start() {
  if (admin_port_ >= 0 && admin_ == nullptr) {
    // A first round now, so that the first probe finds a result.
    health_->Check([](bool /*ready*/, const std::vector<std::string>& /*not_ready*/) {});
    ASSIGN_OR_RETURN(
        admin_, metrics::AdminHttpServer::Start(admin_address_, admin_port_, metrics::Registry::Default(),
                                                [this] { return !draining_.load() && health_->Ready(); }));
  }
  return http_->Start();
}

void GatewayServer::Shutdown(absl::Duration grace) {
  draining_.store(true);
  http_->Shutdown(grace);
  if (admin_ != nullptr) admin_->Stop();
}

}  // namespace tandem::gateway
