#include "bench/service_token.h"

#include <string>
#include <vector>

#include "common/auth/jwt_verifier.h"
#include "common/auth/keys.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace tandem::bench {
namespace {

constexpr char kIssuer[] = "tandem-local";

// A service's key as `tandemctl service-key` publishes it: its thumbprint as the id, bound to the service.
struct ServiceKey {
  std::string private_pem;
  nlohmann::json public_jwk;
};

ServiceKey MakeServiceKey(const std::string& service) {
  auto key = auth::GenerateKey(auth::KeyType::kEcP256);
  EXPECT_TRUE(key.ok());
  ServiceKey out;
  out.private_pem = *auth::PrivateKeyPem(key->get());
  out.public_jwk = *auth::PublicJwk(key->get(), *auth::JwkThumbprint(key->get()));
  out.public_jwk["tandem_subjects"] = {service};
  return out;
}

std::unique_ptr<auth::JwtVerifier> VerifierFor(const ServiceKey& key) {
  nlohmann::json jwks = {{"keys", {key.public_jwk}}};
  auto verifier = auth::JwtVerifier::FromJwks(jwks.dump(), {kIssuer, "tandem"});
  EXPECT_TRUE(verifier.ok()) << verifier.status();
  return *std::move(verifier);
}

TEST(ServiceTokenTest, MintsTheTokenTheServiceItselfWouldSend) {
  ServiceKey progress = MakeServiceKey("progress");
  auto token = MintServiceToken(progress.private_pem, "progress", "scheduling", kIssuer, absl::Minutes(10));
  ASSERT_TRUE(token.ok()) << token.status();
  auto principal = VerifierFor(progress)->Verify(*token);
  ASSERT_TRUE(principal.ok()) << principal.status();
  EXPECT_TRUE(principal->IsService());
  EXPECT_EQ(principal->subject, "progress");
  EXPECT_EQ(principal->audiences, std::vector<std::string>({"scheduling"}));
}

TEST(ServiceTokenTest, AKeyMintsOnlyForItsOwnServiceAndIssuer) {
  ServiceKey progress = MakeServiceKey("progress");
  auto verifier = VerifierFor(progress);
  auto other_service =
      MintServiceToken(progress.private_pem, "notes", "scheduling", kIssuer, absl::Minutes(1));
  ASSERT_TRUE(other_service.ok());
  EXPECT_FALSE(verifier->Verify(*other_service).ok());
  auto other_issuer =
      MintServiceToken(progress.private_pem, "progress", "scheduling", "someone-else", absl::Minutes(1));
  ASSERT_TRUE(other_issuer.ok());
  EXPECT_FALSE(verifier->Verify(*other_issuer).ok());
}

TEST(ServiceTokenTest, RefusesBadInputWithoutSigning) {
  ServiceKey progress = MakeServiceKey("progress");
  EXPECT_EQ(
      MintServiceToken("not a key", "progress", "scheduling", kIssuer, absl::Minutes(1)).status().code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(MintServiceToken(progress.private_pem, "", "scheduling", kIssuer, absl::Minutes(1)).ok());
  EXPECT_FALSE(MintServiceToken(progress.private_pem, "progress", "", kIssuer, absl::Minutes(1)).ok());
}

}  // namespace
}  // namespace tandem::bench
