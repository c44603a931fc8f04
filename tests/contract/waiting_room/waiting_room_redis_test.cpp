#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "domain/errors.hpp"
#include "infrastructure/redis/redis_lease.hpp"
#include "infrastructure/redis/redis_pool.hpp"
#include "infrastructure/redis/redis_waiting_room.hpp"
#include "../redis_test_support.hpp"
#include "waiting_room_contract.hpp"

namespace boxoffice::contract {
namespace {

using namespace std::chrono_literals;

std::unique_ptr<domain::WaitingRoom> MakeRedisWaitingRoom() {
  auto pool = ReachablePool();
  if (!pool) return nullptr;
  return std::make_unique<infra::RedisWaitingRoom>(pool, UniquePrefix());
}

INSTANTIATE_TEST_SUITE_P(Redis, WaitingRoomContract,
                         ::testing::Values(WaitingRoomBackend{"Redis", MakeRedisWaitingRoom}));

// A restart loses every key and the script cache and breaks every open connection. The room
// must then work again: new joins get places and admissions run.
TEST(RedisWaitingRoomRestart, WorksAgainAfterRedisLosesItsDataAndConnections) {
  auto url = TestRedisUrl();
  if (!url) GTEST_SKIP() << "BOXOFFICE_TEST_REDIS_URL is not set";
  // A database of its own: FLUSHALL would wipe what other test processes are using right now.
  const std::string private_url = WithDatabase(*url, 13);
  auto pool = std::make_shared<infra::RedisPool>(infra::RedisSettings{private_url, 1, 2000ms});
  infra::RedisPool admin(infra::RedisSettings{private_url, 1, 2000ms});
  infra::RedisWaitingRoom room(pool, UniquePrefix());
  const domain::ConcertId concert{7};
  domain::Policies policies;
  policies.admit_batch = 1;
  const auto t0 =
      domain::Instant{std::chrono::sys_days{std::chrono::year{2026} / std::chrono::November / 26}
                          .time_since_epoch()};

  room.Join(concert, domain::UserId{1}, t0, t0, policies);
  room.Join(concert, domain::UserId{2}, t0, t0, policies);
  ASSERT_EQ(room.Admit(concert, policies, t0, kFencingToken).admitted, 1);

  const std::string connection_id = std::to_string(pool->Command({"CLIENT", "ID"}).AsInteger());
  admin.Command({"FLUSHDB"});
  admin.Command({"SCRIPT", "FLUSH"});
  admin.Command({"CLIENT", "KILL", "ID", connection_id});

  // The pool notices that the server closed its idle connection and opens a new one, so not
  // even the first call after the loss fails.
  EXPECT_NO_THROW(room.Stats(concert, t0));
  auto place = room.Join(concert, domain::UserId{3}, t0 + 1s, t0, policies);
  auto view = room.Touch(concert, place.user_id, place.generation, t0 + 1s, policies);
  EXPECT_EQ(view.state, domain::QueueState::kWaiting);
  EXPECT_EQ(view.position, 1);
  EXPECT_EQ(room.Admit(concert, policies, t0 + 2s, kFencingToken).admitted, 1);
  EXPECT_EQ(room.Touch(concert, place.user_id, place.generation, t0 + 3s, policies).state,
            domain::QueueState::kActive);
  EXPECT_EQ(room.Stats(concert, t0 + 3s).active, 1);
}

// A real restart of the test server (scripts/redis stop, then start on the same port and
// directory; it keeps no data). BOXOFFICE_TEST_REDIS_DIR names the directory the server was
// started with; scripts/test-redis-contract sets it. The room and the admission lease work at
// once afterwards, without new pools, and the lease's tokens stay above the ones issued before,
// so the room's fencing does not lock out the new holder.
TEST(RedisWaitingRoomRestart, ARestartedServerServesJoinsAndAdmissionsAtOnce) {
  auto url = TestRedisUrl();
  const char* dir = std::getenv("BOXOFFICE_TEST_REDIS_DIR");
  if (!url || dir == nullptr || *dir == '\0') {
    GTEST_SKIP() << "set BOXOFFICE_TEST_REDIS_URL and BOXOFFICE_TEST_REDIS_DIR (scripts/"
                    "test-redis-contract does) to restart the server";
  }
  const std::string port = url->substr(url->rfind(':') + 1);
  const std::string script = std::string(BOXOFFICE_SOURCE_DIR) + "/scripts/redis";
  auto pool = std::make_shared<infra::RedisPool>(infra::RedisSettings{*url, 4, 2000ms});
  infra::RedisWaitingRoom room(pool, UniquePrefix());
  infra::RedisLease lease(pool, UniquePrefix());
  const domain::ConcertId concert{8};
  domain::Policies policies;
  policies.admit_batch = 1;
  const auto t0 =
      domain::Instant{std::chrono::sys_days{std::chrono::year{2026} / std::chrono::November / 26}
                          .time_since_epoch()};
  auto before = room.Join(concert, domain::UserId{1}, t0, t0, policies);
  const auto old_token = lease.Hold("admission:c8", "instance-a", t0, 60s);
  ASSERT_TRUE(old_token.has_value());
  ASSERT_EQ(room.Admit(concert, policies, t0, *old_token).admitted, 1);

  ASSERT_EQ(std::system(("'" + script + "' stop '" + dir + "' 2>/dev/null").c_str()), 0);
  EXPECT_THROW(room.Join(concert, domain::UserId{2}, t0, t0, policies), domain::UnavailableError);
  ASSERT_EQ(std::system(("'" + script + "' start '" + dir + "' " + port + " 2>/dev/null").c_str()),
            0);

  // The place held before the restart is gone with the data; its token reads expired.
  EXPECT_EQ(room.Touch(concert, before.user_id, before.generation, t0 + 1s, policies).state,
            domain::QueueState::kExpired);
  auto after = room.Join(concert, domain::UserId{2}, t0 + 1s, t0, policies);
  EXPECT_EQ(after.view.state, domain::QueueState::kWaiting);
  EXPECT_EQ(after.view.position, 1);
  const auto new_token = lease.Hold("admission:c8", "instance-b", t0 + 1s, 60s);
  ASSERT_TRUE(new_token.has_value());
  EXPECT_GT(*new_token, *old_token);
  EXPECT_EQ(room.Admit(concert, policies, t0 + 2s, *new_token).admitted, 1);
  EXPECT_EQ(room.Admit(concert, policies, t0 + 3s, *old_token).admitted, 0);
}

// Deletes every key of the room under `prefix`, as a loss of Redis's data would.
void LoseKeys(infra::RedisPool& pool, const std::string& prefix) {
  const infra::RedisValue keys = pool.Command({"KEYS", prefix + ":*"});
  for (const infra::RedisValue& key : keys.elements) pool.Command({"DEL", key.string});
}

// A join does not add the concert to the concerts set every time (only at this room's first
// join of the concert and at most once a second after that), so these check that the admission
// ticker still finds the concert when the set was lost.
TEST(RedisWaitingRoomListing, AJoinListsTheConcertAgainAtOnceAfterItsKeysWereLost) {
  auto pool = SharedPool();
  if (!pool) GTEST_SKIP() << "BOXOFFICE_TEST_REDIS_URL is not set";
  const std::string prefix = UniquePrefix();
  infra::RedisWaitingRoom room(pool, prefix);
  const domain::ConcertId concert{9};
  const domain::Policies policies;
  const auto t0 = domain::Instant{std::chrono::milliseconds{1'800'000'000'000}};

  room.Join(concert, domain::UserId{1}, t0, t0, policies);
  ASSERT_EQ(room.ConcertsWithQueues(), std::vector<domain::ConcertId>{concert});
  LoseKeys(*pool, prefix);
  ASSERT_TRUE(room.ConcertsWithQueues().empty());

  // The same instant: nothing is due by time, but the join finds the concert's line gone.
  const auto place = room.Join(concert, domain::UserId{2}, t0, t0, policies);
  EXPECT_EQ(place.view.position, 1);
  EXPECT_EQ(room.ConcertsWithQueues(), std::vector<domain::ConcertId>{concert});
}

TEST(RedisWaitingRoomListing, AJoinListsTheConcertAgainWithinASecondWhenOnlyTheSetWasLost) {
  auto pool = SharedPool();
  if (!pool) GTEST_SKIP() << "BOXOFFICE_TEST_REDIS_URL is not set";
  const std::string prefix = UniquePrefix();
  infra::RedisWaitingRoom room(pool, prefix);
  const domain::ConcertId concert{10};
  const domain::Policies policies;
  const auto t0 = domain::Instant{std::chrono::milliseconds{1'800'000'000'000}};

  room.Join(concert, domain::UserId{1}, t0, t0, policies);
  pool->Command({"DEL", prefix + ":concerts"});
  room.Join(concert, domain::UserId{2}, t0 + 200ms, t0, policies);
  room.Join(concert, domain::UserId{1}, t0 + 1s, t0, policies);
  EXPECT_EQ(room.ConcertsWithQueues(), std::vector<domain::ConcertId>{concert});
}

TEST(RedisWaitingRoomUnavailable, AnUnreachableServerThrowsUnavailable) {
  // Port 1 on localhost refuses connections at once.
  infra::RedisPool pool(infra::RedisSettings{"redis://127.0.0.1:1", 1, 200ms});
  infra::RedisWaitingRoom room(
      std::make_shared<infra::RedisPool>(infra::RedisSettings{"redis://127.0.0.1:1", 1, 200ms}));
  EXPECT_THROW(pool.Command({"PING"}), domain::UnavailableError);
  EXPECT_THROW(room.Leave(domain::ConcertId{1}, domain::UserId{1}), domain::UnavailableError);
}

// A room with a key prefix the test knows, so it can look at and damage the keys.
struct RoomUnderTest {
  std::shared_ptr<infra::RedisPool> pool;
  std::string prefix;
  std::unique_ptr<infra::RedisWaitingRoom> room;

