// libFuzzer target: arbitrary bytes from a (hostile or broken) Redis server must never crash reply parsing.
#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"
#include "common/redis/redis_reply.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto replies = tandem::redis::ParseReplies(absl::string_view(reinterpret_cast<const char*>(data), size));
  if (replies.ok()) {
    for (const auto& reply : *replies) (void)reply.ErrorKind();
  }
  return 0;
}
