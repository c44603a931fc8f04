#pragma once

#include <atomic>
#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "infrastructure/redis/redis_pool.hpp"

namespace boost::asio {
class io_context;
}

namespace boxoffice::infra {

// Redis calls that hold no thread while they wait, for the request path of the cluster profile
// (docs/adr/0015-waiting-room-calls-on-the-io-threads.md). A few connections, each shared by
// every caller: commands are written as they come, several per write when they pile up, and
// replies are matched to callers in order (pipelining). The connections run on the threads of
// the io_context given, the HTTP server's, so a reply is read by the thread that then answers
// the request.
//
// A connection that fails, or leaves a command unanswered past the timeout, fails every call
// waiting on it with domain::UnavailableError; the next call connects again.
class RedisMultiplexer {
 public:
  // The value, or the reason there is none (the value is then nil). Called exactly once per
  // call, on a thread running the io_context, never inside the call that started it. It must
  // not throw (what it throws is logged and dropped) and should be short: the connection's
  // other replies wait for it.
  using Done = std::function<void(std::exception_ptr error, RedisValue value)>;

  // `io` must outlive this object and run on at least one thread for anything to complete.
  RedisMultiplexer(boost::asio::io_context& io, RedisSettings settings, int connections);
  // Calls still waiting are dropped, not completed: destroy it only once the io_context has
  // stopped or nothing waits on it.
  ~RedisMultiplexer();
  RedisMultiplexer(const RedisMultiplexer&) = delete;
  RedisMultiplexer& operator=(const RedisMultiplexer&) = delete;

  // Runs `script` with EVALSHA, and with EVAL and its source when the server answers NOSCRIPT
  // (after a restart or SCRIPT FLUSH). When `before` is not empty it is sent first, on the same
  // connection and in the same write; an error reply to it fails the call after the script ran.
  // An error reply to the script fails the call.
  void Eval(const RedisScript& script, const std::vector<std::string>& keys,
            const std::vector<std::string>& args, Done done,
            const std::vector<std::string>& before = {});
  // One command; an error reply fails the call.
  void Command(const std::vector<std::string>& args, Done done);

 private:
  struct Connection;
  struct EvalCall;
  Connection& Next();

  std::vector<std::shared_ptr<Connection>> connections_;
  std::atomic<std::size_t> next_{0};
};

}  // namespace boxoffice::infra
