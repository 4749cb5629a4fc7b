#include "absl/time/time.h"

#include <set>
#include <string>

#include "common/time/clock.h"
#include "common/time/time_zone.h"
#include "common/time/uuid.h"
#include "gtest/gtest.h"

namespace tandem {
namespace {

TEST(FakeClock, MovesOnlyWhenTold) {
  FakeClock clock(absl::FromUnixSeconds(1000));
  EXPECT_EQ(clock.Now(), absl::FromUnixSeconds(1000));
  clock.Advance(absl::Seconds(5));
  EXPECT_EQ(clock.Now(), absl::FromUnixSeconds(1005));
  clock.Set(absl::FromUnixSeconds(7));
  EXPECT_EQ(clock.Now(), absl::FromUnixSeconds(7));
}

TEST(TimeZone, LoadsIanaZones) {
  auto berlin = LoadTimeZone("Europe/Berlin");
  ASSERT_TRUE(berlin.ok()) << berlin.status();
  // 2026-07-01 12:00 UTC is 14:00 in Berlin (CEST).
  absl::CivilSecond local = absl::ToCivilSecond(absl::FromUnixSeconds(1782907200), *berlin);
  EXPECT_EQ(local.hour(), 14);
}

TEST(TimeZone, RejectsBadNames) {
  EXPECT_EQ(LoadTimeZone("").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(LoadTimeZone("../etc/passwd").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(LoadTimeZone("Mars/Olympus_Mons").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(TimeZone, MissingDatabaseNamesTzdata) {
  setenv("TZDIR", "/nonexistent-zoneinfo", 1);
  auto zone = LoadTimeZone("America/Chicago");
  unsetenv("TZDIR");
  ASSERT_FALSE(zone.ok());
  EXPECT_EQ(zone.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(zone.status().message().find("tzdata"), std::string::npos);
}

TEST(Uuid, IsVersion7AndSortsByTime) {
  FakeClock clock(absl::FromUnixMillis(1767225600123));
  std::string a = NewUuidV7(clock);
  std::string b = NewUuidV7(clock);  // same millisecond: the counter keeps order
  clock.Advance(absl::Milliseconds(1));
  std::string c = NewUuidV7(clock);
  EXPECT_TRUE(IsUuid(a));
  EXPECT_EQ(a[14], '7');
  EXPECT_TRUE(a[19] == '8' || a[19] == '9' || a[19] == 'a' || a[19] == 'b');
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);
  // The first 48 bits are the Unix milliseconds.
  EXPECT_EQ(a.substr(0, 8) + a.substr(9, 4), "019b76daa87b");
}

TEST(Uuid, ManyAreUniqueAndIncreasing) {
  FakeClock clock;
  std::set<std::string> seen;
  std::string previous;
  for (int i = 0; i < 10000; ++i) {
    std::string id = NewUuidV7(clock);
    EXPECT_GT(id, previous);
    previous = id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 10000u);
}

TEST(Uuid, RejectsNonUuids) {
  EXPECT_FALSE(IsUuid("not-a-uuid"));
  EXPECT_FALSE(IsUuid("019b7721-edbb-7000-8000-00000000000g"));
  EXPECT_TRUE(IsUuid("019b7721-edbb-7000-8000-000000000000"));
}

}  // namespace
}  // namespace tandem
