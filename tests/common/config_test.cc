#include <cstdlib>
#include <string>

#include "absl/flags/flag.h"
#include "common/config/env_flags.h"
#include "gtest/gtest.h"

ABSL_FLAG(std::string, test_db_url, "sqlite://default.db", "for the test");
ABSL_FLAG(int, test_port, 1, "for the test");
ABSL_FLAG(int, test_bad, 1, "for the test");

namespace tandem::config {
namespace {

TEST(EnvFlags, EnvironmentFillsFlagsNotOnTheCommandLine) {
  setenv("TANDEM_TEST_DB_URL", "postgresql://db/x", 1);
  setenv("TANDEM_TEST_PORT", "7000", 1);
  char arg0[] = "svc";
  char arg1[] = "--test_port=9000";
  char* argv[] = {arg0, arg1};
  auto positional = ParseFlagsWithEnvironment(2, argv);
  ASSERT_TRUE(positional.ok()) << positional.status();
  EXPECT_EQ(absl::GetFlag(FLAGS_test_db_url), "postgresql://db/x");
  EXPECT_EQ(absl::GetFlag(FLAGS_test_port), 9000);  // the command line wins
  EXPECT_EQ(EnvironmentNameFor("db_url"), "TANDEM_DB_URL");

  setenv("TANDEM_TEST_BAD", "not-a-number-secret", 1);
  char* argv2[] = {arg0};
  auto bad = ParseFlagsWithEnvironment(1, argv2);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("TANDEM_TEST_BAD"), std::string::npos);
  EXPECT_EQ(bad.status().message().find("secret"), std::string::npos);
  unsetenv("TANDEM_TEST_BAD");
}

}  // namespace
}  // namespace tandem::config
