#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "../redis_test_support.hpp"
#include "catalogue_cache_contract.hpp"
#include "infrastructure/redis/redis_catalogue_cache.hpp"
#include "infrastructure/redis/redis_pool.hpp"

namespace boxoffice::contract {
namespace {

// Each cache gets its own key prefix, so tests never see each other's keys.
std::string CachePrefix() { return UniquePrefix("cc"); }

std::unique_ptr<domain::CatalogueCache> MakeRedisCache() {
  auto pool = ReachablePool();
  if (!pool) return nullptr;
  return std::make_unique<infra::RedisCatalogueCache>(pool, CachePrefix());
}

INSTANTIATE_TEST_SUITE_P(Redis, CatalogueCacheContract,
                         ::testing::Values(CatalogueCacheBackend{"Redis", MakeRedisCache}));

std::vector<domain::Concert> OneConcert() {
  return {domain::Concert{domain::ConcertId{1}, "Midnight Bloom", "Han Yerin", "arena tour"}};
}

// Redis down: catalogue reads fall through to the database and operator changes still succeed.
TEST(RedisCatalogueCacheUnavailable, FailuresActAsMissesAndNeverThrow) {
  // Port 1 on localhost refuses connections at once.
  infra::RedisCatalogueCache cache(std::make_shared<infra::RedisPool>(
      infra::RedisSettings{"redis://127.0.0.1:1", 1, std::chrono::milliseconds(200)}));
  std::uint64_t version = 0;
  EXPECT_NO_THROW(version = cache.Version());
  std::optional<std::vector<domain::Concert>> concerts;
  EXPECT_NO_THROW(concerts = cache.GetConcerts());
  EXPECT_FALSE(concerts.has_value());
  std::optional<std::vector<domain::ConcertEvent>> events;
  EXPECT_NO_THROW(events = cache.GetEvents(domain::ConcertId{1}));
  EXPECT_FALSE(events.has_value());
  EXPECT_NO_THROW(cache.PutConcerts(OneConcert(), version));
  EXPECT_NO_THROW(cache.PutEvents(domain::ConcertId{1}, {}, version));
  EXPECT_NO_THROW(cache.Invalidate());
}

// A fill whose version was read before Redis failed must not be stored once it is back.
TEST(RedisCatalogueCacheUnavailable, AVersionReadDuringAnOutageNeverMatches) {
  auto pool = ReachablePool();
  if (!pool) GTEST_SKIP() << "BOXOFFICE_TEST_REDIS_URL is not set or unreachable";
  const std::string prefix = CachePrefix();
  infra::RedisCatalogueCache down(std::make_shared<infra::RedisPool>(infra::RedisSettings{
                                      "redis://127.0.0.1:1", 1, std::chrono::milliseconds(200)}),
                                  prefix);
  infra::RedisCatalogueCache up(pool, prefix);
  up.PutConcerts(OneConcert(), down.Version());
  EXPECT_FALSE(up.GetConcerts().has_value());
}

// A version counter that restarts (Redis restart, restore) must not give out again a version that
// an in-flight reader holds: its stale fill would then be stored as current.
TEST(RedisCatalogueCacheVersion, LosingTheVersionKeyDoesNotRepeatAVersion) {
  auto pool = ReachablePool();
  if (!pool) GTEST_SKIP() << "BOXOFFICE_TEST_REDIS_URL is not set or unreachable";
  const std::string prefix = CachePrefix();
  infra::RedisCatalogueCache cache(pool, prefix);
  cache.Invalidate();
  const auto read_at = cache.Version();  // a reader starts loading the catalogue
  EXPECT_NE(read_at, 0u);
  pool->Command({"DEL", prefix + ":{catalogue}:version"});  // Redis loses the key
  cache.Invalidate();                                       // an operator changes the catalogue
  EXPECT_NE(cache.Version(), read_at);
  cache.PutConcerts(OneConcert(), read_at);
  EXPECT_FALSE(cache.GetConcerts().has_value());
}

}  // namespace
}  // namespace boxoffice::contract
