// The gateway binary on a JWKS file (--jwks_file), as production runs it, over real HTTP: RS256 and ES256
// person tokens signed by a published key are accepted; a token naming no published key, one whose header
// claims an algorithm its key does not have, an expired one and the like are refused with 401 and their
// reason. The JWKS is read at start-up, so a key rotation (a new key published next to the old, then the old
// one withdrawn) takes effect when the gateway restarts on the new file; these tests restart it the same way.
#include <sys/stat.h>

#include <fstream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/auth/keys.h"
#include "common/time/clock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "openssl/evp.h"
#include "openssl/hmac.h"
#include "tests/fixtures/free_port.h"
#include "tests/fixtures/subprocess.h"
#include "tests/fixtures/temp_dir.h"
#include "tests/support/http_client.h"
#include "tests/support/test_tokens.h"

namespace tandem::gateway {
namespace {

using testing::HttpGet;
using testing::HttpReply;
using testing::MakeTestSigningKey;
using testing::MintTokenWithKey;
using testing::TestSigningKey;

auth::TokenClaims Clinician() {
  auth::TokenClaims claims;
  claims.subject = "u1";
  claims.clinic_id = "c1";
  claims.roles = {"clinician"};
  return claims;
}

// `token` with its header replaced by `header` (payload and signature kept).
std::string WithHeader(const std::string& token, const nlohmann::json& header) {
  return absl::StrCat(auth::Base64UrlEncode(header.dump()), token.substr(token.find('.')));
}

// `token`'s header and payload under an HMAC-SHA-256 keyed with `secret`: the algorithm-confusion attack when
// the secret is a published public key.
std::string Hs256Resigned(const std::string& token, const std::string& kid, const std::string& secret) {
  const std::string payload = token.substr(token.find('.') + 1, token.rfind('.') - token.find('.') - 1);
  const std::string signing_input = absl::StrCat(
      auth::Base64UrlEncode(nlohmann::json{{"alg", "HS256"}, {"kid", kid}}.dump()), ".", payload);
  unsigned char mac[32];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size(), mac, &mac_len);
  return absl::StrCat(signing_input, ".",
                      auth::Base64UrlEncode(absl::string_view(reinterpret_cast<const char*>(mac), mac_len)));
}

class GatewayJwksTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    rsa_ = new TestSigningKey(MakeTestSigningKey(auth::KeyType::kRsa, "idp-rsa-1"));
    ec_ = new TestSigningKey(MakeTestSigningKey(auth::KeyType::kEcP256, "idp-ec-1"));
  }
  static void TearDownTestSuite() {
    delete rsa_;
    delete ec_;
  }

  void SetUp() override {
    auto dir = testing::MakeTempDir("gateway-jwks");
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_ = *dir;
    jwks_path_ = dir_ + "/jwks.json";
  }

  void TearDown() override {
    if (gateway_ != nullptr) {
      EXPECT_TRUE(gateway_->Stop(SIGTERM, absl::Seconds(10)).ok());
    }
    testing::RemoveTree(dir_);
  }

  // Publishes `keys` as the JWKS file and (re)starts the gateway on it, returning once it answers.
  void ServeJwks(const std::vector<const TestSigningKey*>& keys) {
    if (gateway_ != nullptr) {
      ASSERT_TRUE(gateway_->Stop(SIGTERM, absl::Seconds(10)).ok());
      gateway_.reset();
    }
    std::ofstream(jwks_path_, std::ios::trunc) << testing::TestJwks(keys);
    ASSERT_EQ(chmod(jwks_path_.c_str(), 0644), 0);
    auto port = testing::FreeLoopbackPort();
    ASSERT_TRUE(port.ok()) << port.status();
    port_ = *port;
    const std::string log = dir_ + "/gateway.log";
    auto gateway = testing::Subprocess::Start(
        {{TANDEM_GATEWAY_BINARY, "--listen_address=127.0.0.1", absl::StrCat("--port=", port_),
          "--admin_port=-1", "--drain_s=1", "--jwks_file=" + jwks_path_,
          absl::StrCat("--jwt_issuer=", testing::kTestIssuer),
          absl::StrCat("--jwt_audience=", testing::kTestAudience)},
         "",
         log,
         false});
    ASSERT_TRUE(gateway.ok()) << gateway.status();
    gateway_ = *std::move(gateway);
    const absl::Time deadline = absl::Now() + absl::Seconds(20);
    while (HttpGet(port_, "/v1/session").status == 0) {  // 0 until the gateway accepts connections
      ASSERT_TRUE(gateway_->Running()) << "the gateway exited; see " << log;
      ASSERT_LT(absl::Now(), deadline) << "the gateway did not answer; see " << log;
      absl::SleepFor(absl::Milliseconds(50));
    }
  }

  HttpReply Session(const std::string& token) { return HttpGet(port_, "/v1/session", token); }

  // 401, the bearer challenge, and exactly `reason`, without echoing any part of the token.
  void ExpectRefused(const std::string& token, const std::string& reason) {
    HttpReply reply = Session(token);
    EXPECT_EQ(reply.status, 401) << reply.body;
    EXPECT_NE(std::string(reply.headers[boost::beast::http::field::www_authenticate]).find("Bearer"),
              std::string::npos);
    EXPECT_EQ(reply.json()["message"], absl::StrCat("invalid token: ", reason)) << reply.body;
    for (const std::string& segment : std::vector<std::string>(absl::StrSplit(token, '.'))) {
      EXPECT_EQ(reply.body.find(segment), std::string::npos) << reply.body;
    }
  }

  static TestSigningKey* rsa_;
  static TestSigningKey* ec_;
  std::string dir_;
  std::string jwks_path_;
  int port_ = 0;
  std::unique_ptr<testing::Subprocess> gateway_;
};

