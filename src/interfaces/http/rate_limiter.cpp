#include "interfaces/http/rate_limiter.hpp"

#include <algorithm>
#include <cmath>
#include <functional>

namespace boxoffice::http {

RateLimiter::RateLimiter(double rate_per_second, double burst, std::size_t max_buckets)
    : rate_(rate_per_second),
      burst_(std::max(burst, 1.0)),
      max_per_shard_(std::max<std::size_t>(max_buckets / kShards, 1)) {}

RateLimiter::Decision RateLimiter::Acquire(std::string_view key, TimePoint now) {
  if (!Enabled()) return {};
  const std::uint64_t hash = std::hash<std::string_view>{}(key);
  Shard& shard = shards_[hash % kShards];
  std::lock_guard lock(shard.mu);
  auto it = shard.buckets.find(hash);
  if (it == shard.buckets.end()) {
    if (shard.buckets.size() >= max_per_shard_) Evict(shard, now);
    it = shard.buckets.emplace(hash, Bucket{burst_, now}).first;
  }
  Bucket& bucket = it->second;
  const double elapsed = std::chrono::duration<double>(now - bucket.last).count();
  if (elapsed > 0) {
    bucket.tokens = std::min(burst_, bucket.tokens + elapsed * rate_);
    bucket.last = now;
  }
  if (bucket.tokens >= 1.0) {
    bucket.tokens -= 1.0;
    return {};
  }
  const double wait = (1.0 - bucket.tokens) / rate_;
  return {false, std::max(1, static_cast<int>(std::ceil(wait)))};
}

void RateLimiter::Evict(Shard& shard, TimePoint now) {
  const auto refill = std::chrono::duration<double>(burst_ / rate_);
  std::erase_if(shard.buckets,
                [&](const auto& entry) { return now - entry.second.last >= refill; });
  // Everyone is busy: drop an arbitrary quarter rather than grow without bound. A dropped
  // client merely gets a fresh bucket.
  if (shard.buckets.size() >= max_per_shard_) {
    std::size_t to_drop = std::max<std::size_t>(shard.buckets.size() / 4, 1);
    for (auto it = shard.buckets.begin(); it != shard.buckets.end() && to_drop > 0; --to_drop) {
      it = shard.buckets.erase(it);
    }
  }
}

std::size_t RateLimiter::BucketCount() {
  std::size_t total = 0;
  for (auto& shard : shards_) {
    std::lock_guard lock(shard.mu);
    total += shard.buckets.size();
  }
  return total;
}

}  // namespace boxoffice::http
