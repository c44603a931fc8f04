#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdlib>
#include <exception>
#include <future>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "../redis_test_support.hpp"
#include "domain/errors.hpp"
#include "infrastructure/redis/redis_multiplexer.hpp"
#include "infrastructure/redis/redis_pool.hpp"
#include "infrastructure/redis/redis_waiting_room.hpp"
#include "waiting_room_contract.hpp"

// The Redis waiting room through its asynchronous path (JoinWithStatsAsync, TouchAsync,
// TouchWithStatsAsync over a RedisMultiplexer): the whole contract suite, and what only that path
// can get wrong.
namespace boxoffice::contract {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;

// What a completion gave, and on which thread it ran.
template <class T>
struct Outcome {
  std::exception_ptr error;
  T value;
  std::thread::id thread;
};

// Test-only: a RedisWaitingRoom whose Join, Touch, JoinWithStats and TouchWithStats go through
// the asynchronous forms (Join through JoinWithStatsAsync, Touch through TouchAsync) over a
// multiplexer on an io_context of its own (2 threads), and wait for the completion. Every other
// method is the wrapped room's. A completion that runs on the calling thread (the port's in-place
// defaults) is counted, so a room that did not really go through the multiplexer fails the suite.
class AsyncRedisWaitingRoom : public domain::WaitingRoom {
 public:
  AsyncRedisWaitingRoom(std::shared_ptr<infra::RedisPool> pool, const std::string& url,
                        std::string prefix)
      : io_(2),
        multiplexer_(std::make_shared<infra::RedisMultiplexer>(
            io_.io(), infra::RedisSettings{url, 1, 2000ms}, 2)),
        room_(std::move(pool), std::move(prefix)) {
    room_.UseMultiplexer(multiplexer_);
  }
  ~AsyncRedisWaitingRoom() override {
    // Every call waited for its completion, so nothing is pending: stop the io threads (the
    // connections' reads never end by themselves), then drop the multiplexer before the io.
    io_.Stop();
    room_.UseMultiplexer(nullptr);
    multiplexer_.reset();
    EXPECT_EQ(in_place_.load(), 0) << "completions ran on the calling thread, not on the io's";
  }

  bool AnswersWithoutBlocking() const override { return room_.AnswersWithoutBlocking(); }
  int AsyncCalls() const { return async_calls_.load(); }
  int InPlaceCompletions() const { return in_place_.load(); }

  domain::QueuePlace Join(domain::ConcertId concert, domain::UserId user, domain::Instant now,
                          domain::Instant opens_at, const domain::Policies& policies) override {
    return JoinWithStats(concert, user, now, opens_at, policies).place;
  }
  domain::QueueView Touch(domain::ConcertId concert, domain::UserId user, std::int32_t generation,
                          domain::Instant now, const domain::Policies& policies) override {
    return Await<domain::QueueView>([&](domain::Completion<domain::QueueView> done) {
      room_.TouchAsync(concert, user, generation, now, policies, std::move(done));
    });
  }
  domain::PlaceWithStats JoinWithStats(domain::ConcertId concert, domain::UserId user,
                                       domain::Instant now, domain::Instant opens_at,
                                       const domain::Policies& policies) override {
    return Await<domain::PlaceWithStats>([&](domain::Completion<domain::PlaceWithStats> done) {
      room_.JoinWithStatsAsync(concert, user, now, opens_at, policies, std::move(done));
    });
  }
  domain::ViewWithStats TouchWithStats(domain::ConcertId concert, domain::UserId user,
                                       std::int32_t generation, domain::Instant now,
                                       const domain::Policies& policies) override {
    return Await<domain::ViewWithStats>([&](domain::Completion<domain::ViewWithStats> done) {
      room_.TouchWithStatsAsync(concert, user, generation, now, policies, std::move(done));
    });
  }

