#include "services/reminders/domain/backoff.h"

#include <limits>

#include "gtest/gtest.h"

namespace tandem::reminders {
namespace {

class FixedRandom final : public RandomSource {
 public:
  explicit FixedRandom(double value) : value_(value) {}
  double Uniform01() override { return value_; }

 private:
  double value_;
};

const absl::Time kNow = absl::FromUnixSeconds(1767225600);

struct Case {
  int attempt;
  double random;
  absl::Duration expected_delay;
};

class BackoffTest : public ::testing::TestWithParam<Case> {};

TEST_P(BackoffTest, ExponentialWithFullJitterUnderTheCap) {
  const Case& c = GetParam();
  FixedRandom random(c.random);
  auto backoff = Backoff::Create({absl::Seconds(10), absl::Minutes(5), 6}, random);
  ASSERT_TRUE(backoff.ok()) << backoff.status();
  EXPECT_EQ(backoff->NextAttemptTime(c.attempt, kNow) - kNow, c.expected_delay);
}

INSTANTIATE_TEST_SUITE_P(Schedule, BackoffTest,
                         ::testing::Values(Case{1, 0.999999, absl::Seconds(10) * 0.999999},
                                           Case{1, 0.5, absl::Seconds(5)}, Case{1, 0.0, absl::ZeroDuration()},
                                           Case{2, 0.5, absl::Seconds(10)}, Case{3, 0.5, absl::Seconds(20)},
                                           Case{4, 0.25, absl::Seconds(20)}, Case{5, 1.0, absl::Seconds(160)},
                                           Case{6, 1.0, absl::Minutes(5)},  // 320s capped at 300s
                                           Case{1000, 0.5, absl::Seconds(150)},
                                           Case{0, 1.0, absl::Seconds(10)}, Case{-3, 1.0, absl::Seconds(10)},
                                           Case{2, 7.0,
                                                absl::Seconds(20)},  // an out-of-range source is clamped
                                           Case{2, -1.0, absl::ZeroDuration()}));

TEST(BackoffPolicyTest, MaxDelayDoublesUpToTheCap) {
  FixedRandom random(0.5);
  auto backoff = Backoff::Create({absl::Seconds(1), absl::Seconds(8), 10}, random);
  ASSERT_TRUE(backoff.ok());
  const absl::Duration expected[] = {absl::Seconds(1), absl::Seconds(2), absl::Seconds(4), absl::Seconds(8),
                                     absl::Seconds(8)};
  for (int attempt = 1; attempt <= 5; ++attempt) {
    EXPECT_EQ(backoff->MaxDelay(attempt), expected[attempt - 1]) << attempt;
  }
  EXPECT_EQ(backoff->MaxDelay(std::numeric_limits<int>::max()), absl::Seconds(8));
}

TEST(BackoffPolicyTest, DeadLettersAfterMaxAttempts) {
  FixedRandom random(0.5);
  auto backoff = Backoff::Create({absl::Seconds(1), absl::Seconds(8), 3}, random);
  ASSERT_TRUE(backoff.ok());
  EXPECT_FALSE(backoff->ShouldDeadLetter(1));
  EXPECT_FALSE(backoff->ShouldDeadLetter(2));
  EXPECT_TRUE(backoff->ShouldDeadLetter(3));
  EXPECT_TRUE(backoff->ShouldDeadLetter(4));
}

TEST(BackoffPolicyTest, RejectsBadPolicies) {
  FixedRandom random(0.5);
  EXPECT_FALSE(Backoff::Create({absl::ZeroDuration(), absl::Seconds(8), 3}, random).ok());
  EXPECT_FALSE(Backoff::Create({absl::Seconds(9), absl::Seconds(8), 3}, random).ok());
  EXPECT_FALSE(Backoff::Create({absl::Seconds(1), absl::Seconds(8), 0}, random).ok());
  EXPECT_TRUE(Backoff::Create({absl::Seconds(8), absl::Seconds(8), 1}, random).ok());
}

TEST(BackoffPolicyTest, RealRandomSourceStaysInRange) {
  BitGenRandomSource random;
  auto backoff = Backoff::Create({absl::Seconds(10), absl::Minutes(5), 6}, random);
  ASSERT_TRUE(backoff.ok());
  bool saw_different = false;
  absl::Time first = backoff->NextAttemptTime(3, kNow);
  for (int i = 0; i < 1000; ++i) {
    const absl::Time next = backoff->NextAttemptTime(3, kNow);
    EXPECT_GE(next, kNow);
    EXPECT_LE(next, kNow + absl::Seconds(40));
    if (next != first) saw_different = true;
  }
  EXPECT_TRUE(saw_different);
}

}  // namespace
}  // namespace tandem::reminders
