#include "infrastructure/system/clocks.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace boxoffice::infra {
namespace {

using namespace std::chrono_literals;

TEST(SystemClockTest, ReadsWallClockTime) {
  const auto before =
      std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  const auto now = SystemClock{}.Now();
  const auto after =
      std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  EXPECT_LE(before, now);
  EXPECT_LE(now, after);
}

TEST(ManualClockTest, AdvanceMovesTimeForwardByTheGivenAmount) {
  ManualClock clock;
  const auto start = clock.Now();
  clock.Advance(10min);
  const auto later = clock.Now();
  EXPECT_GE(later - start, 10min);
  // Only the tiny wall-clock drift between the two reads may add to the advance.
  EXPECT_LT(later - start, 10min + 5s);
}

TEST(ManualClockTest, AdvancesAccumulate) {
  ManualClock clock;
  const auto start = clock.Now();
  clock.Advance(1h);
  clock.Advance(1h);
  EXPECT_GE(clock.Now() - start, 2h);
}

TEST(ManualClockTest, NegativeAdvanceIsRefused) {
  ManualClock clock;
  EXPECT_THROW(clock.Advance(-1s), std::invalid_argument);
}

}  // namespace
}  // namespace boxoffice::infra
