#include "common/auth/jws_signature.h"

#include <memory>
#include <string>

#include "openssl/bn.h"
#include "openssl/crypto.h"
#include "openssl/ecdsa.h"
#include "openssl/hmac.h"

namespace tandem::auth {
namespace {

constexpr size_t kEs256CoordinateBytes = 32;
constexpr size_t kSha256Bytes = 32;

struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
struct EcdsaSigDeleter {
  void operator()(ECDSA_SIG* sig) const { ECDSA_SIG_free(sig); }
};

const unsigned char* Bytes(absl::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

// JWS carries an ECDSA signature as R || S, each 32 bytes; OpenSSL verifies the DER form.
bool EcdsaJoseToDer(absl::string_view jose, std::string* der) {
  if (jose.size() != 2 * kEs256CoordinateBytes) return false;
  std::unique_ptr<ECDSA_SIG, EcdsaSigDeleter> sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(Bytes(jose), kEs256CoordinateBytes, nullptr);
  BIGNUM* s = BN_bin2bn(Bytes(jose) + kEs256CoordinateBytes, kEs256CoordinateBytes, nullptr);
  if (sig == nullptr || r == nullptr || s == nullptr || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return false;
  }
  const int length = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (length <= 0) return false;
  der->resize(static_cast<size_t>(length));
  auto* out = reinterpret_cast<unsigned char*>(der->data());
  return i2d_ECDSA_SIG(sig.get(), &out) == length;
}

}  // namespace

bool VerifyAsymmetricJws(KeyType type, EVP_PKEY* key, absl::string_view signing_input,
                         absl::string_view signature) {
  if (key == nullptr) return false;
  std::string der;
  absl::string_view checked = signature;
  if (type == KeyType::kEcP256) {
    if (!EcdsaJoseToDer(signature, &der)) return false;
    checked = der;
  }
  std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
  if (ctx == nullptr || EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) != 1) {
    return false;
  }
  return EVP_DigestVerify(ctx.get(), Bytes(checked), checked.size(), Bytes(signing_input),
                          signing_input.size()) == 1;
}

bool VerifyHs256Jws(absl::string_view secret, absl::string_view signing_input, absl::string_view signature) {
  if (signature.size() != kSha256Bytes) return false;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_length = 0;
  if (HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()), Bytes(signing_input),
           signing_input.size(), mac, &mac_length) == nullptr ||
      mac_length != kSha256Bytes) {
    return false;
  }
  return CRYPTO_memcmp(mac, signature.data(), kSha256Bytes) == 0;
}

}  // namespace tandem::auth
