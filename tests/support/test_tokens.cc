#include "tests/support/test_tokens.h"

#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>

namespace tandem::testing {
namespace {

// Test set-up cannot go on without tokens: a signer that fails is a broken build, not a test result.
template <typename T>
T OrDie(absl::StatusOr<T> value) {
  if (!value.ok()) {
    std::cerr << "test tokens: " << value.status() << "\n";
    std::abort();
  }
  return *std::move(value);
}

}  // namespace

std::string MintToken(auth::TokenClaims claims) {
  if (claims.audience.empty()) claims.audience = kTestAudience;
  static const auth::JwtSigner* const kSigner =
      OrDie(auth::JwtSigner::FromHs256Secret(kTestHs256Secret, kTestIssuer)).release();
  return OrDie(kSigner->Sign(claims));
}

std::string PersonToken(absl::string_view role, absl::string_view subject, absl::string_view clinic) {
  auth::TokenClaims claims;
  claims.subject = std::string(subject);
  claims.clinic_id = std::string(clinic);
  claims.roles = {std::string(role)};
  return MintToken(std::move(claims));
}

std::string ServiceToken(absl::string_view subject, absl::string_view audience) {
  auth::TokenClaims claims;
  claims.subject = std::string(subject);
  claims.roles = {auth::kRoleService};
  claims.audience = std::string(audience);
  return MintToken(std::move(claims));
}

std::string EndUserAssertion(absl::string_view actor, absl::string_view audience, absl::string_view role,
                             absl::string_view subject, absl::string_view clinic) {
  auth::TokenClaims claims;
  claims.subject = std::string(subject);
  claims.clinic_id = std::string(clinic);
  claims.roles = {std::string(role)};
  claims.audience = std::string(audience);
  claims.actor = std::string(actor);
  claims.lifetime = absl::Minutes(1);
  return MintToken(std::move(claims));
}

std::unique_ptr<auth::JwtVerifier> TestVerifier() {
  return OrDie(auth::JwtVerifier::FromHs256Secret(kTestHs256Secret, {kTestIssuer, kTestAudience}));
}

std::unique_ptr<auth::ServiceTokenSource> TestServiceIdentity(absl::string_view service, const Clock& clock) {
  return std::make_unique<auth::ServiceTokenSource>(
      OrDie(auth::JwtSigner::FromHs256Secret(kTestHs256Secret, kTestIssuer, clock)), std::string(service),
      clock);
}

TestSigningKey MakeTestSigningKey(auth::KeyType type, absl::string_view kid) {
  auth::EvpPkeyPtr key = OrDie(auth::GenerateKey(type));
  return {std::string(kid), OrDie(auth::PrivateKeyPem(key.get())), OrDie(auth::PublicJwk(key.get(), kid))};
}

std::string TestJwks(const std::vector<const TestSigningKey*>& keys) {
  nlohmann::json published = nlohmann::json::array();
  for (const TestSigningKey* key : keys) published.push_back(key->public_jwk);
  return nlohmann::json{{"keys", published}}.dump();
}

std::string MintTokenWithKey(const TestSigningKey& key, auth::TokenClaims claims, const Clock& clock) {
  if (claims.audience.empty()) claims.audience = kTestAudience;
  auto signer = OrDie(auth::JwtSigner::FromPrivateKeyPem(key.private_pem, key.kid, kTestIssuer, clock));
  return OrDie(signer->Sign(claims));
}

}  // namespace tandem::testing
