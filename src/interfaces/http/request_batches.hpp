#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <utility>
#include <vector>

namespace boxoffice::http {

// Requests of one kind that wait for a worker together and are handed to it together, so that
// a use case can serve them in one transaction with shared statements (ADR 0021).
//
// Add queues an item. While fewer than `max_running` runs are posted or running, it posts one;
// a run takes what is queued when it starts (up to `max_batch`), so the items that arrive while
// it waits for a worker, or while an earlier run works, make its batch. A run that leaves items
// queued posts the next one behind the work already waiting, rather than looping on its worker.
// When the workers are idle, a lone request is a batch of one and waits for nothing.
//
// The queue is bounded by what bounds the requests themselves (the server's max_pending). `run`
// must answer every item it is given; it runs on a worker and must not throw.
template <class Item>
class RequestBatches {
 public:
  using Post = std::function<void(std::function<void()>)>;
  using Run = std::function<void(std::vector<Item>&)>;

  struct Stats {
    std::uint64_t batches = 0;
    std::uint64_t items = 0;
  };

  RequestBatches(Post post, Run run, std::size_t max_batch, std::size_t max_running)
      : post_(std::move(post)),
        run_(std::move(run)),
        max_batch_(max_batch > 0 ? max_batch : 1),
        max_running_(max_running > 0 ? max_running : 1) {}

  RequestBatches(const RequestBatches&) = delete;
  RequestBatches& operator=(const RequestBatches&) = delete;

  void Add(Item item) {
    bool post = false;
    {
      std::lock_guard lock(mutex_);
      queued_.push_back(std::move(item));
      if (running_ < max_running_) {
        ++running_;
        post = true;
      }
    }
    if (post) post_([this] { RunOnce(); });
  }

  Stats Counts() const {
    std::lock_guard lock(mutex_);
    return stats_;
  }

 private:
  void RunOnce() {
    std::vector<Item> batch;
    {
      std::lock_guard lock(mutex_);
      const std::size_t count = std::min(queued_.size(), max_batch_);
      batch.reserve(count);
      for (std::size_t i = 0; i < count; ++i) batch.push_back(std::move(queued_[i]));
      queued_.erase(queued_.begin(), queued_.begin() + static_cast<std::ptrdiff_t>(count));
      if (count > 0) {
        ++stats_.batches;
        stats_.items += count;
      }
    }
    if (!batch.empty()) run_(batch);
    bool again = false;
    {
      std::lock_guard lock(mutex_);
      again = !queued_.empty();
      if (!again) --running_;
    }
    if (again) post_([this] { RunOnce(); });
  }

  Post post_;
  Run run_;
  const std::size_t max_batch_;
  const std::size_t max_running_;
  mutable std::mutex mutex_;
  std::vector<Item> queued_;
  std::size_t running_ = 0;  // runs posted and not yet finished
  Stats stats_;
};

}  // namespace boxoffice::http
