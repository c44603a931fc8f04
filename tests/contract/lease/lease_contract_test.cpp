// The behaviour every domain::Lease must have, run against the memory adapter and, when
// BOXOFFICE_TEST_REDIS_URL names a server (scripts/test-redis-contract starts one), Redis.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "domain/errors.hpp"
#include "infrastructure/memory/memory_lease.hpp"
#include "infrastructure/redis/redis_lease.hpp"
#include "infrastructure/redis/redis_pool.hpp"

namespace boxoffice::contract {
namespace {

using namespace std::chrono_literals;

struct LeaseBackend {
  std::string name;
  std::function<std::unique_ptr<domain::Lease>()> make;  // nullptr: backend unavailable
  friend void PrintTo(const LeaseBackend& b, std::ostream* os) { *os << b.name; }
};

domain::Instant T(std::int64_t ms) { return domain::Instant{domain::Duration{ms}}; }

class LeaseContract : public ::testing::TestWithParam<LeaseBackend> {
 protected:
  void SetUp() override {
    lease_ = GetParam().make();
    if (!lease_) GTEST_SKIP() << "lease backend unavailable";
  }
  domain::Lease& lease() { return *lease_; }

 private:
  std::unique_ptr<domain::Lease> lease_;
};

TEST_P(LeaseContract, TheFirstOwnerHoldsItAndRenewsIt) {
  EXPECT_TRUE(lease().Hold("admission:c1", "a", T(0), 60s));
  EXPECT_FALSE(lease().Hold("admission:c1", "b", T(10), 60s));
  EXPECT_TRUE(lease().Hold("admission:c1", "a", T(20), 60s));
  EXPECT_FALSE(lease().Hold("admission:c1", "b", T(30), 60s));
}

TEST_P(LeaseContract, ARenewalKeepsTheFencingToken) {
  const auto first = lease().Hold("admission:c1", "a", T(0), 60s);
  ASSERT_TRUE(first.has_value());
  EXPECT_GT(*first, 0);
  EXPECT_EQ(lease().Hold("admission:c1", "a", T(10), 60s), first);
  EXPECT_EQ(lease().Hold("admission:c1", "b", T(20), 60s), std::nullopt);
  EXPECT_EQ(lease().Hold("admission:c1", "a", T(30), 60s), first);
}

// The lease lapses (on the caller's clock in memory, on the server's in Redis, after 1 ms); the
// next holder's token is larger, and so is the one after it, even when the first owner comes
// back. Redis expiry is real time, so the takeover is polled with a deadline.
TEST_P(LeaseContract, EachNewHolderGetsALargerFencingToken) {
  auto take_over = [&](const std::string& owner, std::int64_t at_ms) {
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    for (std::int64_t i = 0; std::chrono::steady_clock::now() < deadline; ++i) {
      if (auto token = lease().Hold("admission:c1", owner, T(at_ms + i), 1ms)) return token;
      std::this_thread::sleep_for(1ms);
    }
    return std::optional<std::int64_t>{};
  };
  const auto a = lease().Hold("admission:c1", "a", T(0), 1ms);
  ASSERT_TRUE(a.has_value());
  const auto b = take_over("b", 1);
  ASSERT_TRUE(b.has_value()) << "the lapsed lease was never free";
  EXPECT_GT(*b, *a);
  const auto a_again = take_over("a", 1000);
  ASSERT_TRUE(a_again.has_value());
  EXPECT_GT(*a_again, *b);
}

TEST_P(LeaseContract, LeasesAreIndependent) {
  EXPECT_TRUE(lease().Hold("admission:c1", "a", T(0), 60s));
  EXPECT_TRUE(lease().Hold("admission:c2", "b", T(0), 60s));
  EXPECT_FALSE(lease().Hold("admission:c2", "a", T(0), 60s));
}

TEST_P(LeaseContract, ConcurrentContendersLeaveExactlyOneHolder) {
  constexpr int kThreads = 16;
  std::atomic<int> holders{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      if (lease().Hold("admission:race", "owner-" + std::to_string(t), T(0), 60s)) ++holders;
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(holders.load(), 1);
}

std::shared_ptr<infra::RedisPool> RedisFromEnvironment() {
  const char* url = std::getenv("BOXOFFICE_TEST_REDIS_URL");
  if (url == nullptr || *url == '\0') return nullptr;
  auto pool = std::make_shared<infra::RedisPool>(infra::RedisSettings{url, 16, 2000ms});
  try {
    pool->Command({"PING"});
  } catch (const domain::UnavailableError& e) {
    std::cerr << "redis unreachable: " << e.what() << "\n";
    return nullptr;
  }
  return pool;
}

std::unique_ptr<domain::Lease> MakeRedisLease() {
  static const auto pool = RedisFromEnvironment();
  static std::atomic<int> counter{0};
  if (!pool) return nullptr;
  return std::make_unique<infra::RedisLease>(
      pool, "test:lease:" + std::to_string(::getpid()) + ":" + std::to_string(++counter));
}

INSTANTIATE_TEST_SUITE_P(
    Backends, LeaseContract,
    ::testing::Values(LeaseBackend{"Memory", [] { return std::make_unique<infra::MemoryLease>(); }},
                      LeaseBackend{"Redis", MakeRedisLease}),
    [](const auto& info) { return info.param.name; });

// Expiry runs on the caller's clock in memory and on the server's clock in Redis, so it is
// tested here for memory only; no test waits for real time to pass.
TEST(MemoryLease, AnUnrenewedLeaseIsFreeOnceItsTtlHasPassed) {
  infra::MemoryLease lease;
  EXPECT_TRUE(lease.Hold("admission:c1", "a", T(0), 3s));
  EXPECT_FALSE(lease.Hold("admission:c1", "b", T(2999), 3s));
  EXPECT_TRUE(lease.Hold("admission:c1", "b", T(3000), 3s));
  EXPECT_FALSE(lease.Hold("admission:c1", "a", T(3001), 3s));
}

// A Redis that lost its data (restart without persistence, FLUSHALL) restarts the counter from
// its clock, so tokens issued afterwards are still above every earlier one: a waiting room that
// kept its highest token would otherwise refuse the new holder for good.
TEST(RedisLease, TokensKeepGrowingAfterRedisLosesItsData) {
  const char* url = std::getenv("BOXOFFICE_TEST_REDIS_URL");
  if (url == nullptr || *url == '\0') GTEST_SKIP() << "BOXOFFICE_TEST_REDIS_URL is not set";
  // A database of its own: FLUSHDB must not wipe what other tests are using.
  std::string private_url = url;
  if (const auto slash = private_url.find('/', private_url.find("://") + 3);
      slash != std::string::npos) {
    private_url.erase(slash);
  }
  private_url += "/12";
  auto pool = std::make_shared<infra::RedisPool>(infra::RedisSettings{private_url, 2, 2000ms});
  infra::RedisLease lease(pool, "test:lease:" + std::to_string(::getpid()));
  std::optional<std::int64_t> last;
  for (int round = 0; round < 3; ++round) {
    const auto token = lease.Hold("admission:c1", "owner-" + std::to_string(round), T(0), 60s);
    ASSERT_TRUE(token.has_value());
    if (last) {
      EXPECT_GT(*token, *last) << "round " << round;
    }
    last = token;
    pool->Command({"FLUSHDB"});
  }
}

}  // namespace
}  // namespace boxoffice::contract
