#ifndef TANDEM_COMMON_REDIS_REDIS_URL_H_
#define TANDEM_COMMON_REDIS_REDIS_URL_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/redis/redis_pool.h"

namespace tandem::redis {

// Fills host, port and password of `base` from `redis://[:password@]host[:port]` (port 6379 by default).
// INVALID_ARGUMENT for another scheme or a bad port; the URL is never echoed (it may hold a password).
absl::StatusOr<RedisPoolOptions> ParseRedisUrl(absl::string_view url, RedisPoolOptions base = {});

}  // namespace tandem::redis

#endif  // TANDEM_COMMON_REDIS_REDIS_URL_H_
