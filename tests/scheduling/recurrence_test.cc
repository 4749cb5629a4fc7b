#include "services/scheduling/domain/recurrence.h"

#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "common/time/time_zone.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tandem::scheduling {
namespace {

using ::testing::ElementsAreArray;
using W = absl::Weekday;

absl::Time Utc(int y, int mo, int d, int h, int mi) {
  return absl::FromCivil(absl::CivilMinute(y, mo, d, h, mi), absl::UTCTimeZone());
}

RecurrenceRule Weekly(absl::CivilDay first, std::vector<W> days, int hour, int minute, int count) {
  RecurrenceRule rule;
  rule.first_date = first;
  rule.weekdays = std::move(days);
  rule.start_minute = hour * 60 + minute;
  rule.duration = absl::Minutes(50);
  rule.count = count;
  return rule;
}

struct ExpandCase {
  std::string name;
  const char* zone;
  RecurrenceRule rule;
  std::vector<absl::CivilMinute> local;
  std::vector<absl::Time> utc;
};

class ExpandTest : public ::testing::TestWithParam<ExpandCase> {};

TEST_P(ExpandTest, KeepsTheLocalTimeAcrossClockChanges) {
  const ExpandCase& c = GetParam();
  auto zone = LoadTimeZone(c.zone);
  ASSERT_TRUE(zone.ok()) << zone.status();
  auto occurrences = Expand(c.rule, *zone);
  ASSERT_TRUE(occurrences.ok()) << occurrences.status();
  std::vector<absl::CivilMinute> local;
  std::vector<absl::Time> utc;
  for (const Occurrence& o : *occurrences) {
    local.push_back(o.original_start);
    utc.push_back(o.utc.start);
    EXPECT_EQ(o.utc.end - o.utc.start, c.rule.duration);
  }
  EXPECT_THAT(local, ElementsAreArray(c.local));
  EXPECT_THAT(utc, ElementsAreArray(c.utc));
  auto local_only = ExpandLocal(c.rule);
  ASSERT_TRUE(local_only.ok());
  EXPECT_THAT(*local_only, ElementsAreArray(c.local));
}

using CM = absl::CivilMinute;
using CD = absl::CivilDay;

RecurrenceRule EveryOtherTueThuFromAWednesday() {
  RecurrenceRule rule = Weekly(CD(2026, 3, 4), {W::thursday, W::tuesday}, 10, 0, 4);
  rule.interval_weeks = 2;
  return rule;
}

RecurrenceRule MondaysUntil(CD until) {
  RecurrenceRule rule = Weekly(CD(2026, 3, 2), {W::monday}, 9, 0, 1);
  rule.count.reset();
  rule.until = until;
  return rule;
}

// New York: EST (UTC-5) until 2026-03-08 07:00Z, EDT (UTC-4) until 2026-11-01 06:00Z.
// Berlin: CET (UTC+1) until 2026-03-29 01:00Z, CEST (UTC+2) until 2026-10-25 01:00Z.
INSTANTIATE_TEST_SUITE_P(
    Series, ExpandTest,
    ::testing::Values(ExpandCase{"NewYorkSpringForward",
                                 "America/New_York",
                                 Weekly(CD(2026, 3, 1), {W::sunday}, 9, 0, 3),
                                 {CM(2026, 3, 1, 9, 0), CM(2026, 3, 8, 9, 0), CM(2026, 3, 15, 9, 0)},
                                 {Utc(2026, 3, 1, 14, 0), Utc(2026, 3, 8, 13, 0), Utc(2026, 3, 15, 13, 0)}},
                      ExpandCase{
                          "NewYorkFallBack",
                          "America/New_York",
                          Weekly(CD(2026, 10, 25), {W::sunday}, 9, 0, 3),
                          {CM(2026, 10, 25, 9, 0), CM(2026, 11, 1, 9, 0), CM(2026, 11, 8, 9, 0)},
                          {Utc(2026, 10, 25, 13, 0), Utc(2026, 11, 1, 14, 0), Utc(2026, 11, 8, 14, 0)}},
                      ExpandCase{"BerlinSpringForward",
                                 "Europe/Berlin",
                                 Weekly(CD(2026, 3, 22), {W::sunday}, 9, 0, 2),
                                 {CM(2026, 3, 22, 9, 0), CM(2026, 3, 29, 9, 0)},
                                 {Utc(2026, 3, 22, 8, 0), Utc(2026, 3, 29, 7, 0)}},
                      ExpandCase{"BerlinFallBack",
                                 "Europe/Berlin",
                                 Weekly(CD(2026, 10, 18), {W::sunday}, 9, 0, 2),
                                 {CM(2026, 10, 18, 9, 0), CM(2026, 10, 25, 9, 0)},
                                 {Utc(2026, 10, 18, 7, 0), Utc(2026, 10, 25, 8, 0)}},
                      // 02:30 does not exist on 2026-03-08 in New York: the offset before the gap (EST) makes
                      // it 07:30Z, 03:30 EDT (RFC 5545). Not the jump (07:00Z) and not 06:30Z.
                      ExpandCase{"NewYorkGap",
                                 "America/New_York",
                                 Weekly(CD(2026, 3, 8), {W::sunday}, 2, 30, 2),
                                 {CM(2026, 3, 8, 2, 30), CM(2026, 3, 15, 2, 30)},
                                 {Utc(2026, 3, 8, 7, 30), Utc(2026, 3, 15, 6, 30)}},
                      // 01:30 happens twice on 2026-11-01: the first (EDT, 05:30Z) is the occurrence.
                      ExpandCase{"NewYorkRepeated",
                                 "America/New_York",
                                 Weekly(CD(2026, 11, 1), {W::sunday}, 1, 30, 2),
                                 {CM(2026, 11, 1, 1, 30), CM(2026, 11, 8, 1, 30)},
                                 {Utc(2026, 11, 1, 5, 30), Utc(2026, 11, 8, 6, 30)}},
                      ExpandCase{"BerlinGap",
                                 "Europe/Berlin",
                                 Weekly(CD(2026, 3, 29), {W::sunday}, 2, 30, 1),
                                 {CM(2026, 3, 29, 2, 30)},
                                 {Utc(2026, 3, 29, 1, 30)}},
                      ExpandCase{"BerlinRepeated",
                                 "Europe/Berlin",
                                 Weekly(CD(2026, 10, 25), {W::sunday}, 2, 30, 1),
                                 {CM(2026, 10, 25, 2, 30)},
                                 {Utc(2026, 10, 25, 0, 30)}},
                      ExpandCase{"KolkataHalfHourOffset",
                                 "Asia/Kolkata",
                                 Weekly(CD(2026, 3, 6), {W::friday}, 9, 0, 2),
                                 {CM(2026, 3, 6, 9, 0), CM(2026, 3, 13, 9, 0)},
                                 {Utc(2026, 3, 6, 3, 30), Utc(2026, 3, 13, 3, 30)}},
                      // The anchor week is the week of 2026-03-02; the Tuesday before the Wednesday anchor is
                      // not in the series, the week of 03-09 is skipped.
                      ExpandCase{"EveryOtherWeekFromMidWeek",
                                 "UTC",
                                 EveryOtherTueThuFromAWednesday(),
                                 {CM(2026, 3, 5, 10, 0), CM(2026, 3, 17, 10, 0), CM(2026, 3, 19, 10, 0),
                                  CM(2026, 3, 31, 10, 0)},
                                 {Utc(2026, 3, 5, 10, 0), Utc(2026, 3, 17, 10, 0), Utc(2026, 3, 19, 10, 0),
                                  Utc(2026, 3, 31, 10, 0)}},
                      ExpandCase{"UntilIsInclusive",
                                 "UTC",
                                 MondaysUntil(CD(2026, 3, 16)),
                                 {CM(2026, 3, 2, 9, 0), CM(2026, 3, 9, 9, 0), CM(2026, 3, 16, 9, 0)},
                                 {Utc(2026, 3, 2, 9, 0), Utc(2026, 3, 9, 9, 0), Utc(2026, 3, 16, 9, 0)}},
                      ExpandCase{"UntilTheDayBefore",
                                 "UTC",
                                 MondaysUntil(CD(2026, 3, 15)),
                                 {CM(2026, 3, 2, 9, 0), CM(2026, 3, 9, 9, 0)},
                                 {Utc(2026, 3, 2, 9, 0), Utc(2026, 3, 9, 9, 0)}}),
    [](const auto& test_info) { return test_info.param.name; });

TEST(ExpandTest, DurationIsElapsedTimeAcrossTheClockChange) {
  auto zone = LoadTimeZone("America/New_York");
  ASSERT_TRUE(zone.ok());
  RecurrenceRule rule = Weekly(CD(2026, 11, 1), {W::sunday}, 0, 30, 1);
  rule.duration = absl::Hours(2);
  auto occurrences = Expand(rule, *zone);
  ASSERT_TRUE(occurrences.ok()) << occurrences.status();
  ASSERT_EQ(occurrences->size(), 1u);
  EXPECT_EQ((*occurrences)[0].utc.start, Utc(2026, 11, 1, 4, 30));
  EXPECT_EQ((*occurrences)[0].utc.end, Utc(2026, 11, 1, 6, 30));  // 01:30 EST on the wall clock
}

struct InvalidCase {
  std::string name;
  RecurrenceRule rule;
  std::vector<std::string> fields;  // every violation's field, in order
};

class ValidateRecurrenceTest : public ::testing::TestWithParam<InvalidCase> {};

TEST_P(ValidateRecurrenceTest, ReportsEveryViolatedField) {
  const InvalidCase& c = GetParam();
  std::vector<std::string> fields;
  for (const FieldViolation& v : ValidateRecurrence(c.rule)) {
    fields.push_back(v.field);
    EXPECT_FALSE(v.description.empty());
  }
  EXPECT_THAT(fields, ElementsAreArray(c.fields));
  auto expanded = Expand(c.rule, absl::UTCTimeZone());
  if (c.fields.empty()) {
    EXPECT_TRUE(expanded.ok()) << expanded.status();
  } else {
    EXPECT_EQ(expanded.status().code(), absl::StatusCode::kInvalidArgument);
    for (const std::string& field : c.fields) {
      EXPECT_THAT(expanded.status().message(), ::testing::HasSubstr(field));
    }
  }
}

RecurrenceRule AllWrong() {
  RecurrenceRule rule;
  rule.first_date = CD(2026, 3, 2);
  rule.interval_weeks = 0;
  rule.start_minute = 24 * 60;
  rule.duration = absl::ZeroDuration();
  return rule;
}

RecurrenceRule With(RecurrenceRule rule, void (*change)(RecurrenceRule&)) {
  change(rule);
  return rule;
}

RecurrenceRule Good() { return Weekly(CD(2026, 3, 2), {W::monday, W::thursday}, 9, 0, 10); }

INSTANTIATE_TEST_SUITE_P(
    Rules, ValidateRecurrenceTest,
    ::testing::Values(
        InvalidCase{"Valid", Good(), {}},
        InvalidCase{"EverythingAtOnce",
                    AllWrong(),
                    {"interval_weeks", "weekdays", "start_minute", "duration", "count"}},
        InvalidCase{
            "CountAndUntil", With(Good(), [](RecurrenceRule& r) { r.until = CD(2026, 4, 1); }), {"until"}},
        InvalidCase{"CountAtCap", With(Good(), [](RecurrenceRule& r) { r.count = 260; }), {}},
        InvalidCase{"CountOverCap", With(Good(), [](RecurrenceRule& r) { r.count = 261; }), {"count"}},
        InvalidCase{"CountZero", With(Good(), [](RecurrenceRule& r) { r.count = 0; }), {"count"}},
        InvalidCase{"DurationOverEightHours",
                    With(Good(), [](RecurrenceRule& r) { r.duration = absl::Hours(8) + absl::Minutes(1); }),
                    {"duration"}},
        InvalidCase{
            "DurationEightHours", With(Good(), [](RecurrenceRule& r) { r.duration = absl::Hours(8); }), {}},
        InvalidCase{"IntervalOverCap",
                    With(Good(), [](RecurrenceRule& r) { r.interval_weeks = 53; }),
                    {"interval_weeks"}},
        InvalidCase{"WeekdayTwice",
                    With(Good(),
                         [](RecurrenceRule& r) {
                           r.weekdays = {W::monday, W::friday, W::monday};
                         }),
                    {"weekdays"}},
        InvalidCase{
            "NegativeStart", With(Good(), [](RecurrenceRule& r) { r.start_minute = -1; }), {"start_minute"}},
        InvalidCase{"UntilBeforeFirst",
                    With(Good(),
                         [](RecurrenceRule& r) {
                           r.count.reset();
                           r.until = CD(2026, 3, 1);
                         }),
                    {"until"}},
        InvalidCase{"UntilSpanTooLong",
                    With(Good(),
                         [](RecurrenceRule& r) {
                           r.count.reset();
                           r.interval_weeks = 52;
                           r.until = r.first_date + kMaxSeriesSpanDays + 1;
                         }),
                    {"until"}},
        InvalidCase{"UntilSpanAtCap",
                    With(Good(),
                         [](RecurrenceRule& r) {
                           r.count.reset();
                           r.interval_weeks = 52;
                           r.until = r.first_date + kMaxSeriesSpanDays;
                         }),
                    {}},
        // Every day for a year is well inside the span cap but over the occurrence cap.
        InvalidCase{"UntilTooManyOccurrences",
                    With(Good(),
                         [](RecurrenceRule& r) {
                           r.count.reset();
                           r.weekdays = {W::monday, W::tuesday, W::wednesday, W::thursday, W::friday};
                           r.until = r.first_date + 365;
                         }),
                    {"until"}},
        InvalidCase{"UntilNoOccurrence",
                    With(Good(),
                         [](RecurrenceRule& r) {
                           r.count.reset();
                           r.weekdays = {W::tuesday};
                           r.until = r.first_date;
                         }),
                    {"until"}}),
    [](const auto& test_info) { return test_info.param.name; });

TEST(ExpandTest, CountCapProducesExactlyTheCap) {
  RecurrenceRule rule = Good();
  rule.count = kMaxOccurrences;
  auto occurrences = ExpandLocal(rule);
  ASSERT_TRUE(occurrences.ok()) << occurrences.status();
  EXPECT_EQ(occurrences->size(), static_cast<size_t>(kMaxOccurrences));
}

std::vector<absl::CivilMinute> Concat(const SplitSeries& split) {
  std::vector<absl::CivilMinute> all;
  if (split.before) {
    auto before = ExpandLocal(*split.before);
    EXPECT_TRUE(before.ok()) << before.status();
    if (before.ok()) all = *before;
  }
  auto from = ExpandLocal(split.from);
  EXPECT_TRUE(from.ok()) << from.status();
  if (from.ok()) all.insert(all.end(), from->begin(), from->end());
  return all;
}

struct SplitCase {
  std::string name;
  RecurrenceRule rule;
};

class SplitAtTest : public ::testing::TestWithParam<SplitCase> {};

// Splitting at every occurrence keeps every occurrence exactly once, the chosen one first in `from`.
TEST_P(SplitAtTest, AtEveryOccurrenceLosesAndAddsNothing) {
  const RecurrenceRule& rule = GetParam().rule;
  auto original = ExpandLocal(rule);
  ASSERT_TRUE(original.ok()) << original.status();
  for (size_t i = 0; i < original->size(); ++i) {
    auto split = SplitAt(rule, (*original)[i]);
    ASSERT_TRUE(split.ok()) << split.status();
    EXPECT_EQ(split->before.has_value(), i > 0);
    EXPECT_THAT(Concat(*split), ElementsAreArray(*original)) << "split at " << i;
    auto from = ExpandLocal(split->from);
    ASSERT_TRUE(from.ok());
    EXPECT_EQ(from->front(), (*original)[i]);
  }
}

RecurrenceRule Until(RecurrenceRule rule, absl::CivilDay until) {
  rule.count.reset();
  rule.until = until;
  return rule;
}

INSTANTIATE_TEST_SUITE_P(Rules, SplitAtTest,
                         ::testing::Values(SplitCase{"Count", Good()},
                                           SplitCase{"EveryOtherWeek", EveryOtherTueThuFromAWednesday()},
                                           SplitCase{"UntilEveryThirdWeek",
                                                     [] {
                                                       RecurrenceRule r = Until(Good(), CD(2026, 6, 30));
                                                       r.interval_weeks = 3;
                                                       return r;
                                                     }()}),
                         [](const auto& test_info) { return test_info.param.name; });

TEST(SplitAtTest, CountIsShared) {
  auto split = SplitAt(Good(), CM(2026, 3, 12, 9, 0));  // the fourth occurrence
  ASSERT_TRUE(split.ok()) << split.status();
  ASSERT_TRUE(split->before.has_value());
  EXPECT_EQ(split->before->count, 3);
  EXPECT_EQ(split->from.count, 7);
  EXPECT_EQ(split->from.first_date, CD(2026, 3, 12));
}

TEST(SplitAtTest, UntilEndsTheDayBefore) {
  auto split = SplitAt(Until(Good(), CD(2026, 4, 30)), CM(2026, 3, 12, 9, 0));
  ASSERT_TRUE(split.ok()) << split.status();
  ASSERT_TRUE(split->before.has_value());
  EXPECT_EQ(split->before->until, CD(2026, 3, 11));
  EXPECT_EQ(split->from.until, CD(2026, 4, 30));
}

TEST(SplitAtTest, UnknownOccurrenceIsNotFound) {
  EXPECT_EQ(SplitAt(Good(), CM(2026, 3, 12, 10, 0)).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(SplitAt(Good(), CM(2026, 3, 10, 9, 0)).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(SplitAt(AllWrong(), CM(2026, 3, 2, 9, 0)).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tandem::scheduling
