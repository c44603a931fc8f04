#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "domain/errors.hpp"
#include "infrastructure/redis/redis_pool.hpp"
#include "infrastructure/redis/redis_waiting_room.hpp"
#include "waiting_room_contract.hpp"

namespace boxoffice::contract {
namespace {

using namespace std::chrono_literals;

// BOXOFFICE_TEST_REDIS_URL names the server (scripts/test-redis-contract starts one); unset, the
// Redis tests skip.
std::optional<std::string> TestRedisUrl() {
  const char* url = std::getenv("BOXOFFICE_TEST_REDIS_URL");
  if (url == nullptr || *url == '\0') return std::nullopt;
  return std::string(url);
}

// Every room gets its own key prefix, so tests (and test processes) never see each other's keys.
std::string UniquePrefix() {
  static std::atomic<int> counter{0};
  return "test:wr:" + std::to_string(::getpid()) + ":" + std::to_string(++counter);
}

std::shared_ptr<infra::RedisPool> SharedPool() {
  static const std::shared_ptr<infra::RedisPool> pool = [] {
    auto url = TestRedisUrl();
    return url ? std::make_shared<infra::RedisPool>(infra::RedisSettings{*url, 8, 2000ms})
               : nullptr;
  }();
  return pool;
}

std::unique_ptr<domain::WaitingRoom> MakeRedisWaitingRoom() {
  auto pool = SharedPool();
  if (!pool) return nullptr;
  try {
    pool->Command({"PING"});
  } catch (const domain::UnavailableError& e) {
    std::cerr << "redis unreachable: " << e.what() << "\n";
    return nullptr;
  }
  return std::make_unique<infra::RedisWaitingRoom>(pool, UniquePrefix());
}

INSTANTIATE_TEST_SUITE_P(Redis, WaitingRoomContract,
                         ::testing::Values(WaitingRoomBackend{"Redis", MakeRedisWaitingRoom}));

// The same server with its database replaced by `db`.
std::string WithDatabase(const std::string& url, int db) {
  const auto host_start = url.find("://");
  const auto slash = url.find('/', host_start == std::string::npos ? 0 : host_start + 3);
  return url.substr(0, slash) + "/" + std::to_string(db);
}

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
  ASSERT_EQ(room.Admit(concert, policies, t0).admitted, 1);

  const std::string connection_id = std::to_string(pool->Command({"CLIENT", "ID"}).AsInteger());
  admin.Command({"FLUSHDB"});
  admin.Command({"SCRIPT", "FLUSH"});
  admin.Command({"CLIENT", "KILL", "ID", connection_id});

  // The call that finds the connection broken may fail; the pool reconnects on the next one.
  try {
    room.Stats(concert, t0);
  } catch (const domain::UnavailableError&) {
  }
  auto place = room.Join(concert, domain::UserId{3}, t0 + 1s, t0, policies);
  auto view = room.Touch(concert, place.user_id, place.generation, t0 + 1s, policies);
  EXPECT_EQ(view.state, domain::QueueState::kWaiting);
  EXPECT_EQ(view.position, 1);
  EXPECT_EQ(room.Admit(concert, policies, t0 + 2s).admitted, 1);
  EXPECT_EQ(room.Touch(concert, place.user_id, place.generation, t0 + 3s, policies).state,
            domain::QueueState::kActive);
  EXPECT_EQ(room.Stats(concert, t0 + 3s).active, 1);
}

TEST(RedisWaitingRoomUnavailable, AnUnreachableServerThrowsUnavailable) {
  // Port 1 on localhost refuses connections at once.
  infra::RedisPool pool(infra::RedisSettings{"redis://127.0.0.1:1", 1, 200ms});
  infra::RedisWaitingRoom room(
      std::make_shared<infra::RedisPool>(infra::RedisSettings{"redis://127.0.0.1:1", 1, 200ms}));
  EXPECT_THROW(pool.Command({"PING"}), domain::UnavailableError);
  EXPECT_THROW(room.Leave(domain::ConcertId{1}, domain::UserId{1}), domain::UnavailableError);
}

}  // namespace
}  // namespace boxoffice::contract
