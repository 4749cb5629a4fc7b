// The gateway binary's start-up: without --jwt_issuer it would accept a token from any issuer, so it refuses
// to start, exits 2 and says which flag is missing; with it, the same command line serves and checks `iss`.
#include <sys/stat.h>
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/auth/jwt_signer.h"
#include "gtest/gtest.h"
#include "tests/fixtures/free_port.h"
#include "tests/fixtures/subprocess.h"
#include "tests/fixtures/temp_dir.h"
#include "tests/support/http_client.h"
#include "tests/support/test_tokens.h"

namespace tandem::gateway {
namespace {

TEST(GatewayMainTest, WithoutAnIssuerTheGatewayExitsTwoNamingTheFlag) {
  ASSERT_EQ(unsetenv("TANDEM_JWT_ISSUER"), 0);  // the child inherits the environment
  auto dir = testing::MakeTempDir("gateway-main");
  ASSERT_TRUE(dir.ok()) << dir.status();
  const std::string secret = *dir + "/secret";
  std::ofstream(secret) << testing::kTestHs256Secret;
  ASSERT_EQ(chmod(secret.c_str(), 0600), 0);  // a secret file others may read is refused
  chmod(secret.c_str(), 0600);                // a secret file others may read is refused
  const std::string log = *dir + "/out.log";
  auto port = testing::FreeLoopbackPort();
  ASSERT_TRUE(port.ok()) << port.status();
  const std::vector<std::string> args = {TANDEM_GATEWAY_BINARY, "--listen_address=127.0.0.1",
                                         absl::StrCat("--port=", *port), "--hs256_secret_file=" + secret};

  auto refused = testing::Subprocess::Start({args, "", log, false});
  ASSERT_TRUE(refused.ok()) << refused.status();
  auto status = (*refused)->Wait(absl::Seconds(30));
  ASSERT_TRUE(status.ok()) << status.status();
  ASSERT_TRUE(WIFEXITED(*status)) << testing::DescribeWaitStatus(*status);
  EXPECT_EQ(WEXITSTATUS(*status), 2);
  std::ifstream in(log);
  std::string line;
  std::getline(in, line);
  EXPECT_NE(line.find("bad_configuration"), std::string::npos) << line;
  EXPECT_NE(line.find("--jwt_issuer"), std::string::npos) << line;

  // The issuer is the only thing that was missing: with it the gateway serves, and checks it.
  std::vector<std::string> with_issuer = args;
  with_issuer.push_back(absl::StrCat("--jwt_issuer=", testing::kTestIssuer));
  auto serving = testing::Subprocess::Start({with_issuer, "", log, false});
  ASSERT_TRUE(serving.ok()) << serving.status();
  const std::string person = testing::PersonToken("clinician");
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  int status_code = 0;  // 0 until the gateway accepts connections
  while ((status_code = testing::HttpGet(*port, "/v1/session", person).status) == 0 &&
         absl::Now() < deadline) {
    ASSERT_TRUE((*serving)->Running()) << "the gateway exited; see " << log;
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_EQ(status_code, 200);
  auto signer = auth::JwtSigner::FromHs256Secret(testing::kTestHs256Secret, "https://elsewhere.test");
  ASSERT_TRUE(signer.ok());
  auth::TokenClaims claims;
  claims.subject = "u1";
  claims.clinic_id = "c1";
  claims.roles = {"clinician"};
  claims.audience = testing::kTestAudience;
  testing::HttpReply other_issuer = testing::HttpGet(*port, "/v1/session", *(*signer)->Sign(claims));
  EXPECT_EQ(other_issuer.status, 401);
  EXPECT_EQ(other_issuer.json()["message"], "invalid token: wrong issuer");
  EXPECT_TRUE((*serving)->Stop(SIGTERM, absl::Seconds(10)).ok());
  testing::RemoveTree(*dir);
}

}  // namespace
}  // namespace tandem::gateway
