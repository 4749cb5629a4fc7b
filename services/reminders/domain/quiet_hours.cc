#include "services/reminders/domain/quiet_hours.h"

#include "absl/strings/ascii.h"
#include "absl/time/civil_time.h"

namespace tandem::reminders {
namespace {

constexpr int kMinutesPerDay = 24 * 60;

// "HH:MM" -> minutes since midnight, or -1.
int ParseClock(absl::string_view text) {
  if (text.size() != 5 || text[2] != ':') return -1;
  for (size_t i : {0, 1, 3, 4}) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(text[i]))) return -1;
  }
  const int hour = (text[0] - '0') * 10 + (text[1] - '0');
  const int minute = (text[3] - '0') * 10 + (text[4] - '0');
  if (hour > 23 || minute > 59) return -1;
  return hour * 60 + minute;
}

// Seconds since local midnight of the civil time `cs`.
int SecondOfDay(const absl::CivilSecond& cs) { return cs.hour() * 3600 + cs.minute() * 60 + cs.second(); }

}  // namespace

absl::StatusOr<QuietHours> QuietHours::Create(int start_minute, int end_minute) {
  if (start_minute < 0 || start_minute >= kMinutesPerDay || end_minute < 0 || end_minute >= kMinutesPerDay) {
    return absl::InvalidArgumentError("quiet hours must be times of day between 00:00 and 23:59");
  }
  if (start_minute == end_minute) {
    return absl::InvalidArgumentError("quiet hours start and end must differ");
  }
  return QuietHours(start_minute, end_minute);
}

absl::StatusOr<QuietHours> QuietHours::Parse(absl::string_view start, absl::string_view end) {
  const int start_minute = ParseClock(start);
  const int end_minute = ParseClock(end);
  if (start_minute < 0) return absl::InvalidArgumentError("quiet hours start must be HH:MM (24-hour clock)");
  if (end_minute < 0) return absl::InvalidArgumentError("quiet hours end must be HH:MM (24-hour clock)");
  return Create(start_minute, end_minute);
}

bool QuietHours::Contains(absl::Time t, const absl::TimeZone& zone) const {
  const int second = SecondOfDay(zone.At(t).cs);
  const int start = start_minute_ * 60;
  const int end = end_minute_ * 60;
  return spans_midnight() ? (second >= start || second < end) : (second >= start && second < end);
}

absl::Time NextAllowedTime(absl::Time due, const absl::TimeZone& zone, const QuietHours& quiet) {
  if (!quiet.Contains(due, zone)) return due;
  const absl::CivilSecond local = zone.At(due).cs;
  absl::CivilDay end_day = absl::CivilDay(local);
  // Inside a window that spans midnight and before midnight: the window ends tomorrow.
  if (quiet.spans_midnight() && SecondOfDay(local) >= quiet.start_minute() * 60) end_day += 1;
  const absl::CivilSecond end(end_day.year(), end_day.month(), end_day.day(), quiet.end_minute() / 60,
                              quiet.end_minute() % 60, 0);
  const absl::TimeZone::TimeInfo info = zone.At(end);
  switch (info.kind) {
    case absl::TimeZone::TimeInfo::UNIQUE:
      return info.pre;
    case absl::TimeZone::TimeInfo::SKIPPED:
      return info.trans;  // the wall clock jumps over `end`: the window ends when it jumps
    case absl::TimeZone::TimeInfo::REPEATED:
      return info.pre > due ? info.pre : info.post;
  }
  return info.pre;
}

}  // namespace tandem::reminders
