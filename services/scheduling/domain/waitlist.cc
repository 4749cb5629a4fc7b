#include "services/scheduling/domain/waitlist.h"

#include <algorithm>

#include "common/time/time_zone.h"

namespace tandem::scheduling {
namespace {

constexpr int kMinutesInDay = 24 * 60;

int MinuteOfDay(const absl::CivilMinute& t) { return t.hour() * 60 + t.minute(); }

// A stored window as a rule; nullopt for one that is not well formed (stored entries were validated when
// they joined, so this only guards against a record written by hand).
std::optional<WorkingHoursRule> RuleOf(const v1::WorkingInterval& w) {
  if (w.weekday() < 1 || w.weekday() > 7) return std::nullopt;
  WorkingHoursRule rule;
  rule.weekday = static_cast<absl::Weekday>(w.weekday() - 1);
  rule.start_minute = w.start().hours() * 60 + w.start().minutes();
  rule.end_minute = w.until_midnight() ? kMinutesInDay : w.end().hours() * 60 + w.end().minutes();
  if (rule.start_minute < 0 || rule.end_minute <= rule.start_minute || rule.end_minute > kMinutesInDay) {
    return std::nullopt;
  }
  if (w.has_effective_from()) {
    rule.effective_from =
        absl::CivilDay(w.effective_from().year(), w.effective_from().month(), w.effective_from().day());
  }
  if (w.has_effective_until()) {
    rule.effective_until =
        absl::CivilDay(w.effective_until().year(), w.effective_until().month(), w.effective_until().day());
  }
  return rule;
}

}  // namespace

bool SlotFitsWindows(const Interval& slot, absl::Span<const WorkingHoursRule> windows, absl::TimeZone zone) {
  if (slot.empty()) return false;
  const absl::CivilMinute start = absl::ToCivilMinute(slot.start, zone);
  const absl::CivilMinute end = absl::ToCivilMinute(slot.end, zone);
  const absl::CivilDay day(start);
  const int start_minute = MinuteOfDay(start);
  int end_minute = MinuteOfDay(end);
  if (absl::CivilDay(end) == day + 1 && end_minute == 0) {
    end_minute = kMinutesInDay;  // ends at the local midnight that closes the day
  } else if (absl::CivilDay(end) != day) {
    return false;  // runs into the next local day
  }
  return std::any_of(windows.begin(), windows.end(), [&](const WorkingHoursRule& w) {
    return w.weekday == absl::GetWeekday(day) && (!w.effective_from || *w.effective_from <= day) &&
           (!w.effective_until || day <= *w.effective_until) && w.start_minute <= start_minute &&
           end_minute <= w.end_minute;
  });
}

absl::StatusOr<std::optional<size_t>> ChooseWaitlistEntry(
    absl::Span<const v1::WaitlistEntry> queue, const Interval& slot,
    const absl::flat_hash_set<std::string>& offered_before) {
  for (size_t i = 0; i < queue.size(); ++i) {
    const v1::WaitlistEntry& entry = queue[i];
    if (entry.status() != v1::WAITLIST_STATUS_WAITING || offered_before.contains(entry.entry_id())) continue;
    absl::StatusOr<absl::TimeZone> zone = LoadTimeZone(entry.time_zone());
    if (!zone.ok()) {
      if (zone.status().code() == absl::StatusCode::kInvalidArgument) continue;
      return zone.status();
    }
    std::vector<WorkingHoursRule> windows;
    for (const v1::WorkingInterval& w : entry.windows()) {
      std::optional<WorkingHoursRule> rule = RuleOf(w);
      if (rule.has_value()) windows.push_back(*rule);
    }
    if (SlotFitsWindows(slot, windows, *zone)) return i;
  }
  return std::nullopt;
}

absl::Time HoldExpiry(absl::Time now, absl::Duration hold, absl::Time slot_start) {
  return std::min(now + hold, slot_start);
}

}  // namespace tandem::scheduling
