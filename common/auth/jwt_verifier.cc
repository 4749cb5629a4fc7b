#include "common/auth/jwt_verifier.h"

#include <algorithm>
#include <cstdlib>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/auth/jws_signature.h"
#include "common/config/secret_file.h"
#include "common/status/status_macros.h"
#include "openssl/sha.h"

namespace tandem::auth {
namespace {

constexpr size_t kMaxTokenBytes = 8192;
constexpr size_t kMinHs256SecretBytes = 32;

absl::Status Unauthenticated(absl::string_view reason) {
  return absl::UnauthenticatedError(absl::StrCat("invalid token: ", reason));
}

absl::StatusOr<nlohmann::json> DecodeJsonSegment(absl::string_view segment) {
  auto bytes = Base64UrlDecode(segment);
  if (!bytes.ok()) return Unauthenticated("malformed");
  nlohmann::json json = nlohmann::json::parse(*bytes, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) return Unauthenticated("malformed");
  return json;
}

// RFC 7519 dates are seconds since the epoch. Only whole, non-negative numbers up to the end of year 9999 are
// dates here: converting a float such as 1e300, or an integer beyond int64, to int64 is undefined behaviour,
// and no honest issuer writes a fraction, a string or a date before 1970.
absl::StatusOr<absl::Time> ParseNumericDate(const nlohmann::json& value, const char* name) {
  if (!value.is_number_integer()) return Unauthenticated(absl::StrCat(name, " is not a whole number"));
  constexpr int64_t kMaxSeconds = 253402300799;  // 9999-12-31T23:59:59Z
  // An integer above int64's range is held as unsigned: read each kind as what it is.
  const bool in_range = value.is_number_unsigned()
                            ? value.get<uint64_t>() <= static_cast<uint64_t>(kMaxSeconds)
                            : value.get<int64_t>() >= 0 && value.get<int64_t>() <= kMaxSeconds;
  if (!in_range) return Unauthenticated(absl::StrCat(name, " is out of range"));
  return absl::FromUnixSeconds(value.is_number_unsigned() ? static_cast<int64_t>(value.get<uint64_t>())
                                                          : value.get<int64_t>());
}

absl::StatusOr<absl::Time> RequiredTime(const nlohmann::json& claims, const char* name) {
  auto it = claims.find(name);
  if (it == claims.end()) return Unauthenticated(absl::StrCat("missing ", name));
  return ParseNumericDate(*it, name);
}

absl::StatusOr<std::string> RequiredString(const nlohmann::json& claims, const char* name) {
  auto it = claims.find(name);
  if (it == claims.end() || !it->is_string() || it->get<std::string>().empty()) {
    return Unauthenticated(absl::StrCat("missing ", name));
  }
  return it->get<std::string>();
}

// A verifier without an issuer would accept a token from any issuer that holds a trusted key's twin, and a
// deployment that forgot the flag would not notice: refuse to build one.
absl::Status CheckOptions(const VerifierOptions& options) {
  if (options.issuer.empty()) {
    return absl::InvalidArgumentError(
        "a token issuer is required (--jwt_issuer): the `iss` every token must carry");
  }
  return absl::OkStatus();
}

// RFC 7517 4.2 and 4.3: a JWK that states its purpose may be used for that purpose only. A key published for
// encryption (or for anything but verifying) is never used to verify. A malformed statement is a
// configuration error.
absl::StatusOr<bool> IsSignatureVerificationKey(const nlohmann::json& jwk) {
  if (auto use = jwk.find("use"); use != jwk.end()) {
    if (!use->is_string()) return absl::InvalidArgumentError("JWK \"use\" must be a string");
    if (use->get<std::string>() != "sig") return false;
  }
  if (auto ops = jwk.find("key_ops"); ops != jwk.end()) {
    if (!ops->is_array()) return absl::InvalidArgumentError("JWK \"key_ops\" must be an array of strings");
    bool verify = false;
    for (const auto& op : *ops) {
      if (!op.is_string()) return absl::InvalidArgumentError("JWK \"key_ops\" must be an array of strings");
      verify = verify || op.get<std::string>() == "verify";
    }
    if (!verify) return false;
  }
  return true;
}

bool AudienceMatches(const nlohmann::json& aud, const std::string& expected) {
  if (aud.is_string()) return aud.get<std::string>() == expected;
  if (aud.is_array()) {
    for (const auto& entry : aud) {
      if (entry.is_string() && entry.get<std::string>() == expected) return true;
    }
  }
  return false;
}

}  // namespace

absl::StatusOr<std::unique_ptr<JwtVerifier>> JwtVerifier::FromJwks(absl::string_view jwks_json,
                                                                   VerifierOptions options,
                                                                   const Clock& clock) {
  nlohmann::json jwks = nlohmann::json::parse(jwks_json, nullptr, /*allow_exceptions=*/false);
  if (!jwks.is_object() || !jwks.contains("keys") || !jwks["keys"].is_array()) {
    return absl::InvalidArgumentError("JWKS must be an object with a \"keys\" array");
  }
  RETURN_IF_ERROR(CheckOptions(options));
  std::unique_ptr<JwtVerifier> verifier(new JwtVerifier(std::move(options), clock));
  for (const auto& jwk : jwks["keys"]) {
    if (!jwk.is_object() || !jwk.contains("kid") || !jwk["kid"].is_string()) {
      return absl::InvalidArgumentError("every JWK needs a string \"kid\"");
    }
    ASSIGN_OR_RETURN(bool verifies, IsSignatureVerificationKey(jwk));
    if (!verifies) {
      // Skipped before it is parsed: a JWKS may publish encryption keys of types this verifier never reads.
      verifier->non_signing_kids_.insert(jwk["kid"].get<std::string>());
      continue;
    }
    ASSIGN_OR_RETURN(EvpPkeyPtr key, PublicKeyFromJwk(jwk));
    ASSIGN_OR_RETURN(KeyType type, KeyTypeOf(key.get()));
    if (jwk.contains("alg") && jwk["alg"] != std::string(AlgorithmFor(type))) {
      return absl::InvalidArgumentError("JWK \"alg\" does not match its key type");
    }
    std::vector<std::string> subjects;
    if (jwk.contains("tandem_subjects")) {
      const auto& list = jwk["tandem_subjects"];
      if (!list.is_array() || list.empty()) {
        return absl::InvalidArgumentError(
            "JWK \"tandem_subjects\" must be a non-empty array of service names");
      }
      for (const auto& subject : list) {
        if (!subject.is_string() || subject.get<std::string>().empty()) {
          return absl::InvalidArgumentError(
              "JWK \"tandem_subjects\" must be a non-empty array of service names");
        }
        subjects.push_back(subject.get<std::string>());
      }
    }
    std::string kid = jwk["kid"].get<std::string>();
    if (!verifier->keys_.emplace(kid, Key{type, std::move(key), std::move(subjects)}).second) {
      return absl::InvalidArgumentError(absl::StrCat("duplicate kid \"", kid, "\" in JWKS"));
    }
  }
  if (verifier->keys_.empty()) return absl::InvalidArgumentError("JWKS has no signature verification keys");
  return verifier;
}

absl::StatusOr<std::unique_ptr<JwtVerifier>> JwtVerifier::FromHs256Secret(absl::string_view secret,
                                                                          VerifierOptions options,
                                                                          const Clock& clock) {
  RETURN_IF_ERROR(CheckOptions(options));
  if (secret.size() < kMinHs256SecretBytes) {
    return absl::InvalidArgumentError("HS256 secret must be at least 32 bytes");
  }
  std::unique_ptr<JwtVerifier> verifier(new JwtVerifier(std::move(options), clock));
  verifier->hs256_secret_ = std::string(secret);
  return verifier;
}

absl::StatusOr<std::unique_ptr<JwtVerifier>> JwtVerifier::FromFiles(const std::string& jwks_path,
                                                                    const std::string& hs256_secret_path,
                                                                    VerifierOptions options,
                                                                    const Clock& clock) {
  RETURN_IF_ERROR(CheckOptions(options));
  if (!jwks_path.empty()) {
    if (!hs256_secret_path.empty()) {
      return absl::InvalidArgumentError("an HS256 secret is refused once a JWKS is configured");
    }
    ASSIGN_OR_RETURN(std::string jwks, config::ReadConfigFile(jwks_path));
    return FromJwks(jwks, std::move(options), clock);
  }
  if (!hs256_secret_path.empty()) {
    ASSIGN_OR_RETURN(std::string secret, config::ReadSecretFile(hs256_secret_path));
    return FromHs256Secret(secret, std::move(options), clock);
  }
  return absl::InvalidArgumentError("configure a JWKS file (or, for local runs, an HS256 secret file)");
}

absl::StatusOr<Principal> JwtVerifier::Verify(absl::string_view token) const {
  ASSIGN_OR_RETURN(Verified verified, VerifyCached(token));
  if (verified.assertion) return Unauthenticated("an end-user assertion is not a bearer token");
  return std::move(verified.principal);
}

absl::StatusOr<Principal> JwtVerifier::VerifyAssertion(absl::string_view token, absl::string_view actor,
                                                       absl::string_view audience) const {
  // Not remembered: an assertion is made per call, so caching would only push bearer tokens out.
  ASSIGN_OR_RETURN(Verified verified, VerifyUncached(token));
  if (!verified.assertion) return Unauthenticated("not an end-user assertion");
  if (verified.actor != actor) return Unauthenticated("assertion made by another service");
  if (std::find(verified.audiences.begin(), verified.audiences.end(), audience) == verified.audiences.end()) {
    return Unauthenticated("assertion addressed to another service");
  }
  return std::move(verified.principal);
}

absl::Status JwtVerifier::CheckKeyBinding(const Key& key, const Verified& verified) {
  const Principal& principal = verified.principal;
  const auto bound = [&](const std::string& subject) {
    return std::find(key.subjects.begin(), key.subjects.end(), subject) != key.subjects.end();
  };
  if (key.subjects.empty()) {
    if (verified.assertion || principal.IsService()) {
      return Unauthenticated("key may sign person tokens only");
    }
    return absl::OkStatus();
  }
  if (verified.assertion) {
    if (!bound(verified.actor)) return Unauthenticated("key may not assert for this service");
    return absl::OkStatus();
  }
  if (!principal.IsService() || principal.roles.size() != 1 || !bound(principal.subject)) {
    return Unauthenticated("key may sign only its own service's tokens");
  }
  return absl::OkStatus();
}

absl::StatusOr<JwtVerifier::Verified> JwtVerifier::VerifyCached(absl::string_view token) const {
  // The cache holds a digest, never the bearer token itself.
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(), digest);
  const std::string cache_key(reinterpret_cast<const char*>(digest), sizeof(digest));
  {
    absl::MutexLock lock(&cache_mu_);
    auto hit = cache_.find(cache_key);
    if (hit != cache_.end()) {
      RETURN_IF_ERROR(CheckTimeWindow(hit->second));
      return hit->second;
    }
  }
  ASSIGN_OR_RETURN(Verified verified, VerifyUncached(token));
  absl::MutexLock lock(&cache_mu_);
  if (cache_.size() >= kCacheCapacity) {
    // Drop what has expired; if every entry is still live, start over rather than track recency per hit.
    const absl::Time now = clock_.Now();
    absl::erase_if(cache_, [&](const auto& entry) {
      return now >= entry.second.principal.expires_at + options_.leeway;
    });
    if (cache_.size() >= kCacheCapacity) cache_.clear();
  }
  cache_.emplace(cache_key, verified);
  return verified;
}

