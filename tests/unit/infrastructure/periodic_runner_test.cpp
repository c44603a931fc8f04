#include "interfaces/schedulers/periodic_runner.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <stdexcept>

namespace boxoffice::schedulers {
namespace {

using namespace std::chrono_literals;

TEST(PeriodicRunnerTest, RunAllOnceRunsEveryTaskOnce) {
  PeriodicRunner runner;
  int a = 0;
  int b = 0;
  runner.Add("a", 1h, [&] { ++a; });
  runner.Add("b", 1h, [&] { ++b; });
  runner.RunAllOnce();
  EXPECT_EQ(a, 1);
  EXPECT_EQ(b, 1);
}

TEST(PeriodicRunnerTest, ThrowingTaskDoesNotStopTheOthers) {
  PeriodicRunner runner;
  int after = 0;
  runner.Add("throws", 1h, [] { throw std::runtime_error("boom"); });
  runner.Add("non-std", 1h, [] { throw 42; });
  runner.Add("after", 1h, [&] { ++after; });
  EXPECT_NO_THROW(runner.RunAllOnce());
  EXPECT_NO_THROW(runner.RunAllOnce());
  EXPECT_EQ(after, 2);
}

TEST(PeriodicRunnerTest, LoopRunsTasksAgainAfterOneThrew) {
  PeriodicRunner runner;
  std::atomic<int> throws{0};
  std::promise<void> reached;
  std::atomic<int> runs{0};
  runner.Add("throws", 1ms, [&] {
    ++throws;
    throw std::runtime_error("boom");
  });
  runner.Add("counts", 1ms, [&] {
    if (++runs == 3) reached.set_value();
  });
  runner.Start();
  // Bounded wait for a background event, not a sleep that lets time pass.
  EXPECT_EQ(reached.get_future().wait_for(30s), std::future_status::ready);
  runner.Stop();
  EXPECT_GE(throws.load(), 2);
}

TEST(PeriodicRunnerTest, StopReturnsPromptlyDespiteLongPeriods) {
  PeriodicRunner runner;
  int runs = 0;
  runner.Add("hourly", 1h, [&] { ++runs; });
  runner.Start();
  const auto before = std::chrono::steady_clock::now();
  runner.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - before, 5s);
  EXPECT_EQ(runs, 0);
}

TEST(PeriodicRunnerTest, StopIsIdempotentAndSafeWithoutStart) {
  PeriodicRunner runner;
  runner.Stop();
  runner.Add("x", 1s, [] {});
  runner.Start();
  runner.Stop();
  runner.Stop();
}

TEST(PeriodicRunnerTest, NonPositivePeriodIsRefused) {
  PeriodicRunner runner;
  EXPECT_THROW(runner.Add("zero", 0ms, [] {}), std::invalid_argument);
}

}  // namespace
}  // namespace boxoffice::schedulers
