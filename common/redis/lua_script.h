#ifndef TANDEM_COMMON_REDIS_LUA_SCRIPT_H_
#define TANDEM_COMMON_REDIS_LUA_SCRIPT_H_

#include <string>

namespace tandem::redis {

// A Lua script for EVALSHA: its source and the SHA-1 Redis knows it by (lowercase hex), computed once here so
// calls send only the hash. Scripts are constants of the code (define them once, e.g. as function-local
// statics); RedisPool::EvalSha loads one into a server that does not know it yet (after a restart or SCRIPT
// FLUSH). Immutable, so safe to share between threads.
class RedisScript {
 public:
  explicit RedisScript(std::string source);

  const std::string& source() const { return source_; }
  const std::string& sha1() const { return sha1_; }

 private:
  std::string source_;
  std::string sha1_;
};

// Lowercase hex SHA-1 of `data` (OpenSSL); empty only if OpenSSL cannot compute SHA-1 (a broken
// installation), in which case EvalSha sends the script's source with EVAL instead.
std::string Sha1Hex(const std::string& data);

}  // namespace tandem::redis

#endif  // TANDEM_COMMON_REDIS_LUA_SCRIPT_H_
