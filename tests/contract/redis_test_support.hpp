#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "infrastructure/redis/redis_pool.hpp"

// What the Redis contract tests (waiting room, catalogue cache) share.
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

// Every room or cache gets its own key prefix, so tests (and test processes) never see each
// other's keys.
inline std::string UniquePrefix(const std::string& kind = "wr") {
  static std::atomic<int> counter{0};
  return "test:" + kind + ":" + std::to_string(::getpid()) + ":" + std::to_string(++counter);
}

// One pool for the tests of a process; nullptr when no server is named.
inline std::shared_ptr<infra::RedisPool> SharedPool() {
  static const std::shared_ptr<infra::RedisPool> pool = [] {
    auto url = TestRedisUrl();
    return url ? std::make_shared<infra::RedisPool>(
                     infra::RedisSettings{*url, 8, std::chrono::milliseconds(2000)})
               : nullptr;
  }();
  return pool;
}

// SharedPool() when its server answers; nullptr (the tests then skip) when none is named or it
// is unreachable.
inline std::shared_ptr<infra::RedisPool> ReachablePool() {
  auto pool = SharedPool();
  if (!pool) return nullptr;
  try {
    pool->Command({"PING"});
  } catch (const std::exception& e) {
    std::cerr << "redis unreachable: " << e.what() << "\n";
    return nullptr;
  }
  return pool;
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

// A listener that completes TCP connections (the kernel does, from its backlog) and never reads
// nor answers: a server that hangs.
class SilentServer {
 public:
  SilentServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(fd_, 16) != 0) {
      throw std::runtime_error("cannot listen");
    }
    socklen_t size = sizeof address;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &size);
    port_ = ntohs(address.sin_port);
  }
  ~SilentServer() {
    if (peer_ >= 0) ::close(peer_);
    ::close(fd_);
  }
  SilentServer(const SilentServer&) = delete;
  SilentServer& operator=(const SilentServer&) = delete;
  std::string Url(const std::string& path = "") const {
    return "redis://127.0.0.1:" + std::to_string(port_) + path;
  }

  // Takes the first connection and waits (bounded) until the client has written to it: the
  // client then holds a connected socket with commands waiting for replies.
  bool AcceptAndAwaitRequest(std::chrono::milliseconds bound = std::chrono::milliseconds(5000)) {
    if (!Await(fd_, bound)) return false;
    peer_ = ::accept(fd_, nullptr, nullptr);
    return peer_ >= 0 && Await(peer_, bound);
  }
  // True when the client closed the accepted connection within `bound` (reads to the end).
  bool ClosedByClient(std::chrono::milliseconds bound = std::chrono::milliseconds(5000)) {
    const auto deadline = std::chrono::steady_clock::now() + bound;
    char buffer[4096];
    while (std::chrono::steady_clock::now() < deadline) {
      if (!Await(peer_, std::chrono::duration_cast<std::chrono::milliseconds>(
                            deadline - std::chrono::steady_clock::now()))) {
        return false;
      }
      const auto n = ::read(peer_, buffer, sizeof buffer);
      if (n == 0) return true;
      if (n < 0) return errno == ECONNRESET;
    }
    return false;
  }

 private:
  static bool Await(int fd, std::chrono::milliseconds bound) {
    pollfd readable{fd, POLLIN, 0};
    return ::poll(&readable, 1, static_cast<int>(bound.count())) == 1;
  }

  int fd_ = -1;
  int port_ = 0;
  int peer_ = -1;
};

}  // namespace boxoffice::contract
