#include "services/scheduling/domain/attendance.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "gtest/gtest.h"

namespace tandem::scheduling {
namespace {

using S = AppointmentStatus;

absl::Time Day(int d) { return absl::FromCivil(absl::CivilDay(2026, 6, d), absl::UTCTimeZone()); }

struct AttendanceCase {
  std::string name;
  std::vector<AttendanceRecord> records;
  AttendanceSummary expected;
};

class SummarizeAttendanceTest : public ::testing::TestWithParam<AttendanceCase> {};

// The window is [June 1, June 11).
TEST_P(SummarizeAttendanceTest, CountsTheWindow) {
  const AttendanceCase& c = GetParam();
  const AttendanceSummary s = SummarizeAttendance(c.records, {Day(1), Day(11)});
  EXPECT_EQ(s.booked, c.expected.booked);
  EXPECT_EQ(s.upcoming, c.expected.upcoming);
  EXPECT_EQ(s.attended, c.expected.attended);
  EXPECT_EQ(s.cancelled, c.expected.cancelled);
  EXPECT_EQ(s.late_cancelled, c.expected.late_cancelled);
  EXPECT_EQ(s.no_show, c.expected.no_show);
  ASSERT_EQ(s.rate.has_value(), c.expected.rate.has_value());
  if (s.rate) {
    EXPECT_DOUBLE_EQ(*s.rate, *c.expected.rate);
  }
}

AttendanceSummary Summary(int booked, int upcoming, int attended, int cancelled, int late, int no_show,
                          std::optional<double> rate) {
  return {booked, upcoming, attended, cancelled, late, no_show, rate};
}

INSTANTIATE_TEST_SUITE_P(
    Windows, SummarizeAttendanceTest,
    ::testing::Values(AttendanceCase{"Empty", {}, Summary(0, 0, 0, 0, 0, 0, std::nullopt)},
                      AttendanceCase{"Mixed",
                                     {{Day(1), S::kFulfilled},
                                      {Day(2), S::kFulfilled},
                                      {Day(3), S::kNoShow},
                                      {Day(4), S::kCancelled, true},
                                      {Day(5), S::kCancelled, false},
                                      {Day(6), S::kBooked},
                                      {Day(7), S::kEnteredInError},
                                      {Day(8), S::kWaitlist},
                                      {Day(9), S::kProposed}},
                                     Summary(6, 1, 2, 2, 1, 1, 0.5)},
                      // Half-open: June 11 00:00 is outside, June 1 00:00 inside.
                      AttendanceCase{"WindowIsHalfOpen",
                                     {{Day(1), S::kFulfilled},
                                      {Day(11), S::kNoShow},
                                      {Day(1) - absl::Seconds(1), S::kNoShow}},
                                     Summary(1, 0, 1, 0, 0, 0, 1.0)},
                      AttendanceCase{"OnTimeCancellationsDoNotCount",
                                     {{Day(2), S::kCancelled, false}, {Day(3), S::kCancelled, false}},
                                     Summary(2, 0, 0, 2, 0, 0, std::nullopt)},
                      AttendanceCase{"OnlyNoShows", {{Day(2), S::kNoShow}}, Summary(1, 0, 0, 0, 0, 1, 0.0)},
                      AttendanceCase{"EnteredInErrorIgnoredEvenIfLate",
                                     {{Day(2), S::kEnteredInError, true}, {Day(3), S::kFulfilled}},
                                     Summary(1, 0, 1, 0, 0, 0, 1.0)}),
    [](const auto& test_info) { return test_info.param.name; });

}  // namespace
}  // namespace tandem::scheduling
