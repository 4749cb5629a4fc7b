#include "tests/support/log_lines.h"

#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/str_split.h"

namespace tandem::testing {

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream out;
  out << in.rdbuf();
  return out.str();
}

std::vector<nlohmann::json> JsonLogLines(absl::string_view log) {
  std::vector<nlohmann::json> lines;
  for (absl::string_view line : absl::StrSplit(log, '\n', absl::SkipEmpty())) {
    nlohmann::json parsed = nlohmann::json::parse(line.begin(), line.end(), nullptr, false);
    if (parsed.is_object()) lines.push_back(std::move(parsed));
  }
  return lines;
}

int CountLogLines(const std::vector<nlohmann::json>& lines, absl::string_view event, absl::string_view key,
                  const nlohmann::json& value) {
  int count = 0;
  const std::string key_text(key);
  for (const nlohmann::json& line : lines) {
    if (line.value("event", "") == event && line.contains(key_text) && line[key_text] == value) ++count;
  }
  return count;
}

std::string ForgedToken(const std::string& token) {
  std::string forged = token;
  char& c = forged[forged.rfind('.') + 5];
  c = c == 'A' ? 'B' : 'A';
  return forged;
}

std::string SignatureOf(const std::string& token) { return token.substr(token.rfind('.') + 1); }

}  // namespace tandem::testing