  void Leave(domain::ConcertId concert, domain::UserId user) override {
    room_.Leave(concert, user);
  }
  void LeavePlace(domain::ConcertId concert, domain::UserId user,
                  std::int32_t generation) override {
    room_.LeavePlace(concert, user, generation);
  }
  domain::AdmissionResult Admit(domain::ConcertId concert, const domain::Policies& policies,
                                domain::Instant now, std::int64_t fencing_token) override {
    return room_.Admit(concert, policies, now, fencing_token);
  }
  void SetSoldOut(domain::ConcertId concert, bool sold_out) override {
    room_.SetSoldOut(concert, sold_out);
  }
  domain::QueueStats Stats(domain::ConcertId concert, domain::Instant now) override {
    return room_.Stats(concert, now);
  }
  std::vector<domain::ConcertId> ConcertsWithQueues() override {
    return room_.ConcertsWithQueues();
  }

 private:
  // Starts the call with a completion that fulfils a promise, waits (bounded: a lost completion
  // must fail the test, not hang it), and returns the value or rethrows the error.
  template <class T, class Start>
  T Await(Start start) {
    ++async_calls_;
    auto promise = std::make_shared<std::promise<Outcome<T>>>();
    auto future = promise->get_future();
    auto calls = std::make_shared<std::atomic<int>>(0);
    start([promise, calls](std::exception_ptr error, T value) {
      if (calls->fetch_add(1) != 0) {
        ADD_FAILURE() << "a completion ran twice";
        return;
      }
      promise->set_value({error, std::move(value), std::this_thread::get_id()});
    });
    if (future.wait_for(30s) != std::future_status::ready) {
      throw std::runtime_error("the asynchronous call never completed");
    }
    Outcome<T> outcome = future.get();
    if (!io_.Runs(outcome.thread)) ++in_place_;
    if (outcome.error) std::rethrow_exception(outcome.error);
    return std::move(outcome.value);
  }

