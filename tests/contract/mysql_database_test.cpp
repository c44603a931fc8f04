#include <gtest/gtest.h>
#include <soci/soci.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <latch>
#include <regex>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>

#include "contract/sql_backends.hpp"
#include "domain/errors.hpp"
#include "infrastructure/sql/sql_database.hpp"

namespace boxoffice::contract {
namespace {

using domain::Store;
using namespace std::chrono_literals;

constexpr std::int64_t kFar = 4'000'000'000'000;  // a hold deadline no test reaches

TEST(MysqlDatabase, MalformedUrlsAreRefusedBeforeConnecting) {
  for (const char* url : {"", "postgres://u:p@127.0.0.1:5432/db", "mysql://127.0.0.1:3306/",
                          "mysql://127.0.0.1:3306/a/b", "mysql:///db"}) {
    infra::MysqlSettings settings{.url = url};
    EXPECT_THROW(infra::OpenMysql(settings), std::invalid_argument) << url;
  }
}

// Against BOXOFFICE_TEST_MYSQL_URL: a database of its own, and a raw connection beside the pool.
class MysqlDatabaseTest : public testing::Test {
 protected:
  void SetUp() override {
    auto url = TestMysqlUrl();
    if (!url) GTEST_SKIP() << "set BOXOFFICE_TEST_MYSQL_URL to run the MySQL adapter tests";
    std::smatch m;
    static const std::regex kUrl(R"(mysql://([^:@/]+):([^@/]*)@([^:/]+):(\d+)/(\w+))");
    ASSERT_TRUE(std::regex_match(*url, m, kUrl)) << "this test needs user:password@host:port";
    port_ = m[4].str();
    name_ = m[5].str() + "_conn" + std::to_string(getpid());
    admin_.url = *url;
    infra::RecreateMysqlDatabase(admin_, name_);
    settings_.url = url->substr(0, url->rfind('/') + 1) + name_;
    settings_.pool_size = 1;
    infra::MigrateMysql(settings_);
    raw_ = std::make_unique<soci::session>(
        "mysql", "host=" + m[3].str() + " port=" + m[4].str() + " user=" + m[1].str() +
                     " password=" + m[2].str() + " dbname=" + name_);
  }
  void TearDown() override {
    raw_.reset();
    if (!name_.empty()) infra::DropMysqlDatabase(admin_, name_);
  }

  // Kills every connection of the test database but the raw one, as a server restart would.
  int KillPooledConnections() {
    long long id = 0;
    std::vector<long long> ids;
    soci::statement st = (raw_->prepare << "SELECT ID FROM information_schema.PROCESSLIST "
                                           "WHERE DB = :db AND ID <> CONNECTION_ID()",
                          soci::use(name_, "db"), soci::into(id));
    st.execute();
    while (st.fetch()) ids.push_back(id);
    for (long long killed : ids) *raw_ << "KILL CONNECTION " + std::to_string(killed);
    return static_cast<int>(ids.size());
  }

  // A user with a wallet, and a date with `seat_count` seats, created through `db`.
  struct Date {
    domain::UserId user;
    domain::EventId event;
    std::vector<domain::Seat> seats;
  };
  Date SeedDate(domain::Database& db, int seat_count) {
    return Commit(db, [&](Store& s) {
      auto user = s.Users().Create("kim", At(0)).id;
      s.Wallets().Create(user, At(0));
      auto concert = s.Catalogue().CreateConcert({"Title", "Singer", ""}, At(0)).id;
      auto event = s.Catalogue().CreateEvent(domain::NewConcertEvent{.concert_id = concert,
                                                                     .venue = "Hall",
                                                                     .start_at = At(kFar),
                                                                     .duration_minutes = 60,
                                                                     .reservation_start_at = At(0),
                                                                     .reservation_end_at = At(kFar),
                                                                     .seat_count = seat_count,
                                                                     .price = domain::Money{1000}},
                                             At(0));
      return Date{user, event.id, s.Catalogue().ListSeats(event.id, At(0))};
    });
  }
  // The same with one seat.
  struct OneSeat {
    domain::UserId user;
    domain::EventId event;
    domain::SeatId seat;
  };
  OneSeat SeedOneSeat(domain::Database& db) {
    auto date = SeedDate(db, 1);
    return OneSeat{date.user, date.event, date.seats.at(0).id};
  }

