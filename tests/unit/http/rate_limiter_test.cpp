#include "interfaces/http/rate_limiter.hpp"

#include <gtest/gtest.h>

namespace boxoffice::http {
namespace {

using std::chrono::milliseconds;

const RateLimiter::TimePoint kT0{std::chrono::seconds(1000)};

TEST(RateLimiterTest, BurstThenRefusesWithRetryAfter) {
  RateLimiter limiter(2, 3);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.Acquire("alice", kT0).allowed) << i;
  auto refused = limiter.Acquire("alice", kT0);
  EXPECT_FALSE(refused.allowed);
  EXPECT_GE(refused.retry_after_seconds, 1);
}

TEST(RateLimiterTest, RefillsAtTheRate) {
  RateLimiter limiter(2, 1);
  EXPECT_TRUE(limiter.Acquire("k", kT0).allowed);
  EXPECT_FALSE(limiter.Acquire("k", kT0 + milliseconds(400)).allowed);
  EXPECT_TRUE(limiter.Acquire("k", kT0 + milliseconds(500)).allowed);
  EXPECT_FALSE(limiter.Acquire("k", kT0 + milliseconds(600)).allowed);
}

TEST(RateLimiterTest, KeysAreIndependent) {
  RateLimiter limiter(1, 1);
  EXPECT_TRUE(limiter.Acquire("a", kT0).allowed);
  EXPECT_FALSE(limiter.Acquire("a", kT0).allowed);
  EXPECT_TRUE(limiter.Acquire("b", kT0).allowed);
}

TEST(RateLimiterTest, ZeroRateDisables) {
  RateLimiter limiter(0, 0);
  EXPECT_FALSE(limiter.Enabled());
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(limiter.Acquire("a", kT0).allowed);
  EXPECT_EQ(limiter.BucketCount(), 0u);
}

TEST(RateLimiterTest, MapStaysBounded) {
  RateLimiter limiter(1, 5, 160);
  for (int i = 0; i < 10'000; ++i) {
    limiter.Acquire("client-" + std::to_string(i), kT0 + milliseconds(i));
  }
  EXPECT_LE(limiter.BucketCount(), 160u);
  EXPECT_GT(limiter.BucketCount(), 0u);
}

}  // namespace
}  // namespace boxoffice::http
