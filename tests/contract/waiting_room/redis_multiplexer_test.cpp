#include "infrastructure/redis/redis_multiplexer.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <numeric>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "domain/errors.hpp"
#include "infrastructure/redis/redis_pool.hpp"
#include "../redis_test_support.hpp"

// RedisMultiplexer against a real Redis (BOXOFFICE_TEST_REDIS_URL, set by
// scripts/test-redis-contract), and against sockets the tests control for the failures.
namespace boxoffice::contract {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;
using infra::RedisMultiplexer;
using infra::RedisValue;

// Keys of their own for every test (and test process).
std::string UniqueKey(const std::string& name) {
  static std::atomic<int> counter{0};
  return "test:mux:" + std::to_string(::getpid()) + ":" + std::to_string(++counter) + ":" + name;
}

std::string ServerUrl(const std::string& url) { return WithDatabase(url, 0); }

// How one call ended.
struct Outcome {
  std::exception_ptr error;
  RedisValue value;
  std::thread::id thread;
  int completions = 0;  // how many times the completion ran, seen when the first one did

  bool Failed() const { return error != nullptr; }
  bool FailedUnavailable() const {
    if (!error) return false;
    try {
      std::rethrow_exception(error);
    } catch (const domain::UnavailableError&) {
      return true;
    } catch (...) {
      return false;
    }
  }
  std::string Message() const {
    if (!error) return "(no error)";
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      return e.what();
    } catch (...) {
      return "(not a std::exception)";
    }
  }
};

// A completion that fulfils a future; a second run is counted (and reported) instead of
// throwing on an io thread.
class Pending {
 public:
  Pending() : state_(std::make_shared<State>()), future_(state_->promise.get_future()) {}

  RedisMultiplexer::Done Done() {
    return [state = state_](std::exception_ptr error, RedisValue value) {
      if (state->runs.fetch_add(1) != 0) {
        ADD_FAILURE() << "a completion ran twice";
        return;
      }
      state->promise.set_value({error, std::move(value), std::this_thread::get_id(), 1});
    };
  }
  // Waits with a generous bound: the test fails, not hangs, when no completion comes.
  Outcome Get(std::chrono::seconds bound = 10s) {
    if (future_.wait_for(bound) != std::future_status::ready) {
      ADD_FAILURE() << "no completion within " << bound.count() << " s";
      return {std::make_exception_ptr(std::runtime_error("no completion")), {}, {}, 0};
    }
    return future_.get();
  }
  bool Ready() const { return future_.wait_for(0s) == std::future_status::ready; }
  int Runs() const { return state_->runs.load(); }

 private:
  struct State {
    std::promise<Outcome> promise;
    std::atomic<int> runs{0};
  };
  std::shared_ptr<State> state_;
  std::future<Outcome> future_;
};

Outcome CommandNow(RedisMultiplexer& multiplexer, const std::vector<std::string>& args) {
  Pending pending;
  multiplexer.Command(args, pending.Done());
  return pending.Get();
}

Outcome EvalNow(RedisMultiplexer& multiplexer, const infra::RedisScript& script,
                const std::vector<std::string>& keys, const std::vector<std::string>& args,
                const std::vector<std::string>& before = {}) {
  Pending pending;
  multiplexer.Eval(script, keys, args, pending.Done(), before);
  return pending.Get();
}

class RedisMultiplexerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto url = TestRedisUrl();
    if (!url) GTEST_SKIP() << "BOXOFFICE_TEST_REDIS_URL is not set";
    url_ = *url;
    pool_ = std::make_unique<infra::RedisPool>(infra::RedisSettings{url_, 2, 2000ms});
    try {
      pool_->Command({"PING"});
    } catch (const domain::UnavailableError& e) {
      GTEST_SKIP() << "redis unreachable: " << e.what();
    }
  }

  std::unique_ptr<RedisMultiplexer> Make(IoThreads& io, int connections,
                                         std::chrono::milliseconds timeout = 5000ms) {
    return std::make_unique<RedisMultiplexer>(io.io(), infra::RedisSettings{url_, 1, timeout},
                                              connections);
  }

  std::string url_;
  std::unique_ptr<infra::RedisPool> pool_;
};

