#pragma once

#include <algorithm>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <cstdlib>
#include <optional>
#include <string>
#include <thread>
#include <vector>

// What the Redis contract tests of this directory share.
namespace boxoffice::contract {

// BOXOFFICE_TEST_REDIS_URL names the server (scripts/test-redis-contract starts one); unset, the
// Redis tests skip.
inline std::optional<std::string> TestRedisUrl() {
  const char* url = std::getenv("BOXOFFICE_TEST_REDIS_URL");
  if (url == nullptr || *url == '\0') return std::nullopt;
  return std::string(url);
}

// The same server with its database replaced by `db`.
inline std::string WithDatabase(const std::string& url, int db) {
  const auto host_start = url.find("://");
  const auto slash = url.find('/', host_start == std::string::npos ? 0 : host_start + 3);
  return url.substr(0, slash) + "/" + std::to_string(db);
}

// An io_context run by `threads` threads until Stop (or destruction).
class IoThreads {
 public:
  explicit IoThreads(int threads) : work_(boost::asio::make_work_guard(io_)) {
    for (int i = 0; i < threads; ++i) {
      threads_.emplace_back([this] { io_.run(); });
      ids_.push_back(threads_.back().get_id());
    }
  }
  ~IoThreads() { Stop(); }
  IoThreads(const IoThreads&) = delete;
  IoThreads& operator=(const IoThreads&) = delete;

  boost::asio::io_context& io() { return io_; }
  bool Runs(std::thread::id id) const {
    return std::find(ids_.begin(), ids_.end(), id) != ids_.end();
  }
  void Stop() {
    work_.reset();
    io_.stop();
    for (auto& thread : threads_) {
      if (thread.joinable()) thread.join();
    }
  }

 private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::vector<std::thread> threads_;
  std::vector<std::thread::id> ids_;  // kept: a joined thread has no id
};

}  // namespace boxoffice::contract
