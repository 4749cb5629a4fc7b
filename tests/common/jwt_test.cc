#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/auth/jwt_signer.h"
#include "common/auth/jwt_verifier.h"
#include "common/auth/keys.h"
#include "common/auth/service_token_source.h"
#include "common/time/clock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "openssl/bn.h"
#include "openssl/ecdsa.h"
#include "openssl/hmac.h"

namespace tandem::auth {
namespace {

constexpr char kIssuer[] = "https://id.clinic.test";
constexpr char kAudience[] = "tandem";

struct SigningKey {
  std::string kid;
  std::string private_pem;
  nlohmann::json public_jwk;
  std::string public_pem;
};

SigningKey MakeKey(KeyType type, const std::string& kid) {
  auto key = GenerateKey(type);
  EXPECT_TRUE(key.ok());
  SigningKey out;
  out.kid = kid;
  out.private_pem = *PrivateKeyPem(key->get());
  out.public_jwk = *PublicJwk(key->get(), kid);
  out.public_pem = *PublicKeyPem(key->get());
  return out;
}

class JwtTest : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    rsa_ = new SigningKey(MakeKey(KeyType::kRsa, "rsa-1"));
    ec_ = new SigningKey(MakeKey(KeyType::kEcP256, "ec-1"));
    other_ = new SigningKey(MakeKey(KeyType::kRsa, "rsa-1"));  // same kid, different key
    notes_ = new SigningKey(MakeKey(KeyType::kEcP256, "notes-1"));
    notes_->public_jwk["tandem_subjects"] = {"notes"};  // the notes service's own key
  }
  static void TearDownTestSuite() {
    delete rsa_;
    delete ec_;
    delete other_;
    delete notes_;
  }

  std::unique_ptr<JwtVerifier> Verifier(VerifierOptions options = {kIssuer, kAudience}) {
    nlohmann::json jwks = {{"keys", {rsa_->public_jwk, ec_->public_jwk, notes_->public_jwk}}};
    auto verifier = JwtVerifier::FromJwks(jwks.dump(), std::move(options), clock_);
    EXPECT_TRUE(verifier.ok()) << verifier.status();
    return *std::move(verifier);
  }

  std::string Mint(const SigningKey& key, const TokenClaims& claims) {
    auto signer = JwtSigner::FromPrivateKeyPem(key.private_pem, key.kid, kIssuer, clock_);
    EXPECT_TRUE(signer.ok()) << signer.status();
    auto token = (*signer)->Sign(claims);
    EXPECT_TRUE(token.ok()) << token.status();
    return *token;
  }

  static TokenClaims Clinician() {
    TokenClaims claims;
    claims.subject = "u1";
    claims.clinic_id = "c1";
    claims.roles = {"clinician"};
    claims.audience = kAudience;
    return claims;
  }

  // Builds a token by hand, for attacks the signer would never produce.
  static std::string Forge(const nlohmann::json& header, const nlohmann::json& payload,
                           const std::string& signature) {
    return absl::StrCat(Base64UrlEncode(header.dump()), ".", Base64UrlEncode(payload.dump()), ".", signature);
  }

  nlohmann::json ValidPayload() {
    int64_t now = absl::ToUnixSeconds(clock_.Now());
    return {{"sub", "u1"},      {"clinic_id", "c1"}, {"roles", {"clinician"}}, {"iat", now},
            {"exp", now + 300}, {"iss", kIssuer},    {"aud", kAudience}};
  }

  static SigningKey* rsa_;
  static SigningKey* ec_;
  static SigningKey* other_;
  static SigningKey* notes_;
  FakeClock clock_;
};

SigningKey* JwtTest::rsa_ = nullptr;
SigningKey* JwtTest::ec_ = nullptr;
SigningKey* JwtTest::other_ = nullptr;
SigningKey* JwtTest::notes_ = nullptr;

// Every refusal is UNAUTHENTICATED with one exact reason, so a test cannot pass on a refusal for some other
// cause.
void ExpectRefused(const absl::StatusOr<Principal>& result, absl::string_view reason) {
  EXPECT_EQ(result.status().code(), absl::StatusCode::kUnauthenticated) << result.status();
  EXPECT_EQ(std::string(result.status().message()), absl::StrCat("invalid token: ", reason));
}

TEST_F(JwtTest, AcceptsValidRs256AndEs256Tokens) {
  auto verifier = Verifier();
  for (const SigningKey* key : {rsa_, ec_}) {
    auto principal = verifier->Verify(Mint(*key, Clinician()));
    ASSERT_TRUE(principal.ok()) << principal.status();
    EXPECT_EQ(principal->subject, "u1");
    EXPECT_EQ(principal->clinic_id, "c1");
    EXPECT_TRUE(principal->HasRole("clinician"));
    EXPECT_FALSE(principal->token_id.empty());
  }
}

TEST_F(JwtTest, RejectsExpiredToken) {
  std::string token = Mint(*rsa_, Clinician());
  clock_.Advance(absl::Minutes(6));
  ExpectRefused(Verifier()->Verify(token), "expired");
}

TEST_F(JwtTest, ARememberedTokenStillExpiresAndOnlyItsExactBytesHit) {
  auto verifier = Verifier();
  std::string token = Mint(*ec_, Clinician());
  ASSERT_TRUE(verifier->Verify(token).ok());
  ASSERT_TRUE(verifier->Verify(token).ok());  // from the cache
  // A different signature on the same header and payload is checked, not looked up.
  std::vector<std::string> parts = absl::StrSplit(token, '.');
  std::string signature = *Base64UrlDecode(parts[2]);
  signature[0] ^= 0x01;
  ExpectRefused(verifier->Verify(absl::StrCat(parts[0], ".", parts[1], ".", Base64UrlEncode(signature))),
                "bad signature");
  clock_.Advance(absl::Minutes(6));  // past exp + leeway
  ExpectRefused(verifier->Verify(token), "expired");
}

