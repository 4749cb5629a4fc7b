#ifndef TANDEM_COMMON_SERVICE_SERVICE_MAIN_H_
#define TANDEM_COMMON_SERVICE_SERVICE_MAIN_H_

#include <memory>
#include <string>

#include "absl/flags/declare.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/auth/jwt_verifier.h"

// The flags every Tandem process that serves requests shares, defined once here so that each service's main()
// declares only its own. Like every flag, each also reads TANDEM_<FLAG> from the environment.
ABSL_DECLARE_FLAG(std::string, jwks_file);
ABSL_DECLARE_FLAG(std::string, hs256_secret_file);
ABSL_DECLARE_FLAG(std::string, jwt_issuer);
ABSL_DECLARE_FLAG(std::string, jwt_audience);
ABSL_DECLARE_FLAG(int, drain_s);
ABSL_DECLARE_FLAG(std::string, log_level);

namespace tandem::service {

// The start of every service's main(): blocks SIGTERM and SIGINT (before any thread starts, so that only
// WaitForShutdown() receives them), parses the flags with their environment fallback and starts JSON-lines
// logging as `service_name`. False, after printing why, when the command line or the environment is bad.
bool InitProcess(int argc, char** argv, const std::string& service_name);

// The token verifier the shared flags describe (JWKS file, or an HS256 secret file for local runs).
absl::StatusOr<std::unique_ptr<auth::JwtVerifier>> VerifierFromFlags();

// Blocks until SIGTERM or SIGINT arrives, logs which, and returns the grace period (--drain_s) that in-flight
// work has to finish.
absl::Duration WaitForShutdown();

}  // namespace tandem::service

#endif  // TANDEM_COMMON_SERVICE_SERVICE_MAIN_H_
