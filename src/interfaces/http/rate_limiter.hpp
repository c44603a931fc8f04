#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string_view>
#include <unordered_map>

namespace boxoffice::http {

// Token buckets per credential: `rate` tokens per second, up to `burst`. Striped by key hash so
// I/O threads rarely contend. The map is bounded: past its capacity, buckets that have refilled
// (idle long enough to be indistinguishable from new ones) are dropped first.
class RateLimiter {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  struct Decision {
    bool allowed = true;
    int retry_after_seconds = 0;  // when refused: until one token is back (at least 1)
  };

  RateLimiter(double rate_per_second, double burst, std::size_t max_buckets = 100'000);
  bool Enabled() const { return rate_ > 0; }
  Decision Acquire(std::string_view key, TimePoint now);
  std::size_t BucketCount();

 private:
  static constexpr std::size_t kShards = 16;
  struct Bucket {
    double tokens = 0;
    TimePoint last;
  };
  struct Shard {
    std::mutex mu;
    std::unordered_map<std::uint64_t, Bucket> buckets;
  };
  void Evict(Shard& shard, TimePoint now);

  double rate_;
  double burst_;
  std::size_t max_per_shard_;
  std::array<Shard, kShards> shards_;
};

}  // namespace boxoffice::http