  IoThreads io_;
  std::shared_ptr<infra::RedisMultiplexer> multiplexer_;
  infra::RedisWaitingRoom room_;
  std::atomic<int> async_calls_{0};
  std::atomic<int> in_place_{0};
};

std::unique_ptr<AsyncRedisWaitingRoom> MakeAsyncRoom(const std::string& prefix) {
  auto pool = ReachablePool();
  if (!pool) return nullptr;
  auto room = std::make_unique<AsyncRedisWaitingRoom>(pool, *TestRedisUrl(), prefix);
  // Without a multiplexer the async forms run the synchronous ones in place: the suite would
  // pass and prove nothing about the path under test.
  if (!room->AnswersWithoutBlocking()) {
    throw std::logic_error("the wrapped room does not answer through the multiplexer");
  }
  return room;
}

INSTANTIATE_TEST_SUITE_P(RedisAsync, WaitingRoomContract,
                         ::testing::Values(WaitingRoomBackend{
                             "RedisAsync", []() -> std::unique_ptr<domain::WaitingRoom> {
                               return MakeAsyncRoom(UniquePrefix());
                             }}));

domain::Instant Start() {
  return domain::Instant{std::chrono::sys_days{std::chrono::year{2026} / std::chrono::November / 26}
                             .time_since_epoch()};
}

domain::Policies NoAdmission() {
  domain::Policies p;
  p.admit_batch = 0;
  p.max_active = 100;
  p.active_idle_ttl_seconds = 600;
  p.waiting_grace_seconds = 120;
  return p;
}

// The adapter itself: each synchronous call is one asynchronous call, completed on an io thread.
TEST(RedisWaitingRoomAsync, TheAdapterGoesThroughTheMultiplexer) {
  auto room = MakeAsyncRoom(UniquePrefix());
  if (!room) GTEST_SKIP() << "BOXOFFICE_TEST_REDIS_URL is not set or unreachable";
  const domain::ConcertId concert{3};
  auto place = room->Join(concert, domain::UserId{1}, Start(), Start(), NoAdmission());
  room->Touch(concert, place.user_id, place.generation, Start(), NoAdmission());
  room->JoinWithStats(concert, domain::UserId{2}, Start(), Start(), NoAdmission());
  room->TouchWithStats(concert, place.user_id, place.generation, Start(), NoAdmission());
  EXPECT_EQ(room->AsyncCalls(), 4);
  EXPECT_EQ(room->InPlaceCompletions(), 0);
}

// Joins of one concert racing from many threads through the multiplexer's pipelined
// connections: the arrival order is the order the scripts ran in, so the sequences are exactly
// 1..N and each join's position is its sequence (nobody ahead of it left).
TEST(RedisWaitingRoomAsync, ConcurrentAsyncJoinsGetSequencesOneToN) {
  auto pool = SharedPool();
  if (!pool) GTEST_SKIP() << "BOXOFFICE_TEST_REDIS_URL is not set";
  IoThreads io(2);
  auto multiplexer = std::make_shared<infra::RedisMultiplexer>(
      io.io(), infra::RedisSettings{*TestRedisUrl(), 1, 5000ms}, 3);
  infra::RedisWaitingRoom room(pool, UniquePrefix());
  room.UseMultiplexer(multiplexer);
  ASSERT_TRUE(room.AnswersWithoutBlocking());
  const domain::ConcertId concert{4};
  constexpr int kThreads = 8;
  constexpr int kPerThread = 50;
  constexpr int kTotal = kThreads * kPerThread;

  std::mutex mu;
  std::vector<Outcome<domain::PlaceWithStats>> outcomes;
  std::vector<std::thread> threads;
  std::atomic<int> completions{0};
  std::promise<void> finished;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        room.JoinWithStatsAsync(
            concert, domain::UserId{1 + t * kPerThread + i}, Start(), Start(), NoAdmission(),
            [&](std::exception_ptr error, domain::PlaceWithStats place) {
              {
                std::lock_guard lock(mu);
                outcomes.push_back({error, std::move(place), std::this_thread::get_id()});
              }
              if (++completions == kTotal) finished.set_value();
            });
      }
    });
  }
  for (auto& thread : threads) thread.join();
  ASSERT_EQ(finished.get_future().wait_for(30s), std::future_status::ready);
  io.Stop();
  room.UseMultiplexer(nullptr);

  ASSERT_EQ(outcomes.size(), static_cast<std::size_t>(kTotal));
  std::set<std::int64_t> sequences;
  std::set<std::int64_t> users;
  for (const auto& outcome : outcomes) {
    ASSERT_FALSE(outcome.error);
    EXPECT_TRUE(io.Runs(outcome.thread));
    const auto& place = outcome.value.place;
    sequences.insert(place.sequence);
    users.insert(place.user_id.value);
    EXPECT_EQ(place.view.state, domain::QueueState::kWaiting);
    EXPECT_EQ(place.view.position, place.sequence) << "user " << place.user_id.value;
    EXPECT_GE(outcome.value.stats.waiting, place.sequence);
  }
  EXPECT_EQ(users.size(), static_cast<std::size_t>(kTotal));
  ASSERT_EQ(sequences.size(), static_cast<std::size_t>(kTotal));
  EXPECT_EQ(*sequences.begin(), 1);
  EXPECT_EQ(*sequences.rbegin(), kTotal);
  EXPECT_EQ(room.Stats(concert, Start()).waiting, kTotal);
}

// One join through the multiplexer, waited for.
Outcome<domain::PlaceWithStats> JoinAsync(infra::RedisWaitingRoom& room, domain::ConcertId concert,
                                          domain::UserId user, domain::Instant now) {
  auto promise = std::make_shared<std::promise<Outcome<domain::PlaceWithStats>>>();
  auto future = promise->get_future();
  room.JoinWithStatsAsync(
      concert, user, now, Start(), NoAdmission(),
      [promise](std::exception_ptr error, domain::PlaceWithStats place) {
        promise->set_value({error, std::move(place), std::this_thread::get_id()});
      });
  if (future.wait_for(10s) != std::future_status::ready) {
    ADD_FAILURE() << "the join never completed";
    return {std::make_exception_ptr(std::runtime_error("lost")), {}, {}};
  }
  return future.get();
}

