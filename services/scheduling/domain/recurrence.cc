#include "services/scheduling/domain/recurrence.h"

#include <algorithm>
#include <set>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace tandem::scheduling {
namespace {

constexpr int kMinutesPerDay = 24 * 60;

// The Monday on or before `day`.
absl::CivilDay WeekStart(absl::CivilDay day) { return absl::PrevWeekday(day + 1, absl::Weekday::monday); }

// The local starts a structurally valid rule generates, stopping after `limit` (so an unbounded until-rule
// costs at most limit + 1 steps of a week each).
std::vector<absl::CivilMinute> Generate(const RecurrenceRule& rule, int limit) {
  std::vector<absl::CivilMinute> starts;
  const int wanted = rule.count.has_value() ? std::min(*rule.count, limit) : limit;
  std::vector<absl::Weekday> days = rule.weekdays;
  // absl::Weekday counts from Monday, so sorted weekdays come out in date order within a week.
  std::sort(days.begin(), days.end());
  for (absl::CivilDay week = WeekStart(rule.first_date);;
       week += absl::civil_diff_t{7} * rule.interval_weeks) {
    if (rule.until.has_value() && week > *rule.until) return starts;
    for (absl::Weekday wd : days) {
      const absl::CivilDay day = absl::PrevWeekday(week + 7, wd);  // the `wd` of this week
      if (day < rule.first_date) continue;
      if (rule.until.has_value() && day > *rule.until) return starts;
      if (static_cast<int>(starts.size()) >= wanted) return starts;
      starts.push_back(absl::CivilMinute(day) + rule.start_minute);
    }
    if (static_cast<int>(starts.size()) >= wanted) return starts;
  }
}

}  // namespace

std::vector<FieldViolation> ValidateRecurrence(const RecurrenceRule& rule) {
  std::vector<FieldViolation> v;
  if (rule.interval_weeks < 1 || rule.interval_weeks > kMaxIntervalWeeks) {
    v.push_back({"interval_weeks", absl::StrCat("must be between 1 and ", kMaxIntervalWeeks)});
  }
  if (rule.weekdays.empty()) {
    v.push_back({"weekdays", "must name at least one weekday"});
  } else if (std::set<absl::Weekday>(rule.weekdays.begin(), rule.weekdays.end()).size() !=
             rule.weekdays.size()) {
    v.push_back({"weekdays", "must not name a weekday twice"});
  }
  if (rule.start_minute < 0 || rule.start_minute >= kMinutesPerDay) {
    v.push_back({"start_minute", "must be a time of day between 00:00 and 23:59"});
  }
  if (rule.duration <= absl::ZeroDuration()) {
    v.push_back({"duration", "must be positive"});
  } else if (rule.duration > kMaxSessionLength) {
    v.push_back({"duration", "must be at most 8 hours"});
  }
  if (!rule.count.has_value() && !rule.until.has_value()) {
    v.push_back({"count", "a series needs a count or an until date"});
  } else if (rule.count.has_value() && rule.until.has_value()) {
    v.push_back({"until", "give either a count or an until date, not both"});
  }
  if (rule.count.has_value() && (*rule.count < 1 || *rule.count > kMaxOccurrences)) {
    v.push_back({"count", absl::StrCat("must be between 1 and ", kMaxOccurrences)});
  }
  if (rule.until.has_value()) {
    if (*rule.until < rule.first_date) {
      v.push_back({"until", "must not be before first_date"});
    } else if (*rule.until - rule.first_date > kMaxSeriesSpanDays) {
      v.push_back({"until", absl::StrCat("must be at most ", kMaxSeriesSpanDays, " days after first_date")});
    }
  }
  // Only a rule that is otherwise sound can be counted.
  if (v.empty()) {
    const size_t n = Generate(rule, kMaxOccurrences + 1).size();
    if (n == 0) {
      v.push_back({"until", "the series has no occurrence on or before this date"});
    } else if (n > static_cast<size_t>(kMaxOccurrences)) {
      v.push_back(
          {"until", absl::StrCat("the series would have more than ", kMaxOccurrences, " occurrences")});
    }
  }
  return v;
}

absl::StatusOr<std::vector<absl::CivilMinute>> ExpandLocal(const RecurrenceRule& rule) {
  if (std::vector<FieldViolation> v = ValidateRecurrence(rule); !v.empty()) return ViolationsToStatus(v);
  return Generate(rule, kMaxOccurrences);
}

absl::StatusOr<std::vector<Occurrence>> Expand(const RecurrenceRule& rule, const absl::TimeZone& zone) {
  absl::StatusOr<std::vector<absl::CivilMinute>> starts = ExpandLocal(rule);
  if (!starts.ok()) return starts.status();
  std::vector<Occurrence> occurrences;
  occurrences.reserve(starts->size());
  for (const absl::CivilMinute& local : *starts) {
    const absl::Time start = zone.At(local).pre;  // see the header: RFC 5545 for gaps and repeats
    occurrences.push_back({local, Interval{start, start + rule.duration}});
  }
  return occurrences;
}

absl::StatusOr<SplitSeries> SplitAt(const RecurrenceRule& rule, absl::CivilMinute at) {
  absl::StatusOr<std::vector<absl::CivilMinute>> starts = ExpandLocal(rule);
  if (!starts.ok()) return starts.status();
  const auto it = std::find(starts->begin(), starts->end(), at);
  if (it == starts->end()) return absl::NotFoundError("no occurrence of the series starts at that time");
  const int index = static_cast<int>(it - starts->begin());

  SplitSeries split{std::nullopt, rule};
  split.from.first_date = absl::CivilDay(at);
  if (rule.count.has_value()) split.from.count = *rule.count - index;
  if (index > 0) {
    RecurrenceRule before = rule;
    if (rule.count.has_value()) {
      before.count = index;
    } else {
      before.until = absl::CivilDay(at) - 1;
    }
    split.before = before;
  }
  return split;
}

}  // namespace tandem::scheduling
