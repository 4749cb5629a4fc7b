#include "common/auth/keys.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include <array>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace tandem::auth {
namespace {

struct BioDeleter {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct BnDeleter {
  void operator()(BIGNUM* bn) const { BN_free(bn); }
};
struct ParamBldDeleter {
  void operator()(OSSL_PARAM_BLD* bld) const { OSSL_PARAM_BLD_free(bld); }
};
struct ParamDeleter {
  void operator()(OSSL_PARAM* params) const { OSSL_PARAM_free(params); }
};
struct PkeyCtxDeleter {
  void operator()(EVP_PKEY_CTX* ctx) const { EVP_PKEY_CTX_free(ctx); }
};

constexpr size_t kP256CoordinateBytes = 32;

std::string BioToString(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(len));
}

std::string BignumBytes(const BIGNUM* bn) {
  std::string out(static_cast<size_t>(BN_num_bytes(bn)), '\0');
  BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
  return out;
}

absl::StatusOr<std::string> RequiredMember(const nlohmann::json& jwk, const char* name) {
  auto it = jwk.find(name);
  if (it == jwk.end() || !it->is_string()) {
    return absl::InvalidArgumentError(absl::StrCat("JWK is missing \"", name, "\""));
  }
  return Base64UrlDecode(it->get<std::string>());
}

absl::StatusOr<EvpPkeyPtr> KeyFromParams(const char* type_name, OSSL_PARAM_BLD* bld) {
  std::unique_ptr<OSSL_PARAM, ParamDeleter> params(OSSL_PARAM_BLD_to_param(bld));
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxDeleter> ctx(EVP_PKEY_CTX_new_from_name(nullptr, type_name, nullptr));
  EVP_PKEY* raw = nullptr;
  if (params == nullptr || ctx == nullptr || EVP_PKEY_fromdata_init(ctx.get()) <= 0 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) <= 0) {
    return absl::InvalidArgumentError("JWK does not describe a valid public key");
  }
  return EvpPkeyPtr(raw);
}

absl::StatusOr<std::string> EcPublicPoint(EVP_PKEY* key) {
  std::array<unsigned char, 1 + 2 * kP256CoordinateBytes> point{};
  size_t len = 0;
  if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point.data(), point.size(),
                                      &len) <= 0 ||
      len != point.size() || point[0] != 0x04) {
    return absl::InternalError("cannot read EC public point");
  }
  return std::string(reinterpret_cast<const char*>(point.data()), len);
}

}  // namespace

absl::string_view AlgorithmFor(KeyType type) { return type == KeyType::kRsa ? "RS256" : "ES256"; }

std::string Base64UrlEncode(absl::string_view bytes) { return absl::WebSafeBase64Escape(bytes); }

absl::StatusOr<std::string> Base64UrlDecode(absl::string_view text) {
  std::string out;
  // Reject padding and anything outside the URL-safe alphabet outright.
  for (char c : text) {
    if (!(absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_')) {
      return absl::InvalidArgumentError("not base64url");
    }
  }
  if (!absl::WebSafeBase64Unescape(text, &out)) return absl::InvalidArgumentError("not base64url");
  return out;
}

absl::StatusOr<EvpPkeyPtr> GenerateKey(KeyType type) {
  EVP_PKEY* raw = type == KeyType::kRsa
                      ? EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048))
                      : EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  if (raw == nullptr) return absl::InternalError("key generation failed");
  return EvpPkeyPtr(raw);
}

absl::StatusOr<EvpPkeyPtr> ParsePrivateKeyPem(absl::string_view pem) {
  std::unique_ptr<BIO, BioDeleter> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  EVP_PKEY* raw = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
  if (raw == nullptr) return absl::InvalidArgumentError("not a PEM private key");
  EvpPkeyPtr key(raw);
  if (!KeyTypeOf(key.get()).ok())
    return absl::InvalidArgumentError("only RSA and EC P-256 keys are supported");
  return key;
}

absl::StatusOr<std::string> PrivateKeyPem(EVP_PKEY* key) {
  std::unique_ptr<BIO, BioDeleter> bio(BIO_new(BIO_s_mem()));
  if (PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return absl::InternalError("cannot encode private key");
  }
  return BioToString(bio.get());
}

absl::StatusOr<std::string> PublicKeyPem(EVP_PKEY* key) {
  std::unique_ptr<BIO, BioDeleter> bio(BIO_new(BIO_s_mem()));
  if (PEM_write_bio_PUBKEY(bio.get(), key) != 1) return absl::InternalError("cannot encode public key");
  return BioToString(bio.get());
}

