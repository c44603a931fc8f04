#include "interfaces/http/request_batches.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace boxoffice::http {
namespace {

// Runs are posted to a list the test runs by hand, so it decides when a worker "frees up".
class RequestBatchesTest : public ::testing::Test {
 protected:
  RequestBatches<int>::Post Post() {
    return [this](std::function<void()> run) { posted_.push_back(std::move(run)); };
  }
  RequestBatches<int>::Run Run() {
    return [this](std::vector<int>& batch) { batches_.push_back(batch); };
  }
  // Runs the oldest posted run; false when none is posted.
  bool RunNext() {
    if (posted_.empty()) return false;
    auto run = std::move(posted_.front());
    posted_.erase(posted_.begin());
    run();
    return true;
  }

  std::vector<std::function<void()>> posted_;
  std::vector<std::vector<int>> batches_;
};

TEST_F(RequestBatchesTest, ALoneItemIsABatchOfOneAndLeavesNothingPosted) {
  RequestBatches<int> batches(Post(), Run(), 8, 2);
  batches.Add(1);
  ASSERT_EQ(posted_.size(), 1u);
  ASSERT_TRUE(RunNext());
  EXPECT_EQ(batches_, (std::vector<std::vector<int>>{{1}}));
  EXPECT_TRUE(posted_.empty());
  EXPECT_EQ(batches.Counts().batches, 1u);
  EXPECT_EQ(batches.Counts().items, 1u);
}

TEST_F(RequestBatchesTest, ItemsThatArriveWhileARunWaitsForAWorkerMakeItsBatch) {
  RequestBatches<int> batches(Post(), Run(), 8, 2);
  for (int i = 1; i <= 5; ++i) batches.Add(i);
  EXPECT_EQ(posted_.size(), 2u) << "at most max_running runs are posted";
  ASSERT_TRUE(RunNext());
  EXPECT_EQ(batches_, (std::vector<std::vector<int>>{{1, 2, 3, 4, 5}}));
  ASSERT_TRUE(RunNext());  // the second run finds nothing left
  EXPECT_EQ(batches_.size(), 1u);
  EXPECT_TRUE(posted_.empty());
  // Both runs are over, so the next item posts again.
  batches.Add(6);
  EXPECT_EQ(posted_.size(), 1u);
}

TEST_F(RequestBatchesTest, ABatchIsBoundedAndARunThatLeavesItemsPostsTheNextBehindOtherWork) {
  RequestBatches<int> batches(Post(), Run(), 2, 1);
  for (int i = 1; i <= 5; ++i) batches.Add(i);
  ASSERT_EQ(posted_.size(), 1u);
  ASSERT_TRUE(RunNext());
  EXPECT_EQ(posted_.size(), 1u) << "the rest waits for a run of its own";
  batches.Add(6);
  EXPECT_EQ(posted_.size(), 1u) << "still one run at most";
  while (RunNext()) {
  }
  EXPECT_EQ(batches_, (std::vector<std::vector<int>>{{1, 2}, {3, 4}, {5, 6}}));
  EXPECT_EQ(batches.Counts().batches, 3u);
  EXPECT_EQ(batches.Counts().items, 6u);
}

// Real threads add while real workers run: every item is run exactly once, and never more
// than max_running runs at a time.
TEST(RequestBatchesRace, EveryItemRunsOnceAndRunsStayWithinTheirBound) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 500;
  constexpr std::size_t kMaxRunning = 2;
  boost::asio::thread_pool workers(4);
  std::atomic<int> running{0};
  std::atomic<int> most_running{0};
  std::mutex seen_mu;
  std::vector<int> seen(kThreads * kPerThread, 0);
  RequestBatches<int> batches(
      [&](std::function<void()> run) { boost::asio::post(workers, std::move(run)); },
      [&](std::vector<int>& batch) {
        const int now = ++running;
        int most = most_running.load();
        while (now > most && !most_running.compare_exchange_weak(most, now)) {
        }
        {
          std::lock_guard lock(seen_mu);
          for (int item : batch) ++seen[static_cast<std::size_t>(item)];
        }
        --running;
      },
      16, kMaxRunning);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) batches.Add(t * kPerThread + i);
    });
  }
  for (auto& thread : threads) thread.join();
  workers.join();
  for (std::size_t i = 0; i < seen.size(); ++i) ASSERT_EQ(seen[i], 1) << "item " << i;
  EXPECT_LE(most_running.load(), static_cast<int>(kMaxRunning));
  EXPECT_EQ(batches.Counts().items, static_cast<std::uint64_t>(kThreads * kPerThread));
}

}  // namespace
}  // namespace boxoffice::http
