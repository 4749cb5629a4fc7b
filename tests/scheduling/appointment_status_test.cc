#include "services/scheduling/domain/appointment_status.h"

#include <array>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace tandem::scheduling {
namespace {

using S = AppointmentStatus;
using A = AppointmentAction;

TEST(AppointmentStatusTest, NamesAreFhirCodesAndRoundTrip) {
  const std::vector<std::string> codes = {"proposed",         "pending",   "booked",    "arrived",
                                          "checked-in",       "fulfilled", "cancelled", "noshow",
                                          "entered-in-error", "waitlist"};
  ASSERT_EQ(codes.size(), kAllAppointmentStatuses.size());
  for (size_t i = 0; i < codes.size(); ++i) {
    EXPECT_EQ(AppointmentStatusName(kAllAppointmentStatuses[i]), codes[i]);
    auto parsed = ParseAppointmentStatus(codes[i]);
    ASSERT_TRUE(parsed.ok()) << codes[i];
    EXPECT_EQ(*parsed, kAllAppointmentStatuses[i]);
  }
  EXPECT_EQ(ParseAppointmentStatus("Booked").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseAppointmentStatus("checked_in").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseAppointmentStatus("").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(AppointmentStatusTest, ProtectsTimeAndTerminal) {
  for (S s : kAllAppointmentStatuses) {
    const bool frees = s == S::kCancelled || s == S::kNoShow || s == S::kEnteredInError || s == S::kWaitlist;
    EXPECT_EQ(ProtectsTime(s), !frees) << AppointmentStatusName(s);
    const bool terminal =
        s == S::kFulfilled || s == S::kCancelled || s == S::kNoShow || s == S::kEnteredInError;
    EXPECT_EQ(IsTerminal(s), terminal) << AppointmentStatusName(s);
  }
}

// Every pair, spelled out: a change to the rules must change this table.
// Columns: proposed, pending, booked, arrived, checked-in, fulfilled, cancelled, noshow, entered-in-error,
// waitlist.
struct Row {
  S from;
  std::array<bool, 10> to;
};

constexpr bool T = true;
constexpr bool F = false;

const Row kTable[] = {
    {S::kProposed, {F, T, T, F, F, F, T, F, T, T}},       {S::kPending, {F, F, T, F, F, F, T, F, T, T}},
    {S::kBooked, {F, F, F, T, T, T, T, T, T, F}},         {S::kArrived, {F, F, F, F, T, T, F, F, T, F}},
    {S::kCheckedIn, {F, F, F, F, F, T, F, F, T, F}},      {S::kFulfilled, {F, F, F, F, F, F, F, F, T, F}},
    {S::kCancelled, {F, F, F, F, F, F, F, F, T, F}},      {S::kNoShow, {F, F, F, F, F, F, F, F, T, F}},
    {S::kEnteredInError, {F, F, F, F, F, F, F, F, F, F}}, {S::kWaitlist, {F, F, T, F, F, F, T, F, T, F}},
};

TEST(AppointmentTransitionTest, EveryPairFollowsTheTable) {
  ASSERT_EQ(std::size(kTable), kAllAppointmentStatuses.size());
  for (const Row& row : kTable) {
    for (size_t i = 0; i < kAllAppointmentStatuses.size(); ++i) {
      const S to = kAllAppointmentStatuses[i];
      const std::string pair =
          absl::StrCat(AppointmentStatusName(row.from), " -> ", AppointmentStatusName(to));
      EXPECT_EQ(CanTransition(row.from, to), row.to[i]) << pair;
      const absl::Status status = CheckTransition(row.from, to);
      if (row.to[i]) {
        EXPECT_TRUE(status.ok()) << pair;
      } else {
        EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << pair;
        EXPECT_TRUE(absl::StrContains(status.message(), AppointmentStatusName(row.from))) << status;
        EXPECT_TRUE(absl::StrContains(status.message(), AppointmentStatusName(to))) << status;
      }
    }
  }
}

struct ActionCase {
  S from;
  A action;
  bool ok;
  S to;  // when ok
};

class ApplyActionTest : public ::testing::TestWithParam<ActionCase> {};

TEST_P(ApplyActionTest, GivesTheStatusOrFailedPrecondition) {
  const ActionCase& c = GetParam();
  const absl::StatusOr<S> result = ApplyAction(c.from, c.action);
  if (c.ok) {
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_EQ(*result, c.to);
  } else {
    ASSERT_EQ(result.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_TRUE(absl::StrContains(result.status().message(), AppointmentStatusName(c.from)))
        << result.status();
    EXPECT_TRUE(absl::StrContains(result.status().message(), AppointmentActionName(c.action)))
        << result.status();
  }
}

INSTANTIATE_TEST_SUITE_P(Lifecycle, ApplyActionTest,
                         ::testing::Values(ActionCase{S::kProposed, A::kBook, T, S::kBooked},
                                           ActionCase{S::kPending, A::kBook, T, S::kBooked},
                                           ActionCase{S::kWaitlist, A::kBook, T, S::kBooked},
                                           ActionCase{S::kBooked, A::kBook, F, S::kBooked},
                                           ActionCase{S::kBooked, A::kReschedule, T, S::kBooked},
                                           ActionCase{S::kPending, A::kReschedule, T, S::kPending},
                                           ActionCase{S::kProposed, A::kReschedule, T, S::kProposed},
                                           ActionCase{S::kArrived, A::kReschedule, F, S::kArrived},
                                           ActionCase{S::kFulfilled, A::kReschedule, F, S::kFulfilled},
                                           ActionCase{S::kCancelled, A::kReschedule, F, S::kCancelled},
                                           ActionCase{S::kWaitlist, A::kReschedule, F, S::kWaitlist},
                                           ActionCase{S::kBooked, A::kCancel, T, S::kCancelled},
                                           ActionCase{S::kWaitlist, A::kCancel, T, S::kCancelled},
                                           ActionCase{S::kFulfilled, A::kCancel, F, S::kCancelled},
                                           ActionCase{S::kCancelled, A::kCancel, F, S::kCancelled},
                                           ActionCase{S::kArrived, A::kCancel, F, S::kCancelled},
                                           ActionCase{S::kBooked, A::kArrive, T, S::kArrived},
                                           ActionCase{S::kPending, A::kArrive, F, S::kArrived},
                                           ActionCase{S::kBooked, A::kCheckIn, T, S::kCheckedIn},
                                           ActionCase{S::kArrived, A::kCheckIn, T, S::kCheckedIn},
                                           ActionCase{S::kCheckedIn, A::kCheckIn, F, S::kCheckedIn},
                                           ActionCase{S::kCheckedIn, A::kComplete, T, S::kFulfilled},
                                           ActionCase{S::kBooked, A::kComplete, T, S::kFulfilled},
                                           ActionCase{S::kNoShow, A::kComplete, F, S::kFulfilled},
                                           ActionCase{S::kBooked, A::kMarkNoShow, T, S::kNoShow},
                                           ActionCase{S::kCheckedIn, A::kMarkNoShow, F, S::kNoShow},
                                           ActionCase{S::kFulfilled, A::kMarkNoShow, F, S::kNoShow},
                                           ActionCase{S::kFulfilled, A::kEnterInError, T, S::kEnteredInError},
                                           ActionCase{S::kNoShow, A::kEnterInError, T, S::kEnteredInError},
                                           ActionCase{S::kWaitlist, A::kEnterInError, T, S::kEnteredInError},
                                           ActionCase{S::kEnteredInError, A::kEnterInError, F,
                                                      S::kEnteredInError},
                                           ActionCase{S::kEnteredInError, A::kBook, F, S::kBooked}));

absl::Time At(int hour, int minute, int second = 0) {
  return absl::FromCivil(absl::CivilSecond(2026, 6, 2, hour, minute, second), absl::UTCTimeZone());
}

struct LateCase {
  std::string name;
  absl::Time cancelled_at;
  absl::Duration window;
  bool late;
};

class LateCancellationTest : public ::testing::TestWithParam<LateCase> {};

TEST_P(LateCancellationTest, LateIffAfterStartMinusWindow) {
  const LateCase& c = GetParam();
  // The session starts 2026-06-03 10:00Z.
  EXPECT_EQ(IsLateCancellation(At(10, 0) + absl::Hours(24), c.cancelled_at, c.window), c.late);
}

INSTANTIATE_TEST_SUITE_P(
    Boundaries, LateCancellationTest,
    ::testing::Values(LateCase{"ExactlyAtWindowIsOnTime", At(10, 0), absl::Hours(24), false},
                      LateCase{"SecondAfterWindowIsLate", At(10, 0, 1), absl::Hours(24), true},
                      LateCase{"SecondBeforeWindowIsOnTime", At(9, 59, 59), absl::Hours(24), false},
                      LateCase{"AfterStartIsLate", At(10, 0) + absl::Hours(25), absl::Hours(24), true},
                      LateCase{"ZeroWindowBeforeStart", At(10, 0) + absl::Hours(23), absl::ZeroDuration(),
                               false},
                      LateCase{"ZeroWindowAtStart", At(10, 0) + absl::Hours(24), absl::ZeroDuration(), false},
                      LateCase{"NegativeWindowIsZero", At(10, 0) + absl::Hours(23), absl::Hours(-2), false},
                      LateCase{"FortyEightHours", At(10, 0) - absl::Hours(1), absl::Hours(48), true}),
    [](const auto& test_info) { return test_info.param.name; });

}  // namespace
}  // namespace tandem::scheduling
