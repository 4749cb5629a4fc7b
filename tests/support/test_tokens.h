#ifndef TANDEM_TESTS_SUPPORT_TEST_TOKENS_H_
#define TANDEM_TESTS_SUPPORT_TEST_TOKENS_H_

#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "common/auth/jwt_signer.h"
#include "common/auth/jwt_verifier.h"
#include "common/auth/service_token_source.h"
#include "common/time/clock.h"

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

}  // namespace tandem::testing

#endif  // TANDEM_TESTS_SUPPORT_TEST_TOKENS_H_
