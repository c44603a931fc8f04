#include "infrastructure/sql/sql_database.hpp"

#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <set>
#include <vector>

#include "domain/errors.hpp"
#include "infrastructure/sql/dialect.hpp"
#include "infrastructure/sql/migrations.hpp"
#include "infrastructure/sql/sql_repositories.hpp"
#include "infrastructure/sql/sql_util.hpp"

namespace boxoffice::infra {
namespace {

constexpr const char* kCreateMigrationsTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    "version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)";
constexpr const char* kCountMigration = "SELECT COUNT(*) FROM schema_migrations WHERE version = :v";
constexpr const char* kRecordMigration =
    "INSERT INTO schema_migrations (version, applied_at) VALUES (:v, :at)";

std::unique_ptr<soci::session> ConnectSqlite(const SqliteSettings& settings) {
  try {
    auto session = std::make_unique<soci::session>(soci::sqlite3, "db=" + settings.path);
    // busy_timeout first, so the pragmas below wait for a lock rather than fail at once.
    *session << "PRAGMA busy_timeout = " + std::to_string(settings.busy_timeout_ms);
    std::string mode;
    *session << "PRAGMA journal_mode = WAL", soci::into(mode);
    *session << (settings.synchronous_full ? "PRAGMA synchronous = FULL"
                                           : "PRAGMA synchronous = NORMAL");
    *session << "PRAGMA foreign_keys = ON";
    return session;
  } catch (const soci::soci_error& e) {
    throw domain::UnavailableError("cannot open SQLite database '" + settings.path +
                                   "': " + e.what());
  }
}

void EnsureParentDirectory(const std::string& path) {
  const auto parent = std::filesystem::path(path).parent_path();
  if (parent.empty()) return;
  std::error_code ec;
  std::filesystem::create_directories(parent, ec);
  if (ec) {
    throw domain::UnavailableError("cannot create directory '" + parent.string() +
                                   "': " + ec.message());
  }
}

// The statements of a migration script, split at semicolons that end a line, with `--`
// comment lines dropped.
std::vector<std::string> SplitStatements(std::string_view script) {
  std::vector<std::string> out;
  std::string current;
  std::size_t pos = 0;
  while (pos < script.size()) {
    auto end = script.find('\n', pos);
    if (end == std::string_view::npos) end = script.size();
    std::string_view line = script.substr(pos, end - pos);
    pos = end + 1;
    const auto first = line.find_first_not_of(" \t\r");
    if (first == std::string_view::npos || line.substr(first, 2) == "--") continue;
    const auto last = line.find_last_not_of(" \t\r");
    line = line.substr(0, last + 1);
    if (line.back() == ';') {
      current.append(line.substr(0, line.size() - 1));
      out.push_back(std::move(current));
      current.clear();
    } else {
      current.append(line);
      current.push_back('\n');
    }
  }
  if (current.find_first_not_of(" \t\r\n") != std::string::npos) out.push_back(current);
  return out;
}

class SessionPool {
 public:
  SessionPool(std::vector<std::unique_ptr<soci::session>> sessions, std::chrono::milliseconds wait)
      : sessions_(std::move(sessions)), wait_(wait) {
    for (auto& s : sessions_) free_.push_back(s.get());
  }

  soci::session& Acquire() {
    std::unique_lock lock(mutex_);
    if (!available_.wait_for(lock, wait_, [&] { return !free_.empty(); })) {
      throw domain::UnavailableError("all database connections are busy");
    }
    soci::session* s = free_.back();
    free_.pop_back();
    return *s;
  }

  void Return(soci::session& s) {
    {
      std::lock_guard lock(mutex_);
      free_.push_back(&s);
    }
    available_.notify_one();
  }

 private:
  std::vector<std::unique_ptr<soci::session>> sessions_;
  std::chrono::milliseconds wait_;
  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<soci::session*> free_;
};

class Lease {
 public:
  explicit Lease(SessionPool& pool) : pool_(pool), session_(pool.Acquire()) {}
  ~Lease() { pool_.Return(session_); }
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  soci::session& session() { return session_; }