absl::StatusOr<KeyType> KeyTypeOf(EVP_PKEY* key) {
  if (EVP_PKEY_is_a(key, "RSA")) {
    if (EVP_PKEY_get_bits(key) < 2048)
      return absl::InvalidArgumentError("RSA keys must have 2048 bits or more");
    return KeyType::kRsa;
  }
  if (EVP_PKEY_is_a(key, "EC")) {
    std::array<char, 32> group{};
    size_t len = 0;
    if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group.data(), group.size(), &len) >
            0 &&
        absl::string_view(group.data(), len) == "prime256v1") {
      return KeyType::kEcP256;
    }
  }
  return absl::InvalidArgumentError("unsupported key type");
}

absl::StatusOr<nlohmann::json> PublicJwk(EVP_PKEY* key, absl::string_view kid) {
  auto type = KeyTypeOf(key);
  if (!type.ok()) return type.status();
  nlohmann::json jwk;
  if (*type == KeyType::kRsa) {
    BIGNUM* n = nullptr;
    BIGNUM* e = nullptr;
    if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &n) <= 0 ||
        EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &e) <= 0) {
      BN_free(n);
      return absl::InternalError("cannot read RSA key");
    }
    std::unique_ptr<BIGNUM, BnDeleter> n_owner(n), e_owner(e);
    jwk = {{"kty", "RSA"}, {"n", Base64UrlEncode(BignumBytes(n))}, {"e", Base64UrlEncode(BignumBytes(e))}};
  } else {
    auto point = EcPublicPoint(key);
    if (!point.ok()) return point.status();
    jwk = {{"kty", "EC"},
           {"crv", "P-256"},
           {"x", Base64UrlEncode(point->substr(1, kP256CoordinateBytes))},
           {"y", Base64UrlEncode(point->substr(1 + kP256CoordinateBytes))}};
  }
  jwk["kid"] = std::string(kid);
  jwk["alg"] = std::string(AlgorithmFor(*type));
  jwk["use"] = "sig";
  return jwk;
}

absl::StatusOr<std::string> JwkThumbprint(EVP_PKEY* key) {
  auto jwk = PublicJwk(key, "");
  if (!jwk.ok()) return jwk.status();
  // RFC 7638: the required members only, in lexicographic order, no white space (nlohmann sorts object keys).
  nlohmann::json required;
  for (const char* member : {"crv", "e", "kty", "n", "x", "y"}) {
    if (jwk->contains(member)) required[member] = (*jwk)[member];
  }
  std::string canonical = required.dump();
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
  SHA256(reinterpret_cast<const unsigned char*>(canonical.data()), canonical.size(), digest.data());
  return Base64UrlEncode(absl::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

absl::StatusOr<EvpPkeyPtr> PublicKeyFromJwk(const nlohmann::json& jwk) {
  if (!jwk.is_object() || !jwk.contains("kty") || !jwk["kty"].is_string()) {
    return absl::InvalidArgumentError("JWK has no \"kty\"");
  }
  std::string kty = jwk["kty"].get<std::string>();
  std::unique_ptr<OSSL_PARAM_BLD, ParamBldDeleter> bld(OSSL_PARAM_BLD_new());
  if (kty == "RSA") {
    auto n = RequiredMember(jwk, "n");
    auto e = RequiredMember(jwk, "e");
    if (!n.ok()) return n.status();
    if (!e.ok()) return e.status();
    std::unique_ptr<BIGNUM, BnDeleter> n_bn(
        BN_bin2bn(reinterpret_cast<const unsigned char*>(n->data()), static_cast<int>(n->size()), nullptr));
    std::unique_ptr<BIGNUM, BnDeleter> e_bn(
        BN_bin2bn(reinterpret_cast<const unsigned char*>(e->data()), static_cast<int>(e->size()), nullptr));
    if (!n_bn || !e_bn || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n_bn.get()) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e_bn.get()) != 1) {
      return absl::InvalidArgumentError("JWK has an invalid RSA modulus or exponent");
    }
    auto key = KeyFromParams("RSA", bld.get());
    if (!key.ok()) return key.status();
    if (!KeyTypeOf(key->get()).ok())
      return absl::InvalidArgumentError("RSA keys must have 2048 bits or more");
    return key;
  }
  if (kty == "EC") {
    if (!jwk.contains("crv") || jwk["crv"] != "P-256") {
      return absl::InvalidArgumentError("only EC keys on P-256 are supported");
    }
    auto x = RequiredMember(jwk, "x");
    auto y = RequiredMember(jwk, "y");
    if (!x.ok()) return x.status();
    if (!y.ok()) return y.status();
    if (x->size() != kP256CoordinateBytes || y->size() != kP256CoordinateBytes) {
      return absl::InvalidArgumentError("JWK has an invalid EC point");
    }
    std::string point = absl::StrCat("\x04", *x, *y);
    if (OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) != 1 ||
        OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) !=
            1) {
      return absl::InternalError("cannot build EC key");
    }
    return KeyFromParams("EC", bld.get());
  }
  return absl::InvalidArgumentError("unsupported JWK key type");
}

}  // namespace tandem::auth
