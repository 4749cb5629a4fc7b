#include "common/config/env_flags.h"

#include <cstdlib>

#include "absl/container/flat_hash_set.h"
#include "absl/flags/commandlineflag.h"
#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace tandem::config {

std::string EnvironmentNameFor(const std::string& flag_name) {
  return absl::StrCat("TANDEM_", absl::AsciiStrToUpper(flag_name));
}

absl::StatusOr<std::vector<char*>> ParseFlagsWithEnvironment(int argc, char** argv) {
  // Abseil keeps "was this flag on the command line" private, so read the names from argv: `--name`,
  // `--name=value`, `-name`, and `--noname` for booleans.
  absl::flat_hash_set<std::string> on_command_line;
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (arg == "--") break;
    if (!absl::ConsumePrefix(&arg, "-")) continue;
    absl::ConsumePrefix(&arg, "-");
    std::string name(arg.substr(0, arg.find('=')));
    on_command_line.insert(name);
    if (absl::StartsWith(name, "no")) on_command_line.insert(name.substr(2));
  }
  std::vector<char*> positional = absl::ParseCommandLine(argc, argv);
  for (auto& [name, flag] : absl::GetAllFlags()) {
    if (on_command_line.contains(name)) continue;
    std::string env_name = EnvironmentNameFor(std::string(name));
    const char* value = std::getenv(env_name.c_str());
    if (value == nullptr) continue;
    std::string error;
    if (!flag->ParseFrom(value, &error)) {
      return absl::InvalidArgumentError(
          absl::StrCat("environment variable ", env_name, " is not a valid value"));
    }
  }
  return positional;
}

}  // namespace tandem::config
