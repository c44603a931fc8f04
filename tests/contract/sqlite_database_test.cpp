#include <gtest/gtest.h>
#include <sqlite3.h>

#include <array>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <optional>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include "contract/sql_backends.hpp"
#include "domain/errors.hpp"
#include "infrastructure/sql/migrations.hpp"
#include "infrastructure/sql/sql_database.hpp"

namespace boxoffice::contract {
namespace {

using domain::Store;

// A raw connection beside the adapter's pool, to inspect the file or hold its lock.
class RawSqlite {
 public:
  explicit RawSqlite(const std::string& path) {
    if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) throw std::runtime_error("open failed");
  }
  ~RawSqlite() { sqlite3_close(db_); }
  void Exec(const std::string& sql) {
    char* error = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
      std::string message = error != nullptr ? error : "?";
      sqlite3_free(error);
      throw std::runtime_error(message);
    }
  }
  std::string Text(const std::string& sql) {
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr);
    std::string out;
    if (sqlite3_step(st) == SQLITE_ROW) {
      out = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    return out;
  }

 private:
  sqlite3* db_ = nullptr;
};

class SqliteDatabaseTest : public testing::Test {
 protected:
  SqliteDatabaseTest() {
    settings_.path = (dir_.path() / "nested" / "dir" / "box.db").string();
    settings_.pool_size = 2;
    settings_.busy_timeout_ms = 50;
  }
  TempDir dir_;
  infra::SqliteSettings settings_;
};

TEST_F(SqliteDatabaseTest, MigrationsApplyOnceAndAreRecorded) {
  const int total = static_cast<int>(infra::SqliteMigrations().size());
  ASSERT_GE(total, 1);
  EXPECT_EQ(infra::MigrateSqlite(settings_), total);
  EXPECT_EQ(infra::MigrateSqlite(settings_), 0);
  EXPECT_EQ(infra::MigrateSqlite(settings_), 0);
  RawSqlite raw(settings_.path);
  EXPECT_EQ(raw.Text("SELECT COUNT(*) FROM schema_migrations"), std::to_string(total));
  EXPECT_EQ(raw.Text("SELECT MIN(version) FROM schema_migrations"), "1");
  EXPECT_EQ(raw.Text("SELECT COUNT(*) FROM sqlite_master WHERE name = 'outbox'"), "1");
}

