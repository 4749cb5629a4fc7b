#include "common/redis/redis_errors.h"

#include "absl/container/flat_hash_map.h"
#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"

namespace tandem::redis {
namespace {

absl::StatusCode CodeForKind(const std::string& kind) {
  static const auto* const kCodes = new absl::flat_hash_map<std::string, absl::StatusCode>{
      {"LOADING", absl::StatusCode::kUnavailable},
      {"BUSY", absl::StatusCode::kUnavailable},
      {"MASTERDOWN", absl::StatusCode::kUnavailable},
      {"TRYAGAIN", absl::StatusCode::kUnavailable},
      {"CLUSTERDOWN", absl::StatusCode::kUnavailable},
      {"READONLY", absl::StatusCode::kUnavailable},
      {"NOREPLICAS", absl::StatusCode::kUnavailable},
      {"MISCONF", absl::StatusCode::kUnavailable},
      {"OOM", absl::StatusCode::kResourceExhausted},
      {"NOSCRIPT", absl::StatusCode::kNotFound},
      {"NOGROUP", absl::StatusCode::kNotFound},
      {"BUSYGROUP", absl::StatusCode::kAlreadyExists},
      {"BUSYKEY", absl::StatusCode::kAlreadyExists},
      {"NOAUTH", absl::StatusCode::kPermissionDenied},
      {"WRONGPASS", absl::StatusCode::kPermissionDenied},
      {"NOPERM", absl::StatusCode::kPermissionDenied},
      {"WRONGTYPE", absl::StatusCode::kFailedPrecondition},
      {"EXECABORT", absl::StatusCode::kFailedPrecondition},
  };
  auto it = kCodes->find(kind);
  return it != kCodes->end() ? it->second : absl::StatusCode::kInternal;
}

}  // namespace

absl::Status ErrorReplyStatus(const RedisReply& reply) {
  if (!reply.is_error()) return absl::OkStatus();
  std::string kind = reply.ErrorKind();
  absl::Status status(CodeForKind(kind), absl::StrCat("redis error reply: ", kind));
  status.SetPayload(kErrorKindPayloadUrl, absl::Cord(kind));
  return status;
}

std::string ErrorKindOf(const absl::Status& status) {
  auto payload = status.GetPayload(kErrorKindPayloadUrl);
  return payload.has_value() ? static_cast<std::string>(*payload) : std::string();
}

}  // namespace tandem::redis
