#include "tools/tandemctl/commands.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/auth/jwt_signer.h"
#include "common/auth/jwt_verifier.h"
#include "common/auth/keys.h"
#include "common/crypto/key_encryption_key.h"
#include "common/status/status_macros.h"

namespace tandem::tandemctl {
namespace {

namespace fs = std::filesystem;

absl::Status WriteFile(const fs::path& path, const std::string& content, fs::perms perms) {
  fs::path tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return absl::FailedPreconditionError(absl::StrCat("cannot write ", tmp.string()));
    out << content;
    if (!out.flush()) return absl::FailedPreconditionError(absl::StrCat("cannot write ", tmp.string()));
  }
  std::error_code ec;
  fs::permissions(tmp, perms, ec);
  fs::rename(tmp, path, ec);
  if (ec) return absl::FailedPreconditionError(absl::StrCat("cannot write ", path.string()));
  return absl::OkStatus();
}

}  // namespace

absl::Status MakeKeys(const std::string& dir, const std::string& type, std::string kid, bool force) {
  fs::path root(dir);
  fs::path key_path = root / "signing-key.pem";
  std::error_code ec;
  if (fs::exists(key_path, ec) && !force) return absl::OkStatus();
  fs::create_directories(root, ec);
  if (ec) return absl::FailedPreconditionError(absl::StrCat("cannot create ", dir));
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
  RETURN_IF_ERROR(WriteFile(key_path, pem, fs::perms::owner_read | fs::perms::owner_write));
  RETURN_IF_ERROR(WriteFile(
      root / "jwks.json", jwks.dump(2) + "\n",
      fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read));
  return WriteFile(
      root / "kid", kid + "\n",
      fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read);
}

absl::StatusOr<std::string> MintToken(const TokenRequest& request) {
  fs::path root(request.keys_dir);
  ASSIGN_OR_RETURN(std::string pem, auth::ReadSecretFile((root / "signing-key.pem").string()));
  ASSIGN_OR_RETURN(std::string kid, auth::ReadSecretFile((root / "kid").string()));
  ASSIGN_OR_RETURN(auto signer, auth::JwtSigner::FromPrivateKeyPem(
                                    pem, std::string(absl::StripAsciiWhitespace(kid)), request.issuer));
  auth::TokenClaims claims;
  claims.subject = request.subject;
  claims.clinic_id = request.clinic_id;
  claims.roles = request.roles;
  claims.audience = request.audience;
  claims.lifetime = absl::Seconds(request.ttl_seconds);
  for (const auto& role : claims.roles) {
    if (!auth::IsKnownRole(role)) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown role \"", role, "\" (admin, clinician, front_desk, client, service)"));
    }
  }
  if (claims.clinic_id.empty() &&
      std::find(claims.roles.begin(), claims.roles.end(), "service") == claims.roles.end()) {
    return absl::InvalidArgumentError("--clinic is required for every role but service");
  }
  return signer->Sign(claims);
}

absl::Status MakeKeyEncryptionKey(const std::string& path) {
  std::error_code ec;
  if (fs::exists(path, ec))
    return absl::AlreadyExistsError(absl::StrCat(path, " exists; refusing to overwrite"));
  ASSIGN_OR_RETURN(std::string hex, crypto::NewKeyEncryptionKeyHex());
  fs::create_directories(fs::path(path).parent_path(), ec);
  return WriteFile(path, hex + "\n", fs::perms::owner_read | fs::perms::owner_write);
}

}  // namespace tandem::tandemctl
