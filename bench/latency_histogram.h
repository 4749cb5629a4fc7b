#ifndef TANDEM_BENCH_LATENCY_HISTOGRAM_H_
#define TANDEM_BENCH_LATENCY_HISTOGRAM_H_

#include <array>
#include <cstddef>
#include <cstdint>

namespace tandem::bench {

// Counts latencies (any non-negative integer unit; the load generator uses nanoseconds) in log-linear
// buckets, the layout HdrHistogram uses: values below 128 are exact, and every power-of-two range above is
// split into 128 equal buckets, so a reported value is never more than 1/128 (< 0.8%) above the true one,
// over the whole uint64 range, in a fixed 58 KiB with O(1) recording. It is written here because no
// HdrHistogram for C++ is packaged for Debian, and the part a load generator needs is this small.
//
// Percentiles report the upper edge of the bucket holding the requested rank (clamped to the largest value
// seen), so latency is never understated. Not thread-safe: one writer, or a lock around it.
class LatencyHistogram {
 public:
  // Exact below this; the number of buckets per power of two above it.
  static constexpr int kSubBucketBits = 7;
  static constexpr uint64_t kSubBuckets = uint64_t{1} << kSubBucketBits;
  static constexpr size_t kBucketCount = (64 - kSubBucketBits + 1) * kSubBuckets;

  LatencyHistogram() = default;

  void Record(uint64_t value);
  // Adds every count of `other` to this one.
  void Merge(const LatencyHistogram& other);

  uint64_t count() const { return count_; }
  // 0 when empty.
  uint64_t min() const { return count_ == 0 ? 0 : min_; }
  uint64_t max() const { return max_; }
  double mean() const;

  // The value at quantile q in [0, 1] (q is clamped): the smallest bucket bound such that at least
  // ceil(q * count) values are at or below it. 0 when empty; Percentile(0) is min(), Percentile(1) is max().
  uint64_t Percentile(double q) const;

  // The bucket a value falls in, and the inclusive value range of a bucket (exposed for tests).
  static size_t BucketIndex(uint64_t value);
  static uint64_t BucketLowerBound(size_t index);
  static uint64_t BucketUpperBound(size_t index);

 private:
  std::array<uint64_t, kBucketCount> counts_{};
  uint64_t count_ = 0;
  uint64_t min_ = UINT64_MAX;
  uint64_t max_ = 0;
  // Long double keeps the mean exact enough for counts of billions of nanosecond values.
  long double sum_ = 0;
};

}  // namespace tandem::bench

#endif  // TANDEM_BENCH_LATENCY_HISTOGRAM_H_
