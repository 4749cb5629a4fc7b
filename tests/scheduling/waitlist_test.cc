#include "services/scheduling/domain/waitlist.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace tandem::scheduling {
namespace {

absl::TimeZone Zone(const char* name) {
  absl::TimeZone zone;
  EXPECT_TRUE(absl::LoadTimeZone(name, &zone)) << name;
  return zone;
}

// A slot of `minutes` starting at the local wall-clock time `start` in `zone`.
Interval Slot(absl::TimeZone zone, absl::CivilMinute start, int minutes) {
  const absl::Time t = absl::FromCivil(start, zone);
  return Interval{t, t + absl::Minutes(minutes)};
}

Interval UtcSlot(absl::CivilMinute start, int minutes) { return Slot(absl::UTCTimeZone(), start, minutes); }

WorkingHoursRule Window(absl::Weekday weekday, int start_hour, int start_minute, int end_hour, int end_minute,
                        std::optional<absl::CivilDay> from = std::nullopt,
                        std::optional<absl::CivilDay> until = std::nullopt) {
  return {weekday, start_hour * 60 + start_minute, end_hour * 60 + end_minute, from, until};
}

// 2026-06-02 is a Tuesday.
constexpr absl::CivilDay kTuesday(2026, 6, 2);

TEST(SlotFitsWindowsTest, TheDatesUsedAreTheWeekdaysTheTestsAssume) {
  EXPECT_EQ(absl::GetWeekday(kTuesday), absl::Weekday::tuesday);
  EXPECT_EQ(absl::GetWeekday(absl::CivilDay(2026, 3, 8)), absl::Weekday::sunday);
  EXPECT_EQ(absl::GetWeekday(absl::CivilDay(2026, 11, 1)), absl::Weekday::sunday);
}

TEST(SlotFitsWindowsTest, ASlotInsideOneWindowFits) {
  const absl::TimeZone berlin = Zone("Europe/Berlin");
  const std::vector<WorkingHoursRule> windows = {Window(absl::Weekday::monday, 9, 0, 12, 0),
                                                 Window(absl::Weekday::tuesday, 9, 0, 12, 0)};
  EXPECT_TRUE(SlotFitsWindows(Slot(berlin, absl::CivilMinute(2026, 6, 2, 10, 0), 50), windows, berlin));
  // Both edges are inside: a slot exactly as long as the window fits it.
  EXPECT_TRUE(SlotFitsWindows(Slot(berlin, absl::CivilMinute(2026, 6, 2, 9, 0), 180), windows, berlin));
  EXPECT_TRUE(SlotFitsWindows(Slot(berlin, absl::CivilMinute(2026, 6, 2, 11, 10), 50), windows, berlin));
}

TEST(SlotFitsWindowsTest, ASlotStraddlingAWindowEdgeDoesNotFit) {
  const absl::TimeZone berlin = Zone("Europe/Berlin");
  const std::vector<WorkingHoursRule> windows = {Window(absl::Weekday::tuesday, 9, 0, 12, 0)};
  EXPECT_FALSE(SlotFitsWindows(Slot(berlin, absl::CivilMinute(2026, 6, 2, 11, 30), 50), windows, berlin));
  EXPECT_FALSE(SlotFitsWindows(Slot(berlin, absl::CivilMinute(2026, 6, 2, 8, 30), 50), windows, berlin));
  EXPECT_FALSE(SlotFitsWindows(Slot(berlin, absl::CivilMinute(2026, 6, 2, 11, 11), 50), windows, berlin));
  // Wholly inside ONE window: two windows that touch do not make one.
  const std::vector<WorkingHoursRule> touching = {Window(absl::Weekday::tuesday, 9, 0, 12, 0),
                                                  Window(absl::Weekday::tuesday, 12, 0, 15, 0)};
  EXPECT_FALSE(SlotFitsWindows(Slot(berlin, absl::CivilMinute(2026, 6, 2, 11, 30), 50), touching, berlin));
  // An empty slot fits nothing.
  const absl::Time t = absl::FromCivil(absl::CivilMinute(2026, 6, 2, 10, 0), berlin);
  EXPECT_FALSE(SlotFitsWindows(Interval{t, t}, windows, berlin));
}

TEST(SlotFitsWindowsTest, AWindowOnAnotherWeekdayDoesNotHoldTheSlot) {
  const absl::TimeZone berlin = Zone("Europe/Berlin");
  const std::vector<WorkingHoursRule> windows = {Window(absl::Weekday::monday, 0, 0, 24, 0),
                                                 Window(absl::Weekday::wednesday, 0, 0, 24, 0)};
  EXPECT_FALSE(SlotFitsWindows(Slot(berlin, absl::CivilMinute(2026, 6, 2, 10, 0), 50), windows, berlin));
  EXPECT_FALSE(SlotFitsWindows(Slot(berlin, absl::CivilMinute(2026, 6, 2, 10, 0), 50), {}, berlin));
}

TEST(SlotFitsWindowsTest, EffectiveDatesAreInclusive) {
  const absl::TimeZone berlin = Zone("Europe/Berlin");
  const Interval slot = Slot(berlin, absl::CivilMinute(2026, 6, 2, 10, 0), 50);
  const absl::Weekday tue = absl::Weekday::tuesday;
  EXPECT_TRUE(SlotFitsWindows(slot, {Window(tue, 9, 0, 12, 0, kTuesday, kTuesday)}, berlin));
  EXPECT_TRUE(SlotFitsWindows(slot, {Window(tue, 9, 0, 12, 0, kTuesday, std::nullopt)}, berlin));
  EXPECT_TRUE(SlotFitsWindows(slot, {Window(tue, 9, 0, 12, 0, std::nullopt, kTuesday)}, berlin));
  EXPECT_FALSE(SlotFitsWindows(slot, {Window(tue, 9, 0, 12, 0, kTuesday + 1, std::nullopt)}, berlin));
  EXPECT_FALSE(SlotFitsWindows(slot, {Window(tue, 9, 0, 12, 0, std::nullopt, kTuesday - 1)}, berlin));
  // The next Tuesday is past the window's last day.
  EXPECT_FALSE(SlotFitsWindows(Slot(berlin, absl::CivilMinute(2026, 6, 9, 10, 0), 50),
                               {Window(tue, 9, 0, 12, 0, kTuesday, kTuesday)}, berlin));
}

TEST(SlotFitsWindowsTest, ASlotEndingAtLocalMidnightFitsAWindowUntilMidnightOnly) {
  const absl::TimeZone berlin = Zone("Europe/Berlin");
  const std::vector<WorkingHoursRule> until_midnight = {Window(absl::Weekday::tuesday, 22, 0, 24, 0)};
  const Interval to_midnight = Slot(berlin, absl::CivilMinute(2026, 6, 2, 23, 10), 50);
  ASSERT_EQ(absl::ToCivilMinute(to_midnight.end, berlin), absl::CivilMinute(2026, 6, 3, 0, 0));
  EXPECT_TRUE(SlotFitsWindows(to_midnight, until_midnight, berlin));
  EXPECT_FALSE(SlotFitsWindows(to_midnight, {Window(absl::Weekday::tuesday, 22, 0, 23, 59)}, berlin));
  // Midnight closes Tuesday; it is not Wednesday 00:00 for a window that starts then.
  EXPECT_FALSE(SlotFitsWindows(to_midnight, {Window(absl::Weekday::wednesday, 0, 0, 24, 0)}, berlin));
  // Running into the next local day fits nothing, even with both days covered whole.
  const Interval crossing = Slot(berlin, absl::CivilMinute(2026, 6, 2, 23, 30), 50);
  const std::vector<WorkingHoursRule> both_days = {Window(absl::Weekday::tuesday, 0, 0, 24, 0),
                                                   Window(absl::Weekday::wednesday, 0, 0, 24, 0)};
  EXPECT_FALSE(SlotFitsWindows(crossing, both_days, berlin));
}

TEST(SlotFitsWindowsTest, NewYorkClockChangesAreReadOnTheWallClock) {
  const absl::TimeZone new_york = Zone("America/New_York");
  const std::vector<WorkingHoursRule> sundays = {Window(absl::Weekday::sunday, 9, 0, 12, 0)};
  // 2026-03-08: clocks go forward at 02:00. 09:00-09:50 local fits on the day and the Sunday before.
  const Interval spring = Slot(new_york, absl::CivilMinute(2026, 3, 8, 9, 0), 50);
  EXPECT_EQ(spring.start, absl::FromCivil(absl::CivilMinute(2026, 3, 8, 13, 0), absl::UTCTimeZone()));  // EDT
  EXPECT_TRUE(SlotFitsWindows(spring, sundays, new_york));
  EXPECT_TRUE(SlotFitsWindows(Slot(new_york, absl::CivilMinute(2026, 3, 1, 9, 0), 50), sundays, new_york));
  // The same UTC instants a week earlier are 08:00-08:50 EST: outside the window.
  const Interval week_before{spring.start - absl::Hours(24 * 7), spring.end - absl::Hours(24 * 7)};
  EXPECT_EQ(absl::ToCivilMinute(week_before.start, new_york), absl::CivilMinute(2026, 3, 1, 8, 0));
  EXPECT_FALSE(SlotFitsWindows(week_before, sundays, new_york));

  // 2026-11-01: clocks go back at 02:00. 09:00-09:50 local fits on the Sunday before and on the day.
  const Interval before_fall = Slot(new_york, absl::CivilMinute(2026, 10, 25, 9, 0), 50);
  EXPECT_EQ(before_fall.start, absl::FromCivil(absl::CivilMinute(2026, 10, 25, 13, 0), absl::UTCTimeZone()));
  EXPECT_TRUE(SlotFitsWindows(before_fall, sundays, new_york));
  const Interval fall = Slot(new_york, absl::CivilMinute(2026, 11, 1, 9, 0), 50);
  EXPECT_EQ(fall.start, absl::FromCivil(absl::CivilMinute(2026, 11, 1, 14, 0), absl::UTCTimeZone()));  // EST
  EXPECT_TRUE(SlotFitsWindows(fall, sundays, new_york));
  // The UTC instants of the Sunday before, a week later, are 08:00-08:50 EST: outside the window.
  const Interval week_after{before_fall.start + absl::Hours(24 * 7), before_fall.end + absl::Hours(24 * 7)};
  EXPECT_EQ(absl::ToCivilMinute(week_after.start, new_york), absl::CivilMinute(2026, 11, 1, 8, 0));
  EXPECT_FALSE(SlotFitsWindows(week_after, sundays, new_york));
  // Read in UTC instead, the same slots would land elsewhere.
  EXPECT_FALSE(SlotFitsWindows(spring, sundays, absl::UTCTimeZone()));
}

TEST(SlotFitsWindowsTest, KolkataHalfHourOffsetIsApplied) {
  const absl::TimeZone kolkata = Zone("Asia/Kolkata");
  const std::vector<WorkingHoursRule> windows = {Window(absl::Weekday::tuesday, 9, 30, 10, 30)};
  // 04:00Z is 09:30 IST (+05:30).
  EXPECT_TRUE(SlotFitsWindows(UtcSlot(absl::CivilMinute(2026, 6, 2, 4, 0), 60), windows, kolkata));
  // 03:30Z is 09:00 IST: starts before the window.
  EXPECT_FALSE(SlotFitsWindows(UtcSlot(absl::CivilMinute(2026, 6, 2, 3, 30), 60), windows, kolkata));
  // 18:30Z Monday is 00:00 IST Tuesday: the local weekday decides.
  EXPECT_TRUE(SlotFitsWindows(UtcSlot(absl::CivilMinute(2026, 6, 1, 18, 30), 50),
                              {Window(absl::Weekday::tuesday, 0, 0, 1, 0)}, kolkata));
  EXPECT_FALSE(SlotFitsWindows(UtcSlot(absl::CivilMinute(2026, 6, 1, 18, 30), 50),
                               {Window(absl::Weekday::monday, 18, 0, 24, 0)}, kolkata));
}

// ---- ChooseWaitlistEntry ----

void SetClock(tandem::common::v1::CivilTime* t, int h, int m) {
  t->set_hours(h);
  t->set_minutes(m);
}

// A waiting entry whose one window is `weekday` (ISO, 1 Monday) from..to hours in `zone`.
v1::WaitlistEntry Entry(const std::string& id, int weekday, int from_hour, int to_hour,
                        const std::string& zone = "Europe/Berlin") {
  v1::WaitlistEntry e;
  e.set_clinic_id("c1");
  e.set_entry_id(id);
  e.set_client_id("client-" + id);
  e.set_clinician_id("dr1");
  e.set_time_zone(zone);
  e.set_modality(v1::MODALITY_TELEHEALTH);
  e.set_status(v1::WAITLIST_STATUS_WAITING);
  v1::WorkingInterval& w = *e.add_windows();
  w.set_weekday(weekday);
  SetClock(w.mutable_start(), from_hour, 0);
  SetClock(w.mutable_end(), to_hour, 0);
  return e;
}

// Tuesday 2026-06-02, 10:00-10:50 in Berlin.
Interval TheFreedSlot() { return Slot(Zone("Europe/Berlin"), absl::CivilMinute(2026, 6, 2, 10, 0), 50); }

std::optional<size_t> Choose(const std::vector<v1::WaitlistEntry>& queue,
                             const absl::flat_hash_set<std::string>& offered_before = {}) {
  absl::StatusOr<std::optional<size_t>> chosen = ChooseWaitlistEntry(queue, TheFreedSlot(), offered_before);
  EXPECT_TRUE(chosen.ok()) << chosen.status();
  return chosen.ok() ? *chosen : std::nullopt;
}

TEST(ChooseWaitlistEntryTest, TheFirstInQueueOrderWhoseWindowsHoldTheSlotGetsIt) {
  const std::vector<v1::WaitlistEntry> queue = {Entry("e1", 1, 9, 12), Entry("e2", 2, 9, 12),
                                                Entry("e3", 2, 8, 18)};
  EXPECT_EQ(Choose(queue), 1u);
  const std::vector<v1::WaitlistEntry> reversed = {queue[2], queue[1], queue[0]};
  EXPECT_EQ(Choose(reversed), 0u);
}

TEST(ChooseWaitlistEntryTest, EntriesOfferedTheSlotBeforeArePassedOver) {
  const std::vector<v1::WaitlistEntry> queue = {Entry("e1", 2, 9, 12), Entry("e2", 2, 9, 12),
                                                Entry("e3", 2, 9, 12)};
  EXPECT_EQ(Choose(queue, {"e1"}), 1u);
  EXPECT_EQ(Choose(queue, {"e1", "e2"}), 2u);
  EXPECT_EQ(Choose(queue, {"e1", "e2", "e3"}), std::nullopt);
}

TEST(ChooseWaitlistEntryTest, OnlyWaitingEntriesAreOfferedTheSlot) {
  std::vector<v1::WaitlistEntry> queue = {Entry("e1", 2, 9, 12), Entry("e2", 2, 9, 12), Entry("e3", 2, 9, 12),
                                          Entry("e4", 2, 9, 12), Entry("e5", 2, 9, 12)};
  queue[0].set_status(v1::WAITLIST_STATUS_OFFERED);
  queue[1].set_status(v1::WAITLIST_STATUS_BOOKED);
  queue[2].set_status(v1::WAITLIST_STATUS_LEFT);
  queue[3].set_status(v1::WAITLIST_STATUS_UNSPECIFIED);
  EXPECT_EQ(Choose(queue), 4u);
  queue[4].set_status(v1::WAITLIST_STATUS_OFFERED);
  EXPECT_EQ(Choose(queue), std::nullopt);
}

TEST(ChooseWaitlistEntryTest, AnEntryWhoseZoneDoesNotLoadIsPassedOver) {
  const std::vector<v1::WaitlistEntry> queue = {Entry("e1", 2, 9, 12, "Mars/Olympus_Mons"),
                                                Entry("e2", 2, 9, 12, "not a zone"), Entry("e3", 2, 9, 12)};
  EXPECT_EQ(Choose(queue), 2u);
}

TEST(ChooseWaitlistEntryTest, TheEntrysOwnZoneReadsTheSlot) {
  // 10:00 in Berlin (CEST) is 04:00 in New York: only a New York window that holds 04:00 fits.
  const std::vector<v1::WaitlistEntry> queue = {Entry("e1", 2, 9, 12, "America/New_York"),
                                                Entry("e2", 2, 4, 5, "America/New_York")};
  EXPECT_EQ(Choose(queue), 1u);
}

TEST(ChooseWaitlistEntryTest, AnUnreadableStoredWindowIsIgnoredButTheOthersCount) {
  v1::WaitlistEntry broken = Entry("e1", 2, 9, 12);
  broken.mutable_windows(0)->set_weekday(9);
  v1::WaitlistEntry mixed = Entry("e2", 2, 9, 12);
  mixed.mutable_windows()->Add()->set_weekday(0);
  mixed.mutable_windows()->SwapElements(0, 1);  // the unreadable window first
  EXPECT_EQ(Choose({broken, mixed}), 1u);
}

TEST(ChooseWaitlistEntryTest, NobodyFitsIsNullopt) {
  EXPECT_EQ(Choose({}), std::nullopt);
  EXPECT_EQ(Choose({Entry("e1", 2, 11, 12), Entry("e2", 3, 9, 12), Entry("e3", 2, 9, 10)}), std::nullopt);
}

// ---- HoldExpiry ----

TEST(HoldExpiryTest, TheHoldEndsAfterItsLengthOrWhenTheSlotStartsWhicheverIsFirst) {
  const absl::Time now = absl::FromCivil(absl::CivilMinute(2026, 6, 2, 8, 0), absl::UTCTimeZone());
  EXPECT_EQ(HoldExpiry(now, absl::Hours(2), now + absl::Hours(30)), now + absl::Hours(2));
  EXPECT_EQ(HoldExpiry(now, absl::Hours(2), now + absl::Minutes(45)), now + absl::Minutes(45));
  EXPECT_EQ(HoldExpiry(now, absl::Hours(2), now + absl::Hours(2)), now + absl::Hours(2));
  EXPECT_EQ(HoldExpiry(now, kDefaultWaitlistHold, now + absl::Hours(3)), now + absl::Hours(2));
}

}  // namespace
}  // namespace tandem::scheduling