TEST_F(SqliteDatabaseTest, OpenCreatesTheDirectoryAndUsesWal) {
  infra::MigrateSqlite(settings_);
  auto db = infra::OpenSqlite(settings_);
  EXPECT_TRUE(std::filesystem::exists(settings_.path));
  EXPECT_TRUE(db->Ping());
  RawSqlite raw(settings_.path);
  EXPECT_EQ(raw.Text("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(raw.Text("PRAGMA page_size"), "1024");  // ADR 0017
}

// The page size is fixed when a database file is created: an existing file keeps its own.
TEST_F(SqliteDatabaseTest, AnExistingDatabaseKeepsItsPageSize) {
  std::filesystem::create_directories(std::filesystem::path(settings_.path).parent_path());
  {
    RawSqlite raw(settings_.path);
    raw.Exec("PRAGMA page_size = 4096");
    raw.Exec("CREATE TABLE earlier (id INTEGER PRIMARY KEY)");
  }
  infra::MigrateSqlite(settings_);
  auto db = infra::OpenSqlite(settings_);
  EXPECT_TRUE(db->Ping());
  RawSqlite raw(settings_.path);
  EXPECT_EQ(raw.Text("PRAGMA page_size"), "4096");
  EXPECT_EQ(raw.Text("PRAGMA journal_mode"), "wal");
}

TEST_F(SqliteDatabaseTest, EveryPooledConnectionEnforcesForeignKeys) {
  infra::MigrateSqlite(settings_);
  auto db = infra::OpenSqlite(settings_);
  // More attempts than connections, so each connection of the pool is exercised.
  for (int i = 0; i < 2 * settings_.pool_size; ++i) {
    EXPECT_ANY_THROW(db->Write([](Store& s) {
      s.Wallets().Create(domain::UserId{777}, At(0));  // no such user
      return domain::Result<int>(0);
    }));
  }
}

TEST_F(SqliteDatabaseTest, UnopenableFileThrowsAClearError) {
  const auto blocker = dir_.path() / "file";
  std::ofstream(blocker) << "not a directory";
  infra::SqliteSettings bad = settings_;
  bad.path = (blocker / "box.db").string();
  EXPECT_THROW(infra::OpenSqlite(bad), std::runtime_error);
  EXPECT_THROW(infra::MigrateSqlite(bad), std::runtime_error);
}

TEST_F(SqliteDatabaseTest, NotADatabaseFileIsReportedAtOpen) {
  std::filesystem::create_directories(std::filesystem::path(settings_.path).parent_path());
  std::ofstream(settings_.path) << std::string(4096, 'x');
  EXPECT_THROW(infra::OpenSqlite(settings_), std::runtime_error);
}

TEST_F(SqliteDatabaseTest, WriteLockHeldElsewhereYieldsUnavailableButReadsGoOn) {
  infra::MigrateSqlite(settings_);
  auto db = infra::OpenSqlite(settings_);
  RawSqlite other(settings_.path);
  other.Exec("BEGIN EXCLUSIVE");
  other.Exec("INSERT INTO users (name, created_at) VALUES ('locker', 0)");

  EXPECT_THROW(db->Write([](Store& s) {
    return domain::Result<domain::User>(s.Users().Create("blocked", At(0)));
  }),
               domain::UnavailableError);
  // WAL readers are not blocked by the writer and do not see its uncommitted row.
  auto found = db->Read([](Store& s) {
    return domain::Result<std::optional<domain::User>>(s.Users().Find(domain::UserId{1}));
  });
  EXPECT_FALSE(found.value().has_value());

  other.Exec("COMMIT");
  auto created = db->Write(
      [](Store& s) { return domain::Result<domain::User>(s.Users().Create("after", At(0))); });
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(created->id.value, 2);
}

// Writers of one process take turns before BEGIN IMMEDIATE; a writer that gets no turn within the
// busy timeout is answered unavailable, and readers never wait for a turn.
TEST_F(SqliteDatabaseTest, WritersTakeTurnsAndReadersNeedNone) {
  settings_.pool_size = 3;
  infra::MigrateSqlite(settings_);
  auto db = infra::OpenSqlite(settings_);
  std::promise<void> inside;
  std::promise<void> finish;
  std::shared_future<void> finished = finish.get_future().share();
  std::thread writer([&] {
    (void)db->Write([&](Store& s) {
      auto user = s.Users().Create("first", At(0));
      inside.set_value();
      finished.wait();
      return domain::Result<domain::User>(user);
    });
  });
  inside.get_future().wait();

  auto found = db->Read([](Store& s) {
    return domain::Result<std::optional<domain::User>>(s.Users().Find(domain::UserId{1}));
  });
  ASSERT_TRUE(found.ok());
  EXPECT_FALSE(found->has_value());  // not committed yet, and the read did not wait for it
  EXPECT_THROW(db->Write([](Store& s) {
    return domain::Result<domain::User>(s.Users().Create("second", At(0)));
  }),
               domain::UnavailableError);

  finish.set_value();
  writer.join();
  auto after = db->Write(
      [](Store& s) { return domain::Result<domain::User>(s.Users().Create("third", At(0))); });
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->id.value, 2);
}

// Triggers keep each date's AVAILABLE seats in concert_event.available_seats (migration 0003):
// after random seat changes of every kind the kept count equals a count of the seats.
TEST_F(SqliteDatabaseTest, TheKeptAvailableCountFollowsEverySeatChange) {
  infra::MigrateSqlite(settings_);
  RawSqlite db(settings_.path);
  db.Exec(
      "INSERT INTO concert (id, title, singer, description, created_at) "
      "VALUES (1, 't', 's', '', 0)");
  for (int date = 1; date <= 3; ++date) {
    db.Exec(
        "INSERT INTO concert_event (id, concert_id, venue, start_at, duration_minutes, "
        "reservation_start_at, reservation_end_at, max_seat_count, created_at) VALUES (" +
        std::to_string(date) + ", 1, 'v', 0, 60, 0, 1, 40, 0)");
    for (int n = 1; n <= 40; ++n) {
      db.Exec("INSERT INTO seat (concert_event_id, seat_number, price) VALUES (" +
              std::to_string(date) + ", " + std::to_string(n) + ", 10)");
    }
  }
  const std::string kMismatches =
      "SELECT count(*) FROM concert_event e WHERE e.available_seats <> (SELECT count(*) FROM "
      "seat s WHERE s.concert_event_id = e.id AND s.state = 'AVAILABLE')";
  EXPECT_EQ(db.Text("SELECT sum(available_seats) FROM concert_event"), "120");

  std::minstd_rand rng(7);
  const char* states[] = {"AVAILABLE", "HELD", "RESERVED"};
  for (int i = 0; i < 600; ++i) {
    const auto seat = std::to_string(1 + rng() % 120);
    switch (rng() % 5) {
      case 0:  // a multi-row change, as a hold's or a sweep's
        db.Exec(std::string("UPDATE seat SET state = '") + states[rng() % 3] +
                "' WHERE id BETWEEN " + seat + " AND " + seat + " + 3");
        break;
      case 1:  // a seat moved to another date
        db.Exec("UPDATE seat SET concert_event_id = " + std::to_string(1 + rng() % 3) +
                ", seat_number = 1000 + id WHERE id = " + seat);
        break;
      case 2:
        db.Exec("DELETE FROM seat WHERE id = " + seat);
        break;
      default:
        db.Exec(std::string("UPDATE seat SET state = '") + states[rng() % 3] +
                "' WHERE id = " + seat);
    }
  }
  EXPECT_EQ(db.Text(kMismatches), "0");
  EXPECT_NE(db.Text("SELECT sum(available_seats) FROM concert_event"), "120");
}

// Spins until `count` writes are queued for a group; false if that has not happened in 10 s
// (a guard against a hang, not a wait for time to pass).
bool AwaitQueued(const infra::SqlDatabase& db, std::size_t count) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (db.WriteGroups().queued < count) {
    if (std::chrono::steady_clock::now() > give_up) return false;
    std::this_thread::yield();
  }
  return true;
}

