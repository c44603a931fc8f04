#include "interfaces/schedulers/periodic_runner.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/json.hpp>
#include <exception>
#include <stdexcept>
#include <utility>

namespace boxoffice::schedulers {
namespace {

void LogTaskFailure(const std::string& task, std::string_view what) {
  boost::json::object line;
  line["level"] = "error";
  line["msg"] = "background task failed";
  line["task"] = task;
  line["error"] = what;
  spdlog::error("{}", boost::json::serialize(line));
}

}  // namespace

PeriodicRunner::~PeriodicRunner() { Stop(); }

void PeriodicRunner::Add(std::string name, std::chrono::milliseconds period, Task task) {
  if (period.count() <= 0) throw std::invalid_argument("PeriodicRunner: period must be positive");
  std::lock_guard lock(mu_);
  if (thread_.joinable()) throw std::logic_error("PeriodicRunner::Add after Start");
  entries_.push_back(
      Entry{std::move(name), period, std::move(task), std::chrono::steady_clock::now() + period});
}

void PeriodicRunner::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  const auto now = std::chrono::steady_clock::now();
  for (auto& e : entries_) e.next = now + e.period;
  thread_ = std::thread([this] { Loop(); });
}

void PeriodicRunner::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void PeriodicRunner::RunAllOnce() {
  // Entries are never added after Start, so iterating without mu_ is safe; run_mu_ keeps the
  // tasks from running concurrently with the loop.
  for (auto& e : entries_) RunGuarded(e);
}

void PeriodicRunner::Loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    const auto now = std::chrono::steady_clock::now();
    for (auto& e : entries_) {
      if (stopping_) break;
      if (e.next > now) continue;
      lock.unlock();
      RunGuarded(e);
      lock.lock();
      // Schedule from the finish time so a slow task does not run back to back to catch up.
      e.next = std::chrono::steady_clock::now() + e.period;
    }
    if (stopping_ || entries_.empty()) {
      cv_.wait(lock, [this] { return stopping_; });
      break;
    }
    const auto next =
        std::min_element(entries_.begin(), entries_.end(), [](const Entry& a, const Entry& b) {
          return a.next < b.next;
        })->next;
    cv_.wait_until(lock, next, [this] { return stopping_; });
  }
}

void PeriodicRunner::RunGuarded(Entry& entry) {
  std::lock_guard run_lock(run_mu_);
  try {
    entry.task();
  } catch (const std::exception& e) {
    LogTaskFailure(entry.name, e.what());
  } catch (...) {
    LogTaskFailure(entry.name, "unknown exception");
  }
}

}  // namespace boxoffice::schedulers
