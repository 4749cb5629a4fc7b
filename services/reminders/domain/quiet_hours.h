#ifndef TANDEM_SERVICES_REMINDERS_DOMAIN_QUIET_HOURS_H_
#define TANDEM_SERVICES_REMINDERS_DOMAIN_QUIET_HOURS_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace tandem::reminders {

// A daily window [start, end) of local civil time in which the recipient gets no reminders. The window may
// span midnight (22:00-07:00). Times are minutes since local midnight; "no quiet hours" is the absence of a
// QuietHours, not an empty window.
class QuietHours {
 public:
  // INVALID_ARGUMENT unless both are in [0, 1440) and differ.
  static absl::StatusOr<QuietHours> Create(int start_minute, int end_minute);
  // From "HH:MM" texts (24-hour clock), e.g. Parse("22:00", "07:00").
  static absl::StatusOr<QuietHours> Parse(absl::string_view start, absl::string_view end);

  int start_minute() const { return start_minute_; }
  int end_minute() const { return end_minute_; }
  bool spans_midnight() const { return start_minute_ > end_minute_; }

  // Whether the local wall-clock time of `t` in `zone` falls inside the window.
  bool Contains(absl::Time t, const absl::TimeZone& zone) const;

 private:
  QuietHours(int start_minute, int end_minute) : start_minute_(start_minute), end_minute_(end_minute) {}

  int start_minute_;
  int end_minute_;
};

// The first instant at or after `due` outside the quiet window: `due` itself when it is allowed, otherwise
// the window's end in the recipient's local time. Across daylight-saving changes: an end time that does not
// exist that day (skipped by a spring-forward) becomes the instant the clocks jump, and an end time that
// occurs twice (fall-back) is its first occurrence after `due`.
absl::Time NextAllowedTime(absl::Time due, const absl::TimeZone& zone, const QuietHours& quiet);

}  // namespace tandem::reminders

#endif  // TANDEM_SERVICES_REMINDERS_DOMAIN_QUIET_HOURS_H_