// Counts completions until `total` have come, on any thread.
class Countdown {
 public:
  explicit Countdown(int total) : left_(total) {}
  void Done() {
    std::lock_guard lock(mu_);
    if (--left_ == 0) all_.notify_all();
  }
  bool Wait(std::chrono::seconds bound) {
    std::unique_lock lock(mu_);
    return all_.wait_for(lock, bound, [this] { return left_ <= 0; });
  }

 private:
  std::mutex mu_;
  std::condition_variable all_;
  int left_;
};

// Many threads calling at once through a few pipelined connections: every call completes
// exactly once, on an io thread, with its own reply: the INCR replies are exactly 1..N.
void ExpectEveryCallCompletesOnceWithItsOwnReply(
    RedisMultiplexer& multiplexer, IoThreads& io, infra::RedisPool& pool, const std::string& key,
    const std::function<void(RedisMultiplexer&, RedisMultiplexer::Done)>& call) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 250;
  constexpr int kTotal = kThreads * kPerThread;
  std::vector<std::atomic<int>> runs(kTotal);
  std::vector<std::int64_t> replies(kTotal, -1);
  std::atomic<int> failures{0};
  std::atomic<int> off_io{0};
  Countdown countdown(kTotal);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const int index = t * kPerThread + i;
        call(multiplexer, [&, index](std::exception_ptr error, RedisValue value) {
          if (!io.Runs(std::this_thread::get_id())) ++off_io;
          if (runs[index].fetch_add(1) == 0) {
            if (error) {
              ++failures;
            } else {
              replies[index] = value.integer;  // each index is written by its one completion
            }
            countdown.Done();
          }
        });
      }
    });
  }
  for (auto& thread : threads) thread.join();
  ASSERT_TRUE(countdown.Wait(60s)) << "not every call completed";
  // Stopping the io threads makes every completion that ran visible here, late duplicates too.
  io.Stop();

  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(off_io.load(), 0);
  for (int i = 0; i < kTotal; ++i) ASSERT_EQ(runs[i].load(), 1) << "call " << i;
  std::sort(replies.begin(), replies.end());
  std::vector<std::int64_t> expected(kTotal);
  std::iota(expected.begin(), expected.end(), 1);
  EXPECT_EQ(replies, expected);
  EXPECT_EQ(pool.Command({"GET", key}).AsInteger(), kTotal);
}

TEST_F(RedisMultiplexerTest, ConcurrentCommandsEachCompleteOnceWithTheirOwnReply) {
  IoThreads io(2);
  auto multiplexer = Make(io, 3);
  const std::string key = UniqueKey("incr");
  ExpectEveryCallCompletesOnceWithItsOwnReply(
      *multiplexer, io, *pool_, key, [&](RedisMultiplexer& m, RedisMultiplexer::Done done) {
        m.Command({"INCR", key}, done);
      });
}

TEST_F(RedisMultiplexerTest, ConcurrentScriptsEachCompleteOnceWithTheirOwnReply) {
  IoThreads io(2);
  auto multiplexer = Make(io, 3);
  const std::string key = UniqueKey("eval");
  const infra::RedisScript script("return redis.call('INCRBY', KEYS[1], ARGV[1])");
  ExpectEveryCallCompletesOnceWithItsOwnReply(
      *multiplexer, io, *pool_, key, [&](RedisMultiplexer& m, RedisMultiplexer::Done done) {
        m.Eval(script, {key}, {"1"}, done);
      });
}

