#pragma once

#include <cstdint>
#include <vector>

namespace boxoffice::loadgen {

// An HDR-style latency histogram: log-linear buckets over microseconds. Values below 256 us get
// a bucket each; above, every power of two is split into 128 equal buckets, so a reported
// percentile is within 1/128 (< 0.8%) of the true value. Recording is O(1) and allocation-free,
// and histograms of several threads merge exactly by adding counts.
class LatencyHistogram {
 public:
  LatencyHistogram();

  // Negative values count as 0; values past the top (about 12 days) as the top.
  void Record(std::int64_t micros);
  void Merge(const LatencyHistogram& other);

  std::int64_t Count() const { return count_; }
  std::int64_t Max() const { return max_; }                    // exact
  std::int64_t Min() const { return count_ == 0 ? 0 : min_; }  // exact
  // The value at `percentile` (0..100]: the smallest bucket value with at least that share of
  // the samples at or below it, reported as the bucket's midpoint (never above Max()). 0 when
  // empty.
  std::int64_t Percentile(double percentile) const;

  // Bucket arithmetic, exposed for the tests.
  static std::size_t BucketOf(std::int64_t micros);
  static std::int64_t BucketLow(std::size_t bucket);
  static std::int64_t BucketWidth(std::size_t bucket);

 private:
  std::vector<std::int64_t> counts_;
  std::int64_t count_ = 0;
  std::int64_t max_ = 0;
  std::int64_t min_ = 0;
};

}  // namespace boxoffice::loadgen