TEST_F(JwtTest, TheCacheStaysCorrectPastItsCapacity) {
  std::string secret(40, 'k');
  auto signer = JwtSigner::FromHs256Secret(secret, kIssuer, clock_);
  auto verifier = JwtVerifier::FromHs256Secret(secret, {kIssuer, kAudience}, clock_);
  ASSERT_TRUE(signer.ok() && verifier.ok());
  std::vector<std::string> tokens;
  tokens.reserve(JwtVerifier::kCacheCapacity + 10);
  for (size_t i = 0; i < JwtVerifier::kCacheCapacity + 10; ++i) {
    TokenClaims claims = Clinician();
    claims.subject = absl::StrCat("u", i);
    tokens.push_back(*(*signer)->Sign(claims));
    ASSERT_TRUE((*verifier)->Verify(tokens.back()).ok());
  }
  for (size_t i : {size_t{0}, JwtVerifier::kCacheCapacity / 2, tokens.size() - 1}) {
    auto principal = (*verifier)->Verify(tokens[i]);
    ASSERT_TRUE(principal.ok());
    EXPECT_EQ(principal->subject, absl::StrCat("u", i));
  }
}

TEST_F(JwtTest, RejectsTooLongLivedToken) {
  TokenClaims claims = Clinician();
  claims.lifetime = absl::Hours(48);
  ExpectRefused(Verifier()->Verify(Mint(*rsa_, claims)), "lifetime too long");
}

TEST_F(JwtTest, RejectsNotYetValidToken) {
  TokenClaims claims = Clinician();
  claims.not_before_offset = absl::Minutes(2);
  std::string token = Mint(*rsa_, claims);
  auto verifier = Verifier();
  ExpectRefused(verifier->Verify(token), "not yet valid");
  clock_.Advance(absl::Minutes(2));
  EXPECT_TRUE(verifier->Verify(token).ok());
}

TEST_F(JwtTest, RejectsAlgNone) {
  std::string token = Forge({{"alg", "none"}, {"kid", "rsa-1"}}, ValidPayload(), "");
  ExpectRefused(Verifier()->Verify(token), "malformed");
  // Also with a dummy signature segment, so the split check is not what rejects it.
  token = Forge({{"alg", "none"}, {"kid", "rsa-1"}}, ValidPayload(), "AA");
  ExpectRefused(Verifier()->Verify(token), "algorithm not allowed for this key");
}

TEST_F(JwtTest, RejectsTokenSignedWithWrongKey) {
  // Same kid as a trusted key, but signed by another private key.
  ExpectRefused(Verifier()->Verify(Mint(*other_, Clinician())), "bad signature");
}

TEST_F(JwtTest, RejectsUnknownKid) {
  SigningKey stranger = MakeKey(KeyType::kEcP256, "stranger");
  ExpectRefused(Verifier()->Verify(Mint(stranger, Clinician())), "unknown key");
}

TEST_F(JwtTest, RejectsWrongAudienceAndIssuer) {
  TokenClaims claims = Clinician();
  claims.audience = "another-app";
  ExpectRefused(Verifier()->Verify(Mint(*rsa_, claims)), "wrong audience");
  ExpectRefused(Verifier({"https://evil.test", kAudience})->Verify(Mint(*rsa_, Clinician())), "wrong issuer");
}

TEST_F(JwtTest, RejectsTamperedPayload) {
  std::string token = Mint(*rsa_, Clinician());
  std::vector<std::string> parts = absl::StrSplit(token, '.');
  nlohmann::json payload = nlohmann::json::parse(*Base64UrlDecode(parts[1]));
  payload["clinic_id"] = "c2";  // try to cross into another clinic
  std::string tampered = absl::StrCat(parts[0], ".", Base64UrlEncode(payload.dump()), ".", parts[2]);
  ExpectRefused(Verifier()->Verify(tampered), "bad signature");
}

// The signature check is OpenSSL on keys parsed once (libjwt only signs here), so each malformed shape of
// signature gets its own case: flipped bits, truncation, the DER form of ECDSA, another token's signature.
TEST_F(JwtTest, RejectsSignaturesOfTheWrongShapeOrContent) {
  auto verifier = Verifier();
  for (const SigningKey* key : {rsa_, ec_}) {
    std::string token = Mint(*key, Clinician());
    std::vector<std::string> parts = absl::StrSplit(token, '.');
    std::string signature = *Base64UrlDecode(parts[2]);
    auto with_signature = [&](const std::string& bytes) {
      return absl::StrCat(parts[0], ".", parts[1], ".", Base64UrlEncode(bytes));
    };
    ASSERT_TRUE(verifier->Verify(with_signature(signature)).ok());
    std::string flipped = signature;
    flipped[flipped.size() / 2] ^= 0x01;
    ExpectRefused(verifier->Verify(with_signature(flipped)), "bad signature");
    ExpectRefused(verifier->Verify(with_signature(signature.substr(0, signature.size() - 1))),
                  "bad signature");
    ExpectRefused(verifier->Verify(with_signature(signature + "x")), "bad signature");
    ExpectRefused(verifier->Verify(with_signature("")), "malformed");
    ExpectRefused(verifier->Verify(absl::StrCat(parts[0], ".", parts[1], ".", parts[2], "=")), "malformed");
    std::vector<std::string> other = absl::StrSplit(Mint(*key, Clinician()), '.');
    ExpectRefused(verifier->Verify(absl::StrCat(parts[0], ".", parts[1], ".", other[2])), "bad signature");
  }
  // ES256 in JWS is R || S (64 bytes); the same pair DER-encoded, as OpenSSL would write it, is refused.
  std::vector<std::string> parts = absl::StrSplit(Mint(*ec_, Clinician()), '.');
  std::string jose = *Base64UrlDecode(parts[2]);
  ASSERT_EQ(jose.size(), 64u);
  ECDSA_SIG* sig = ECDSA_SIG_new();
  ECDSA_SIG_set0(sig, BN_bin2bn(reinterpret_cast<const unsigned char*>(jose.data()), 32, nullptr),
                 BN_bin2bn(reinterpret_cast<const unsigned char*>(jose.data()) + 32, 32, nullptr));
  std::string der(static_cast<size_t>(i2d_ECDSA_SIG(sig, nullptr)), '\0');
  auto* out = reinterpret_cast<unsigned char*>(der.data());
  i2d_ECDSA_SIG(sig, &out);
  ECDSA_SIG_free(sig);
  ExpectRefused(verifier->Verify(absl::StrCat(parts[0], ".", parts[1], ".", Base64UrlEncode(der))),
                "bad signature");
}

