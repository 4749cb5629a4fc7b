#include "services/scheduling/domain/interval.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"

namespace tandem::scheduling {

absl::StatusOr<Interval> MakeInterval(absl::Time start, absl::Time end) {
  if (!(start < end)) return absl::InvalidArgumentError("an interval must end after it starts");
  return Interval{start, end};
}

bool Overlaps(const Interval& a, const Interval& b) {
  return !a.empty() && !b.empty() && a.start < b.end && b.start < a.end;
}

std::vector<Interval> Merge(std::vector<Interval> intervals) {
  std::erase_if(intervals, [](const Interval& i) { return i.empty(); });
  std::sort(intervals.begin(), intervals.end(),
            [](const Interval& a, const Interval& b) { return a.start < b.start; });
  std::vector<Interval> merged;
  for (const Interval& i : intervals) {
    if (!merged.empty() && i.start <= merged.back().end) {
      merged.back().end = std::max(merged.back().end, i.end);
    } else {
      merged.push_back(i);
    }
  }
  return merged;
}

std::vector<Interval> Subtract(std::vector<Interval> from, std::vector<Interval> remove) {
  const std::vector<Interval> keep = Merge(std::move(from));
  const std::vector<Interval> cut = Merge(std::move(remove));
  std::vector<Interval> result;
  size_t c = 0;
  for (Interval rest : keep) {
    while (c < cut.size() && cut[c].end <= rest.start) ++c;
    for (size_t j = c; j < cut.size() && cut[j].start < rest.end; ++j) {
      if (rest.start < cut[j].start) result.push_back({rest.start, cut[j].start});
      rest.start = std::max(rest.start, cut[j].end);
    }
    if (!rest.empty()) result.push_back(rest);
  }
  return result;
}

bool OverlapsAnyMerged(const Interval& candidate, const std::vector<Interval>& merged) {
  if (candidate.empty()) return false;
  // The first interval that ends after the candidate starts is the only one that can overlap it.
  auto it = std::upper_bound(merged.begin(), merged.end(), candidate.start,
                             [](absl::Time t, const Interval& i) { return t < i.end; });
  return it != merged.end() && it->start < candidate.end;
}

}  // namespace tandem::scheduling