// Writes queued behind a running group commit together as the next group, in arrival order. A
// write whose work fails or throws is undone alone; the others' writes become visible, and
// their callers are answered, only when the whole group has committed.
TEST_F(SqliteDatabaseTest, QueuedWritesCommitAsOneGroupAndAreAnsweredAfterItsCommit) {
  settings_.pool_size = 3;
  settings_.busy_timeout_ms = 30000;  // nobody gives up waiting in this test
  infra::MigrateSqlite(settings_);
  auto db = infra::OpenSqlite(settings_);
  RawSqlite reader(settings_.path);

  std::promise<void> first_inside;
  std::promise<void> release_first;
  std::shared_future<void> first_released = release_first.get_future().share();
  std::thread first([&] {
    (void)db->Write([&](Store& s) {
      auto user = s.Users().Create("first", At(0));
      first_inside.set_value();
      first_released.wait();
      return domain::Result<domain::User>(user);
    });
  });
  first_inside.get_future().wait();

  // Six writers queue one after another; the fourth's work fails, the fifth's throws, the last
  // one's waits inside the group until the test has looked at the others.
  constexpr int kWriters = 6;
  std::promise<void> last_inside;
  std::promise<void> release_last;
  std::shared_future<void> last_released = release_last.get_future().share();
  std::array<std::atomic<bool>, kWriters> answered{};
  std::array<std::optional<domain::Result<domain::User>>, kWriters> results;
  std::array<bool, kWriters> threw{};
  std::vector<std::thread> writers;
  for (int i = 0; i < kWriters; ++i) {
    writers.emplace_back([&, i] {
      try {
        results[i] = db->Write([&, i](Store& s) -> domain::Result<domain::User> {
          auto user = s.Users().Create("w" + std::to_string(i), At(0));
          if (i == 3) return domain::Fail(domain::ErrorCode::kInvalidRequest, "refused");
          if (i == 4) throw std::runtime_error("work failed");
          if (i == kWriters - 1) {
            last_inside.set_value();
            last_released.wait();
          }
          return user;
        });
      } catch (const std::runtime_error&) {
        threw[i] = true;
      }
      answered[i] = true;
    });
    if (!AwaitQueued(*db, static_cast<std::size_t>(i) + 1)) {
      // Not queued: unblock everything so the threads can be joined, then fail.
      release_first.set_value();
      first.join();
      release_last.set_value();
      for (auto& w : writers) w.join();
      FAIL() << "writer " << i << " was never queued behind the running group";
    }
  }
  EXPECT_EQ(db->WriteGroups().groups, 1u);

  release_first.set_value();
  first.join();
  last_inside.get_future().wait();
  // The group's first five works have run, but nothing of theirs is committed or answered.
  EXPECT_EQ(reader.Text("SELECT group_concat(name, ',') FROM users"), "first");
  for (int i = 0; i < kWriters; ++i) EXPECT_FALSE(answered[i]) << "writer " << i;

  release_last.set_value();
  for (auto& w : writers) w.join();
  const auto stats = db->WriteGroups();
  EXPECT_EQ(stats.groups, 2u);
  EXPECT_EQ(stats.writes, 1u + kWriters);
  EXPECT_EQ(stats.queued, 0u);
  EXPECT_EQ(reader.Text("SELECT group_concat(name, ',') FROM users"), "first,w0,w1,w2,w5");
  for (int i : {0, 1, 2, 5}) {
    ASSERT_TRUE(results[i].has_value() && results[i]->ok()) << "writer " << i;
    EXPECT_EQ((*results[i])->name, "w" + std::to_string(i));
  }
  ASSERT_TRUE(results[3].has_value());
  EXPECT_EQ(results[3]->error().code, domain::ErrorCode::kInvalidRequest);
  EXPECT_TRUE(threw[4]);
}

