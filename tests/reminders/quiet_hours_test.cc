#include "services/reminders/domain/quiet_hours.h"

#include <string>

#include "absl/time/civil_time.h"
#include "common/time/time_zone.h"
#include "gtest/gtest.h"

namespace tandem::reminders {
namespace {

absl::Time Utc(int y, int mo, int d, int h, int mi) {
  return absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, 0), absl::UTCTimeZone());
}

struct Case {
  std::string name;
  const char* zone;
  const char* start;
  const char* end;
  absl::Time due;
  absl::Time expected;
};

class NextAllowedTimeTest : public ::testing::TestWithParam<Case> {};

TEST_P(NextAllowedTimeTest, DefersToTheLocalEndOfTheWindow) {
  const Case& c = GetParam();
  auto zone = LoadTimeZone(c.zone);
  ASSERT_TRUE(zone.ok()) << zone.status();
  auto quiet = QuietHours::Parse(c.start, c.end);
  ASSERT_TRUE(quiet.ok()) << quiet.status();
  const absl::Time next = NextAllowedTime(c.due, *zone, *quiet);
  EXPECT_EQ(next, c.expected) << absl::FormatTime(next, *zone) << " expected "
                              << absl::FormatTime(c.expected, *zone);
  EXPECT_GE(next, c.due);
  EXPECT_FALSE(quiet->Contains(next, *zone));
}

// Berlin: CET (UTC+1), CEST (UTC+2) from 2026-03-29 01:00Z to 2026-10-25 01:00Z.
// New York: EST (UTC-5), EDT (UTC-4) from 2026-03-08 07:00Z to 2026-11-01 06:00Z.
INSTANTIATE_TEST_SUITE_P(
    Windows, NextAllowedTimeTest,
    ::testing::Values(
        Case{"AllowedUnchanged", "Europe/Berlin", "22:00", "07:00", Utc(2026, 7, 14, 16, 0),
             Utc(2026, 7, 14, 16, 0)},
        Case{"LateEveningToNextMorning", "Europe/Berlin", "22:00", "07:00", Utc(2026, 7, 14, 21, 30),
             Utc(2026, 7, 15, 5, 0)},
        Case{"StartIsQuiet", "Europe/Berlin", "22:00", "07:00", Utc(2026, 7, 14, 20, 0),
             Utc(2026, 7, 15, 5, 0)},
        Case{"EarlyMorningToSameMorning", "Europe/Berlin", "22:00", "07:00", Utc(2026, 7, 15, 1, 0),
             Utc(2026, 7, 15, 5, 0)},
        Case{"EndIsAllowed", "Europe/Berlin", "22:00", "07:00", Utc(2026, 7, 15, 5, 0),
             Utc(2026, 7, 15, 5, 0)},
        Case{"MinuteBeforeEnd", "Europe/Berlin", "22:00", "07:00", Utc(2026, 7, 15, 4, 59),
             Utc(2026, 7, 15, 5, 0)},
        Case{"SameDayWindow", "Europe/Berlin", "12:00", "14:00", Utc(2026, 7, 15, 11, 59),
             Utc(2026, 7, 15, 12, 0)},
        Case{"BeforeSameDayWindow", "Europe/Berlin", "12:00", "14:00", Utc(2026, 7, 15, 9, 59),
             Utc(2026, 7, 15, 9, 59)},
        Case{"AfterSameDayWindow", "Europe/Berlin", "12:00", "14:00", Utc(2026, 7, 15, 12, 0),
             Utc(2026, 7, 15, 12, 0)},
        // The night the clocks go forward is an hour shorter: 07:00 CEST is 05:00Z, not 06:00Z.
        Case{"BerlinSpringForwardNight", "Europe/Berlin", "22:00", "07:00", Utc(2026, 3, 28, 22, 0),
             Utc(2026, 3, 29, 5, 0)},
        Case{"BerlinFallBackNight", "Europe/Berlin", "22:00", "07:00", Utc(2026, 10, 24, 21, 0),
             Utc(2026, 10, 25, 6, 0)},
        // 02:30 does not exist on 2026-03-29 in Berlin: the window ends when the clocks jump to 03:00.
        Case{"BerlinEndSkipped", "Europe/Berlin", "23:00", "02:30", Utc(2026, 3, 29, 0, 0),
             Utc(2026, 3, 29, 1, 0)},
        // 02:30 happens twice on 2026-10-25: first in CEST (00:30Z), then in CET (01:30Z).
        Case{"BerlinEndRepeatedFirstPass", "Europe/Berlin", "23:00", "02:30", Utc(2026, 10, 24, 23, 0),
             Utc(2026, 10, 25, 0, 30)},
        Case{"BerlinEndRepeatedSecondPass", "Europe/Berlin", "23:00", "02:30", Utc(2026, 10, 25, 1, 10),
             Utc(2026, 10, 25, 1, 30)},
        Case{"BerlinRepeatedHourOutsideWindow", "Europe/Berlin", "23:00", "02:30", Utc(2026, 10, 25, 0, 40),
             Utc(2026, 10, 25, 0, 40)},
        Case{"NewYorkSpringForwardNight", "America/New_York", "21:00", "08:00", Utc(2026, 3, 8, 3, 0),
             Utc(2026, 3, 8, 12, 0)},
        Case{"NewYorkFallBackNight", "America/New_York", "21:00", "08:00", Utc(2026, 11, 1, 2, 0),
             Utc(2026, 11, 1, 13, 0)},
        Case{"NewYorkEndSkipped", "America/New_York", "00:00", "02:30", Utc(2026, 3, 8, 6, 30),
             Utc(2026, 3, 8, 7, 0)},
        Case{"NewYorkEndRepeatedFirstPass", "America/New_York", "00:00", "01:30", Utc(2026, 11, 1, 4, 30),
             Utc(2026, 11, 1, 5, 30)},
        Case{"NewYorkEndRepeatedSecondPass", "America/New_York", "00:00", "01:30", Utc(2026, 11, 1, 6, 15),
             Utc(2026, 11, 1, 6, 30)},
        Case{"MidnightStart", "UTC", "00:00", "06:00", Utc(2026, 1, 1, 0, 0), Utc(2026, 1, 1, 6, 0)},
        Case{"EndAtMidnight", "UTC", "20:00", "00:00", Utc(2026, 1, 1, 23, 59), Utc(2026, 1, 2, 0, 0)}),
    [](const ::testing::TestParamInfo<Case>& param_info) { return param_info.param.name; });

