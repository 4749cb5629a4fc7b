#ifndef TANDEM_SERVICES_SCHEDULING_DOMAIN_INTERVAL_H_
#define TANDEM_SERVICES_SCHEDULING_DOMAIN_INTERVAL_H_

#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace tandem::scheduling {

// A half-open span of instants [start, end). Half-open so that back-to-back appointments (one ends at 10:00,
// the next starts at 10:00) do not overlap, and so that splitting a span at an instant loses nothing.
struct Interval {
  absl::Time start;
  absl::Time end;

  bool empty() const { return end <= start; }
  absl::Duration length() const { return empty() ? absl::ZeroDuration() : end - start; }
  // start <= t < end.
  bool Contains(absl::Time t) const { return start <= t && t < end; }
  // Every instant of `other` is in this interval (an empty `other` is contained nowhere).
  bool Contains(const Interval& other) const {
    return !other.empty() && start <= other.start && other.end <= end;
  }

  friend bool operator==(const Interval& a, const Interval& b) {
    return a.start == b.start && a.end == b.end;
  }
  friend bool operator!=(const Interval& a, const Interval& b) { return !(a == b); }
};

// INVALID_ARGUMENT unless start < end.
absl::StatusOr<Interval> MakeInterval(absl::Time start, absl::Time end);

// Whether the two share at least one instant: touching intervals ([9, 10) and [10, 11)) do not overlap, and
// an empty interval overlaps nothing.
bool Overlaps(const Interval& a, const Interval& b);

// The same instants as `intervals`, as a sorted list of disjoint, non-touching, non-empty intervals.
std::vector<Interval> Merge(std::vector<Interval> intervals);

// The instants of `from` that are in none of `remove`, merged as by Merge.
std::vector<Interval> Subtract(std::vector<Interval> from, std::vector<Interval> remove);

// Whether `candidate` overlaps any interval of `merged`, which must be the output of Merge (sorted,
// disjoint): a binary search, so slot search stays fast over hundreds of busy intervals.
bool OverlapsAnyMerged(const Interval& candidate, const std::vector<Interval>& merged);

}  // namespace tandem::scheduling

#endif  // TANDEM_SERVICES_SCHEDULING_DOMAIN_INTERVAL_H_
