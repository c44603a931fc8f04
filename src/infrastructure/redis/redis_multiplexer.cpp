#include "infrastructure/redis/redis_multiplexer.hpp"

#include <hiredis/hiredis.h>
#include <hiredis/read.h>
#include <spdlog/spdlog.h>

#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <deque>
#include <stdexcept>
#include <string_view>
#include <utility>

#include "domain/errors.hpp"
#include "infrastructure/redis/redis_reply.hpp"

namespace boxoffice::infra {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using domain::UnavailableError;

// One command in the protocol's request form: an array of bulk strings.
void AppendCommand(std::string& out, std::size_t argc) {
  out += '*';
  out += std::to_string(argc);
  out += "\r\n";
}

void AppendArgument(std::string& out, std::string_view arg) {
  out += '$';
  out += std::to_string(arg.size());
  out += "\r\n";
  out.append(arg);
  out += "\r\n";
}

void AppendCommand(std::string& out, const std::vector<std::string>& args) {
  AppendCommand(out, args.size());
  for (const auto& arg : args) AppendArgument(out, arg);
}

// EVALSHA digest numkeys keys... args..., or EVAL source numkeys ...
void AppendScript(std::string& out, std::string_view verb, std::string_view script,
                  const std::vector<std::string>& keys, const std::vector<std::string>& args) {
  AppendCommand(out, 3 + keys.size() + args.size());
  AppendArgument(out, verb);
  AppendArgument(out, script);
  AppendArgument(out, std::to_string(keys.size()));
  for (const auto& key : keys) AppendArgument(out, key);
  for (const auto& arg : args) AppendArgument(out, arg);
}

bool IsError(const redisReply* reply) { return reply->type == REDIS_REPLY_ERROR; }

std::string ErrorText(const redisReply* reply) {
  return "redis: " + std::string(reply->str, reply->len);
}

bool IsNoScript(const redisReply* reply) {
  return IsError(reply) && std::string_view(reply->str, reply->len).starts_with("NOSCRIPT");
}

std::exception_ptr Unavailable(std::string message) {
  return std::make_exception_ptr(UnavailableError(std::move(message)));
}

struct ReaderDeleter {
  void operator()(redisReader* reader) const { redisReaderFree(reader); }
};

struct ReplyDeleter {
  void operator()(redisReply* reply) const { freeReplyObject(reply); }
};

}  // namespace

// One connection and everything waiting on it. Every member is used on `strand` only.
struct RedisMultiplexer::Connection : std::enable_shared_from_this<Connection> {
  // What a reply goes to: `reply` is null when the connection failed (`error` says why).
  using OnReply = std::function<void(std::exception_ptr error, const redisReply* reply)>;
  struct Waiter {
    OnReply on_reply;
    Clock::time_point deadline;
  };
  enum class State { kDown, kConnecting, kGreeting, kUp };

  Connection(asio::io_context& io, const RedisSettings& settings, RedisTarget target)
      : strand(asio::make_strand(io)),
        socket(strand),
        resolver(strand),
        timer(strand),
        timeout(settings.timeout),
        target(std::move(target)) {}

  // Queues `bytes` (whole commands) and their repliers, in order; connects when down.
  void Submit(std::string bytes, std::vector<OnReply> repliers) {
    const auto deadline = Clock::now() + timeout;
    out += bytes;
    for (auto& on_reply : repliers) waiting.push_back({std::move(on_reply), deadline});
    ArmTimer();
    if (state == State::kDown) {
      Connect();
    } else if (state == State::kUp) {
      Flush();
    }
  }

  void Connect() {
    state = State::kConnecting;
    const auto at = epoch;
    resolver.async_resolve(
        target.host, std::to_string(target.port),
        [self = shared_from_this(), at](boost::system::error_code ec,
                                        tcp::resolver::results_type endpoints) {
          if (at != self->epoch) return;
          if (ec)
            return self->Fail("redis: cannot resolve " + self->target.host + ": " + ec.message());
          asio::async_connect(
              self->socket, endpoints,
              [self, at](boost::system::error_code ec, const tcp::endpoint&) {
                if (at != self->epoch) return;
                if (ec) {
                  return self->Fail("redis: cannot connect to " + self->target.host + ":" +
                                    std::to_string(self->target.port) + ": " + ec.message());
                }
                self->Connected();
              });
        });
  }