  // Polls the server's process list (the test user sees its own sessions) until a statement of
  // the test database matching `pattern` (SQL LIKE) is running, for at most 10 s.
  bool WaitForRunningStatement(const std::string& pattern) {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
      long long running = 0;
      *raw_ << "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE DB = :db "
               "AND ID <> CONNECTION_ID() AND INFO LIKE :pattern",
          soci::use(name_, "db"), soci::use(pattern, "pattern"), soci::into(running);
      if (running > 0) return true;
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }

  // A competitor (the raw session) takes `seat`'s row lock and sets it HELD, undecided; `hold`
  // runs on another thread meanwhile. Once a statement matching `waits_in` is seen waiting, the
  // competitor rolls back. Returns whether it was seen waiting, and what `hold` returned.
  std::pair<bool, int> HoldAgainstACompetitorThatRollsBack(domain::SeatId seat,
                                                          const std::string& waits_in,
                                                          const std::function<int()>& hold) {
    *raw_ << "START TRANSACTION";
    *raw_ << "UPDATE seat SET state = 'HELD', hold_id = 99, held_until = " +
                 std::to_string(kFar) + " WHERE id = " + std::to_string(seat.value);
    int changed = -1;
    std::thread holder([&] { changed = hold(); });
    const bool queued = WaitForRunningStatement(waits_in);
    *raw_ << "ROLLBACK";
    holder.join();
    return {queued, changed};
  }

  std::string port_;
  std::string name_;
  infra::MysqlSettings admin_;
  infra::MysqlSettings settings_;
  std::unique_ptr<soci::session> raw_;
};

TEST_F(MysqlDatabaseTest, ALostConnectionIsReconnectedBeforeItsNextUse) {
  auto db = infra::OpenMysql(settings_);
  auto create = [&] {
    return db->Write([&](Store& s) {
      return domain::Result<domain::UserId>(s.Users().Create("kim", At(0)).id);
    });
  };
  ASSERT_TRUE(create().ok());
  ASSERT_EQ(KillPooledConnections(), 1);

  // The transaction's first statement finds the connection dead. Nothing was done on it yet, so
  // the pool reconnects (with the session settings) and runs the transaction: no error at all.
  auto again = create();
  ASSERT_TRUE(again.ok());
  // Read transactions too.
  ASSERT_EQ(KillPooledConnections(), 1);
  EXPECT_TRUE(Query(*db, [&](Store& s) { return s.Users().Find(again.value()).has_value(); }));
  EXPECT_TRUE(db->Ping());
  // Ping too marks a dead connection for reconnection.
  EXPECT_EQ(KillPooledConnections(), 1);
  EXPECT_FALSE(db->Ping());
  EXPECT_TRUE(db->Ping());
}

// Two transactions lock two wallets in opposite orders; InnoDB aborts one as the deadlock victim
// (1213). SqlDatabase runs the victim's work again, so both commit and each credit lands once.
TEST_F(MysqlDatabaseTest, ADeadlockVictimRunsAgainAndBothTransactionsCommit) {
  settings_.pool_size = 2;
  auto db = infra::OpenMysql(settings_);
  auto [first, unused_event, unused_seat] = SeedOneSeat(*db);
  auto second = Commit(*db, [](Store& s) {
    auto user = s.Users().Create("lee", At(0)).id;
    s.Wallets().Create(user, At(0));
    return user;
  });
  std::latch both_hold_one(2);
  std::atomic<int> runs{0};
  auto credit_both = [&](domain::UserId a, domain::UserId b) {
    bool first_run = true;
    try {
      return db
          ->Write([&](Store& s) {
            ++runs;
            s.Wallets().Credit(a, domain::Money{1}, domain::Money{1'000'000}, At(1));
            if (first_run) {  // only the first run meets the other in the middle
              first_run = false;
              both_hold_one.arrive_and_wait();
            }
            s.Wallets().Credit(b, domain::Money{1}, domain::Money{1'000'000}, At(1));
            return domain::Result<bool>(true);
          })
          .ok();
    } catch (const std::exception& e) {
      ADD_FAILURE() << "transaction failed: " << e.what();
      return false;
    }
  };
  bool ok_a = false;
  bool ok_b = false;
  std::thread ta([&] { ok_a = credit_both(first, second); });
  std::thread tb([&] { ok_b = credit_both(second, first); });
  ta.join();
  tb.join();
  EXPECT_TRUE(ok_a);
  EXPECT_TRUE(ok_b);
  EXPECT_EQ(runs.load(), 3) << "exactly one victim, run twice";
  for (auto user : {first, second}) {
    EXPECT_EQ(Query(*db, [&](Store& s) { return *s.Wallets().Balance(user); }), domain::Money{2});
  }
}

// A seat already held (committed) and locked by another transaction, say a payment confirming
// it: Find answers HELD at once instead of queueing on the row lock until the lock wait timeout.
TEST_F(MysqlDatabaseTest, FindAnswersAHeldSeatLockedElsewhereWithoutWaiting) {
  settings_.lock_wait_timeout_seconds = 5;
  auto db = infra::OpenMysql(settings_);
  auto seeded = SeedOneSeat(*db);
  ASSERT_EQ(Commit(*db,
                   [&](Store& s) {
                     return s.Seats().Hold(seeded.event, {seeded.seat}, domain::HoldId{1}, At(kFar),
                                           At(0));
                   }),
            1);
  *raw_ << "START TRANSACTION";
  *raw_ << "SELECT id FROM seat WHERE id = " + std::to_string(seeded.seat.value) + " FOR UPDATE";
  const auto started = std::chrono::steady_clock::now();
  auto found =
      Commit(*db, [&](Store& s) { return s.Seats().Find(seeded.event, {seeded.seat}, At(1)); });
  const auto waited = std::chrono::steady_clock::now() - started;
  *raw_ << "ROLLBACK";
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].state, domain::SeatState::kHeld);
  EXPECT_LT(waited, 2s);
}