TEST(QuietHoursTest, ParseAndCreateValidate) {
  EXPECT_TRUE(QuietHours::Parse("22:00", "07:00").ok());
  EXPECT_TRUE(QuietHours::Parse("22:00", "07:00")->spans_midnight());
  EXPECT_FALSE(QuietHours::Parse("12:00", "14:00")->spans_midnight());
  EXPECT_EQ(QuietHours::Parse("23:59", "00:00")->start_minute(), 23 * 60 + 59);
  for (auto [start, end] : std::vector<std::pair<const char*, const char*>>{{"24:00", "07:00"},
                                                                            {"22:60", "07:00"},
                                                                            {"7:00", "22:00"},
                                                                            {"22:00", ""},
                                                                            {"ab:cd", "07:00"},
                                                                            {"22:00", "22:00"},
                                                                            {"22-00", "07:00"},
                                                                            {"22:00 ", "07:00"}}) {
    EXPECT_EQ(QuietHours::Parse(start, end).status().code(), absl::StatusCode::kInvalidArgument)
        << start << "-" << end;
  }
  EXPECT_FALSE(QuietHours::Create(-1, 10).ok());
  EXPECT_FALSE(QuietHours::Create(0, 1440).ok());
  EXPECT_FALSE(QuietHours::Create(5, 5).ok());
  EXPECT_TRUE(QuietHours::Create(0, 1439).ok());
}

TEST(QuietHoursTest, ContainsIsHalfOpen) {
  auto quiet = QuietHours::Parse("22:00", "07:00");
  ASSERT_TRUE(quiet.ok());
  const absl::TimeZone utc = absl::UTCTimeZone();
  EXPECT_TRUE(quiet->Contains(Utc(2026, 1, 1, 22, 0), utc));
  EXPECT_TRUE(quiet->Contains(Utc(2026, 1, 1, 6, 59) + absl::Seconds(59), utc));
  EXPECT_FALSE(quiet->Contains(Utc(2026, 1, 1, 7, 0), utc));
  EXPECT_FALSE(quiet->Contains(Utc(2026, 1, 1, 21, 59) + absl::Seconds(59), utc));
}

}  // namespace
}  // namespace tandem::reminders
