#include "common/redis/redis_url.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"

namespace tandem::redis {

absl::StatusOr<RedisPoolOptions> ParseRedisUrl(absl::string_view url, RedisPoolOptions base) {
  constexpr absl::string_view kScheme = "redis://";
  if (!absl::StartsWith(url, kScheme)) {
    return absl::InvalidArgumentError("redis URL must start with redis://");
  }
  absl::string_view rest = url.substr(kScheme.size());
  if (size_t slash = rest.find('/'); slash != absl::string_view::npos) rest = rest.substr(0, slash);
  if (size_t at = rest.rfind('@'); at != absl::string_view::npos) {
    absl::string_view user_info = rest.substr(0, at);
    if (size_t colon = user_info.find(':'); colon != absl::string_view::npos) {
      base.password = std::string(user_info.substr(colon + 1));
    }
    rest = rest.substr(at + 1);
  }
  int port = 6379;
  if (size_t colon = rest.rfind(':'); colon != absl::string_view::npos) {
    if (!absl::SimpleAtoi(rest.substr(colon + 1), &port) || port <= 0 || port > 65535) {
      return absl::InvalidArgumentError("redis URL has a bad port");
    }
    rest = rest.substr(0, colon);
  }
  if (rest.empty()) return absl::InvalidArgumentError("redis URL has no host");
  base.host = std::string(rest);
  base.port = port;
  return base;
}

}  // namespace tandem::redis
