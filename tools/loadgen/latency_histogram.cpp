#include "latency_histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace boxoffice::loadgen {
namespace {

constexpr int kSubBits = 8;                      // 2^8 values below the first split
constexpr std::int64_t kLinear = 1 << kSubBits;  // 256 exact buckets
constexpr std::int64_t kHalf = kLinear / 2;      // 128 buckets per further power of two
constexpr int kTopBit = 40;                      // 2^40 us, about 12.7 days
constexpr std::size_t kBuckets = kLinear + (kTopBit - kSubBits + 1) * kHalf;
constexpr std::int64_t kTop = (std::int64_t{1} << (kTopBit + 1)) - 1;

}  // namespace

LatencyHistogram::LatencyHistogram() : counts_(kBuckets, 0) {}

std::size_t LatencyHistogram::BucketOf(std::int64_t micros) {
  const auto v = static_cast<std::uint64_t>(std::clamp<std::int64_t>(micros, 0, kTop));
  if (v < static_cast<std::uint64_t>(kLinear)) return static_cast<std::size_t>(v);
  const int msb = std::bit_width(v) - 1;   // >= kSubBits
  const int shift = msb - (kSubBits - 1);  // keeps the top 8 bits: mantissa in [128, 256)
  const auto mantissa = static_cast<std::int64_t>(v >> shift);
  return static_cast<std::size_t>(kLinear + (shift - 1) * kHalf + (mantissa - kHalf));
}

std::int64_t LatencyHistogram::BucketLow(std::size_t bucket) {
  const auto b = static_cast<std::int64_t>(bucket);
  if (b < kLinear) return b;
  const std::int64_t shift = (b - kLinear) / kHalf + 1;
  const std::int64_t mantissa = (b - kLinear) % kHalf + kHalf;
  return mantissa << shift;
}

std::int64_t LatencyHistogram::BucketWidth(std::size_t bucket) {
  const auto b = static_cast<std::int64_t>(bucket);
  if (b < kLinear) return 1;
  return std::int64_t{1} << ((b - kLinear) / kHalf + 1);
}

void LatencyHistogram::Record(std::int64_t micros) {
  const std::int64_t v = std::clamp<std::int64_t>(micros, 0, kTop);
  ++counts_[BucketOf(v)];
  min_ = count_ == 0 ? v : std::min(min_, v);
  max_ = std::max(max_, v);
  ++count_;
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  if (other.count_ == 0) return;
  for (std::size_t i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
  min_ = count_ == 0 ? other.min_ : std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  count_ += other.count_;
}

std::int64_t LatencyHistogram::Percentile(double percentile) const {
  if (count_ == 0) return 0;
  const double share = std::clamp(percentile, 0.0, 100.0) / 100.0;
  const auto rank = std::max<std::int64_t>(
      1, static_cast<std::int64_t>(std::ceil(share * static_cast<double>(count_))));
  std::int64_t seen = 0;
  for (std::size_t i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      const std::int64_t mid = BucketLow(i) + BucketWidth(i) / 2;
      return std::clamp(mid, min_, max_);
    }
  }
  return max_;
}

}  // namespace boxoffice::loadgen