// A free port nothing listens on: the kernel picks it for a socket that is then closed.
int DeadPort() {
  IoThreads io(0);
  asio::ip::tcp::acceptor acceptor(io.io(),
                                   asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const int port = acceptor.local_endpoint().port();
  acceptor.close();
  return port;
}

// The concert's first join (async) lists it in the concerts set, in the same round trip.
TEST(RedisWaitingRoomAsync, TheFirstAsyncJoinListsTheConcert) {
  auto pool = SharedPool();
  if (!pool) GTEST_SKIP() << "BOXOFFICE_TEST_REDIS_URL is not set";
  IoThreads io(2);
  auto multiplexer = std::make_shared<infra::RedisMultiplexer>(
      io.io(), infra::RedisSettings{*TestRedisUrl(), 1, 5000ms}, 2);
  infra::RedisWaitingRoom room(pool, UniquePrefix());
  room.UseMultiplexer(multiplexer);
  const domain::ConcertId concert{5};
  ASSERT_TRUE(room.ConcertsWithQueues().empty());
  auto joined = JoinAsync(room, concert, domain::UserId{1}, Start());
  ASSERT_FALSE(joined.error);
  EXPECT_EQ(joined.value.place.sequence, 1);
  EXPECT_EQ(room.ConcertsWithQueues(), std::vector<domain::ConcertId>{concert});
  io.Stop();
  room.UseMultiplexer(nullptr);
}

// A join whose keys were lost lists the concert again with a SADD of its own, sent after the
// script's reply and not awaited; a later command on the same (single) connection sees it.
TEST(RedisWaitingRoomAsync, AnAsyncJoinListsTheConcertAgainAfterItsKeysWereLost) {
  auto pool = SharedPool();
  if (!pool) GTEST_SKIP() << "BOXOFFICE_TEST_REDIS_URL is not set";
  IoThreads io(2);
  auto multiplexer = std::make_shared<infra::RedisMultiplexer>(
      io.io(), infra::RedisSettings{*TestRedisUrl(), 1, 5000ms}, 1);
  const std::string prefix = UniquePrefix();
  infra::RedisWaitingRoom room(pool, prefix);
  room.UseMultiplexer(multiplexer);
  const domain::ConcertId concert{6};
  ASSERT_FALSE(JoinAsync(room, concert, domain::UserId{1}, Start()).error);
  for (const auto& key : pool->Command({"KEYS", prefix + ":*"}).elements) {
    pool->Command({"DEL", key.string});
  }
  ASSERT_TRUE(room.ConcertsWithQueues().empty());

  // The same instant: nothing is due by time, but the join finds the concert's line gone.
  auto again = JoinAsync(room, concert, domain::UserId{2}, Start());
  ASSERT_FALSE(again.error);
  EXPECT_EQ(again.value.place.view.position, 1);
  std::promise<infra::RedisValue> members;
  multiplexer->Command(
      {"SMEMBERS", prefix + ":concerts"},
      [&](std::exception_ptr, infra::RedisValue value) { members.set_value(std::move(value)); });
  auto future = members.get_future();
  ASSERT_EQ(future.wait_for(10s), std::future_status::ready);
  const auto listed = future.get();
  ASSERT_EQ(listed.elements.size(), 1u);
  EXPECT_EQ(listed.elements[0].string, "6");
  EXPECT_EQ(room.ConcertsWithQueues(), std::vector<domain::ConcertId>{concert});
  io.Stop();
  room.UseMultiplexer(nullptr);
}

// A failed async join that was to list the concert leaves it due, so the next join lists it
// even within the second in which joins do not list again.
TEST(RedisWaitingRoomAsync, AFailedListingJoinIsListedByTheNextJoin) {
  auto pool = SharedPool();
  if (!pool) GTEST_SKIP() << "BOXOFFICE_TEST_REDIS_URL is not set";
  IoThreads io(2);
  auto dead = std::make_shared<infra::RedisMultiplexer>(
      io.io(), infra::RedisSettings{"redis://127.0.0.1:" + std::to_string(DeadPort()), 1, 500ms},
      1);
  auto live = std::make_shared<infra::RedisMultiplexer>(
      io.io(), infra::RedisSettings{*TestRedisUrl(), 1, 5000ms}, 1);
  const std::string prefix = UniquePrefix();
  infra::RedisWaitingRoom room(pool, prefix);
  const domain::ConcertId concert{7};
  room.Join(concert, domain::UserId{1}, Start(), Start(), NoAdmission());
  pool->Command({"DEL", prefix + ":concerts"});

  // Listing is due again (a second has passed), but the call fails.
  room.UseMultiplexer(dead);
  auto failed = JoinAsync(room, concert, domain::UserId{2}, Start() + 2s);
  ASSERT_TRUE(failed.error);
  EXPECT_THROW(std::rethrow_exception(failed.error), domain::UnavailableError);

  room.UseMultiplexer(live);
  ASSERT_FALSE(JoinAsync(room, concert, domain::UserId{2}, Start() + 2s + 1ms).error);
  EXPECT_EQ(room.ConcertsWithQueues(), std::vector<domain::ConcertId>{concert});
  io.Stop();
  room.UseMultiplexer(nullptr);
}

// Touch through the multiplexer against a server that is gone fails with UnavailableError (the
// HTTP layer answers 503), on an io thread.
TEST(RedisWaitingRoomAsync, AnUnreachableServerFailsTheAsyncCallsWithUnavailable) {
  auto pool = SharedPool();
  if (!pool) GTEST_SKIP() << "BOXOFFICE_TEST_REDIS_URL is not set";
  IoThreads io(2);
  infra::RedisWaitingRoom room(pool, UniquePrefix());
  room.UseMultiplexer(std::make_shared<infra::RedisMultiplexer>(
      io.io(), infra::RedisSettings{"redis://127.0.0.1:" + std::to_string(DeadPort()), 1, 500ms},
      1));
  std::promise<Outcome<domain::ViewWithStats>> touched;
  room.TouchWithStatsAsync(
      domain::ConcertId{8}, domain::UserId{1}, 1, Start(), NoAdmission(),
      [&](std::exception_ptr error, domain::ViewWithStats view) {
        touched.set_value({error, std::move(view), std::this_thread::get_id()});
      });
  auto future = touched.get_future();
  ASSERT_EQ(future.wait_for(10s), std::future_status::ready);
  auto outcome = future.get();
  EXPECT_TRUE(io.Runs(outcome.thread));
  ASSERT_TRUE(outcome.error);
  EXPECT_THROW(std::rethrow_exception(outcome.error), domain::UnavailableError);
  io.Stop();
  room.UseMultiplexer(nullptr);
}

// The completion of a join holds the multiplexer (to send the SADD that lists the concert
// again). A join still waiting when the io stops must not keep the multiplexer alive through
// that: once the room, the owner and the io_context let go of it, it must be destroyed (its
// destructor is what closes the connections). A shared_ptr in the completion, stored in the
// multiplexer's own queue, makes a cycle: it leaks, connections and all.
TEST(RedisWaitingRoomAsync, AJoinPendingWhenTheIoStopsDoesNotKeepTheMultiplexerAlive) {
  auto pool = SharedPool();
  if (!pool) GTEST_SKIP() << "BOXOFFICE_TEST_REDIS_URL is not set";
  SilentServer server;
  auto io = std::make_unique<IoThreads>(2);
  auto multiplexer = std::make_shared<infra::RedisMultiplexer>(
      io->io(), infra::RedisSettings{server.Url(), 1, 60'000ms}, 1);
  const std::weak_ptr<infra::RedisMultiplexer> watch = multiplexer;
  auto completions = std::make_shared<std::atomic<int>>(0);
  {
    infra::RedisWaitingRoom room(pool, UniquePrefix());
    room.UseMultiplexer(multiplexer);
    room.JoinWithStatsAsync(
        domain::ConcertId{9}, domain::UserId{1}, Start(), Start(), NoAdmission(),
        [completions](std::exception_ptr, domain::PlaceWithStats) { ++*completions; });
    ASSERT_TRUE(server.AcceptAndAwaitRequest()) << "the join was never sent";
    io->Stop();
    room.UseMultiplexer(nullptr);
  }
  multiplexer.reset();
  io.reset();
  EXPECT_EQ(completions->load(), 0);
  EXPECT_TRUE(watch.expired()) << "the pending join keeps the multiplexer alive: it leaks";
}

}  // namespace
}  // namespace boxoffice::contract
