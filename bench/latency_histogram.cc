#include "bench/latency_histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace tandem::bench {

size_t LatencyHistogram::BucketIndex(uint64_t value) {
  if (value < kSubBuckets) return static_cast<size_t>(value);
  // shift >= 0 is how many low bits the bucket ignores; the top kSubBucketBits + 1 bits pick the bucket.
  const int shift = std::bit_width(value) - 1 - kSubBucketBits;
  const uint64_t top = value >> shift;  // in [kSubBuckets, 2 * kSubBuckets)
  return static_cast<size_t>((static_cast<uint64_t>(shift) + 1) * kSubBuckets + (top - kSubBuckets));
}

uint64_t LatencyHistogram::BucketLowerBound(size_t index) {
  if (index < kSubBuckets) return index;
  const uint64_t shift = index / kSubBuckets - 1;
  const uint64_t top = index % kSubBuckets + kSubBuckets;
  return top << shift;
}

uint64_t LatencyHistogram::BucketUpperBound(size_t index) {
  if (index < kSubBuckets) return index;
  const uint64_t shift = index / kSubBuckets - 1;
  const uint64_t top = index % kSubBuckets + kSubBuckets;
  // (top + 1) << shift overflows for the very last bucket; subtracting first keeps it in range.
  return (top << shift) + ((uint64_t{1} << shift) - 1);
}

void LatencyHistogram::Record(uint64_t value) {
  ++counts_[BucketIndex(value)];
  ++count_;
  min_ = std::min(min_, value);
  max_ = std::max(max_, value);
  sum_ += static_cast<long double>(value);
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  if (other.count_ == 0) return;
  for (size_t i = 0; i < kBucketCount; ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  sum_ += other.sum_;
}

double LatencyHistogram::mean() const {
  return count_ == 0 ? 0.0 : static_cast<double>(sum_ / static_cast<long double>(count_));
}

uint64_t LatencyHistogram::Percentile(double q) const {
  if (count_ == 0) return 0;
  if (!(q > 0)) return min_;  // also catches NaN
  if (q >= 1) return max_;
  // The nearest rank, ceil(q * count). The product is shrunk by a relative 1e-12 first, so that 0.9 * 100,
  // computed as 90.000000000000002, is rank 90 and not 91.
  const long double exact_rank = static_cast<long double>(q) * static_cast<long double>(count_);
  const auto rank = std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(exact_rank * (1 - 1e-12L))));
  uint64_t seen = 0;
  for (size_t i = 0; i < kBucketCount; ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::clamp(BucketUpperBound(i), min_, max_);
  }
  return max_;
}

}  // namespace tandem::bench