TEST_F(JwtTest, RejectsHs256SignedWithRsaPublicKey) {
  // The classic algorithm-confusion attack: HMAC keyed with the (public) RSA PEM.
  std::string header = Base64UrlEncode(nlohmann::json({{"alg", "HS256"}, {"kid", "rsa-1"}}).dump());
  std::string payload = Base64UrlEncode(ValidPayload().dump());
  std::string signing_input = absl::StrCat(header, ".", payload);
  unsigned char mac[32];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), rsa_->public_pem.data(), static_cast<int>(rsa_->public_pem.size()),
       reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size(), mac, &mac_len);
  std::string token = absl::StrCat(
      signing_input, ".", Base64UrlEncode(absl::string_view(reinterpret_cast<const char*>(mac), mac_len)));
  ExpectRefused(Verifier()->Verify(token), "algorithm not allowed for this key");
}

TEST_F(JwtTest, RejectsMalformedTokensWithoutQuotingThem) {
  auto verifier = Verifier();
  for (const auto& [token, reason] : {std::pair<std::string, const char*>{"", "missing"},
                                      {"abc", "malformed"},
                                      {"a.b.c", "malformed"},
                                      {"secret-clinical-words.x.y", "malformed"},
                                      {std::string(10000, 'a'), "too large"}}) {
    ExpectRefused(verifier->Verify(token), reason);
  }
}

TEST_F(JwtTest, RequiresClinicUnlessService) {
  TokenClaims claims = Clinician();
  claims.clinic_id = "";
  ExpectRefused(Verifier()->Verify(Mint(*rsa_, claims)), "missing clinic_id");
  claims.roles = {"service"};
  claims.subject = "notes";
  auto principal = Verifier()->Verify(Mint(*notes_, claims));
  ASSERT_TRUE(principal.ok()) << principal.status();
  EXPECT_TRUE(principal->IsService());
}

TEST_F(JwtTest, RejectsUnknownRole) {
  nlohmann::json payload = ValidPayload();
  payload["roles"] = {"superuser"};
  auto signer = JwtSigner::FromHs256Secret(std::string(40, 's'), kIssuer, clock_);
  auto verifier = JwtVerifier::FromHs256Secret(std::string(40, 's'), {kIssuer, kAudience}, clock_);
  ASSERT_TRUE(verifier.ok());
  TokenClaims claims = Clinician();
  claims.roles = {"superuser"};
  auto token = (*signer)->Sign(claims);
  ASSERT_TRUE(token.ok());
  ExpectRefused((*verifier)->Verify(*token), "unknown role");
}