// Calls from one thread on one connection complete in the order they were made, each with its
// own reply, commands and scripts mixed in one pipeline.
TEST_F(RedisMultiplexerTest, CallsFromOneThreadCompleteInOrderWithTheirReplies) {
  IoThreads io(2);
  auto multiplexer = Make(io, 1);
  const std::string key = UniqueKey("order");
  const infra::RedisScript script("return redis.call('INCRBY', KEYS[1], ARGV[1])");
  EvalNow(*multiplexer, script, {key}, {"0"});  // the server has the script from now on
  constexpr int kCalls = 1000;
  std::mutex mu;
  std::vector<std::int64_t> order;
  Countdown countdown(kCalls);
  for (int i = 0; i < kCalls; ++i) {
    auto done = [&](std::exception_ptr error, RedisValue value) {
      {
        std::lock_guard lock(mu);
        order.push_back(error ? -1 : value.integer);
      }
      countdown.Done();
    };
    if (i % 3 == 0) {
      multiplexer->Eval(script, {key}, {"1"}, done);
    } else {
      multiplexer->Command({"INCR", key}, done);
    }
  }
  ASSERT_TRUE(countdown.Wait(30s));
  io.Stop();
  std::vector<std::int64_t> expected(kCalls);
  std::iota(expected.begin(), expected.end(), 1);
  EXPECT_EQ(order, expected);
}

// An error reply in the middle of a pipeline fails that call only; the replies behind it still
// go to their own calls.
TEST_F(RedisMultiplexerTest, AnErrorReplyFailsItsCallOnlyAndTheNextCallSucceeds) {
  IoThreads io(2);
  auto multiplexer = Make(io, 1);
  const std::string counter = UniqueKey("counter");
  const std::string text = UniqueKey("text");
  pool_->Command({"SET", text, "not a number"});

  Pending first, bad, after;
  multiplexer->Command({"INCR", counter}, first.Done());
  multiplexer->Command({"INCR", text}, bad.Done());
  multiplexer->Command({"INCR", counter}, after.Done());
  auto a = first.Get();
  auto b = bad.Get();
  auto c = after.Get();
  ASSERT_FALSE(a.Failed()) << a.Message();
  EXPECT_EQ(a.value.integer, 1);
  EXPECT_TRUE(b.FailedUnavailable()) << b.Message();
  EXPECT_NE(b.Message().find("not an integer"), std::string::npos) << b.Message();
  ASSERT_FALSE(c.Failed()) << c.Message();
  EXPECT_EQ(c.value.integer, 2);

  const infra::RedisScript failing("return redis.error_reply('refused by the script')");
  auto refused = EvalNow(*multiplexer, failing, {}, {});
  EXPECT_TRUE(refused.FailedUnavailable()) << refused.Message();
  EXPECT_NE(refused.Message().find("refused by the script"), std::string::npos)
      << refused.Message();
  auto next = CommandNow(*multiplexer, {"INCR", counter});
  ASSERT_FALSE(next.Failed()) << next.Message();
  EXPECT_EQ(next.value.integer, 3);
  io.Stop();
}

// A script the server does not have (SCRIPT FLUSH) runs through the EVAL fallback, and is
// cached afterwards under the digest RedisScript computed, which is SCRIPT LOAD's.
TEST_F(RedisMultiplexerTest, AScriptTheServerLacksRunsAndIsCachedAfterwards) {
  IoThreads io(2);
  auto multiplexer = Make(io, 1);
  const std::string key = UniqueKey("noscript");
  // A source of its own (the key is in a comment), so its digest is not cached by anyone else.
  const infra::RedisScript script("-- " + key + "\nreturn redis.call('INCR', KEYS[1])");

  const RedisValue loaded = pool_->Command({"SCRIPT", "LOAD", "return 'digest of " + key + "'"});
  EXPECT_EQ(infra::RedisScript("return 'digest of " + key + "'").Digest(), loaded.string);

  // Server-wide, but harmless to other clients: they load their scripts again on NOSCRIPT.
  pool_->Command({"SCRIPT", "FLUSH"});
  ASSERT_EQ(pool_->Command({"SCRIPT", "EXISTS", script.Digest()}).elements.at(0).integer, 0);
  auto first = EvalNow(*multiplexer, script, {key}, {});
  ASSERT_FALSE(first.Failed()) << first.Message();
  EXPECT_EQ(first.value.integer, 1);
  EXPECT_EQ(pool_->Command({"SCRIPT", "EXISTS", script.Digest()}).elements.at(0).integer, 1);
  auto second = EvalNow(*multiplexer, script, {key}, {});
  ASSERT_FALSE(second.Failed()) << second.Message();
  EXPECT_EQ(second.value.integer, 2);
  io.Stop();
}

