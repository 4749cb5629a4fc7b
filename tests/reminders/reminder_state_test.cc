#include "services/reminders/domain/reminder_state.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace tandem::reminders {
namespace {

using S = ReminderState;

// Every pair, spelled out: a change to the rules must change this table.
struct Row {
  S from;
  // scheduled, queued, delivering, delivered, failed, cancelled, dead
  std::array<bool, 7> to;
};

const Row kTable[] = {
    {S::kScheduled, {false, true, true, false, false, true, false}},
    {S::kQueued, {true, false, true, false, false, true, false}},
    {S::kDelivering, {true, false, true, true, true, true, true}},
    {S::kDelivered, {false, false, false, false, false, false, false}},
    {S::kFailed, {false, true, true, false, false, true, false}},
    {S::kCancelled, {false, false, false, false, false, false, false}},
    {S::kDead, {false, false, false, false, false, false, false}},
};

struct Pair {
  S from;
  S to;
  bool allowed;
};

std::vector<Pair> AllPairs() {
  std::vector<Pair> pairs;
  for (const Row& row : kTable) {
    for (size_t i = 0; i < kAllReminderStates.size(); ++i) {
      pairs.push_back({row.from, kAllReminderStates[i], row.to[i]});
    }
  }
  return pairs;
}

class TransitionTest : public ::testing::TestWithParam<Pair> {};

TEST_P(TransitionTest, FollowsTheTable) {
  const Pair& p = GetParam();
  EXPECT_EQ(CanTransition(p.from, p.to), p.allowed);
  const absl::Status status = CheckTransition(p.from, p.to);
  if (p.allowed) {
    EXPECT_TRUE(status.ok());
  } else {
    EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_EQ(status.message(), absl::StrCat("a reminder cannot move from ", ReminderStateName(p.from),
                                             " to ", ReminderStateName(p.to)));
  }
}

INSTANTIATE_TEST_SUITE_P(EveryPair, TransitionTest, ::testing::ValuesIn(AllPairs()),
                         [](const ::testing::TestParamInfo<Pair>& param_info) {
                           return absl::StrCat(ReminderStateName(param_info.param.from), "_to_",
                                               ReminderStateName(param_info.param.to));
                         });

TEST(ReminderStateTest, TableCoversEveryStateOnce) {
  ASSERT_EQ(std::size(kTable), kAllReminderStates.size());
  for (size_t i = 0; i < kAllReminderStates.size(); ++i) EXPECT_EQ(kTable[i].from, kAllReminderStates[i]);
}

TEST(ReminderStateTest, NamesRoundTrip) {
  for (S state : kAllReminderStates) {
    auto parsed = ParseReminderState(ReminderStateName(state));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, state);
  }
  EXPECT_EQ(ReminderStateName(S::kFailed), "failed");
  EXPECT_EQ(ParseReminderState("Scheduled").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseReminderState("").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ReminderStateTest, TerminalStatesHaveNoWayOut) {
  for (S state : kAllReminderStates) {
    bool any_out = false;
    for (S to : kAllReminderStates) any_out |= CanTransition(state, to);
    EXPECT_EQ(IsTerminal(state), !any_out) << ReminderStateName(state);
  }
}

}  // namespace
}  // namespace tandem::reminders