TEST_F(JwtTest, Hs256WorksLocallyButIsRefusedWithJwks) {
  std::string secret(40, 'k');
  auto signer = JwtSigner::FromHs256Secret(secret, kIssuer, clock_);
  ASSERT_TRUE(signer.ok());
  auto verifier = JwtVerifier::FromHs256Secret(secret, {kIssuer, kAudience}, clock_);
  ASSERT_TRUE(verifier.ok());
  auto token = (*signer)->Sign(Clinician());
  ASSERT_TRUE(token.ok());
  EXPECT_TRUE((*verifier)->Verify(*token).ok());
  // The JWKS verifier does not accept the HS256 token even though its payload is valid.
  ExpectRefused(Verifier()->Verify(*token), "missing kid");
  // Configuring both is a start-up error.
  auto both = JwtVerifier::FromFiles("/some/jwks.json", "/some/secret", {kIssuer, kAudience}, clock_);
  EXPECT_EQ(both.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(JwtVerifier::FromHs256Secret("short", {kIssuer, kAudience}, clock_).ok());
}

TEST_F(JwtTest, JwkRoundTripAndThumbprint) {
  auto key = GenerateKey(KeyType::kEcP256);
  ASSERT_TRUE(key.ok());
  auto jwk = PublicJwk(key->get(), "k");
  ASSERT_TRUE(jwk.ok());
  auto parsed = PublicKeyFromJwk(*jwk);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(*PublicKeyPem(parsed->get()), *PublicKeyPem(key->get()));
  auto thumbprint = JwkThumbprint(key->get());
  ASSERT_TRUE(thumbprint.ok());
  EXPECT_EQ(thumbprint->size(), 43u);  // base64url of 32 bytes
  EXPECT_FALSE(PublicKeyFromJwk(nlohmann::json{{"kty", "oct"}, {"k", "AAAA"}}).ok());
}

TEST_F(JwtTest, ServiceTokenSourceReusesThenRefreshes) {
  auto signer = JwtSigner::FromPrivateKeyPem(notes_->private_pem, notes_->kid, kIssuer, clock_);
  ASSERT_TRUE(signer.ok());
  ServiceTokenSource source(*std::move(signer), "notes", clock_, absl::Minutes(5));
  auto first = source.Token("scheduling");
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(*source.Token("scheduling"), *first);
  EXPECT_NE(*source.Token("reminders"), *first);  // one token per called service
  EXPECT_FALSE(source.Token("").ok());
  clock_.Advance(absl::Minutes(4) + absl::Seconds(1));
  auto second = source.Token("scheduling");
  EXPECT_NE(*second, *first);
  auto principal = Verifier()->Verify(*second);
  ASSERT_TRUE(principal.ok()) << principal.status();
  EXPECT_TRUE(principal->IsService());
  EXPECT_EQ(principal->subject, "notes");
  EXPECT_EQ(principal->audiences, std::vector<std::string>({"scheduling"}));
}

TEST_F(JwtTest, EachKeySignsOnlyWhatItIsBoundTo) {
  auto verifier = Verifier();
  TokenClaims service;
  service.subject = "notes";
  service.roles = {"service"};
  service.audience = kAudience;
  ASSERT_TRUE(verifier->Verify(Mint(*notes_, service)).ok());
  // The people's issuer cannot mint a service identity.
  ExpectRefused(verifier->Verify(Mint(*rsa_, service)), "key may sign person tokens only");
  // A service's key cannot mint another service, a second role, or a person.
  TokenClaims other_service = service;
  other_service.subject = "scheduling";
  ExpectRefused(verifier->Verify(Mint(*notes_, other_service)), "key may sign only its own service's tokens");
  TokenClaims two_roles = service;
  two_roles.roles = {"service", "admin"};
  ExpectRefused(verifier->Verify(Mint(*notes_, two_roles)), "key may sign only its own service's tokens");
  ExpectRefused(verifier->Verify(Mint(*notes_, Clinician())), "key may sign only its own service's tokens");
  // A malformed binding is a start-up error.
  nlohmann::json bad = notes_->public_jwk;
  bad["tandem_subjects"] = nlohmann::json::array();
  EXPECT_EQ(JwtVerifier::FromJwks(nlohmann::json{{"keys", {bad}}}.dump(), {kIssuer, kAudience}, clock_)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(JwtTest, AnEndUserAssertionIsBoundToItsMakerAndItsAudienceAndIsNoBearerToken) {
  auto verifier = Verifier();
  auto signer = JwtSigner::FromPrivateKeyPem(notes_->private_pem, notes_->kid, kIssuer, clock_);
  ASSERT_TRUE(signer.ok());
  ServiceTokenSource notes(*std::move(signer), "notes", clock_);
  auto person = verifier->Verify(Mint(*rsa_, Clinician()));
  ASSERT_TRUE(person.ok());
  auto assertion = notes.Assert(*person, "scheduling");
  ASSERT_TRUE(assertion.ok()) << assertion.status();

  auto asserted = verifier->VerifyAssertion(*assertion, "notes", "scheduling");
  ASSERT_TRUE(asserted.ok()) << asserted.status();
  EXPECT_EQ(asserted->subject, "u1");
  EXPECT_EQ(asserted->clinic_id, "c1");
  EXPECT_TRUE(asserted->HasRole("clinician"));
  // Not a bearer token, not for another service, not from another service.
  ExpectRefused(verifier->Verify(*assertion), "an end-user assertion is not a bearer token");
  ExpectRefused(verifier->VerifyAssertion(*assertion, "notes", "reminders"),
                "assertion addressed to another service");
  ExpectRefused(verifier->VerifyAssertion(*assertion, "homework", "scheduling"),
                "assertion made by another service");
  // A person's own token is no assertion, and the people's issuer cannot make one.
  ExpectRefused(verifier->VerifyAssertion(Mint(*rsa_, Clinician()), "notes", "scheduling"),
                "not an end-user assertion");
  TokenClaims forged = Clinician();
  forged.audience = "scheduling";
  forged.actor = "notes";
  ExpectRefused(verifier->VerifyAssertion(Mint(*rsa_, forged), "notes", "scheduling"),
                "key may sign person tokens only");
  // The notes key cannot assert in another service's name, and nobody asserts a service.
  forged.actor = "homework";
  ExpectRefused(verifier->VerifyAssertion(Mint(*notes_, forged), "homework", "scheduling"),
                "key may not assert for this service");
  auth::Principal service_principal;
  service_principal.subject = "homework";
  service_principal.roles = {"service"};
  EXPECT_FALSE(notes.Assert(service_principal, "scheduling").ok());
  // It lives a minute, never longer than the person's own token, and carries that token's id.
  clock_.Advance(absl::Minutes(2));
  ExpectRefused(verifier->VerifyAssertion(*assertion, "notes", "scheduling"), "expired");
  auth::Principal expiring = *person;
  expiring.expires_at = clock_.Now() + absl::Seconds(10);
  auto short_lived = notes.Assert(expiring, "scheduling");
  ASSERT_TRUE(short_lived.ok());
  auto asserted_again = verifier->VerifyAssertion(*short_lived, "notes", "scheduling");
  ASSERT_TRUE(asserted_again.ok());
  EXPECT_EQ(asserted_again->expires_at, expiring.expires_at);
  EXPECT_EQ(asserted_again->token_id, person->token_id);
  expiring.expires_at = clock_.Now() - absl::Seconds(1);
  EXPECT_EQ(notes.Assert(expiring, "scheduling").status().code(), absl::StatusCode::kFailedPrecondition);
}

constexpr char kHs256Secret[] = "jwt-test-hs256-secret-0123456789abcdef";

// A correctly signed HS256 token whose payload is `payload_json` as written (so a test can send numbers no
// JSON library would produce from a double), under `header`.
std::string SignHs256(const nlohmann::json& header, const std::string& payload_json) {
  std::string signing_input =
      absl::StrCat(Base64UrlEncode(header.dump()), ".", Base64UrlEncode(payload_json));
  unsigned char mac[32];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), kHs256Secret, static_cast<int>(sizeof(kHs256Secret) - 1),
       reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size(), mac, &mac_len);
  return absl::StrCat(signing_input, ".",
                      Base64UrlEncode(absl::string_view(reinterpret_cast<const char*>(mac), mac_len)));
}

class JwtClaimsTest : public JwtTest {
 protected:
  std::unique_ptr<JwtVerifier> HsVerifier() {
    auto verifier = JwtVerifier::FromHs256Secret(kHs256Secret, {kIssuer, kAudience}, clock_);
    EXPECT_TRUE(verifier.ok()) << verifier.status();
    return *std::move(verifier);
  }
  // ValidPayload() with `claim` set to the raw JSON text `value`.
  std::string PayloadWith(const std::string& claim, const std::string& value) {
    nlohmann::json payload = ValidPayload();
    payload[claim] = "@value@";
    std::string text = payload.dump();
    const std::string placeholder = "\"@value@\"";
    text.replace(text.find(placeholder), placeholder.size(), value);
    return text;
  }
  static nlohmann::json Hs256Header() { return {{"alg", "HS256"}, {"typ", "JWT"}}; }
};

TEST_F(JwtClaimsTest, NumericDatesMustBeWholeSecondsFrom1970ToTheYear9999) {
  auto verifier = HsVerifier();
  ASSERT_TRUE(verifier->Verify(SignHs256(Hs256Header(), ValidPayload().dump())).ok());
  for (const char* claim : {"exp", "iat", "nbf"}) {
    SCOPED_TRACE(claim);
    for (const char* value : {"1e300", "-1e300", "1.5", "1700000000.0", "\"123\"", "true", "null", "[1]",
                              "{}", "100000000000000000000"}) {
      SCOPED_TRACE(value);
      ExpectRefused(verifier->Verify(SignHs256(Hs256Header(), PayloadWith(claim, value))),
                    absl::StrCat(claim, " is not a whole number"));
    }
    for (const char* value :
         {"-1", "-9223372036854775808", "253402300800", "9223372036854775807", "18446744073709551615"}) {
      SCOPED_TRACE(value);
      ExpectRefused(verifier->Verify(SignHs256(Hs256Header(), PayloadWith(claim, value))),
                    absl::StrCat(claim, " is out of range"));
    }
  }
  // The bounds themselves are dates: 1970 as a not-before, and 9999-12-31T23:59:59Z, which is refused only
  // for being too far away.
  EXPECT_TRUE(verifier->Verify(SignHs256(Hs256Header(), PayloadWith("nbf", "0"))).ok());
  ExpectRefused(verifier->Verify(SignHs256(Hs256Header(), PayloadWith("exp", "253402300799"))),
                "lifetime too long");
}

TEST_F(JwtClaimsTest, EachMissingOrMisplacedClaimIsRefusedWithItsOwnReason) {
  auto verifier = HsVerifier();
  for (const char* claim : {"exp", "iat", "iss", "aud", "sub", "roles", "clinic_id"}) {
    nlohmann::json payload = ValidPayload();
    payload.erase(claim);
    ExpectRefused(verifier->Verify(SignHs256(Hs256Header(), payload.dump())),
                  absl::StrCat("missing ", claim));
  }
  nlohmann::json future = ValidPayload();
  future["iat"] = absl::ToUnixSeconds(clock_.Now() + absl::Minutes(5));
  future["exp"] = absl::ToUnixSeconds(clock_.Now() + absl::Minutes(10));
  ExpectRefused(verifier->Verify(SignHs256(Hs256Header(), future.dump())), "issued in the future");
  // Within the leeway a slightly fast issuer clock is tolerated.
  future["iat"] = absl::ToUnixSeconds(clock_.Now() + absl::Seconds(20));
  EXPECT_TRUE(verifier->Verify(SignHs256(Hs256Header(), future.dump())).ok());
  nlohmann::json other = ValidPayload();
  other["iss"] = "https://evil.test";
  ExpectRefused(verifier->Verify(SignHs256(Hs256Header(), other.dump())), "wrong issuer");
  other = ValidPayload();
  other["aud"] = {"another-app"};
  ExpectRefused(verifier->Verify(SignHs256(Hs256Header(), other.dump())), "wrong audience");
  nlohmann::json expired = ValidPayload();
  expired["exp"] = absl::ToUnixSeconds(clock_.Now() - absl::Minutes(1));
  ExpectRefused(verifier->Verify(SignHs256(Hs256Header(), expired.dump())), "expired");
  nlohmann::json early = ValidPayload();
  early["nbf"] = absl::ToUnixSeconds(clock_.Now() + absl::Minutes(2));
  ExpectRefused(verifier->Verify(SignHs256(Hs256Header(), early.dump())), "not yet valid");
}

TEST_F(JwtClaimsTest, ATokenWithACriticalHeaderIsRefused) {
  auto verifier = HsVerifier();
  for (const nlohmann::json& crit : {nlohmann::json::array({"exp"}), nlohmann::json::array({"b64"}),
                                     nlohmann::json::array(), nlohmann::json("exp")}) {
    nlohmann::json header = Hs256Header();
    header["crit"] = crit;
    header["exp"] = 0;
    header["b64"] = true;
    ExpectRefused(verifier->Verify(SignHs256(header, ValidPayload().dump())),
                  "critical header extensions not supported");
  }
}

TEST_F(JwtTest, TheHeaderMustNameAKeyAndThatKeysOwnAlgorithm) {
  auto verifier = Verifier();
  // No kid: a JWKS verifier does not guess.
  std::vector<std::string> parts = absl::StrSplit(Mint(*rsa_, Clinician()), '.');
  nlohmann::json header = nlohmann::json::parse(*Base64UrlDecode(parts[0]));
  header.erase("kid");
  ExpectRefused(verifier->Verify(absl::StrCat(Base64UrlEncode(header.dump()), ".", parts[1], ".", parts[2])),
                "missing kid");
  // RS256 <-> ES256: each token is really signed, by the other type's key, under the kid of a trusted key of
  // the first type. The algorithm is bound to the key, so neither reaches the signature check.
  ExpectRefused(verifier->Verify(Mint(SigningKey{"rsa-1", ec_->private_pem, {}, {}}, Clinician())),
                "algorithm not allowed for this key");
  ExpectRefused(verifier->Verify(Mint(SigningKey{"ec-1", rsa_->private_pem, {}, {}}, Clinician())),
                "algorithm not allowed for this key");
  // The header's alg swapped on an otherwise intact token.
  for (const auto& [key, alg] : {std::pair<const SigningKey*, const char*>{rsa_, "ES256"},
                                 std::pair<const SigningKey*, const char*>{ec_, "RS256"}}) {
    std::vector<std::string> token = absl::StrSplit(Mint(*key, Clinician()), '.');
    nlohmann::json swapped = nlohmann::json::parse(*Base64UrlDecode(token[0]));
    swapped["alg"] = alg;
    ExpectRefused(
        verifier->Verify(absl::StrCat(Base64UrlEncode(swapped.dump()), ".", token[1], ".", token[2])),
        "algorithm not allowed for this key");
  }
}

TEST_F(JwtTest, AKeyPublishedForAnotherUseNeverVerifies) {
  SigningKey enc = MakeKey(KeyType::kEcP256, "enc-1");
  enc.public_jwk["use"] = "enc";
  SigningKey wrap = MakeKey(KeyType::kRsa, "wrap-1");
  wrap.public_jwk.erase("use");
  wrap.public_jwk["key_ops"] = {"encrypt", "wrapKey"};
  SigningKey signer_only = MakeKey(KeyType::kEcP256, "sign-ops-1");
  signer_only.public_jwk.erase("use");
  signer_only.public_jwk["key_ops"] = {"sign"};
  SigningKey verify_ops = MakeKey(KeyType::kEcP256, "verify-ops-1");
  verify_ops.public_jwk["key_ops"] = {"sign", "verify"};
  SigningKey sig_and_encrypt_ops = MakeKey(KeyType::kRsa, "mixed-1");
  sig_and_encrypt_ops.public_jwk["key_ops"] = {"encrypt"};  // "use": "sig", but not for verifying
  nlohmann::json jwks = {{"keys",
                          {rsa_->public_jwk, enc.public_jwk, wrap.public_jwk, signer_only.public_jwk,
                           verify_ops.public_jwk, sig_and_encrypt_ops.public_jwk}}};
  auto verifier = JwtVerifier::FromJwks(jwks.dump(), {kIssuer, kAudience}, clock_);
  ASSERT_TRUE(verifier.ok()) << verifier.status();
  EXPECT_TRUE((*verifier)->Verify(Mint(*rsa_, Clinician())).ok());
  EXPECT_TRUE((*verifier)->Verify(Mint(verify_ops, Clinician())).ok());
  for (const SigningKey* key : {&enc, &wrap, &signer_only, &sig_and_encrypt_ops}) {
    SCOPED_TRACE(key->kid);
    ExpectRefused((*verifier)->Verify(Mint(*key, Clinician())), "key is not for verifying signatures");
  }
  // An encryption key of a type this verifier cannot even read is passed over, not a start-up error.
  const nlohmann::json symmetric = {{"kty", "oct"}, {"k", "AAAA"}, {"kid", "sym-1"}, {"use", "enc"}};
  EXPECT_TRUE(JwtVerifier::FromJwks(nlohmann::json{{"keys", {rsa_->public_jwk, symmetric}}}.dump(),
                                    {kIssuer, kAudience})
                  .ok());
  // A JWKS with no key to verify with, or a malformed statement of purpose, is a start-up error.
  EXPECT_EQ(JwtVerifier::FromJwks(nlohmann::json{{"keys", {enc.public_jwk}}}.dump(), {kIssuer, kAudience})
                .status()
                .message(),
            "JWKS has no signature verification keys");
  for (const auto& [member, value] : {std::pair<const char*, nlohmann::json>{"use", 1},
                                      std::pair<const char*, nlohmann::json>{"key_ops", "verify"},
                                      std::pair<const char*, nlohmann::json>{"key_ops", {1}}}) {
    nlohmann::json bad = rsa_->public_jwk;
    bad[member] = value;
    EXPECT_EQ(
        JwtVerifier::FromJwks(nlohmann::json{{"keys", {bad}}}.dump(), {kIssuer, kAudience}).status().code(),
        absl::StatusCode::kInvalidArgument)
        << member;
  }
}

TEST_F(JwtTest, AVerifierWithoutAnIssuerIsNeverBuilt) {
  nlohmann::json jwks = {{"keys", {rsa_->public_jwk}}};
  absl::StatusOr<std::unique_ptr<JwtVerifier>> attempts[] = {
      JwtVerifier::FromJwks(jwks.dump(), {"", kAudience}, clock_),
      JwtVerifier::FromHs256Secret(kHs256Secret, {"", kAudience}, clock_),
      JwtVerifier::FromFiles("", "/some/secret", {"", kAudience}, clock_),
      JwtVerifier::FromFiles("/some/jwks.json", "", {"", kAudience}, clock_)};
  for (const auto& built : attempts) {
    EXPECT_EQ(built.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(built.status().message().find("--jwt_issuer"), std::string::npos) << built.status();
  }
  // And a verifier with one refuses a token that carries none.
  auto signer = JwtSigner::FromHs256Secret(kHs256Secret, "", clock_);
  ASSERT_TRUE(signer.ok());
  auto token = (*signer)->Sign(Clinician());
  ASSERT_TRUE(token.ok());
  auto verifier = JwtVerifier::FromHs256Secret(kHs256Secret, {kIssuer, kAudience}, clock_);
  ASSERT_TRUE(verifier.ok());
  ExpectRefused((*verifier)->Verify(*token), "missing iss");
}

// What a service that receives an end-user assertion holds afterwards is worth nothing: the assertion is no
// bearer token, is good at no other service and in no other service's name, and dies within a minute.
TEST_F(JwtTest, ACapturedAssertionCannotBeReplayed) {
  auto verifier = Verifier();
  auto signer = JwtSigner::FromPrivateKeyPem(notes_->private_pem, notes_->kid, kIssuer, clock_);
  ASSERT_TRUE(signer.ok());
  ServiceTokenSource notes(*std::move(signer), "notes", clock_);
  auto person = verifier->Verify(Mint(*rsa_, Clinician()));
  ASSERT_TRUE(person.ok());
  // Made by notes for its call to reminders, and captured there.
  auto captured = notes.Assert(*person, "reminders");
  ASSERT_TRUE(captured.ok()) << captured.status();
  ASSERT_TRUE(verifier->VerifyAssertion(*captured, "notes", "reminders").ok());

  ExpectRefused(verifier->Verify(*captured), "an end-user assertion is not a bearer token");
  for (const char* other : {"scheduling", "homework", "progress", "gateway", "tandem"}) {
    ExpectRefused(verifier->VerifyAssertion(*captured, "notes", other),
                  "assertion addressed to another service");
  }
  // Reminders replaying it in its own name, or in any other service's name.
  for (const char* actor : {"reminders", "scheduling"}) {
    ExpectRefused(verifier->VerifyAssertion(*captured, actor, "reminders"),
                  "assertion made by another service");
  }
  // Its lifetime is a minute; past that and the clock-skew leeway it is refused even at its audience.
  clock_.Advance(absl::Minutes(1) + absl::Seconds(29));
  EXPECT_TRUE(verifier->VerifyAssertion(*captured, "notes", "reminders").ok());
  clock_.Advance(absl::Seconds(1));
  ExpectRefused(verifier->VerifyAssertion(*captured, "notes", "reminders"), "expired");
}

// `header`.`payload` signed with `key` as RS256 or ES256 (by the key's type, whatever the header says), for
// tokens the signer never produces: a claim left out, a header of the attacker's choosing.
std::string SignJws(const SigningKey& key, const nlohmann::json& header, const nlohmann::json& payload) {
  const std::string signing_input =
      absl::StrCat(Base64UrlEncode(header.dump()), ".", Base64UrlEncode(payload.dump()));
  auto private_key = ParsePrivateKeyPem(key.private_pem);
  EXPECT_TRUE(private_key.ok()) << private_key.status();
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  const auto* input = reinterpret_cast<const unsigned char*>(signing_input.data());
  size_t size = 0;
  EXPECT_EQ(EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, private_key->get()), 1);
  EXPECT_EQ(EVP_DigestSign(ctx.get(), nullptr, &size, input, signing_input.size()), 1);
  std::string signature(size, '\0');
  EXPECT_EQ(EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &size, input,
                           signing_input.size()),
            1);
  signature.resize(size);
  if (*KeyTypeOf(private_key->get()) == KeyType::kEcP256) {
    // OpenSSL writes ECDSA as DER; JWS wants R || S, 32 bytes each.
    const auto* der = reinterpret_cast<const unsigned char*>(signature.data());
    ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &der, static_cast<int64_t>(signature.size()));
    EXPECT_NE(sig, nullptr);
    std::string jose(64, '\0');
    BN_bn2binpad(ECDSA_SIG_get0_r(sig), reinterpret_cast<unsigned char*>(jose.data()), 32);
    BN_bn2binpad(ECDSA_SIG_get0_s(sig), reinterpret_cast<unsigned char*>(jose.data()) + 32, 32);
    ECDSA_SIG_free(sig);
    signature = jose;
  }
  return absl::StrCat(signing_input, ".", Base64UrlEncode(signature));
}