// The other side of the fast answer: a seat that is committed AVAILABLE but locked by a
// competitor still deciding. The competitor rolls back, so the seat was free all along: the hold
// must wait and win, not be refused on a guess.
TEST_F(MysqlDatabaseTest, AHoldWaitsForACompetitorStillDecidingAndWinsWhenItRollsBack) {
  settings_.pool_size = 2;
  settings_.lock_wait_timeout_seconds = 30;
  auto db = infra::OpenMysql(settings_);
  auto seeded = SeedOneSeat(*db);
  // The hold queues on the seat's lock (its blocking FOR UPDATE, not the NOWAIT one).
  const auto [queued, changed] = HoldAgainstACompetitorThatRollsBack(
      seeded.seat,
      "SELECT s.id, s.concert_event_id, % FROM seat s WHERE s.id IN (%) ORDER BY s.id FOR UPDATE",
      [&] {
        return Commit(*db, [&](Store& s) {
          auto seats = s.Seats().Find(seeded.event, {seeded.seat}, At(1));
          if (seats.size() != 1 || seats[0].state != domain::SeatState::kAvailable) return 0;
          auto created = s.Holds().Create(seeded.user, seeded.event,
                                          {{seats[0].id, seats[0].seat_number, seats[0].price}},
                                          At(kFar), At(1));
          return s.Seats().Hold(seeded.event, {seeded.seat}, created.id, At(kFar), At(1));
        });
      });
  ASSERT_TRUE(queued);
  EXPECT_EQ(changed, 1);
}

