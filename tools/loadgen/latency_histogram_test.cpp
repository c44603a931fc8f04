#include "latency_histogram.hpp"

#include <gtest/gtest.h>

#include <cstdint>

namespace boxoffice::loadgen {
namespace {

// Within `share` of `expected`, as a relative error.
void ExpectNear(std::int64_t actual, std::int64_t expected, double share) {
  EXPECT_NEAR(static_cast<double>(actual), static_cast<double>(expected),
              share * static_cast<double>(expected))
      << "expected about " << expected;
}

TEST(LatencyHistogram, EmptyReportsZero) {
  LatencyHistogram h;
  EXPECT_EQ(h.Count(), 0);
  EXPECT_EQ(h.Percentile(50), 0);
  EXPECT_EQ(h.Max(), 0);
}

TEST(LatencyHistogram, SmallValuesAreExact) {
  LatencyHistogram h;
  for (int v = 1; v <= 200; ++v) h.Record(v);
  EXPECT_EQ(h.Percentile(50), 100);
  EXPECT_EQ(h.Percentile(95), 190);
  EXPECT_EQ(h.Percentile(100), 200);
  EXPECT_EQ(h.Min(), 1);
}

TEST(LatencyHistogram, PercentilesOfAUniformSpreadAreWithinOnePercent) {
  LatencyHistogram h;
  for (std::int64_t v = 1; v <= 100'000; ++v) h.Record(v * 37);  // 37 us .. 3.7 s
  EXPECT_EQ(h.Count(), 100'000);
  ExpectNear(h.Percentile(50), 50'000 * 37, 0.01);
  ExpectNear(h.Percentile(95), 95'000 * 37, 0.01);
  ExpectNear(h.Percentile(99), 99'000 * 37, 0.01);
  EXPECT_EQ(h.Max(), 100'000 * 37);
}

TEST(LatencyHistogram, EveryValueFallsInABucketThatContainsIt) {
  for (std::int64_t v : {0LL, 1LL, 255LL, 256LL, 257LL, 511LL, 512LL, 1'000LL, 65'535LL,
                         1'234'567LL, 987'654'321LL, 1'099'511'627'775LL}) {
    const auto b = LatencyHistogram::BucketOf(v);
    EXPECT_LE(LatencyHistogram::BucketLow(b), v) << v;
    EXPECT_GT(LatencyHistogram::BucketLow(b) + LatencyHistogram::BucketWidth(b), v) << v;
    // Log-linear: a bucket is never wider than 1/128 of its lower bound.
    if (v >= 256) {
      EXPECT_LE(LatencyHistogram::BucketWidth(b) * 128, LatencyHistogram::BucketLow(b)) << v;
    }
  }
}

TEST(LatencyHistogram, BucketsAreContiguous) {
  for (std::size_t b = 0; b + 1 < 2'000; ++b) {
    EXPECT_EQ(LatencyHistogram::BucketLow(b) + LatencyHistogram::BucketWidth(b),
              LatencyHistogram::BucketLow(b + 1))
        << b;
  }
}

TEST(LatencyHistogram, SkewedSampleTailIsFound) {
  LatencyHistogram h;
  for (int i = 0; i < 990; ++i) h.Record(1'000);     // 1 ms
  for (int i = 0; i < 10; ++i) h.Record(2'000'000);  // 2 s: the top 1%
  ExpectNear(h.Percentile(50), 1'000, 0.01);
  ExpectNear(h.Percentile(99), 1'000, 0.01);
  ExpectNear(h.Percentile(99.5), 2'000'000, 0.01);
  EXPECT_EQ(h.Max(), 2'000'000);
}

TEST(LatencyHistogram, MergeEqualsRecordingEverythingInOne) {
  LatencyHistogram a, b, all;
  for (int v = 0; v < 5'000; ++v) {
    (v % 3 == 0 ? a : b).Record(v * 101);
    all.Record(v * 101);
  }
  a.Merge(b);
  EXPECT_EQ(a.Count(), all.Count());
  EXPECT_EQ(a.Max(), all.Max());
  EXPECT_EQ(a.Min(), all.Min());
  for (double p : {1.0, 50.0, 90.0, 99.0, 99.9, 100.0})
    EXPECT_EQ(a.Percentile(p), all.Percentile(p));
}

TEST(LatencyHistogram, OutOfRangeValuesAreClamped) {
  LatencyHistogram h;
  h.Record(-5);
  h.Record(std::int64_t{1} << 50);
  EXPECT_EQ(h.Count(), 2);
  EXPECT_EQ(h.Min(), 0);
  EXPECT_LT(h.Max(), std::int64_t{1} << 42);
}

}  // namespace
}  // namespace boxoffice::loadgen