// Several calls of a lost script in one pipeline: each gets NOSCRIPT and is sent again with
// its source; each runs exactly once.
TEST_F(RedisMultiplexerTest, PipelinedCallsOfALostScriptEachRunOnce) {
  IoThreads io(2);
  auto multiplexer = Make(io, 1);
  const std::string key = UniqueKey("noscript-pipeline");
  const infra::RedisScript script("-- " + key + "\nreturn redis.call('INCR', KEYS[1])");
  pool_->Command({"SCRIPT", "FLUSH"});
  constexpr int kCalls = 20;
  std::vector<Pending> calls(kCalls);
  for (auto& call : calls) multiplexer->Eval(script, {key}, {}, call.Done());
  std::vector<std::int64_t> replies;
  for (auto& call : calls) {
    auto outcome = call.Get();
    ASSERT_FALSE(outcome.Failed()) << outcome.Message();
    replies.push_back(outcome.value.integer);
  }
  std::sort(replies.begin(), replies.end());
  std::vector<std::int64_t> expected(kCalls);
  std::iota(expected.begin(), expected.end(), 1);
  EXPECT_EQ(replies, expected);
  EXPECT_EQ(pool_->Command({"GET", key}).AsInteger(), kCalls);
  io.Stop();
}

// `before` runs once, ahead of the script, even when the script must be sent again.
TEST_F(RedisMultiplexerTest, BeforeRunsOnceAheadOfTheScriptEvenWhenTheScriptWasLost) {
  IoThreads io(2);
  auto multiplexer = Make(io, 1);
  const std::string before_key = UniqueKey("before");
  const std::string key = UniqueKey("script");
  const infra::RedisScript script("-- " + key +
                                  "\nreturn redis.call('GET', KEYS[1]) .. ':' .. "
                                  "redis.call('INCR', KEYS[2])");
  pool_->Command({"SCRIPT", "FLUSH"});
  auto outcome = EvalNow(*multiplexer, script, {before_key, key}, {}, {"INCR", before_key});
  ASSERT_FALSE(outcome.Failed()) << outcome.Message();
  EXPECT_EQ(outcome.value.string, "1:1");  // the script saw what `before` did
  EXPECT_EQ(pool_->Command({"GET", before_key}).AsInteger(), 1);
  auto cached = EvalNow(*multiplexer, script, {before_key, key}, {}, {"INCR", before_key});
  ASSERT_FALSE(cached.Failed()) << cached.Message();
  EXPECT_EQ(cached.value.string, "2:2");
  io.Stop();
}

// An error reply to `before` fails the call although the script ran.
TEST_F(RedisMultiplexerTest, AnErrorReplyToBeforeFailsTheCallAfterTheScriptRan) {
  IoThreads io(2);
  auto multiplexer = Make(io, 1);
  const std::string text = UniqueKey("text");
  const std::string key = UniqueKey("ran");
  pool_->Command({"SET", text, "not a number"});
  const infra::RedisScript script("return redis.call('INCR', KEYS[1])");
  auto outcome = EvalNow(*multiplexer, script, {key}, {}, {"INCR", text});
  EXPECT_TRUE(outcome.FailedUnavailable()) << outcome.Message();
  EXPECT_EQ(pool_->Command({"GET", key}).AsInteger(), 1) << "the script did not run";
  auto next = EvalNow(*multiplexer, script, {key}, {});
  ASSERT_FALSE(next.Failed()) << next.Message();
  EXPECT_EQ(next.value.integer, 2);
  io.Stop();
}

