#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace boxoffice::schedulers {

// Runs background tasks (admission, sweeping, outbox relay) each on its own period, on one
// thread, until Stop. A task that throws is logged and run again on its next period. Waiting
// between runs uses a condition variable, so Stop returns promptly.
class PeriodicRunner {
 public:
  using Task = std::function<void()>;
  ~PeriodicRunner();
  // Registers before Start.
  void Add(std::string name, std::chrono::milliseconds period, Task task);
  void Start();
  void Stop();
  // Runs every task once, now, on the calling thread (test hook and shutdown flush).
  void RunAllOnce();

 private:
  struct Entry {
    std::string name;
    std::chrono::milliseconds period;
    Task task;
    std::chrono::steady_clock::time_point next;
  };
  void Loop();
  void RunGuarded(Entry& entry);

  std::mutex mu_;
  std::mutex run_mu_;  // one task at a time, whether from the loop or RunAllOnce
  std::condition_variable cv_;
  bool stopping_ = false;
  std::vector<Entry> entries_;
  std::thread thread_;
};

}  // namespace boxoffice::schedulers