  void Connected() {
    boost::system::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    reader.reset(redisReaderCreate());
    if (!reader) return Fail("redis: out of memory");
    std::vector<std::vector<std::string>> setup;
    if (!target.password.empty()) setup.push_back({"AUTH", target.password});
    if (target.db != 0) setup.push_back({"SELECT", std::to_string(target.db)});
    Read();
    if (setup.empty()) {
      state = State::kUp;
      return Flush();
    }
    // AUTH and SELECT go first and alone: what is queued is written once they were accepted, so
    // that nothing runs as another user or in another database when one of them fails. Their
    // waiters hold the connection weakly: it must not keep itself alive.
    state = State::kGreeting;
    const auto deadline = Clock::now() + timeout;
    for (auto it = setup.rbegin(); it != setup.rend(); ++it) {
      waiting.push_front({[weak = weak_from_this(), last = it == setup.rbegin()](
                              std::exception_ptr, const redisReply* r) {
                            auto self = weak.lock();
                            if (!self || r == nullptr) return;
                            if (IsError(r)) return self->Fail(ErrorText(r));
                            if (last) {
                              self->state = State::kUp;
                              self->Flush();
                            }
                          },
                          deadline});
    }
    for (const auto& command : setup) AppendCommand(sending, command);
    Write();
  }

  void Flush() {
    if (writing || out.empty() || state != State::kUp) return;
    sending.swap(out);
    out.clear();
    Write();
  }

  // Writes `sending`; what was queued meanwhile follows.
  void Write() {
    writing = true;
    asio::async_write(
        socket, asio::buffer(sending),
        [self = shared_from_this(), at = epoch](boost::system::error_code ec, std::size_t) {
          if (at != self->epoch) return;
          self->writing = false;
          if (ec) return self->Fail("redis: write failed: " + ec.message());
          self->Flush();
        });
  }

  void Read() {
    socket.async_read_some(asio::buffer(buffer), [self = shared_from_this(), at = epoch](
                                                     boost::system::error_code ec, std::size_t n) {
      if (at != self->epoch) return;
      if (ec) return self->Fail("redis: connection lost: " + ec.message());
      self->Deliver(n);
      if (at == self->epoch) self->Read();
    });
  }

  // Hands every whole reply read so far to its waiter.
  void Deliver(std::size_t n) {
    if (redisReaderFeed(reader.get(), buffer.data(), n) != REDIS_OK) {
      return Fail("redis: out of memory");
    }
    const auto at = epoch;
    while (at == epoch) {
      void* raw = nullptr;
      if (redisReaderGetReply(reader.get(), &raw) != REDIS_OK) {
        return Fail("redis: protocol error: " + std::string(reader->errstr));
      }
      if (raw == nullptr) return;  // the rest of the reply is still to come
      std::unique_ptr<redisReply, ReplyDeleter> reply(static_cast<redisReply*>(raw));
      if (waiting.empty()) return Fail("redis: a reply nobody asked for");
      Waiter waiter = std::move(waiting.front());
      waiting.pop_front();
      Tell(waiter, nullptr, reply.get());
    }
  }

  void ArmTimer() {
    if (timer_armed || waiting.empty()) return;
    timer_armed = true;
    timer.expires_at(waiting.front().deadline);
    timer.async_wait([self = shared_from_this()](boost::system::error_code) {
      self->timer_armed = false;
      if (self->waiting.empty()) return;
      if (self->waiting.front().deadline <= Clock::now()) {
        return self->Fail("redis: no reply within the timeout");
      }
      self->ArmTimer();
    });
  }

  // Closes the connection and fails everything waiting on it; the next Submit connects again.
  void Fail(const std::string& message) {
    auto failed = Close();
    const auto error = Unavailable(message);
    for (auto& waiter : failed) Tell(waiter, error, nullptr);
  }

  // A caller's completion that throws is a bug; it must not take the I/O thread, or the
  // replies still to be handed out, with it.
  static void Tell(Waiter& waiter, std::exception_ptr error, const redisReply* reply) {
    try {
      waiter.on_reply(error, reply);
    } catch (const std::exception& e) {
      spdlog::error("a redis completion threw: {}", e.what());
    } catch (...) {
      spdlog::error("a redis completion threw a non-standard exception");
    }
  }

  // Closes the connection; returns the waiters, not told anything.
  std::deque<Waiter> Close() {
    ++epoch;  // handlers of the old socket see a changed epoch and stop
    boost::system::error_code ignored;
    resolver.cancel();
    socket.close(ignored);
    timer.cancel();
    state = State::kDown;
    writing = false;
    out.clear();
    sending.clear();
    reader.reset();
    auto dropped = std::move(waiting);
    waiting.clear();
    return dropped;
  }