// A write alone in its group whose work fails or throws is undone whole, and others go on.
TEST_F(SqliteDatabaseTest, ALoneWriteThatFailsOrThrowsLeavesNothing) {
  infra::MigrateSqlite(settings_);
  auto db = infra::OpenSqlite(settings_);
  auto refused = db->Write([](Store& s) -> domain::Result<domain::User> {
    s.Users().Create("refused", At(0));
    return domain::Fail(domain::ErrorCode::kInvalidRequest, "refused");
  });
  EXPECT_EQ(refused.error().code, domain::ErrorCode::kInvalidRequest);
  EXPECT_THROW(db->Write([](Store& s) -> domain::Result<domain::User> {
    s.Users().Create("thrown", At(0));
    throw std::runtime_error("work failed");
  }),
               std::runtime_error);
  auto kept = db->Write(
      [](Store& s) { return domain::Result<domain::User>(s.Users().Create("kept", At(0))); });
  ASSERT_TRUE(kept.ok());
  RawSqlite reader(settings_.path);
  EXPECT_EQ(reader.Text("SELECT group_concat(name, ',') FROM users"), "kept");
  EXPECT_EQ(db->WriteGroups().groups, 3u);
}

// Many threads write at once; every write that succeeded is committed exactly once with its
// own id, and none that failed is.
TEST_F(SqliteDatabaseTest, ConcurrentWritersAllLandExactlyOnce) {
  settings_.pool_size = 4;
  settings_.busy_timeout_ms = 30000;
  infra::MigrateSqlite(settings_);
  auto db = infra::OpenSqlite(settings_);
  constexpr int kThreads = 8;
  constexpr int kWritesEach = 150;
  std::array<std::vector<std::int64_t>, kThreads> ids;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kWritesEach; ++i) {
        auto created = db->Write([&](Store& s) -> domain::Result<domain::User> {
          auto user = s.Users().Create("t" + std::to_string(t) + "-" + std::to_string(i), At(0));
          if (i % 7 == 3) return domain::Fail(domain::ErrorCode::kInvalidRequest, "refused");
          return user;
        });
        if (created.ok()) ids[t].push_back(created->id.value);
      }
    });
  }
  for (auto& t : threads) t.join();

  std::set<std::int64_t> distinct;
  std::size_t succeeded = 0;
  for (const auto& list : ids) {
    succeeded += list.size();
    distinct.insert(list.begin(), list.end());
  }
  const std::size_t refused_each = (kWritesEach - 3 + 6) / 7;
  EXPECT_EQ(succeeded, static_cast<std::size_t>(kThreads) * (kWritesEach - refused_each));
  EXPECT_EQ(distinct.size(), succeeded);
  RawSqlite reader(settings_.path);
  EXPECT_EQ(reader.Text("SELECT count(*) FROM users"), std::to_string(succeeded));
  EXPECT_EQ(reader.Text("SELECT count(*) FROM users WHERE substr(name, -2) = '-3'"), "0");
  EXPECT_EQ(db->WriteGroups().writes, static_cast<std::uint64_t>(kThreads) * kWritesEach);
}

}  // namespace
}  // namespace boxoffice::contract
