#include "common/redis/lua_script.h"

#include <openssl/evp.h>

#include <utility>

#include "absl/strings/escaping.h"

namespace tandem::redis {

std::string Sha1Hex(const std::string& data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha1(), nullptr) != 1) return "";
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), length));
}

RedisScript::RedisScript(std::string source) : source_(std::move(source)), sha1_(Sha1Hex(source_)) {}

}  // namespace tandem::redis
