#include "tools/tandemctl/commands.h"

#include <openssl/crypto.h>

#include <filesystem>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/auth/jwt_signer.h"
#include "common/auth/jwt_verifier.h"
#include "common/auth/keys.h"
#include "common/config/secret_file.h"
#include "common/crypto/key_encryption_key.h"
#include "common/status/status_macros.h"
#include "tools/tandemctl/key_files.h"

namespace tandem::tandemctl {
namespace {

namespace fs = std::filesystem;

// Private keys and the KEK are the owner's alone; the JWKS and the key id are public.
constexpr mode_t kSecretMode = 0600;
constexpr mode_t kPublicMode = 0644;

}  // namespace

absl::Status MakeKeys(const std::string& dir, const std::string& type, std::string kid, bool force) {
  fs::path root(dir);
  fs::path key_path = root / "signing-key.pem";
  std::error_code ec;
  if (fs::exists(key_path, ec) && !force) return absl::OkStatus();
  RETURN_IF_ERROR(MakePrivateDirectories(dir));
  auth::KeyType key_type;
  if (type == "ec") {
    key_type = auth::KeyType::kEcP256;
  } else if (type == "rsa") {
    key_type = auth::KeyType::kRsa;
  } else {
    return absl::InvalidArgumentError("--type must be ec or rsa");
  }
  ASSIGN_OR_RETURN(auth::EvpPkeyPtr key, auth::GenerateKey(key_type));
  if (kid.empty()) {
    ASSIGN_OR_RETURN(kid, auth::JwkThumbprint(key.get()));
  }
  ASSIGN_OR_RETURN(std::string pem, auth::PrivateKeyPem(key.get()));
  ASSIGN_OR_RETURN(nlohmann::json jwk, auth::PublicJwk(key.get(), kid));
  nlohmann::json jwks = {{"keys", nlohmann::json::array({jwk})}};
  // A new issuer key replaces the old one only: the services' own keys stay published.
  if (auto existing = config::ReadConfigFile((root / "jwks.json").string()); existing.ok()) {
    nlohmann::json old = nlohmann::json::parse(*existing, nullptr, false);
    if (old.is_object() && old.contains("keys") && old["keys"].is_array()) {
      for (const auto& service_jwk : old["keys"]) {
        if (service_jwk.is_object() && service_jwk.contains("tandem_subjects")) {
          jwks["keys"].push_back(service_jwk);
        }
      }
    }
  }
  RETURN_IF_ERROR(WriteFileAtomically(key_path.string(), pem, kSecretMode));
  RETURN_IF_ERROR(WriteFileAtomically((root / "jwks.json").string(), jwks.dump(2) + "\n", kPublicMode));
  return WriteFileAtomically((root / "kid").string(), kid + "\n", kPublicMode);
}

absl::Status MakeServiceKey(const std::string& dir, const std::string& service) {
  if (service.empty() || service.find_first_not_of("abcdefghijklmnopqrstuvwxyz_-") != std::string::npos) {
    return absl::InvalidArgumentError("--service must be a service name such as scheduling");
  }
  fs::path root(dir);
  fs::path key_path = root / "services" / (service + ".pem");
  ASSIGN_OR_RETURN(std::string jwks_text, config::ReadConfigFile((root / "jwks.json").string()));
  nlohmann::json jwks = nlohmann::json::parse(jwks_text, nullptr, false);
  if (!jwks.is_object() || !jwks.contains("keys") || !jwks["keys"].is_array()) {
    return absl::FailedPreconditionError("run `tandemctl keys` first: no JWKS in the keys directory");
  }
  std::error_code ec;
  auth::EvpPkeyPtr key;
  std::string pem;
  if (fs::exists(key_path, ec)) {  // kept; published again below if the JWKS lost it
    ASSIGN_OR_RETURN(pem, config::ReadSecretFile(key_path.string()));
    ASSIGN_OR_RETURN(key, auth::ParsePrivateKeyPem(pem));
  } else {
    RETURN_IF_ERROR(MakePrivateDirectories((root / "services").string()));
    ASSIGN_OR_RETURN(key, auth::GenerateKey(auth::KeyType::kEcP256));
    ASSIGN_OR_RETURN(pem, auth::PrivateKeyPem(key.get()));
    RETURN_IF_ERROR(WriteFileAtomically(key_path.string(), pem, kSecretMode));
  }
  ASSIGN_OR_RETURN(std::string kid, auth::JwkThumbprint(key.get()));
  for (const auto& published : jwks["keys"]) {
    if (published.is_object() && published.value("kid", "") == kid) return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(nlohmann::json jwk, auth::PublicJwk(key.get(), kid));
  jwk["tandem_subjects"] = {service};
  jwks["keys"].push_back(jwk);
  return WriteFileAtomically((root / "jwks.json").string(), jwks.dump(2) + "\n", kPublicMode);
}

absl::StatusOr<std::string> MintToken(const TokenRequest& request) {
  fs::path root(request.keys_dir);
  ASSIGN_OR_RETURN(std::string pem, config::ReadSecretFile((root / "signing-key.pem").string()));
  ASSIGN_OR_RETURN(std::string kid, config::ReadConfigFile((root / "kid").string()));
  ASSIGN_OR_RETURN(auto signer, auth::JwtSigner::FromPrivateKeyPem(
                                    pem, std::string(absl::StripAsciiWhitespace(kid)), request.issuer));
  auth::TokenClaims claims;
  claims.subject = request.subject;
  claims.clinic_id = request.clinic_id;
  claims.roles = request.roles;
  claims.audience = request.audience;
  claims.lifetime = absl::Seconds(request.ttl_seconds);
  for (const auto& role : claims.roles) {
    if (role == auth::kRoleService) {
      return absl::InvalidArgumentError(
          "service tokens are signed by each service's own key (tandemctl service-key), never by hand");
    }
    if (!auth::IsKnownRole(role)) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown role \"", role, "\" (admin, clinician, front_desk, support, client)"));
    }
  }
  if (claims.clinic_id.empty()) return absl::InvalidArgumentError("--clinic is required");
  return signer->Sign(claims);
}

absl::Status MakeKeyEncryptionKey(const std::string& path) {
  ASSIGN_OR_RETURN(std::string hex, crypto::NewKeyEncryptionKeyHex());
  if (std::string parent = fs::path(path).parent_path().string(); !parent.empty()) {
    RETURN_IF_ERROR(MakePrivateDirectories(parent));
  }
  // Linked into place, so an existing key (or anything else at the path) is never replaced.
  absl::Status written = WriteFileAtomically(path, hex + "\n", kSecretMode, Existing::kRefuse);
  OPENSSL_cleanse(hex.data(), hex.size());
  return written;
}

}  // namespace tandem::tandemctl
