#include "services/reminders/channels/webhook_signature.h"

#include <string>

#include "absl/strings/ascii.h"
#include "gtest/gtest.h"

namespace tandem::reminders {
namespace {

constexpr char kSecret[] = "whsec_test_secret_0123456789";
constexpr char kTimestamp[] = "1767225600";
constexpr char kBody[] = R"({"id":"r-1"})";
// Computed independently: hmac.new(secret, b'1767225600.{"id":"r-1"}', hashlib.sha256).hexdigest()
constexpr char kExpected[] = "126209504557048277413e1e68951c3af1e567e7c3c43dcb6fb5b714704b3899";
const absl::Time kNow = absl::FromUnixSeconds(1767225600);

TEST(WebhookSignatureTest, MatchesAKnownVector) {
  EXPECT_EQ(ComputeWebhookSignature(kSecret, kTimestamp, kBody), kExpected);
  EXPECT_EQ(WebhookSignatureHeader(kSecret, kTimestamp, kBody), std::string("v1=") + kExpected);
}

struct Case {
  std::string name;
  std::string timestamp;
  std::string body;
  std::string header;
  absl::Time now;
  bool ok;
};

class VerifyTest : public ::testing::TestWithParam<Case> {};

TEST_P(VerifyTest, Verifies) {
  const Case& c = GetParam();
  const absl::Status status =
      VerifyWebhookSignature(kSecret, c.timestamp, c.body, c.header, c.now, absl::Minutes(5));
  EXPECT_EQ(status.ok(), c.ok) << status;
  if (!c.ok) {
    EXPECT_EQ(status.code(), absl::StatusCode::kUnauthenticated);
  }
}

const std::string kGood = std::string("v1=") + kExpected;

INSTANTIATE_TEST_SUITE_P(
    Cases, VerifyTest,
    ::testing::Values(
        Case{"Valid", kTimestamp, kBody, kGood, kNow, true},
        Case{"ValidWithinTolerance", kTimestamp, kBody, kGood, kNow + absl::Minutes(5), true},
        Case{"ValidClockBehind", kTimestamp, kBody, kGood, kNow - absl::Minutes(5), true},
        Case{"TooOld", kTimestamp, kBody, kGood, kNow + absl::Minutes(5) + absl::Seconds(1), false},
        Case{"FromTheFuture", kTimestamp, kBody, kGood, kNow - absl::Minutes(6), false},
        Case{"TamperedBody", kTimestamp, R"({"id":"r-2"})", kGood, kNow, false},
        Case{"TimestampNotSigned", "1767225601", kBody, kGood, kNow, false},
        Case{"UpperCaseHex", kTimestamp, kBody, "v1=" + absl::AsciiStrToUpper(kExpected), kNow, true},
        Case{"RotationSecondMatches", kTimestamp, kBody, "v1=" + std::string(64, '0') + ", " + kGood, kNow,
             true},
        Case{"UnknownSchemeIgnored", kTimestamp, kBody, "v0=abc," + kGood, kNow, true},
        Case{"OnlyUnknownScheme", kTimestamp, kBody, std::string("v0=") + kExpected, kNow, false},
        Case{"Truncated", kTimestamp, kBody, kGood.substr(0, 40), kNow, false},
        Case{"Empty", kTimestamp, kBody, "", kNow, false},
        Case{"BadTimestamp", "17672256OO", kBody, kGood, kNow, false},
        Case{"SignedTimestamp", "+1767225600", kBody, kGood, kNow, false},
        Case{"MissingTimestamp", "", kBody, kGood, kNow, false}),
    [](const ::testing::TestParamInfo<Case>& param_info) { return param_info.param.name; });

TEST(WebhookSignatureTest, WrongSecretFails) {
  EXPECT_FALSE(VerifyWebhookSignature("another_secret_value", kTimestamp, kBody, kGood, kNow).ok());
}

}  // namespace
}  // namespace tandem::reminders
