#ifndef TANDEM_COMMON_CONFIG_ENV_FLAGS_H_
#define TANDEM_COMMON_CONFIG_ENV_FLAGS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace tandem::config {

// Parses the command line, then fills every flag not given on it from the environment variable
// TANDEM_<FLAG_NAME> (e.g. --db_url from TANDEM_DB_URL), so Kubernetes ConfigMaps and Secrets configure a
// service without a wrapper script. A flag on the command line always wins. Returns the positional arguments;
// a malformed environment value is an error naming the variable (never its value: it may be a secret).
absl::StatusOr<std::vector<char*>> ParseFlagsWithEnvironment(int argc, char** argv);

// The environment variable consulted for a flag name.
std::string EnvironmentNameFor(const std::string& flag_name);

}  // namespace tandem::config

#endif  // TANDEM_COMMON_CONFIG_ENV_FLAGS_H_