// A free port nothing listens on: the kernel picks it for a socket that is then closed.
int DeadPort() {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io,
                                   asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const int port = acceptor.local_endpoint().port();
  acceptor.close();
  return port;
}

TEST(RedisMultiplexerFailures, AnUnreachableServerFailsCallsWithUnavailable) {
  IoThreads io(2);
  RedisMultiplexer multiplexer(
      io.io(), infra::RedisSettings{"redis://127.0.0.1:" + std::to_string(DeadPort()), 1, 500ms},
      2);
  const auto started = std::chrono::steady_clock::now();
  Pending a, b;
  multiplexer.Command({"PING"}, a.Done());
  multiplexer.Command({"PING"}, b.Done());
  auto first = a.Get(5s);
  auto second = b.Get(5s);
  EXPECT_TRUE(first.FailedUnavailable()) << first.Message();
  EXPECT_TRUE(second.FailedUnavailable()) << second.Message();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
  EXPECT_TRUE(io.Runs(first.thread));
  // Each call tries again; none is stuck behind the failure.
  auto again = CommandNow(multiplexer, {"PING"});
  EXPECT_TRUE(again.FailedUnavailable()) << again.Message();
  io.Stop();
}

TEST(RedisMultiplexerFailures, AServerThatNeverAnswersFailsCallsAfterTheTimeout) {
  SilentServer server;
  IoThreads io(2);
  RedisMultiplexer multiplexer(io.io(), infra::RedisSettings{server.Url(), 1, 200ms}, 1);
  const auto started = std::chrono::steady_clock::now();
  const infra::RedisScript script("return 1");
  Pending command, eval;
  multiplexer.Command({"PING"}, command.Done());
  multiplexer.Eval(script, {}, {}, eval.Done(), {"SADD", "k", "v"});
  auto a = command.Get(5s);
  auto b = eval.Get(5s);
  const auto elapsed = std::chrono::steady_clock::now() - started;
  EXPECT_TRUE(a.FailedUnavailable()) << a.Message();
  EXPECT_TRUE(b.FailedUnavailable()) << b.Message();
  EXPECT_GE(elapsed, 150ms) << "failed before the timeout";
  EXPECT_LT(elapsed, 3s);
  // The connection was closed; the next call connects again and times out again.
  auto again = CommandNow(multiplexer, {"PING"});
  EXPECT_TRUE(again.FailedUnavailable()) << again.Message();
  io.Stop();
}

// A command the real server holds past the timeout (BLPOP on an empty list): the call fails,
// so do the calls behind it on that connection, and the late reply never reaches a later call.
TEST_F(RedisMultiplexerTest, ACommandUnansweredPastTheTimeoutFailsAndTheNextCallSucceeds) {
  IoThreads io(2);
  auto multiplexer = Make(io, 1, 300ms);
  const std::string list = UniqueKey("list");
  const std::string counter = UniqueKey("counter");
  Pending blocked, behind;
  multiplexer->Command({"BLPOP", list, "2"}, blocked.Done());
  multiplexer->Command({"INCR", counter}, behind.Done());
  auto a = blocked.Get(5s);
  auto b = behind.Get(5s);
  EXPECT_TRUE(a.FailedUnavailable()) << a.Message();
  EXPECT_TRUE(b.FailedUnavailable()) << b.Message();
  auto next = CommandNow(*multiplexer, {"INCR", counter});
  ASSERT_FALSE(next.Failed()) << next.Message();
  EXPECT_EQ(next.value.type, RedisValue::Type::kInteger);
  EXPECT_GE(next.value.integer, 1);
  io.Stop();
}

