// libFuzzer target: arbitrary bytes as a bearer token must never crash the verifier, and must never verify.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "common/auth/jwt_verifier.h"
#include "common/auth/keys.h"

namespace {

const tandem::auth::JwtVerifier& Verifier() {
  static const tandem::auth::JwtVerifier* const kVerifier = [] {
    auto key = tandem::auth::GenerateKey(tandem::auth::KeyType::kEcP256);
    nlohmann::json jwks = {{"keys", {*tandem::auth::PublicJwk(key->get(), "k1")}}};
    return tandem::auth::JwtVerifier::FromJwks(jwks.dump(), {"iss", "aud"})->release();
  }();
  return *kVerifier;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string token(reinterpret_cast<const char*>(data), size);
  if (Verifier().Verify(token).ok()) __builtin_trap();  // nothing random may carry a valid signature
  return 0;
}
