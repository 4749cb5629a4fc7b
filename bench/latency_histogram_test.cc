#include "bench/latency_histogram.h"

#include <cstdint>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace tandem::bench {
namespace {

TEST(LatencyHistogramTest, EmptyReportsZero) {
  LatencyHistogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.max(), 0u);
  EXPECT_EQ(h.mean(), 0.0);
  EXPECT_EQ(h.Percentile(0.5), 0u);
  EXPECT_EQ(h.Percentile(1.0), 0u);
}

TEST(LatencyHistogramTest, SmallValuesAreExact) {
  for (uint64_t v = 0; v < LatencyHistogram::kSubBuckets; ++v) {
    EXPECT_EQ(LatencyHistogram::BucketIndex(v), v);
    EXPECT_EQ(LatencyHistogram::BucketLowerBound(v), v);
    EXPECT_EQ(LatencyHistogram::BucketUpperBound(v), v);
  }
  LatencyHistogram h;
  for (uint64_t v = 1; v <= 100; ++v) h.Record(v);
  EXPECT_EQ(h.Percentile(0.5), 50u);
  EXPECT_EQ(h.Percentile(0.9), 90u);
  EXPECT_EQ(h.Percentile(0.99), 99u);
  EXPECT_EQ(h.Percentile(0.0), 1u);
  EXPECT_EQ(h.Percentile(1.0), 100u);
  EXPECT_DOUBLE_EQ(h.mean(), 50.5);
}

TEST(LatencyHistogramTest, BucketsTileTheWholeRangeWithoutGaps) {
  EXPECT_EQ(LatencyHistogram::BucketLowerBound(0), 0u);
  for (size_t i = 1; i < LatencyHistogram::kBucketCount; ++i) {
    ASSERT_EQ(LatencyHistogram::BucketLowerBound(i), LatencyHistogram::BucketUpperBound(i - 1) + 1) << i;
  }
  EXPECT_EQ(LatencyHistogram::BucketUpperBound(LatencyHistogram::kBucketCount - 1), UINT64_MAX);
  EXPECT_EQ(LatencyHistogram::BucketIndex(UINT64_MAX), LatencyHistogram::kBucketCount - 1);
}

TEST(LatencyHistogramTest, EveryValueLiesInItsBucketWithinRelativeError) {
  std::mt19937_64 rng(42);
  for (int i = 0; i < 100000; ++i) {
    // Spread over every magnitude, not just the top bits.
    const uint64_t v = rng() >> (rng() % 64);
    const size_t index = LatencyHistogram::BucketIndex(v);
    ASSERT_LT(index, LatencyHistogram::kBucketCount);
    const uint64_t lo = LatencyHistogram::BucketLowerBound(index);
    const uint64_t hi = LatencyHistogram::BucketUpperBound(index);
    ASSERT_LE(lo, v);
    ASSERT_GE(hi, v);
    // The reported value (upper bound) overstates by at most 1/128 of the value.
    ASSERT_LE(static_cast<long double>(hi - v), static_cast<long double>(v) / LatencyHistogram::kSubBuckets)
        << v;
  }
}

TEST(LatencyHistogramTest, PercentilesOfAUniformSpreadAreWithinOnePercent) {
  LatencyHistogram h;
  // 1 us .. 100 ms in nanoseconds, in steps of 1 us: quantile q is close to q * 100 ms.
  for (uint64_t us = 1; us <= 100000; ++us) h.Record(us * 1000);
  for (double q : {0.5, 0.9, 0.99, 0.999}) {
    const double expected = q * 100000 * 1000;
    const double got = static_cast<double>(h.Percentile(q));
    EXPECT_GE(got, expected) << q;  // never understated
    EXPECT_LE(got, expected * 1.01) << q;
  }
  EXPECT_EQ(h.Percentile(1.0), 100000u * 1000);
  EXPECT_EQ(h.min(), 1000u);
}

TEST(LatencyHistogramTest, ATailIsVisibleAtTheRightPercentile) {
  LatencyHistogram h;
  for (int i = 0; i < 990; ++i) h.Record(100000);     // 100 us
  for (int i = 0; i < 10; ++i) h.Record(50'000'000);  // 50 ms: the slowest 1%
  EXPECT_LE(h.Percentile(0.99), 100000u * 129 / 128);
  EXPECT_GE(h.Percentile(0.991), 50'000'000u);
  EXPECT_EQ(h.Percentile(0.999), 50'000'000u);  // clamped to the largest value seen
}

TEST(LatencyHistogramTest, MergeEqualsRecordingEverythingInOne) {
  LatencyHistogram a, b, all;
  std::mt19937_64 rng(7);
  for (int i = 0; i < 5000; ++i) {
    const uint64_t v = rng() % 10'000'000;
    (i % 3 == 0 ? a : b).Record(v);
    all.Record(v);
  }
  a.Merge(b);
  a.Merge(LatencyHistogram());
  EXPECT_EQ(a.count(), all.count());
  EXPECT_EQ(a.min(), all.min());
  EXPECT_EQ(a.max(), all.max());
  EXPECT_DOUBLE_EQ(a.mean(), all.mean());
  for (double q : {0.0, 0.1, 0.5, 0.9, 0.99, 0.999, 1.0}) EXPECT_EQ(a.Percentile(q), all.Percentile(q)) << q;
}

TEST(LatencyHistogramTest, OutOfRangeQuantilesAreClamped) {
  LatencyHistogram h;
  h.Record(5);
  h.Record(500000);
  EXPECT_EQ(h.Percentile(-1), 5u);
  EXPECT_EQ(h.Percentile(2), 500000u);
}

}  // namespace
}  // namespace tandem::bench