// The server closes the connection (CLIENT KILL): later calls succeed on a new one (the first
// may fail if it was written before the loss was read).
TEST_F(RedisMultiplexerTest, AConnectionKilledByTheServerIsReplaced) {
  IoThreads io(2);
  auto multiplexer = Make(io, 1);
  auto id = CommandNow(*multiplexer, {"CLIENT", "ID"});
  ASSERT_FALSE(id.Failed()) << id.Message();
  ASSERT_EQ(pool_->Command({"CLIENT", "KILL", "ID", std::to_string(id.value.integer)}).integer, 1);
  auto maybe = CommandNow(*multiplexer, {"CLIENT", "ID"});
  if (maybe.Failed()) {
    EXPECT_TRUE(maybe.FailedUnavailable()) << maybe.Message();
  }
  auto after = CommandNow(*multiplexer, {"CLIENT", "ID"});
  ASSERT_FALSE(after.Failed()) << after.Message();
  EXPECT_NE(after.value.integer, id.value.integer);
  io.Stop();
}

// A call waiting on a connection the server kills fails at once, not at the timeout.
TEST_F(RedisMultiplexerTest, ACallWaitingOnAKilledConnectionFailsAtOnce) {
  IoThreads io(2);
  auto multiplexer = Make(io, 1, 60'000ms);
  auto id = CommandNow(*multiplexer, {"CLIENT", "ID"});
  ASSERT_FALSE(id.Failed()) << id.Message();
  Pending blocked;
  multiplexer->Command({"BLPOP", UniqueKey("list"), "0"}, blocked.Done());
  // The kill is retried until the BLPOP has reached the server (the connection then exists
  // and is blocked); a kill before the BLPOP arrived would let it be sent again, not fail.
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (std::chrono::steady_clock::now() < deadline && !blocked.Ready()) {
    const RedisValue clients =
        pool_->Command({"CLIENT", "LIST", "ID", std::to_string(id.value.integer)});
    if (clients.string.find("cmd=blpop") != std::string::npos) {
      pool_->Command({"CLIENT", "KILL", "ID", std::to_string(id.value.integer)});
      break;
    }
    std::this_thread::yield();
  }
  auto outcome = blocked.Get(5s);
  EXPECT_TRUE(outcome.FailedUnavailable()) << outcome.Message();
  auto after = CommandNow(*multiplexer, {"PING"});
  EXPECT_FALSE(after.Failed()) << after.Message();
  io.Stop();
}

// A URL with a database: SELECT goes ahead of the first command.
TEST_F(RedisMultiplexerTest, TheDatabaseOfTheUrlIsSelectedBeforeTheFirstCommand) {
  IoThreads io(2);
  RedisMultiplexer multiplexer(io.io(), infra::RedisSettings{WithDatabase(url_, 5), 1, 5000ms}, 1);
  infra::RedisPool db5(infra::RedisSettings{WithDatabase(url_, 5), 1, 2000ms});
  infra::RedisPool db0(infra::RedisSettings{ServerUrl(url_), 1, 2000ms});
  const std::string key = UniqueKey("db");
  auto set = CommandNow(multiplexer, {"SET", key, "in five"});
  ASSERT_FALSE(set.Failed()) << set.Message();
  EXPECT_EQ(db5.Command({"GET", key}).string, "in five");
  EXPECT_TRUE(db0.Command({"GET", key}).IsNil());
  const infra::RedisScript script("return redis.call('GET', KEYS[1])");
  auto read = EvalNow(multiplexer, script, {key}, {});
  ASSERT_FALSE(read.Failed()) << read.Message();
  EXPECT_EQ(read.value.string, "in five");
  db5.Command({"DEL", key});
  io.Stop();
}

// A database that does not exist fails the SELECT, and with it every call.
TEST_F(RedisMultiplexerTest, AFailedSelectFailsTheCalls) {
  IoThreads io(2);
  RedisMultiplexer multiplexer(io.io(), infra::RedisSettings{WithDatabase(url_, 100000), 1, 5000ms},
                               1);
  const std::string key = UniqueKey("nodb");
  auto set = CommandNow(multiplexer, {"SET", key, "lost"});
  EXPECT_TRUE(set.FailedUnavailable()) << set.Message();
  const bool written = !pool_->Command({"GET", key}).IsNil();
  pool_->Command({"DEL", key});
  // The commands queued behind the SELECT went in the same write: they must wait for its reply.
  EXPECT_FALSE(written) << "the SET ran on database 0 after the SELECT failed";
  io.Stop();
}

// Destroying the multiplexer after its io_context stopped, with calls still pending on a real
// server and on one that never answers: no crash, and the pending calls are dropped, never
// completed.
TEST_F(RedisMultiplexerTest, DestroyingItAfterTheIoStoppedWithCallsPendingIsSafe) {
  SilentServer silent;
  std::vector<Pending> calls(6);
  {
    IoThreads io(2);
    auto live = Make(io, 2);
    auto hung = std::make_unique<RedisMultiplexer>(
        io.io(), infra::RedisSettings{silent.Url(), 1, 60'000ms}, 2);
    ASSERT_FALSE(CommandNow(*live, {"PING"}).Failed());
    const std::string list = UniqueKey("list");
    live->Command({"BLPOP", list, "0"}, calls[0].Done());
    live->Command({"BLPOP", list, "0"}, calls[1].Done());
    live->Command({"INCR", UniqueKey("after")}, calls[2].Done());
    const infra::RedisScript script("return 1");
    hung->Eval(script, {}, {}, calls[3].Done());
    hung->Command({"PING"}, calls[4].Done());
    hung->Command({"PING"}, calls[5].Done());
    io.Stop();
    live.reset();
    hung.reset();
  }  // the io_context goes last
  // The INCR waits behind a BLPOP on its connection (the PING took the first one), the rest
  // on a server that never answers: none could complete, and dropping them completes none.
  for (int i = 0; i < 6; ++i) EXPECT_EQ(calls[i].Runs(), 0) << "call " << i;
}

// Destroying it after its io_context stopped closes its connections (once the io_context is
// gone too), also when the connection still waits for the reply to its SELECT: nothing it made
// keeps it alive. With a database in the URL the SELECT's waiter holds the connection it waits
// on (a shared_ptr to itself in its own queue), so the connection and its socket are never
// freed: the server never sees the close.
void ExpectTheConnectionClosesAfterDestruction(const std::string& path) {
  SilentServer server;
  auto io = std::make_unique<IoThreads>(2);
  auto multiplexer = std::make_unique<RedisMultiplexer>(
      io->io(), infra::RedisSettings{server.Url(path), 1, 60'000ms}, 1);
  Pending pending;
  multiplexer->Command({"PING"}, pending.Done());
  ASSERT_TRUE(server.AcceptAndAwaitRequest()) << "the request never came";
  io->Stop();
  multiplexer.reset();
  io.reset();
  EXPECT_EQ(pending.Runs(), 0);
  EXPECT_TRUE(server.ClosedByClient()) << "the connection was never closed: it leaked";
}

TEST(RedisMultiplexerLifetime, DestroyingItAfterTheIoStoppedClosesItsConnection) {
  ExpectTheConnectionClosesAfterDestruction("");
}

TEST(RedisMultiplexerLifetime, DestroyingItClosesAConnectionStillWaitingForItsSelect) {
  ExpectTheConnectionClosesAfterDestruction("/5");
}

// Destroying it while the io_context still runs and nothing is pending: its connections close.
TEST_F(RedisMultiplexerTest, DestroyingItIdleWhileTheIoRunsClosesItsConnections) {
  IoThreads io(2);
  auto multiplexer = Make(io, 1);
  auto id = CommandNow(*multiplexer, {"CLIENT", "ID"});
  ASSERT_FALSE(id.Failed()) << id.Message();
  const std::string name = "id=" + std::to_string(id.value.integer) + " ";
  multiplexer.reset();
  bool gone = false;
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!gone && std::chrono::steady_clock::now() < deadline) {
    gone = pool_->Command({"CLIENT", "LIST"}).string.find(name) == std::string::npos;
    if (!gone) std::this_thread::yield();
  }
  EXPECT_TRUE(gone) << "the connection stayed open";
  io.Stop();
}

}  // namespace
}  // namespace boxoffice::contract