// The same through the statements OccupySeats uses: the seats are read and locked together with
// the holder's row, the limit is counted by the insert.
TEST_F(MysqlDatabaseTest, AHoldForAUserWaitsForACompetitorStillDecidingAndWinsWhenItRollsBack) {
  settings_.pool_size = 2;
  settings_.lock_wait_timeout_seconds = 30;
  auto db = infra::OpenMysql(settings_);
  auto seeded = SeedOneSeat(*db);
  const auto [queued, changed] = HoldAgainstACompetitorThatRollsBack(
      seeded.seat,
      "SELECT s.id, % FROM seat s JOIN users u ON u.id = % WHERE s.id IN (%) ORDER BY s.id "
      "FOR UPDATE",
      [&] {
        return Commit(*db, [&](Store& s) {
          auto seats = s.Seats().FindForHold(seeded.event, {seeded.seat}, seeded.user, At(1));
          if (seats.size() != 1 || seats[0].state != domain::SeatState::kAvailable) return 0;
          auto created = s.Holds().CreateWithinLimit(
              seeded.user, seeded.event, {{seats[0].id, seats[0].seat_number, seats[0].price}},
              At(kFar), At(1), 4);
          if (!created) return -2;
          return s.Seats().Hold(seeded.event, {seeded.seat}, created->id, At(kFar), At(1));
        });
      });
  ASSERT_TRUE(queued);
  EXPECT_EQ(changed, 1);
}

// FindForHold locks the holder's row and the seats in its one statement: another transaction
// can lock neither until the hold's transaction ends.
TEST_F(MysqlDatabaseTest, FindForHoldLocksTheHolderAndTheSeats) {
  settings_.pool_size = 2;
  auto db = infra::OpenMysql(settings_);
  auto seeded = SeedOneSeat(*db);
  std::latch found(1);
  std::latch checked(1);
  std::thread hold([&] {
    Commit(*db, [&](Store& s) {
      auto seats = s.Seats().FindForHold(seeded.event, {seeded.seat}, seeded.user, At(1));
      found.count_down();
      checked.wait();
      return seats.size();
    });
  });
  found.wait();
  auto locked_elsewhere = [&](const std::string& table, std::int64_t id) {
    try {
      *raw_ << "START TRANSACTION";
      *raw_ << "SELECT id FROM " + table + " WHERE id = " + std::to_string(id) +
                   " FOR UPDATE NOWAIT";
      *raw_ << "ROLLBACK";
      return false;
    } catch (const soci::soci_error&) {
      *raw_ << "ROLLBACK";
      return true;
    }
  };
  const bool user_locked = locked_elsewhere("users", seeded.user.value);
  const bool seat_locked = locked_elsewhere("seat", seeded.seat.value);
  checked.count_down();
  hold.join();
  EXPECT_TRUE(user_locked);
  EXPECT_TRUE(seat_locked);
  EXPECT_FALSE(locked_elsewhere("users", seeded.user.value)) << "released at the commit";
}

// The per-user limit under a race (ADR 0005): a second hold of the same user that starts while
// the first is still open waits for it and then counts its seats, instead of counting before
// the first commits and overshooting the limit.
TEST_F(MysqlDatabaseTest, ASecondHoldOfOneUserCountsTheFirstOnceItCommits) {
  settings_.pool_size = 2;
  settings_.lock_wait_timeout_seconds = 30;
  auto db = infra::OpenMysql(settings_);
  auto date = SeedDate(*db, 2);
  ASSERT_EQ(date.seats.size(), 2u);
  // As OccupySeats does it, with a limit of one live seat per user.
  auto hold_one = [&](Store& s, const domain::Seat& seat) {
    auto seats = s.Seats().FindForHold(date.event, {seat.id}, date.user, At(1));
    if (seats.size() != 1 || seats[0].state != domain::SeatState::kAvailable) return false;
    auto created = s.Holds().CreateWithinLimit(
        date.user, date.event, {{seat.id, seat.seat_number, seat.price}}, At(kFar), At(1), 1);
    return created && s.Seats().Hold(date.event, {seat.id}, created->id, At(kFar), At(1)) == 1;
  };
  std::latch first_in(1);
  std::latch let_first_commit(1);
  bool first = false;
  bool second = true;
  std::thread a([&] {
    first = Commit(*db, [&](Store& s) {
      const bool held = hold_one(s, date.seats[0]);
      first_in.count_down();
      let_first_commit.wait();
      return held;
    });
  });
  first_in.wait();
  std::thread b(
      [&] { second = Commit(*db, [&](Store& s) { return hold_one(s, date.seats[1]); }); });
  // The second queues on the user's row (its blocking FOR UPDATE after the NOWAIT one failed).
  const bool queued = WaitForRunningStatement(
      "SELECT s.id, % FROM seat s JOIN users u ON u.id = % WHERE s.id IN (%) ORDER BY s.id "
      "FOR UPDATE");
  let_first_commit.count_down();
  a.join();
  b.join();
  ASSERT_TRUE(queued);
  EXPECT_TRUE(first);
  EXPECT_FALSE(second) << "the second hold would take the user past the limit of one seat";
  EXPECT_EQ(
      Query(*db, [&](Store& s) { return s.Holds().CountLiveSeats(date.user, date.event, At(2)); }),
      1);
}