// `header`.`payload` under an HMAC-SHA-256 keyed with `secret`.
std::string SignHs256With(const std::string& secret, const nlohmann::json& header,
                          const nlohmann::json& payload) {
  const std::string signing_input =
      absl::StrCat(Base64UrlEncode(header.dump()), ".", Base64UrlEncode(payload.dump()));
  unsigned char mac[32];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size(), mac, &mac_len);
  return absl::StrCat(signing_input, ".",
                      Base64UrlEncode(absl::string_view(reinterpret_cast<const char*>(mac), mac_len)));
}

// Each way a token from a JWKS key can be wrong, for each key type, refused with its own reason: a refusal
// for some other cause (a check skipped, and a later one catching the token by luck) fails the test.
TEST_F(JwtTest, EveryRefusalOfAKeySignedTokenNamesItsReason) {
  auto verifier = Verifier();
  const int64_t now = absl::ToUnixSeconds(clock_.Now());
  const auto payload_with = [&](const char* claim, const nlohmann::json& value) {
    nlohmann::json payload = ValidPayload();
    payload[claim] = value;
    return payload;
  };
  const auto payload_without = [&](const char* claim) {
    nlohmann::json payload = ValidPayload();
    payload.erase(claim);
    return payload;
  };
  nlohmann::json issued_later = payload_with("iat", now + 300);
  issued_later["exp"] = now + 600;
  nlohmann::json expired = payload_with("iat", now - 600);
  expired["exp"] = now - 60;

  struct Case {
    std::string name;
    std::string token;
    std::string reason;
  };
  std::vector<Case> cases;
  for (const auto& pair : {std::pair{rsa_, ec_}, std::pair{ec_, rsa_}}) {
    const SigningKey* key = pair.first;
    const SigningKey* other = pair.second;
    const std::string alg = key->public_jwk["alg"].get<std::string>();
    const std::string other_alg = other->public_jwk["alg"].get<std::string>();
    const nlohmann::json header = {{"alg", alg}, {"kid", key->kid}, {"typ", "JWT"}};
    // The helper itself makes good tokens: every case below differs from this one in one respect.
    ASSERT_TRUE(verifier->Verify(SignJws(*key, header, ValidPayload())).ok()) << key->kid;
    const SigningKey impostor = MakeKey(key == rsa_ ? KeyType::kRsa : KeyType::kEcP256, key->kid);
    nlohmann::json without_kid = header;
    without_kid.erase("kid");
    nlohmann::json unknown_kid = header;
    unknown_kid["kid"] = "not-published";
    nlohmann::json without_alg = header;
    without_alg.erase("alg");
    nlohmann::json critical = header;
    critical["crit"] = {"exp"};
    const auto add = [&](const std::string& name, std::string token, const std::string& reason) {
      cases.push_back({absl::StrCat(key->kid, ": ", name), std::move(token), reason});
    };
    add("iat in the future", SignJws(*key, header, issued_later), "issued in the future");
    add("expired", SignJws(*key, header, expired), "expired");
    add("nbf in the future", SignJws(*key, header, payload_with("nbf", now + 120)), "not yet valid");
    add("lifetime above the maximum",
        SignJws(*key, header, payload_with("exp", now + absl::ToInt64Seconds(absl::Hours(13)))),
        "lifetime too long");
    for (const char* claim : {"exp", "iat", "iss", "aud", "sub", "roles", "clinic_id"}) {
      add(absl::StrCat("no ", claim), SignJws(*key, header, payload_without(claim)),
          absl::StrCat("missing ", claim));
    }
    add("another issuer", SignJws(*key, header, payload_with("iss", "https://evil.test")), "wrong issuer");
    add("another audience", SignJws(*key, header, payload_with("aud", {"another-app"})), "wrong audience");
    add("an unknown role", SignJws(*key, header, payload_with("roles", {"superuser"})), "unknown role");
    add("no kid", SignJws(*key, without_kid, ValidPayload()), "missing kid");
    add("a kid the JWKS does not publish", SignJws(*key, unknown_kid, ValidPayload()), "unknown key");
    add("another key under this kid", SignJws(impostor, header, ValidPayload()), "bad signature");
    add("no alg", SignJws(*key, without_alg, ValidPayload()), "missing alg");
    add("a crit header", SignJws(*key, critical, ValidPayload()), "critical header extensions not supported");
    // The algorithm is bound to the key, never taken from the header.
    add(absl::StrCat("signed by the ", other_alg, " key, header ", other_alg, ", this kid"),
        SignJws(*other, {{"alg", other_alg}, {"kid", key->kid}}, ValidPayload()),
        "algorithm not allowed for this key");
    add(absl::StrCat("signed by this key, header ", other_alg),
        SignJws(*key, {{"alg", other_alg}, {"kid", key->kid}}, ValidPayload()),
        "algorithm not allowed for this key");
    for (const char* none : {"none", "None", "NONE"}) {
      add(absl::StrCat("alg ", none),
          Forge({{"alg", none}, {"kid", key->kid}}, ValidPayload(), Base64UrlEncode("x")),
          "algorithm not allowed for this key");
    }
    // HS256 keyed with what an attacker can read: the public key as PEM and as the published JWK.
    for (const std::string& secret : {key->public_pem, key->public_jwk.dump()}) {
      add("HS256 keyed with the public key",
          SignHs256With(secret, {{"alg", "HS256"}, {"kid", key->kid}}, ValidPayload()),
          "algorithm not allowed for this key");
    }
  }
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    ExpectRefused(verifier->Verify(c.token), c.reason);
  }
}

