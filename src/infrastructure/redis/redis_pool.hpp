#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace boxoffice::infra {

struct RedisSettings {
  // redis://[:password@]host[:port][/db]
  std::string url = "redis://127.0.0.1:6379";
  int pool_size = 8;
  std::chrono::milliseconds timeout{500};  // connect, each command, and waiting for a connection
};

// A reply, copied out of hiredis so that no driver type leaves this directory's .cpp files.
// Error replies never become values: they throw.
struct RedisValue {
  enum class Type { kNil, kInteger, kString, kArray };
  Type type = Type::kNil;
  std::int64_t integer = 0;
  std::string string;  // bulk and status strings
  std::vector<RedisValue> elements;

  bool IsNil() const { return type == Type::kNil; }
  // The integer, or a bulk string holding one; throws UnavailableError on anything else.
  std::int64_t AsInteger() const;
};

// A Lua script, run with EVALSHA by its SHA-1 and sent again in full when the server answers
// NOSCRIPT (its first use there, a restart, SCRIPT FLUSH): SCRIPT LOAD from RedisPool, EVAL from
// RedisMultiplexer.
class RedisScript {
 public:
  explicit RedisScript(std::string source);
  const std::string& Source() const { return source_; }
  // The SHA-1 of the source in hex: the name EVALSHA runs it by once the server has it.
  const std::string& Digest() const { return digest_; }

 private:
  std::string source_;
  std::string digest_;
};

// Where a redis:// URL points: redis://[:password@]host[:port][/db]. Throws
// std::invalid_argument for anything else.
struct RedisTarget {
  std::string host;
  int port = 6379;
  std::string password;
  int db = 0;
};
RedisTarget ParseRedisUrl(const std::string& url);

// A bounded, thread-safe pool of hiredis connections. A connection that fails is dropped and a
// new one is made on the next use; every connection, timeout or protocol failure throws
// domain::UnavailableError.
class RedisPool {
 public:
  explicit RedisPool(RedisSettings settings);
  ~RedisPool();
  RedisPool(const RedisPool&) = delete;
  RedisPool& operator=(const RedisPool&) = delete;

  RedisValue Command(const std::vector<std::string>& args);
  RedisValue Eval(RedisScript& script, const std::vector<std::string>& keys,
                  const std::vector<std::string>& args);
  // Runs the command `before`, then the script, on one connection and in one round trip once the
  // script is loaded (pipelined). `before` runs exactly once, even when the script must be
  // loaded again; an error reply to it throws after both replies were read.
  RedisValue EvalAfter(const std::vector<std::string>& before, RedisScript& script,
                       const std::vector<std::string>& keys, const std::vector<std::string>& args);

 private:
  struct Connection;
  class Lease;

  std::unique_ptr<Connection> Acquire();
  void Release(std::unique_ptr<Connection> connection);
  std::unique_ptr<Connection> Connect() const;
  static RedisValue Run(Connection& connection, const std::vector<std::string>& args);

  RedisSettings settings_;
  RedisTarget target_;
  std::mutex mu_;
  std::condition_variable released_;
  std::vector<std::unique_ptr<Connection>> idle_;
  int in_use_ = 0;
};

}  // namespace boxoffice::infra
