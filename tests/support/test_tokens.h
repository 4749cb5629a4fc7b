#ifndef TANDEM_TESTS_SUPPORT_TEST_TOKENS_H_
#define TANDEM_TESTS_SUPPORT_TEST_TOKENS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "common/auth/jwt_signer.h"
#include "common/auth/jwt_verifier.h"
#include "common/auth/keys.h"
#include "common/auth/service_token_source.h"
#include "common/time/clock.h"
#include "nlohmann/json.hpp"

namespace tandem::testing {

// The HS256 secret every in-process test signs and verifies with, for issuer kTestIssuer and audience
// "tandem". A service or gateway started by a test is given the same issuer (--jwt_issuer).
inline constexpr char kTestHs256Secret[] = "tandem-test-hs256-secret-0123456789abcdef";
inline constexpr char kTestIssuer[] = "tandem-test";
inline constexpr char kTestAudience[] = "tandem";

// A token for a person of `clinic` holding `role`, or for the Tandem service `subject` calling the service
// `audience`.
std::string PersonToken(absl::string_view role, absl::string_view subject = "u1",
                        absl::string_view clinic = "c1");
std::string ServiceToken(absl::string_view subject, absl::string_view audience);
// An end-user assertion made by the service `actor` for a person, addressed to the service `audience` (what a
// service sends in x-tandem-end-user when it acts for someone).
std::string EndUserAssertion(absl::string_view actor, absl::string_view audience, absl::string_view role,
                             absl::string_view subject = "u1", absl::string_view clinic = "c1");
// Any claims, signed with kTestHs256Secret (an empty audience means kTestAudience).
std::string MintToken(auth::TokenClaims claims);

// A verifier for the tokens above.
std::unique_ptr<auth::JwtVerifier> TestVerifier();

// The Tandem service `service`'s own identity, signing with the test secret as a running service would with
// its key: its service tokens and the end-user assertions it makes (ServiceTokenSource::Assert).
std::unique_ptr<auth::ServiceTokenSource> TestServiceIdentity(absl::string_view service,
                                                              const Clock& clock = Clock::Real());

// An RS256 or ES256 signing key as an identity provider holds it, for tests that run a gateway or a service
// on a JWKS (--jwks_file), as production does, rather than on the HS256 secret.
struct TestSigningKey {
  std::string kid;
  std::string private_pem;
  nlohmann::json public_jwk;  // with kid, alg and "use": "sig"
};
TestSigningKey MakeTestSigningKey(auth::KeyType type, absl::string_view kid);
// The JWKS document that publishes `keys`.
std::string TestJwks(const std::vector<const TestSigningKey*>& keys);
// `claims` signed with `key` for kTestIssuer (an empty audience means kTestAudience), dated by `clock`.
std::string MintTokenWithKey(const TestSigningKey& key, auth::TokenClaims claims,
                             const Clock& clock = Clock::Real());

}  // namespace tandem::testing

#endif  // TANDEM_TESTS_SUPPORT_TEST_TOKENS_H_