  std::string Key(const std::string& name, std::int64_t concert = 1) const {
    return prefix + ":{c:" + std::to_string(concert) + "}:" + name;
  }
};

std::optional<RoomUnderTest> MakeRoomUnderTest(std::int64_t work_limit = 1000) {
  auto pool = SharedPool();
  if (!pool) return std::nullopt;
  try {
    pool->Command({"PING"});
  } catch (const domain::UnavailableError&) {
    return std::nullopt;
  }
  RoomUnderTest t{pool, UniquePrefix(), nullptr};
  t.room = std::make_unique<infra::RedisWaitingRoom>(pool, t.prefix, work_limit);
  return t;
}

domain::Instant Start() {
  return domain::Instant{std::chrono::sys_days{std::chrono::year{2026} / std::chrono::November / 26}
                             .time_since_epoch()};
}

domain::Policies RedisPolicies(int admit_batch, int max_active) {
  domain::Policies p;
  p.admit_batch = admit_batch;
  p.max_active = max_active;
  p.active_idle_ttl_seconds = 600;
  p.waiting_grace_seconds = 120;
  return p;
}

constexpr domain::ConcertId kRedisConcert{1};

// The arrival number is taken inside the join script from a counter of the concert, and a lost
// counter restarts above everyone still waiting: new arrivals never jump ahead of them.
TEST(RedisWaitingRoomSequence, ALostCounterDoesNotLetNewArrivalsJumpTheLine) {
  auto t = MakeRoomUnderTest();
  if (!t) GTEST_SKIP() << "BOXOFFICE_TEST_REDIS_URL is not set or unreachable";
  const auto policies = RedisPolicies(0, 100);
  std::vector<domain::QueuePlace> places;
  for (std::int64_t u = 1; u <= 3; ++u) {
    places.push_back(t->room->Join(kRedisConcert, domain::UserId{u}, Start(), Start(), policies));
  }
  EXPECT_EQ(t->pool->Command({"GET", t->Key("seq")}).AsInteger(), places.back().sequence);

  // Data loss: every sequence counter is gone, the line is not.
  t->pool->Command({"DEL", t->prefix + ":seq", t->Key("seq")});
  auto late = t->room->Join(kRedisConcert, domain::UserId{4}, Start() + 1s, Start(), policies);
  EXPECT_GT(late.sequence, places.back().sequence);
  EXPECT_EQ(
      t->room->Touch(kRedisConcert, late.user_id, late.generation, Start() + 2s, policies).position,
      4);
  EXPECT_EQ(
      t->room->Touch(kRedisConcert, places[0].user_id, places[0].generation, Start() + 2s, policies)
          .position,
      1);
}

// Six users join at the start; two admission ticks of two users each, at the start and at
// `second_tick`.
void JoinSixAndAdmitTwoTicks(RoomUnderTest& t, const domain::Policies& policies,
                             domain::Instant second_tick) {
  for (std::int64_t u = 1; u <= 6; ++u) {
    t.room->Join(kRedisConcert, domain::UserId{u}, Start(), Start(), policies);
  }
  t.room->Admit(kRedisConcert, policies, Start(), kFencingToken);
  t.room->Admit(kRedisConcert, policies, second_tick, kFencingToken);
}

// Stats is polled by every waiting client: it must not write (nor walk the tick list).
TEST(RedisWaitingRoomStats, StatsIsReadOnlyAndStaleTicksGiveNoRate) {
  auto t = MakeRoomUnderTest();
  if (!t) GTEST_SKIP() << "BOXOFFICE_TEST_REDIS_URL is not set or unreachable";
  const auto policies = RedisPolicies(2, 100);
  JoinSixAndAdmitTwoTicks(*t, policies, Start() + 10s);
  EXPECT_DOUBLE_EQ(t->room->Stats(kRedisConcert, Start() + 10s).admission_rate_per_second, 0.2);

  // No Admit for two minutes: every tick is out of the window, and reading does not trim.
  auto stats = t->room->Stats(kRedisConcert, Start() + 130s);
  EXPECT_EQ(stats.admission_rate_per_second, 0);
  EXPECT_EQ(stats.admitted_total, 4);
  EXPECT_EQ(t->pool->Command({"LLEN", t->Key("ticks")}).AsInteger(), 2);

  // The next Admit trims them and keeps the running sum right.
  t->room->Admit(kRedisConcert, policies, Start() + 131s, kFencingToken);
  t->room->Admit(kRedisConcert, policies, Start() + 141s, kFencingToken);
  EXPECT_EQ(t->pool->Command({"LLEN", t->Key("ticks")}).AsInteger(), 2);
  EXPECT_DOUBLE_EQ(t->room->Stats(kRedisConcert, Start() + 141s).admission_rate_per_second, 0.0);
}

// Join and Touch read the admission figures from the summary Admit writes; without one (data
// from before the summary existed) they read the tick keys themselves, with the same result.
TEST(RedisWaitingRoomStats, SummaryAndTickKeysGiveTheSameFigures) {
  auto t = MakeRoomUnderTest();
  if (!t) GTEST_SKIP() << "BOXOFFICE_TEST_REDIS_URL is not set or unreachable";
  const auto policies = RedisPolicies(2, 100);
  JoinSixAndAdmitTwoTicks(*t, policies, Start() + 4s);
  const auto from_summary =
      t->room->JoinWithStats(kRedisConcert, domain::UserId{7}, Start() + 5s, Start(), policies);
  ASSERT_EQ(t->pool->Command({"DEL", t->Key("rate")}).AsInteger(), 1);
  const auto from_keys =
      t->room->JoinWithStats(kRedisConcert, domain::UserId{8}, Start() + 5s, Start(), policies);
  EXPECT_EQ(from_summary.stats.admitted_total, 4);
  EXPECT_EQ(from_keys.stats.admitted_total, 4);
  EXPECT_DOUBLE_EQ(from_summary.stats.admission_rate_per_second, 0.5);
  EXPECT_DOUBLE_EQ(from_keys.stats.admission_rate_per_second, 0.5);
  EXPECT_EQ(from_keys.stats.waiting, from_summary.stats.waiting + 1);
  EXPECT_EQ(from_keys.stats.active, from_summary.stats.active);
  EXPECT_EQ(from_keys.place.view.position, from_summary.place.view.position + 1);
}

// Eviction, the pre-queue flush and admission do a bounded amount of work per call.
TEST(RedisWaitingRoomWorkLimit, EvictsAtMostTheLimitPerAdmit) {
  auto t = MakeRoomUnderTest(10);
  if (!t) GTEST_SKIP() << "BOXOFFICE_TEST_REDIS_URL is not set or unreachable";
  const auto policies = RedisPolicies(0, 100);
  for (std::int64_t u = 1; u <= 25; ++u) {
    t->room->Join(kRedisConcert, domain::UserId{u}, Start(), Start(), policies);
  }
  const auto later = Start() + 200s;
  EXPECT_EQ(t->room->Admit(kRedisConcert, policies, later, kFencingToken).evicted_waiting, 10);
  EXPECT_EQ(t->room->Admit(kRedisConcert, policies, later, kFencingToken).evicted_waiting, 10);
  EXPECT_EQ(t->room->Admit(kRedisConcert, policies, later, kFencingToken).evicted_waiting, 5);
  EXPECT_EQ(t->room->Stats(kRedisConcert, later).waiting, 0);
}

TEST(RedisWaitingRoomWorkLimit, APreQueueFlushedInChunksStaysAheadOfLaterArrivals) {
  auto t = MakeRoomUnderTest(10);
  if (!t) GTEST_SKIP() << "BOXOFFICE_TEST_REDIS_URL is not set or unreachable";
  const auto opens_at = Start() + 1min;
  const auto none = RedisPolicies(0, 100);
  std::vector<domain::QueuePlace> early;
  for (std::int64_t u = 1; u <= 25; ++u) {
    early.push_back(t->room->Join(kRedisConcert, domain::UserId{u}, Start(), opens_at, none));
  }
  // The first arrival after the opening moves 10 of the pre-queue into the line.
  auto late = t->room->Join(kRedisConcert, domain::UserId{100}, opens_at + 1s, opens_at, none);
  EXPECT_EQ(
      t->room->Touch(kRedisConcert, late.user_id, late.generation, opens_at + 1s, none).position,
      26);
  std::set<std::int64_t> positions;
  for (const auto& place : early) {
    auto view = t->room->Touch(kRedisConcert, place.user_id, place.generation, opens_at + 1s, none);
    ASSERT_EQ(view.state, domain::QueueState::kWaiting);
    ASSERT_LE(view.position, 25);
    positions.insert(view.position);
  }
  EXPECT_EQ(positions.size(), 11u) << "10 moved users at 1..10, the rest at worst case 25";

  // Admission takes the pre-queue first, even the part not yet moved into the line.
  const auto admit = RedisPolicies(10, 100);
  EXPECT_EQ(t->room->Admit(kRedisConcert, admit, opens_at + 2s, kFencingToken).admitted, 10);
  EXPECT_EQ(t->room->Admit(kRedisConcert, admit, opens_at + 3s, kFencingToken).admitted, 10);
  EXPECT_EQ(
      t->room->Touch(kRedisConcert, late.user_id, late.generation, opens_at + 3s, none).position,
      6);
  EXPECT_EQ(t->room->Admit(kRedisConcert, admit, opens_at + 4s, kFencingToken).admitted, 6);
  std::set<std::int64_t> sequences;
  for (const auto& place : early) {
    EXPECT_EQ(
        t->room->Touch(kRedisConcert, place.user_id, place.generation, opens_at + 5s, admit).state,
        domain::QueueState::kActive);
    sequences.insert(
        t->room->Join(kRedisConcert, place.user_id, opens_at + 5s, opens_at, none).sequence);
  }
  EXPECT_EQ(sequences.size(), 25u);
  EXPECT_LT(*sequences.rbegin(), late.sequence);
}

TEST(RedisWaitingRoomWorkLimit, AdmissionIsNeverCappedBelowTheBatch) {
  auto t = MakeRoomUnderTest(10);
  if (!t) GTEST_SKIP() << "BOXOFFICE_TEST_REDIS_URL is not set or unreachable";
  const auto opens_at = Start() + 1min;
  const auto none = RedisPolicies(0, 100);
  for (std::int64_t u = 1; u <= 30; ++u) {
    t->room->Join(kRedisConcert, domain::UserId{u}, Start(), opens_at, none);
  }
  EXPECT_EQ(t->room->Admit(kRedisConcert, RedisPolicies(25, 100), opens_at, kFencingToken).admitted,
            25);
  EXPECT_EQ(t->room->Stats(kRedisConcert, opens_at).waiting, 5);
}

// Leave must not trust what the room believes the user's stage is.
TEST(RedisWaitingRoomLeave, RemovesTheUserFromEverySet) {
  auto t = MakeRoomUnderTest();
  if (!t) GTEST_SKIP() << "BOXOFFICE_TEST_REDIS_URL is not set or unreachable";
  const auto policies = RedisPolicies(0, 100);
  t->room->Join(kRedisConcert, domain::UserId{1}, Start(), Start(), policies);
  t->pool->Command({"ZADD", t->Key("active"), "99999999999999", "1"});
  t->room->Leave(kRedisConcert, domain::UserId{1});
  auto stats = t->room->Stats(kRedisConcert, Start());
  EXPECT_EQ(stats.waiting, 0);
  EXPECT_EQ(stats.active, 0);
}

// A waiting user missing from the line (damaged or half-written state) reads expired; the script
// does not fail (which would answer 503).
TEST(RedisWaitingRoomTouch, AWaitingUserMissingFromTheLineReadsExpired) {
  auto t = MakeRoomUnderTest();
  if (!t) GTEST_SKIP() << "BOXOFFICE_TEST_REDIS_URL is not set or unreachable";
  const auto policies = RedisPolicies(0, 100);
  auto place = t->room->Join(kRedisConcert, domain::UserId{1}, Start(), Start(), policies);
  t->pool->Command({"ZREM", t->Key("waiting"), "1"});
  domain::QueueView view;
  EXPECT_NO_THROW(view = t->room->Touch(kRedisConcert, place.user_id, place.generation,
                                        Start() + 1s, policies));
  EXPECT_EQ(view.state, domain::QueueState::kExpired);
  auto again = t->room->Join(kRedisConcert, domain::UserId{1}, Start() + 2s, Start(), policies);
  EXPECT_EQ(
      t->room->Touch(kRedisConcert, again.user_id, again.generation, Start() + 2s, policies).state,
      domain::QueueState::kWaiting);
}

// Every key a script touches is declared in KEYS: no key is built from a user id.
TEST(RedisWaitingRoomKeys, OnlyTheDeclaredKeysExist) {
  auto t = MakeRoomUnderTest();
  if (!t) GTEST_SKIP() << "BOXOFFICE_TEST_REDIS_URL is not set or unreachable";
  const auto opens_at = Start() + 1min;
  const auto policies = RedisPolicies(1, 100);
  auto a = t->room->Join(kRedisConcert, domain::UserId{1}, Start(), opens_at, policies);
  t->room->Join(kRedisConcert, domain::UserId{2}, Start(), opens_at, policies);
  t->room->Join(kRedisConcert, domain::UserId{3}, opens_at + 1s, opens_at, policies);
  t->room->Admit(kRedisConcert, policies, opens_at + 2s, kFencingToken);
  t->room->Touch(kRedisConcert, a.user_id, a.generation, opens_at + 3s, policies);
  t->room->Leave(kRedisConcert, domain::UserId{2});
  t->room->SetSoldOut(kRedisConcert, true);
  t->room->Stats(kRedisConcert, opens_at + 3s);
  t->room->ConcertsWithQueues();

  const std::set<std::string> declared = {
      t->prefix + ":concerts", t->Key("waiting"), t->Key("seen"),    t->Key("prequeue"),
      t->Key("active"),        t->Key("opens"),   t->Key("soldout"), t->Key("total"),
      t->Key("ticks"),         t->Key("ticksum"), t->Key("seq"),     t->Key("gens"),
      t->Key("seqs"),          t->Key("idle"),    t->Key("fence"),   t->Key("rate")};
  const infra::RedisValue keys = t->pool->Command({"KEYS", t->prefix + ":*"});
  ASSERT_FALSE(keys.elements.empty());
  for (const infra::RedisValue& key : keys.elements) {
    EXPECT_TRUE(declared.count(key.string)) << "undeclared key " << key.string;
  }
}

}  // namespace
}  // namespace boxoffice::contract
