#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>

#include "catalogue_cache_contract.hpp"
#include "domain/errors.hpp"
#include "infrastructure/redis/redis_catalogue_cache.hpp"
#include "infrastructure/redis/redis_pool.hpp"

namespace boxoffice::contract {
namespace {

// BOXOFFICE_TEST_REDIS_URL names the server (scripts/test-redis-contract starts one); unset, the
// suite skips. Each cache gets its own key prefix, so tests never see each other's keys.
std::unique_ptr<domain::CatalogueCache> MakeRedisCache() {
  static const std::shared_ptr<infra::RedisPool> pool = []() -> std::shared_ptr<infra::RedisPool> {
    const char* url = std::getenv("BOXOFFICE_TEST_REDIS_URL");
    if (url == nullptr || *url == '\0') return nullptr;
    return std::make_shared<infra::RedisPool>(
        infra::RedisSettings{url, 8, std::chrono::milliseconds(2000)});
  }();
  if (!pool) return nullptr;
  try {
    pool->Command({"PING"});
  } catch (const domain::UnavailableError& e) {
    std::cerr << "redis unreachable: " << e.what() << "\n";
    return nullptr;
  }
  static std::atomic<int> counter{0};
  return std::make_unique<infra::RedisCatalogueCache>(
      pool, "test:cc:" + std::to_string(::getpid()) + ":" + std::to_string(++counter));
}

INSTANTIATE_TEST_SUITE_P(Redis, CatalogueCacheContract,
                         ::testing::Values(CatalogueCacheBackend{"Redis", MakeRedisCache}));

}  // namespace
}  // namespace boxoffice::contract