  asio::strand<asio::io_context::executor_type> strand;
  tcp::socket socket;
  tcp::resolver resolver;
  asio::steady_timer timer;
  std::chrono::milliseconds timeout;
  RedisTarget target;

  State state = State::kDown;
  std::uint64_t epoch = 0;
  std::string out;      // commands not written yet
  std::string sending;  // the write in flight
  bool writing = false;
  bool timer_armed = false;
  std::deque<Waiter> waiting;  // in the order the replies will come
  std::unique_ptr<redisReader, ReaderDeleter> reader;
  std::array<char, 16 * 1024> buffer{};
};

// A script call: its parts are kept to send it again as EVAL when the server lost the script.
struct RedisMultiplexer::EvalCall {
  const RedisScript& script;
  std::vector<std::string> keys;
  std::vector<std::string> args;
  Done done;
  std::exception_ptr before_error;
};

RedisMultiplexer::RedisMultiplexer(asio::io_context& io, RedisSettings settings, int connections) {
  if (connections < 1) throw std::invalid_argument("redis connections must be at least 1");
  const RedisTarget target = ParseRedisUrl(settings.url);
  for (int i = 0; i < connections; ++i) {
    connections_.push_back(std::make_shared<Connection>(io, settings, target));
  }
}

RedisMultiplexer::~RedisMultiplexer() {
  // Each connection's pending operations keep it alive until they end; closing it ends them.
  for (auto& connection : connections_) {
    asio::post(connection->strand, [connection] { connection->Close(); });
  }
}

RedisMultiplexer::Connection& RedisMultiplexer::Next() {
  return *connections_[next_.fetch_add(1, std::memory_order_relaxed) % connections_.size()];
}

namespace {

// The value of a reply, or why there is none.
std::pair<std::exception_ptr, RedisValue> ValueOf(std::exception_ptr error,
                                                  const redisReply* reply) {
  if (error) return {error, {}};
  try {  // an error reply throws UnavailableError
    return {nullptr, ConvertReply(*reply)};
  } catch (...) {
    return {std::current_exception(), {}};
  }
}

}  // namespace

void RedisMultiplexer::Command(const std::vector<std::string>& args, Done done) {
  std::string bytes;
  AppendCommand(bytes, args);
  Connection& connection = Next();
  asio::post(connection.strand, [self = connection.shared_from_this(), bytes = std::move(bytes),
                                 done = std::move(done)]() mutable {
    std::vector<Connection::OnReply> repliers;
    repliers.push_back([done = std::move(done)](std::exception_ptr error, const redisReply* reply) {
      auto [failure, value] = ValueOf(error, reply);
      done(failure, std::move(value));
    });
    self->Submit(std::move(bytes), std::move(repliers));
  });
}

void RedisMultiplexer::Eval(const RedisScript& script, const std::vector<std::string>& keys,
                            const std::vector<std::string>& args, Done done,
                            const std::vector<std::string>& before) {
  auto call = std::make_shared<EvalCall>(EvalCall{script, keys, args, std::move(done), nullptr});
  std::string bytes;
  if (!before.empty()) AppendCommand(bytes, before);
  AppendScript(bytes, "EVALSHA", script.Digest(), keys, args);
  Connection& connection = Next();
  asio::post(connection.strand, [self = connection.shared_from_this(), bytes = std::move(bytes),
                                 call, has_before = !before.empty()]() mutable {
    std::vector<Connection::OnReply> repliers;
    if (has_before) {
      repliers.push_back([call](std::exception_ptr error, const redisReply* reply) {
        // A failed connection fails the script's waiter too, which reports it.
        if (!error && IsError(reply)) call->before_error = Unavailable(ErrorText(reply));
      });
    }
    // The script's reply; NOSCRIPT sends it once more with its source, on this connection.
    auto finish = [call](std::exception_ptr error, const redisReply* reply) {
      auto [failure, value] = ValueOf(error, reply);
      if (!failure && call->before_error) failure = call->before_error;
      call->done(failure, std::move(value));
    };
    repliers.push_back([call, finish, weak = std::weak_ptr<Connection>(self)](
                           std::exception_ptr error, const redisReply* reply) {
      auto connection = weak.lock();
      if (!error && IsNoScript(reply) && connection) {
        std::string again;
        AppendScript(again, "EVAL", call->script.Source(), call->keys, call->args);
        connection->Submit(std::move(again), {finish});
        return;
      }
      finish(error, reply);
    });
    self->Submit(std::move(bytes), std::move(repliers));
  });
}

}  // namespace boxoffice::infra