absl::Status JwtVerifier::CheckTimeWindow(const Verified& verified) const {
  const absl::Time now = clock_.Now();
  if (now >= verified.principal.expires_at + options_.leeway) return Unauthenticated("expired");
  if (now + options_.leeway < verified.not_before) return Unauthenticated("not yet valid");
  return absl::OkStatus();
}

absl::StatusOr<JwtVerifier::Verified> JwtVerifier::VerifyUncached(absl::string_view token) const {
  if (token.empty()) return Unauthenticated("missing");
  if (token.size() > kMaxTokenBytes) return Unauthenticated("too large");
  std::vector<absl::string_view> parts = absl::StrSplit(token, '.');
  if (parts.size() != 3 || parts[0].empty() || parts[1].empty() || parts[2].empty()) {
    return Unauthenticated("malformed");
  }
  ASSIGN_OR_RETURN(nlohmann::json header, DecodeJsonSegment(parts[0]));
  if (!header.contains("alg") || !header["alg"].is_string()) return Unauthenticated("missing alg");
  std::string alg = header["alg"].get<std::string>();
  // RFC 7515 4.1.11: a recipient that does not understand every extension listed in `crit` must refuse the
  // token, and this verifier implements none.
  if (header.contains("crit")) return Unauthenticated("critical header extensions not supported");

  // Pick the key and the one algorithm it allows before any cryptography runs.
  const Key* key = nullptr;
  absl::string_view expected_alg = "HS256";
  if (!keys_.empty()) {
    if (!header.contains("kid") || !header["kid"].is_string()) return Unauthenticated("missing kid");
    auto it = keys_.find(header["kid"].get<std::string>());
    if (it == keys_.end()) {
      if (non_signing_kids_.contains(header["kid"].get<std::string>())) {
        return Unauthenticated("key is not for verifying signatures");
      }
      return Unauthenticated("unknown key");
    }
    key = &it->second;
    expected_alg = AlgorithmFor(key->type);
  }
  if (alg != expected_alg) return Unauthenticated("algorithm not allowed for this key");

  auto signature = Base64UrlDecode(parts[2]);
  if (!signature.ok()) return Unauthenticated("malformed");
  const absl::string_view signing_input = token.substr(0, parts[0].size() + 1 + parts[1].size());
  const bool signed_by_key =
      key != nullptr ? VerifyAsymmetricJws(key->type, key->public_key.get(), signing_input, *signature)
                     : VerifyHs256Jws(hs256_secret_, signing_input, *signature);
  if (!signed_by_key) return Unauthenticated("bad signature");

  ASSIGN_OR_RETURN(nlohmann::json claims, DecodeJsonSegment(parts[1]));
  absl::Time now = clock_.Now();
  ASSIGN_OR_RETURN(absl::Time expires_at, RequiredTime(claims, "exp"));
  ASSIGN_OR_RETURN(absl::Time issued_at, RequiredTime(claims, "iat"));
  if (now >= expires_at + options_.leeway) return Unauthenticated("expired");
  if (issued_at > now + options_.leeway) return Unauthenticated("issued in the future");
  if (expires_at - issued_at > options_.max_lifetime) return Unauthenticated("lifetime too long");
  Verified verified;
  if (claims.contains("nbf")) {
    ASSIGN_OR_RETURN(verified.not_before, RequiredTime(claims, "nbf"));
    if (now + options_.leeway < verified.not_before) return Unauthenticated("not yet valid");
  }
  // Always checked: construction refuses an empty issuer.
  auto iss = claims.find("iss");
  if (iss == claims.end() || !iss->is_string()) return Unauthenticated("missing iss");
  if (iss->get<std::string>() != options_.issuer) return Unauthenticated("wrong issuer");
  verified.assertion = claims.contains(kTokenTypeClaim) && claims[kTokenTypeClaim] == kAssertionTokenType;
  if (verified.assertion) {
    // Made by the service named in `act` (checked, with the audience, by VerifyAssertion).
    auto act = claims.find("act");
    if (act == claims.end() || !act->is_object() || !act->contains("sub") || !(*act)["sub"].is_string()) {
      return Unauthenticated("assertion without actor");
    }
    verified.actor = (*act)["sub"].get<std::string>();
  }
  if (auto aud = claims.find("aud"); aud != claims.end()) {
    if (aud->is_string()) verified.audiences.push_back(aud->get<std::string>());
    if (aud->is_array()) {
      for (const auto& entry : *aud) {
        if (entry.is_string()) verified.audiences.push_back(entry.get<std::string>());
      }
    }
  }

  Principal& principal = verified.principal;
  ASSIGN_OR_RETURN(principal.subject, RequiredString(claims, "sub"));
  principal.expires_at = expires_at;
  if (claims.contains("jti") && claims["jti"].is_string()) {
    principal.token_id = claims["jti"].get<std::string>();
  }
  auto roles = claims.find("roles");
  if (roles == claims.end() || !roles->is_array() || roles->empty()) return Unauthenticated("missing roles");
  for (const auto& role : *roles) {
    if (!role.is_string() || !IsKnownRole(role.get<std::string>())) return Unauthenticated("unknown role");
    principal.roles.insert(role.get<std::string>());
  }
  auto clinic = claims.find("clinic_id");
  if (clinic != claims.end() && clinic->is_string()) principal.clinic_id = clinic->get<std::string>();
  if (principal.clinic_id.empty() && !principal.IsService()) return Unauthenticated("missing clinic_id");
  if (verified.assertion && principal.IsService()) return Unauthenticated("an assertion is for a person");
  // People's tokens are for Tandem as a whole; a service's token and an assertion each name the one service
  // they are for, which that service checks (Authenticate, VerifyAssertion).
  if (verified.assertion || principal.IsService()) {
    if (verified.audiences.empty()) return Unauthenticated("token without audience");
  } else if (!options_.audience.empty()) {
    auto aud = claims.find("aud");
    if (aud == claims.end()) return Unauthenticated("missing aud");
    if (!AudienceMatches(*aud, options_.audience)) return Unauthenticated("wrong audience");
  }
  principal.audiences = verified.audiences;
  if (key != nullptr) RETURN_IF_ERROR(CheckKeyBinding(*key, verified));
  return verified;
}

}  // namespace tandem::auth
