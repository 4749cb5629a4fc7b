#ifndef TANDEM_TESTS_SUPPORT_LOG_LINES_H_
#define TANDEM_TESTS_SUPPORT_LOG_LINES_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace tandem::testing {

// What a test reads back from a process's log file (stderr redirected by tests/fixtures/subprocess.h).
std::string ReadWholeFile(const std::string& path);

// Every line of `log` that is a JSON object: Tandem's own lines (common/log); the libraries below gRPC may
// write plain text too, which is skipped.
std::vector<nlohmann::json> JsonLogLines(absl::string_view log);

// How many of `lines` are `event` lines whose `key` holds `value`.
int CountLogLines(const std::vector<nlohmann::json>& lines, absl::string_view event, absl::string_view key,
                  const nlohmann::json& value);

// The same token with one signature character changed: well formed, signed by no one.
std::string ForgedToken(const std::string& token);
// The signature part of a JWS, which a log must not carry either.
std::string SignatureOf(const std::string& token);

}  // namespace tandem::testing

#endif  // TANDEM_TESTS_SUPPORT_LOG_LINES_H_
