#include "services/scheduling/domain/interval.h"

#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "gtest/gtest.h"

namespace tandem::scheduling {
namespace {

// Minutes after a fixed instant, so the tables stay readable.
absl::Time M(int minutes) {
  return absl::FromCivil(absl::CivilMinute(2026, 6, 1, 0, 0), absl::UTCTimeZone()) + absl::Minutes(minutes);
}
Interval I(int start, int end) { return {M(start), M(end)}; }

TEST(MakeIntervalTest, RequiresStartBeforeEnd) {
  EXPECT_TRUE(MakeInterval(M(0), M(1)).ok());
  EXPECT_EQ(MakeInterval(M(1), M(1)).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(MakeInterval(M(2), M(1)).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(IntervalTest, ContainsIsHalfOpen) {
  const Interval i = I(10, 20);
  EXPECT_FALSE(i.Contains(M(9)));
  EXPECT_TRUE(i.Contains(M(10)));
  EXPECT_TRUE(i.Contains(M(19)));
  EXPECT_FALSE(i.Contains(M(20)));
  EXPECT_TRUE(i.Contains(I(10, 20)));
  EXPECT_TRUE(i.Contains(I(12, 15)));
  EXPECT_FALSE(i.Contains(I(15, 21)));
  EXPECT_FALSE(i.Contains(I(15, 15)));
  EXPECT_EQ(i.length(), absl::Minutes(10));
  EXPECT_EQ(I(5, 3).length(), absl::ZeroDuration());
}

struct OverlapCase {
  std::string name;
  Interval a;
  Interval b;
  bool overlaps;
};

class OverlapsTest : public ::testing::TestWithParam<OverlapCase> {};

TEST_P(OverlapsTest, IsSymmetricAndHalfOpen) {
  const OverlapCase& c = GetParam();
  EXPECT_EQ(Overlaps(c.a, c.b), c.overlaps);
  EXPECT_EQ(Overlaps(c.b, c.a), c.overlaps);
}

INSTANTIATE_TEST_SUITE_P(Cases, OverlapsTest,
                         ::testing::Values(OverlapCase{"BackToBack", I(0, 10), I(10, 20), false},
                                           OverlapCase{"OneMinuteShared", I(0, 11), I(10, 20), true},
                                           OverlapCase{"Apart", I(0, 5), I(10, 20), false},
                                           OverlapCase{"Inside", I(0, 30), I(10, 20), true},
                                           OverlapCase{"Same", I(10, 20), I(10, 20), true},
                                           OverlapCase{"EmptyInside", I(0, 30), I(15, 15), false},
                                           OverlapCase{"Reversed", I(0, 30), I(20, 10), false}),
                         [](const auto& test_info) { return test_info.param.name; });

struct SetCase {
  std::string name;
  std::vector<Interval> a;
  std::vector<Interval> b;
  std::vector<Interval> expected;
};

class MergeTest : public ::testing::TestWithParam<SetCase> {};

TEST_P(MergeTest, SortsAndCoalesces) { EXPECT_EQ(Merge(GetParam().a), GetParam().expected); }

INSTANTIATE_TEST_SUITE_P(
    Cases, MergeTest,
    ::testing::Values(SetCase{"Empty", {}, {}, {}},
                      SetCase{"Unsorted", {I(20, 30), I(0, 10)}, {}, {I(0, 10), I(20, 30)}},
                      SetCase{"TouchingJoin", {I(10, 20), I(0, 10)}, {}, {I(0, 20)}},
                      SetCase{"Overlapping", {I(0, 15), I(10, 20), I(12, 13)}, {}, {I(0, 20)}},
                      SetCase{"DropsEmpty", {I(5, 5), I(8, 2), I(0, 1)}, {}, {I(0, 1)}}),
    [](const auto& test_info) { return test_info.param.name; });

class SubtractTest : public ::testing::TestWithParam<SetCase> {};

TEST_P(SubtractTest, RemovesInstants) {
  EXPECT_EQ(Subtract(GetParam().a, GetParam().b), GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, SubtractTest,
    ::testing::Values(SetCase{"Nothing", {I(0, 60)}, {}, {I(0, 60)}},
                      SetCase{"Middle", {I(0, 60)}, {I(20, 30)}, {I(0, 20), I(30, 60)}},
                      SetCase{"Edges", {I(0, 60)}, {I(0, 10), I(50, 60)}, {I(10, 50)}},
                      SetCase{"TouchingRemovesNothing", {I(10, 20)}, {I(0, 10), I(20, 30)}, {I(10, 20)}},
                      SetCase{"All", {I(10, 20)}, {I(0, 30)}, {}},
                      SetCase{"SeveralOverSeveral",
                              {I(0, 10), I(20, 40)},
                              {I(5, 25), I(30, 35)},
                              {I(0, 5), I(25, 30), I(35, 40)}}),
    [](const auto& test_info) { return test_info.param.name; });

TEST(OverlapsAnyMergedTest, AgreesWithALinearScan) {
  const std::vector<Interval> merged = Merge({I(10, 20), I(30, 40), I(50, 60)});
  for (int s = 0; s < 70; ++s) {
    for (int len = 0; len < 15; ++len) {
      const Interval candidate = I(s, s + len);
      bool any = false;
      for (const Interval& m : merged) any = any || Overlaps(candidate, m);
      EXPECT_EQ(OverlapsAnyMerged(candidate, merged), any) << s << "+" << len;
    }
  }
}

}  // namespace
}  // namespace tandem::scheduling
