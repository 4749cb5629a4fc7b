#ifndef TANDEM_SERVICES_SCHEDULING_DOMAIN_RECURRENCE_H_
#define TANDEM_SERVICES_SCHEDULING_DOMAIN_RECURRENCE_H_

#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "services/scheduling/domain/field_violation.h"
#include "services/scheduling/domain/interval.h"

namespace tandem::scheduling {

// At most this many occurrences in one series (five years of weekly sessions), and at most this many local
// days from the first date to the until date, so one request cannot make a store write unbounded rows.
inline constexpr int kMaxOccurrences = 260;
inline constexpr int kMaxSeriesSpanDays = 5 * 366;
inline constexpr int kMaxIntervalWeeks = 52;
// Sessions are at most this long; a longer one is invalid input.
inline constexpr absl::Duration kMaxSessionLength = absl::Hours(8);

// A weekly series anchored in the clinician's local civil time: "every `interval_weeks` weeks on Tuesday and
// Thursday at 09:00 for 50 minutes, from 2026-03-03, 12 times". Local, not UTC, so a 09:00 session stays at
// 09:00 on the wall clock across daylight-saving changes.
//
// Weeks start on Monday (iCalendar's default WKST). The anchor week is the week holding `first_date`; an
// occurrence is on a chosen weekday, on or after `first_date`, in a week that is a multiple of
// `interval_weeks` after the anchor week. `first_date` need not be a chosen weekday (unlike iCalendar's
// DTSTART, it is not itself an occurrence unless its weekday is chosen).
struct RecurrenceRule {
  absl::CivilDay first_date;
  int interval_weeks = 1;
  std::vector<absl::Weekday> weekdays;
  int start_minute = 0;  // local time of day, minutes since midnight
  absl::Duration duration;
  // Exactly one of the two ends the series: after `count` occurrences, or after the last occurrence on or
  // before `until` (inclusive, local date).
  std::optional<int> count;
  std::optional<absl::CivilDay> until;
};

// One occurrence. `original_start` is its local start as the rule generates it and is the occurrence's
// identity (iCalendar's RECURRENCE-ID): an exception or a "this and following" split names an occurrence by
// it, and it does not change when that occurrence alone is moved.
struct Occurrence {
  absl::CivilMinute original_start;
  Interval utc;  // [start, start + duration): the duration is elapsed time, even across a clock change
};

// Every problem with the rule, each with its field: first_date, interval_weeks, weekdays, start_minute,
// duration, count, until. Empty when the rule is valid. Checks: 1 <= interval_weeks <= 52; at least one
// weekday and none twice; 0 <= start_minute < 1440; 0 < duration <= 8 h; exactly one of count and until;
// 1 <= count <= 260; first_date <= until <= first_date + 1830 days; at least one and at most 260
// occurrences.
std::vector<FieldViolation> ValidateRecurrence(const RecurrenceRule& rule);

// The local starts of every occurrence, in order; INVALID_ARGUMENT (naming the fields) for an invalid rule.
// Needs no time zone: occurrences are identified in local time.
absl::StatusOr<std::vector<absl::CivilMinute>> ExpandLocal(const RecurrenceRule& rule);

// Every occurrence with its UTC interval in `zone`. A local start that falls in a spring-forward gap (02:30
// on a day the clocks jump from 02:00 to 03:00) and one that occurs twice at a fall-back both use the offset
// in force before the transition (absl::TimeZone::TimeInfo::pre), as RFC 5545 prescribes: the gap's 02:30
// becomes 03:30 new time, and a repeated 01:30 is its first (daylight-time) occurrence. So a calendar app
// reading our feed puts the session where we do.
absl::StatusOr<std::vector<Occurrence>> Expand(const RecurrenceRule& rule, const absl::TimeZone& zone);

// A series cut for "this and following": `before` keeps the occurrences before `at` (nullopt when `at` is the
// first occurrence: then the whole series changes), `from` generates `at` and every later one. Expanding both
// yields exactly the original occurrences. A count-ended rule splits its count; an until-ended rule ends
// `before` on the day before `at` and keeps its until in `from`.
struct SplitSeries {
  std::optional<RecurrenceRule> before;
  RecurrenceRule from;
};

// NOT_FOUND when no occurrence of `rule` starts at local `at`; INVALID_ARGUMENT for an invalid rule.
absl::StatusOr<SplitSeries> SplitAt(const RecurrenceRule& rule, absl::CivilMinute at);

}  // namespace tandem::scheduling

#endif  // TANDEM_SERVICES_SCHEDULING_DOMAIN_RECURRENCE_H_
