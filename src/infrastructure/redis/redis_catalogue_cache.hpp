#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <memory>
#include <string>

#include "domain/ports/catalogue_cache.hpp"

namespace boxoffice::infra {

class RedisPool;

// The catalogue cache shared by every instance through Redis. All keys carry the hash tag
// {catalogue}, so the version check and the write are one script even in a Redis Cluster.
// Each entry records the version it was read at and reads as a miss once the version moved on:
// Invalidate sets a fresh random 63-bit version. Entries also expire after `ttl`, a safety net
// for anything missed (an Invalidate that failed). Redis failures never reach the caller: reads
// are misses, fills are skipped, a failed Invalidate is logged; the database stays the truth.
class RedisCatalogueCache : public domain::CatalogueCache {
 public:
  explicit RedisCatalogueCache(std::shared_ptr<RedisPool> pool,
                               std::string key_prefix = "boxoffice",
                               std::chrono::seconds ttl = std::chrono::minutes(10));
  ~RedisCatalogueCache() override;

  std::uint64_t Version() override;
  std::optional<std::vector<domain::Concert>> GetConcerts() override;
  void PutConcerts(const std::vector<domain::Concert>& concerts, std::uint64_t read_at) override;
  std::optional<std::vector<domain::ConcertEvent>> GetEvents(domain::ConcertId concert) override;
  void PutEvents(domain::ConcertId concert, const std::vector<domain::ConcertEvent>& events,
                 std::uint64_t read_at) override;
  void Invalidate() override;

 private:
  struct Scripts;
  // What Version() returns when Redis fails: no stored version equals it, so Put skips.
  static constexpr std::uint64_t kNoVersion = ~std::uint64_t{0};
  static constexpr std::uint64_t kMaxVersion = (std::uint64_t{1} << 63) - 1;
  void Failed(const char* operation, const std::exception& e);
  void Succeeded();
  std::optional<std::string> Get(const std::string& key);
  void Put(const std::string& key, std::string json, std::uint64_t read_at);

  std::shared_ptr<RedisPool> pool_;
  std::string version_key_;
  std::string concerts_key_;
  std::string events_prefix_;
  std::chrono::seconds ttl_;
  std::unique_ptr<Scripts> scripts_;
  std::atomic<bool> failing_{false};
};

}  // namespace boxoffice::infra