// The migration lock is server-wide; it is named after the database, so a migrator of another
// database never blocks this one, while a migrator of this one does.
TEST_F(MysqlDatabaseTest, TheMigrationLockIsPerDatabase) {
  EXPECT_NE(infra::MysqlMigrationLockName("a"), infra::MysqlMigrationLockName("b"));
  EXPECT_LE(infra::MysqlMigrationLockName(std::string(64, 'x')).size(), 64u);
  settings_.migration_lock_seconds = 1;
  int got = 0;
  *raw_ << "SELECT GET_LOCK('" + infra::MysqlMigrationLockName(name_ + "_other") + "', 1)",
      soci::into(got);
  ASSERT_EQ(got, 1);
  EXPECT_EQ(infra::MigrateMysql(settings_), 0);  // everything applied in SetUp; not blocked
  *raw_ << "SELECT GET_LOCK('" + infra::MysqlMigrationLockName(name_) + "', 1)", soci::into(got);
  ASSERT_EQ(got, 1);
  EXPECT_THROW(infra::MigrateMysql(settings_), domain::UnavailableError);
  *raw_ << "SELECT RELEASE_ALL_LOCKS()", soci::into(got);
}

// A real restart of the test server (scripts/mariadb stop, then start on the same directory and
// port). BOXOFFICE_TEST_MARIADB_DIR names the directory; scripts/test-mysql-contract sets it.
// While the server is down, calls answer UnavailableError (HTTP 503); once it is back, they
// succeed again through the same SqlDatabase, with no restart of the process.
TEST_F(MysqlDatabaseTest, ADatabaseRestartIsUnavailableThenWorksAgainWithoutReopening) {
  const char* dir = std::getenv("BOXOFFICE_TEST_MARIADB_DIR");
  if (dir == nullptr || *dir == '\0') {
    GTEST_SKIP() << "set BOXOFFICE_TEST_MARIADB_DIR (scripts/test-mysql-contract does) to "
                    "restart the server";
  }
  const std::string script = std::string(BOXOFFICE_SOURCE_DIR) + "/scripts/mariadb";
  auto db = infra::OpenMysql(settings_);
  auto create = [&] {
    return db->Write([&](Store& s) {
      return domain::Result<domain::UserId>(s.Users().Create("kim", At(0)).id);
    });
  };
  ASSERT_TRUE(create().ok());
  raw_.reset();
  ASSERT_EQ(std::system(("'" + script + "' stop '" + dir + "' >/dev/null 2>&1").c_str()), 0);
  EXPECT_THROW((void)create(), domain::UnavailableError);
  EXPECT_THROW((void)create(), domain::UnavailableError);
  EXPECT_FALSE(db->Ping());
  ASSERT_EQ(
      std::system(("'" + script + "' start '" + dir + "' " + port_ + " >/dev/null 2>&1").c_str()),
      0);
  auto after = create();
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(db->Ping());
  EXPECT_TRUE(Query(*db, [&](Store& s) { return s.Users().Find(after.value()).has_value(); }));
}

}  // namespace
}  // namespace boxoffice::contract
