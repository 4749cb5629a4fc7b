// The gateway: the only door for browsers. Flags fall back to TANDEM_<FLAG> environment variables.
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "common/auth/jwt_verifier.h"
#include "common/config/env_flags.h"
#include "common/grpc/server_host.h"
#include "common/log/log.h"
#include "services/gateway/gateway_server.h"

ABSL_FLAG(std::string, listen_address, "0.0.0.0", "HTTP listen address");
ABSL_FLAG(int, port, 8080, "HTTP port");
ABSL_FLAG(std::vector<std::string>, backend, {},
          "backends as service=host:port, comma-separated (e.g. tandem.notes.v1.NotesService=notes:50051)");
ABSL_FLAG(std::string, jwks_file, "", "JWKS of trusted token signers");
ABSL_FLAG(std::string, hs256_secret_file, "", "local runs only: HS256 secret (refused with --jwks_file)");
ABSL_FLAG(std::string, jwt_issuer, "", "required token issuer (empty: not checked)");
ABSL_FLAG(std::string, jwt_audience, "tandem", "required token audience (empty: not checked)");
ABSL_FLAG(int, default_timeout_ms, 10000, "backend deadline when a request has no grpc-timeout header");
ABSL_FLAG(int, io_threads, 2, "HTTP I/O threads");
ABSL_FLAG(int, max_connections, 1024, "open HTTP connections at most");
ABSL_FLAG(int, idle_timeout_s, 60, "keep-alive idle timeout");
ABSL_FLAG(int, request_timeout_s, 15, "time allowed to send a whole request once started");
ABSL_FLAG(int, drain_s, 10, "grace period for in-flight requests on SIGTERM");
ABSL_FLAG(std::string, log_level, "info", "debug, info, warn or error");

int main(int argc, char** argv) {
  tandem::BlockTerminationSignals();
  auto parsed = tandem::config::ParseFlagsWithEnvironment(argc, argv);
  if (!parsed.ok()) {
    std::cerr << parsed.status().message() << "\n";
    return 2;
  }
  tandem::log::Init("gateway", absl::GetFlag(FLAGS_log_level));

  tandem::gateway::GatewayConfig config;
  config.http.address = absl::GetFlag(FLAGS_listen_address);
  config.http.port = absl::GetFlag(FLAGS_port);
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

  auto verifier = tandem::auth::JwtVerifier::FromFiles(
      absl::GetFlag(FLAGS_jwks_file), absl::GetFlag(FLAGS_hs256_secret_file),
      {absl::GetFlag(FLAGS_jwt_issuer), absl::GetFlag(FLAGS_jwt_audience)});
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
                                          {"routes", static_cast<int>((*server)->routes().routes().size())}});
  int signal = tandem::WaitForTerminationSignal();
  tandem::log::Info("signal", {{"signal", signal}});
  (*server)->Shutdown(absl::Seconds(absl::GetFlag(FLAGS_drain_s)));
  return 0;
}