TestSigningKey* GatewayJwksTest::rsa_ = nullptr;
TestSigningKey* GatewayJwksTest::ec_ = nullptr;

TEST_F(GatewayJwksTest, AcceptsPublishedRs256AndEs256KeysAndRefusesTheRestWithTheirReason) {
  ServeJwks({rsa_, ec_});
  for (const TestSigningKey* key : {rsa_, ec_}) {
    HttpReply reply = Session(MintTokenWithKey(*key, Clinician()));
    ASSERT_EQ(reply.status, 200) << key->kid << ": " << reply.body;
    EXPECT_EQ(reply.json()["subject"], "u1");
    EXPECT_EQ(reply.json()["clinicId"], "c1");
  }

  const TestSigningKey stranger = MakeTestSigningKey(auth::KeyType::kEcP256, "idp-ec-unpublished");
  FakeClock an_hour_ago(absl::Now() - absl::Hours(1));
  FakeClock ten_minutes_ahead(absl::Now() + absl::Minutes(10));
  struct Case {
    std::string name;
    std::string token;
    std::string reason;
  };
  std::vector<Case> cases = {
      {"a kid the JWKS does not publish", MintTokenWithKey(stranger, Clinician()), "unknown key"},
      {"an unpublished key under a published kid",
       MintTokenWithKey({ec_->kid, stranger.private_pem, {}}, Clinician()), "bad signature"},
      {"expired", MintTokenWithKey(*rsa_, Clinician(), an_hour_ago), "expired"},
      {"issued in the future", MintTokenWithKey(*ec_, Clinician(), ten_minutes_ahead),
       "issued in the future"},
  };
  for (const auto& [key, other] : {std::pair{rsa_, ec_}, std::pair{ec_, rsa_}}) {
    const std::string token = MintTokenWithKey(*key, Clinician());
    const std::string other_alg = other->public_jwk["alg"].get<std::string>();
    const std::string of = absl::StrCat(" (", key->kid, ")");
    cases.push_back({"signed by the other type's key under this kid" + of,
                     MintTokenWithKey({key->kid, other->private_pem, {}}, Clinician()),
                     "algorithm not allowed for this key"});
    cases.push_back({"this key's signature, header claiming the other type's alg" + of,
                     WithHeader(token, {{"alg", other_alg}, {"kid", key->kid}, {"typ", "JWT"}}),
                     "algorithm not allowed for this key"});
    cases.push_back({"alg none" + of, WithHeader(token, {{"alg", "none"}, {"kid", key->kid}, {"typ", "JWT"}}),
                     "algorithm not allowed for this key"});
    cases.push_back({"HS256 keyed with the published JWK" + of,
                     Hs256Resigned(token, key->kid, key->public_jwk.dump()),
                     "algorithm not allowed for this key"});
    cases.push_back(
        {"no kid" + of, WithHeader(token, {{"alg", key->public_jwk["alg"]}, {"typ", "JWT"}}), "missing kid"});
  }
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    ExpectRefused(c.token, c.reason);
  }
}

TEST_F(GatewayJwksTest, ARotatedJwksTakesEffectWhenTheGatewayRestartsOnIt) {
  const TestSigningKey next = MakeTestSigningKey(auth::KeyType::kEcP256, "idp-ec-2");
  const std::string old_token = MintTokenWithKey(*rsa_, Clinician());
  const std::string new_token = MintTokenWithKey(next, Clinician());
  ServeJwks({rsa_});
  EXPECT_EQ(Session(old_token).status, 200);
  ExpectRefused(new_token, "unknown key");
  // The new key is published next to the old one: tokens from both are good during the change-over.
  ServeJwks({rsa_, &next});
  EXPECT_EQ(Session(old_token).status, 200);
  EXPECT_EQ(Session(new_token).status, 200);
  // The old key is withdrawn: its tokens are refused even while they are unexpired.
  ServeJwks({&next});
  EXPECT_EQ(Session(new_token).status, 200);
  ExpectRefused(old_token, "unknown key");
}

}  // namespace
}  // namespace tandem::gateway
