#ifndef TANDEM_SERVICES_GATEWAY_JSON_BODY_H_
#define TANDEM_SERVICES_GATEWAY_JSON_BODY_H_

#include <string>

#include "absl/strings/string_view.h"
#include "absl/types/optional.h"
#include "nlohmann/json.hpp"

namespace tandem::gateway {

// Objects and arrays may nest this deep in a request body; deeper is rejected before it costs stack or
// memory.
inline constexpr int kMaxJsonDepth = 64;

// Why a body is not acceptable JSON, in words that never quote it: the parser's own messages repeat the text
// around the error, which may be clinical, so they are dropped and the position is reported instead.
struct JsonBodyError {
  std::string field;        // "" for malformed JSON, else the JSON path of the offending key or value
  std::string description;  // e.g. "malformed JSON at byte 17 (in goal.milestones[2])"
};

// Parses a request body into `out`. Beyond the JSON grammar (with UTF-8 validation) it rejects nesting deeper
// than kMaxJsonDepth and a key repeated within one object. Byte positions are 0-based offsets into `body`;
// the end of input is reported as body.size(). Never throws.
absl::optional<JsonBodyError> ParseJsonBody(absl::string_view body, nlohmann::json* out);

}  // namespace tandem::gateway

#endif  // TANDEM_SERVICES_GATEWAY_JSON_BODY_H_