// A JWK's "alg", when present, must be the one algorithm of its key type ("kty"/"crv"); a JWKS that says
// otherwise is a start-up error rather than a key that verifies under either algorithm. Without "alg" the
// key's type alone decides.
TEST_F(JwtTest, AJwkWhoseAlgIsNotItsKeyTypesIsRefusedAtStartUp) {
  for (const auto& [key, alg] : {std::pair<const SigningKey*, nlohmann::json>{rsa_, "ES256"},
                                 {rsa_, "HS256"},
                                 {rsa_, "PS256"},
                                 {rsa_, "none"},
                                 {rsa_, 256},
                                 {ec_, "RS256"},
                                 {ec_, "ES384"},
                                 {ec_, "HS256"}}) {
    SCOPED_TRACE(absl::StrCat(key->kid, " ", alg.dump()));
    nlohmann::json jwk = key->public_jwk;
    jwk["alg"] = alg;
    auto built = JwtVerifier::FromJwks(nlohmann::json{{"keys", {jwk}}}.dump(), {kIssuer, kAudience}, clock_);
    EXPECT_EQ(built.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(built.status().message(), "JWK \"alg\" does not match its key type");
  }
  nlohmann::json rsa_jwk = rsa_->public_jwk;
  nlohmann::json ec_jwk = ec_->public_jwk;
  rsa_jwk.erase("alg");
  ec_jwk.erase("alg");
  auto verifier =
      JwtVerifier::FromJwks(nlohmann::json{{"keys", {rsa_jwk, ec_jwk}}}.dump(), {kIssuer, kAudience}, clock_);
  ASSERT_TRUE(verifier.ok()) << verifier.status();
  EXPECT_TRUE((*verifier)->Verify(Mint(*rsa_, Clinician())).ok());
  EXPECT_TRUE((*verifier)->Verify(Mint(*ec_, Clinician())).ok());
  ExpectRefused((*verifier)->Verify(Mint(SigningKey{"rsa-1", ec_->private_pem, {}, {}}, Clinician())),
                "algorithm not allowed for this key");
  ExpectRefused((*verifier)->Verify(Mint(SigningKey{"ec-1", rsa_->private_pem, {}, {}}, Clinician())),
                "algorithm not allowed for this key");
}

}  // namespace
}  // namespace tandem::auth
