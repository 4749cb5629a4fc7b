#include "common/service/service_main.h"

#include <iostream>

#include "absl/flags/flag.h"
#include "common/config/env_flags.h"
#include "common/grpc/server_host.h"
#include "common/log/log.h"

ABSL_FLAG(std::string, jwks_file, "", "JWKS of trusted token signers");
ABSL_FLAG(std::string, hs256_secret_file, "", "local runs only: HS256 secret (refused with --jwks_file)");
ABSL_FLAG(std::string, jwt_issuer, "", "required: the token issuer (`iss`); the process exits 2 without it");
ABSL_FLAG(std::string, jwt_audience, "tandem", "required token audience (empty: not checked)");
ABSL_FLAG(int, drain_s, 10, "grace period for in-flight work on SIGTERM");
ABSL_FLAG(std::string, log_level, "info", "debug, info, warn or error");

namespace tandem::service {

bool InitProcess(int argc, char** argv, const std::string& service_name) {
  BlockTerminationSignals();
  auto parsed = config::ParseFlagsWithEnvironment(argc, argv);
  if (!parsed.ok()) {
    // Logging is not set up yet, and the message names a flag or variable, never a value.
    std::cerr << parsed.status().message() << "\n";
    return false;
  }
  log::Init(service_name, absl::GetFlag(FLAGS_log_level));
  return true;
}

absl::StatusOr<std::unique_ptr<auth::JwtVerifier>> VerifierFromFlags() {
  return auth::JwtVerifier::FromFiles(absl::GetFlag(FLAGS_jwks_file), absl::GetFlag(FLAGS_hs256_secret_file),
                                      {absl::GetFlag(FLAGS_jwt_issuer), absl::GetFlag(FLAGS_jwt_audience)});
}

absl::Duration WaitForShutdown() {
  int signal = WaitForTerminationSignal();
  log::Info("signal", {{"signal", signal}});
  return absl::Seconds(absl::GetFlag(FLAGS_drain_s));
}

}  // namespace tandem::service
