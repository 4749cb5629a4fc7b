#include "common/crypto/aes_gcm.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <memory>

#include "absl/strings/str_cat.h"

namespace tandem::crypto {
namespace {

struct CipherCtxDeleter {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxDeleter>;

const unsigned char* Bytes(absl::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }
unsigned char* Bytes(std::string& s) { return reinterpret_cast<unsigned char*>(s.data()); }

}  // namespace

absl::StatusOr<std::string> RandomBytes(size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(Bytes(out), static_cast<int>(n)) != 1) return absl::InternalError("RAND_bytes failed");
  return out;
}

absl::StatusOr<std::string> AesGcmSeal(absl::string_view key, absl::string_view plaintext,
                                       absl::string_view associated_data) {
  if (key.size() != kAes256KeyBytes) return absl::InvalidArgumentError("AES-256 key must be 32 bytes");
  absl::StatusOr<std::string> nonce = RandomBytes(kGcmNonceBytes);
  if (!nonce.ok()) return nonce.status();
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  std::string out = *nonce;
  out.resize(kGcmNonceBytes + plaintext.size() + kGcmTagBytes);
  int len = 0;
  int total = 0;
  if (ctx == nullptr || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kGcmNonceBytes, nullptr) != 1 ||
      EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, Bytes(key), Bytes(*nonce)) != 1 ||
      (!associated_data.empty() && EVP_EncryptUpdate(ctx.get(), nullptr, &len, Bytes(associated_data),
                                                     static_cast<int>(associated_data.size())) != 1) ||
      EVP_EncryptUpdate(ctx.get(), Bytes(out) + kGcmNonceBytes, &len, Bytes(plaintext),
                        static_cast<int>(plaintext.size())) != 1) {
    return absl::InternalError("AES-GCM encryption failed");
  }
  total = len;
  if (EVP_EncryptFinal_ex(ctx.get(), Bytes(out) + kGcmNonceBytes + total, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kGcmTagBytes,
                          Bytes(out) + kGcmNonceBytes + total + len) != 1) {
    return absl::InternalError("AES-GCM encryption failed");
  }
  return out;
}

absl::StatusOr<std::string> AesGcmOpen(absl::string_view key, absl::string_view sealed,
                                       absl::string_view associated_data) {
  if (key.size() != kAes256KeyBytes) return absl::InvalidArgumentError("AES-256 key must be 32 bytes");
  if (sealed.size() < kGcmNonceBytes + kGcmTagBytes) return absl::DataLossError("ciphertext too short");
  absl::string_view nonce = sealed.substr(0, kGcmNonceBytes);
  absl::string_view body = sealed.substr(kGcmNonceBytes, sealed.size() - kGcmNonceBytes - kGcmTagBytes);
  std::string tag(sealed.substr(sealed.size() - kGcmTagBytes));
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  std::string plaintext(body.size(), '\0');
  int len = 0;
  if (ctx == nullptr || EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kGcmNonceBytes, nullptr) != 1 ||
      EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, Bytes(key), Bytes(nonce)) != 1 ||
      (!associated_data.empty() && EVP_DecryptUpdate(ctx.get(), nullptr, &len, Bytes(associated_data),
                                                     static_cast<int>(associated_data.size())) != 1) ||
      EVP_DecryptUpdate(ctx.get(), Bytes(plaintext), &len, Bytes(body), static_cast<int>(body.size())) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kGcmTagBytes, Bytes(tag)) != 1) {
    return absl::InternalError("AES-GCM decryption failed");
  }
  int final_len = 0;
  if (EVP_DecryptFinal_ex(ctx.get(), Bytes(plaintext) + len, &final_len) != 1) {
    OPENSSL_cleanse(plaintext.data(), plaintext.size());
    return absl::DataLossError("ciphertext failed authentication");
  }
  return plaintext;
}

}  // namespace tandem::crypto
