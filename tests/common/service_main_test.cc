// What every service's main() shares: flags from the command line and the environment, the token verifier the
// shared flags describe, and the wait for SIGTERM that yields the drain period.
#include "common/service/service_main.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace tandem::service {
namespace {

std::string WriteFile(const std::string& name, const std::string& text) {
  std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream(path) << text;
  chmod(path.c_str(), 0600);  // services refuse a secret file others may read
  return path;
}

// One test: flags are parsed once per process, and signals must be blocked before any other thread starts.
TEST(ServiceMainTest, InitReadsFlagsAndEnvironmentAndShutdownWaitsForSigterm) {
  ASSERT_EQ(setenv("TANDEM_JWT_ISSUER", "issuer-from-env", 1), 0);
  char prog[] = "service_main_test";
  char drain[] = "--drain_s=7";
  char level[] = "--log_level=warn";
  char* argv[] = {prog, drain, level};
  ASSERT_TRUE(InitProcess(3, argv, "test"));
  EXPECT_EQ(absl::GetFlag(FLAGS_drain_s), 7);
  EXPECT_EQ(absl::GetFlag(FLAGS_log_level), "warn");
  EXPECT_EQ(absl::GetFlag(FLAGS_jwt_issuer), "issuer-from-env");  // no flag given: the environment fills it

  std::thread sender([] {
    absl::SleepFor(absl::Milliseconds(50));
    kill(getpid(), SIGTERM);
  });
  EXPECT_EQ(WaitForShutdown(), absl::Seconds(7));
  sender.join();
}

TEST(ServiceMainTest, VerifierFromFlagsNeedsExactlyOneKeySource) {
  absl::SetFlag(&FLAGS_jwks_file, "");
  absl::SetFlag(&FLAGS_hs256_secret_file, "");
  EXPECT_EQ(VerifierFromFlags().status().code(), absl::StatusCode::kInvalidArgument);

  const std::string secret = WriteFile("hs256.secret", std::string(48, 'k'));
  absl::SetFlag(&FLAGS_hs256_secret_file, secret);
  // Without an issuer any issuer's token would pass: no verifier, and a message naming the flag.
  absl::SetFlag(&FLAGS_jwt_issuer, "");
  auto no_issuer = VerifierFromFlags();
  EXPECT_EQ(no_issuer.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(no_issuer.status().message().find("--jwt_issuer"), std::string::npos) << no_issuer.status();
  absl::SetFlag(&FLAGS_jwt_issuer, "https://id.clinic.test");
  auto verifier = VerifierFromFlags();
  ASSERT_TRUE(verifier.ok()) << verifier.status();
  EXPECT_NE(*verifier, nullptr);

  // A JWKS next to an HS256 secret is refused: HS256 is for local runs only.
  absl::SetFlag(&FLAGS_jwks_file, WriteFile("jwks.json", R"({"keys":[]})"));
  EXPECT_EQ(VerifierFromFlags().status().code(), absl::StatusCode::kInvalidArgument);
  absl::SetFlag(&FLAGS_hs256_secret_file, "");
  absl::SetFlag(&FLAGS_jwks_file, "/nonexistent/jwks.json");
  EXPECT_FALSE(VerifierFromFlags().ok());
}

}  // namespace
}  // namespace tandem::service
