// The gateway: the only door for browsers. Flags fall back to TANDEM_<FLAG> environment variables; the token
// and shutdown flags are common/service's.
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "common/log/log.h"
#include "common/service/service_main.h"
#include "services/gateway/gateway_server.h"

ABSL_FLAG(std::string, listen_address, "0.0.0.0", "HTTP listen address");
ABSL_FLAG(int, port, 8080, "HTTP port");
ABSL_FLAG(std::string, admin_address, "",
          "listen address of the admin port (/metrics, /healthz, /readyz); empty: --listen_address");
ABSL_FLAG(int, admin_port, 9450, "admin HTTP port for /metrics, /healthz and /readyz (-1: off, 0: any free)");
ABSL_FLAG(std::vector<std::string>, backend, {},
          "backends as service=host:port, comma-separated (e.g. tandem.notes.v1.NotesService=notes:50051)");
ABSL_FLAG(int, default_timeout_ms, 10000, "backend deadline when a request has no grpc-timeout header");
ABSL_FLAG(int, io_threads, 2, "HTTP I/O threads");
ABSL_FLAG(int, max_connections, 1024, "open HTTP connections at most");
ABSL_FLAG(int, idle_timeout_s, 60, "keep-alive idle timeout");
ABSL_FLAG(int, request_timeout_s, 15, "time allowed to send a whole request once started");

int main(int argc, char** argv) {
  if (!tandem::service::InitProcess(argc, argv, "gateway")) return 2;

  tandem::gateway::GatewayConfig config;
  config.http.address = absl::GetFlag(FLAGS_listen_address);
  config.http.port = absl::GetFlag(FLAGS_port);
  config.admin_address = absl::GetFlag(FLAGS_admin_address);
  config.admin_port = absl::GetFlag(FLAGS_admin_port);
  config.http.io_threads = absl::GetFlag(FLAGS_io_threads);
  config.http.max_connections = absl::GetFlag(FLAGS_max_connections);
  config.http.idle_timeout = absl::Seconds(absl::GetFlag(FLAGS_idle_timeout_s));
  config.http.request_timeout = absl::Seconds(absl::GetFlag(FLAGS_request_timeout_s));
  config.gateway.default_timeout = absl::Milliseconds(absl::GetFlag(FLAGS_default_timeout_ms));
  for (const std::string& spec : absl::GetFlag(FLAGS_backend)) {
    auto backend = tandem::gateway::ParseBackend(spec);
    if (!backend.ok()) {
      tandem::log::Error("bad_configuration", {{"reason", std::string(backend.status().message())}});
      return 2;
    }
    config.backends.push_back(*backend);
  }

  auto verifier = tandem::service::VerifierFromFlags();
  if (!verifier.ok()) {
    tandem::log::Error("bad_configuration", {{"reason", std::string(verifier.status().message())}});
    return 2;
  }
  auto server = tandem::gateway::GatewayServer::Create(std::move(config), *std::move(verifier));
  if (!server.ok()) {
    tandem::log::Error("bad_configuration", {{"reason", std::string(server.status().message())}});
    return 2;
  }
  if (auto started = (*server)->Start(); !started.ok()) {
    tandem::log::Error("start_failed", {{"reason", std::string(started.message())}});
    return 1;
  }
  tandem::log::Info("gateway_listening", {{"port", (*server)->port()},
                                          {"admin_port", (*server)->admin_port()},
                                          {"routes", static_cast<int>((*server)->routes().routes().size())}});
  (*server)->Shutdown(tandem::service::WaitForShutdown());
  return 0;
}
