#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "interfaces/http/services.hpp"

namespace boost::asio {
class io_context;
}

namespace boxoffice::http {

struct HttpSettings {
  std::string address = "0.0.0.0";
  std::uint16_t port = 8080;  // 0 picks a free port (see Server::Port)
  int io_threads = 2;
  int worker_threads = 16;  // blocking calls (database) run here
  // The waiting-room lane: queue token, status, leave and stream checks run on their own
  // threads, so a line of thousands keeps being answered while checkout work fills the others.
  int queue_worker_threads = 4;
  int max_pending = 1024;  // requests queued for or running on workers; beyond: 503
  // Open GET /api/v1/queue/stream responses; beyond: 503. Each holds a socket and a coroutine,
  // and costs one status check per second at most.
  int max_streams = 10000;
  std::size_t body_limit = 1 << 20;
  std::chrono::seconds header_timeout{30};
  std::chrono::seconds idle_timeout{60};
  std::string admin_token;
  bool signup_enabled = true;
  double rate_limit_per_second = 100;  // per credential (or client address); 0 disables
  double rate_limit_burst = 200;
  // Addresses of load balancers whose X-Forwarded-For is believed (ClientAddressResolver):
  // behind them, rate limits and the access log see the client, not the balancer.
  std::vector<std::string> trusted_proxies;
  bool access_log = true;  // one JSON line per request on stdout
  bool test_hooks = false;
};

// The HTTP/1.1 server (Boost.Beast, C++20 coroutines). Construct, Start, and later Stop.
class Server {
 public:
  Server(HttpSettings settings, Services& services);
  ~Server();
  // Binds and starts the I/O and worker threads. Throws std::runtime_error when the address
  // cannot be bound (port taken).
  void Start();
  std::uint16_t Port() const;  // the bound port
  // The context the I/O threads run, for clients whose replies should be read by those threads
  // (infra::RedisMultiplexer). It lives as long as the server; after Stop nothing runs on it.
  boost::asio::io_context& Io();
  // Stops accepting, closes connections and joins all threads. Idempotent.
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace boxoffice::http
