#ifndef TANDEM_COMMON_REDIS_REDIS_ERRORS_H_
#define TANDEM_COMMON_REDIS_REDIS_ERRORS_H_

#include <string>

#include "absl/status/status.h"
#include "common/redis/redis_reply.h"

namespace tandem::redis {

// The status payload URL under which a status made from an error reply carries the reply's error kind.
inline constexpr char kErrorKindPayloadUrl[] = "type.tandem.dev/redis.ErrorKind";

// A status for an error reply. The message and the payload name only the error kind (first word, e.g.
// WRONGTYPE), never the rest of the message, which may quote keys or arguments. Codes:
//   LOADING BUSY MASTERDOWN TRYAGAIN CLUSTERDOWN READONLY NOREPLICAS MISCONF -> UNAVAILABLE (server can't
//   serve now) OOM -> RESOURCE_EXHAUSTED;  NOSCRIPT NOGROUP -> NOT_FOUND;  BUSYGROUP BUSYKEY ->
//   ALREADY_EXISTS NOAUTH WRONGPASS NOPERM -> PERMISSION_DENIED (credentials or ACL misconfigured) WRONGTYPE
//   EXECABORT -> FAILED_PRECONDITION;  ERR and anything else -> INTERNAL
// A reply that is not an error gives OK.
absl::Status ErrorReplyStatus(const RedisReply& reply);

// The error kind carried by a status from ErrorReplyStatus ("NOSCRIPT"), or "" for any other status.
std::string ErrorKindOf(const absl::Status& status);

}  // namespace tandem::redis

#endif  // TANDEM_COMMON_REDIS_REDIS_ERRORS_H_
