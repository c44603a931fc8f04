#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <thread>
#include <future>

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

}  // namespace
}  // namespace boxoffice::contract