 private:
  SessionPool& pool_;
  soci::session& session_;
};

// Called from a catch block: busy or locked becomes UnavailableError (answered 503), anything
// else propagates unchanged.
[[noreturn]] void RethrowTranslated(const Dialect& dialect, const soci::soci_error& e) {
  if (dialect.IsBusy(e)) throw domain::UnavailableError(std::string("database busy: ") + e.what());
  throw;
}

void RollbackQuietly(soci::session& session) {
  try {
    session << "ROLLBACK";
  } catch (const soci::soci_error&) {
    // Nothing to undo when the transaction never began or the database already rolled it back.
  }
}

class PooledSqlDatabase final : public SqlDatabase {
 public:
  PooledSqlDatabase(Dialect dialect, std::vector<std::unique_ptr<soci::session>> sessions,
                    std::chrono::milliseconds wait)
      : dialect_(dialect), pool_(std::move(sessions), wait) {}

  bool Ping() override {
    try {
      Lease lease(pool_);
      int one = 0;
      lease.session() << "SELECT 1", soci::into(one);
      return one == 1;
    } catch (const std::exception&) {
      return false;
    }
  }

 protected:
  void Execute(domain::TxMode mode, const std::function<bool(domain::Store&)>& work) override {
    Lease lease(pool_);
    soci::session& session = lease.session();
    try {
      session << (mode == domain::TxMode::kWrite ? dialect_.BeginWrite() : dialect_.BeginRead());
    } catch (const soci::soci_error& e) {
      RollbackQuietly(session);
      RethrowTranslated(dialect_, e);
    }
    bool commit = false;
    try {
      SqlStore store(session, dialect_);
      commit = work(store);
      if (commit) session << "COMMIT";
    } catch (const soci::soci_error& e) {
      RollbackQuietly(session);
      RethrowTranslated(dialect_, e);
    } catch (...) {
      RollbackQuietly(session);
      throw;
    }
    if (!commit) RollbackQuietly(session);
  }

 private:
  Dialect dialect_;
  SessionPool pool_;
};

}  // namespace

std::unique_ptr<SqlDatabase> OpenSqlite(const SqliteSettings& settings) {
  EnsureParentDirectory(settings.path);
  std::vector<std::unique_ptr<soci::session>> sessions;
  const int size = settings.pool_size > 0 ? settings.pool_size : 1;
  for (int i = 0; i < size; ++i) sessions.push_back(ConnectSqlite(settings));
  return std::make_unique<PooledSqlDatabase>(Dialect(SqlBackend::kSqlite), std::move(sessions),
                                             std::chrono::milliseconds(settings.busy_timeout_ms));
}

int MigrateSqlite(const SqliteSettings& settings) {
  EnsureParentDirectory(settings.path);
  auto session = ConnectSqlite(settings);
  const Dialect dialect(SqlBackend::kSqlite);
  try {
    *session << kCreateMigrationsTable;
    int applied = 0;
    for (const Migration& m : SqliteMigrations()) {
      *session << dialect.BeginWrite();
      try {
        int version = m.version;
        long long present = 0;
        *session << kCountMigration, soci::use(version, "v"), soci::into(present);
        if (present > 0) {
          *session << "COMMIT";
          continue;
        }
        for (const auto& statement : SplitStatements(m.sql)) *session << statement;
        std::int64_t at = sql::ToMs(
            std::chrono::time_point_cast<domain::Duration>(std::chrono::system_clock::now()));
        *session << kRecordMigration, soci::use(version, "v"), soci::use(at, "at");
        *session << "COMMIT";
        ++applied;
      } catch (...) {
        RollbackQuietly(*session);
        throw;
      }
    }
    return applied;
  } catch (const soci::soci_error& e) {
    if (dialect.IsBusy(e)) RethrowTranslated(dialect, e);
    throw std::runtime_error(std::string("migration failed: ") + e.what());
  }
}

}  // namespace boxoffice::infra
