#include "infrastructure/sql/sql_database.hpp"

#include <mysql.h>
#include <soci/mysql/soci-mysql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <algorithm>
#include <boost/url/parse.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <span>
#include <stdexcept>
#include <thread>
#include <vector>

#include "domain/errors.hpp"
#include "infrastructure/sql/deferred_writes.hpp"
#include "infrastructure/sql/dialect.hpp"
#include "infrastructure/sql/migrations.hpp"
#include "infrastructure/sql/sql_repositories.hpp"
#include "infrastructure/sql/sql_util.hpp"
#include "infrastructure/sql/statement_cache.hpp"

namespace boxoffice::infra {
namespace {

constexpr const char* kCreateMigrationsTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    "version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)";
constexpr const char* kCountMigration = "SELECT COUNT(*) FROM schema_migrations WHERE version = :v";
constexpr const char* kRecordMigration =
    "INSERT INTO schema_migrations (version, applied_at) VALUES (:v, :at)";

// New SQLite databases use 1 KiB pages, not SQLite's 4 KiB: in WAL mode every commit appends
// each page it changed whole, and a purchase changes a few rows on many pages (ADR 0017).
constexpr int kSqlitePageSize = 1024;

std::unique_ptr<soci::session> ConnectSqlite(const SqliteSettings& settings) {
  try {
    auto session = std::make_unique<soci::session>(soci::sqlite3, "db=" + settings.path);
    // busy_timeout first, so the pragmas below wait for a lock rather than fail at once.
    *session << "PRAGMA busy_timeout = " + std::to_string(settings.busy_timeout_ms);
    // Takes effect only where the file is created (before WAL mode writes its header); an
    // existing database keeps its page size (ADR 0017).
    *session << "PRAGMA page_size = " + std::to_string(kSqlitePageSize);
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

// Reapplies the per-connection settings on a new or reconnected session.
using Configure = std::function<void(soci::session&)>;

class SessionPool {
 public:
  struct Slot {
    std::unique_ptr<soci::session> session;
    // Declared after the session: its statements are finalised before the session closes.
    std::unique_ptr<sql::StatementCache> statements;  // null: statements are not kept
    bool broken = false;  // failed with a lost connection: reconnect before the next use
  };

  // `statements`: the kind of statement cache each connection keeps, or none.
  SessionPool(std::vector<std::unique_ptr<soci::session>> sessions, std::chrono::milliseconds wait,
              Configure configure, std::optional<sql::StatementCache::Backend> statements)
      : wait_(wait), configure_(std::move(configure)) {
    slots_.reserve(sessions.size());
    for (auto& s : sessions) {
      slots_.push_back(Slot{
          std::move(s), statements ? std::make_unique<sql::StatementCache>(*statements) : nullptr});
    }
    for (auto& slot : slots_) free_.push_back(&slot);
  }

  Slot& Acquire() {
    Slot* slot = nullptr;
    {
      std::unique_lock lock(mutex_);
      if (!available_.wait_for(lock, wait_, [&] { return !free_.empty(); })) {
        throw domain::UnavailableError("all database connections are busy");
      }
      slot = free_.back();
      free_.pop_back();
    }
    if (slot->broken) {
      try {
        Reconnect(*slot);
      } catch (...) {
        Return(*slot);
        throw;
      }
    }
    return *slot;
  }

  void Return(Slot& slot) {
    {
      std::lock_guard lock(mutex_);
      free_.push_back(&slot);
    }
    available_.notify_one();
  }

  // Opens the slot's connection again with its session settings. Outside the mutex: a
  // reconnect may wait for the connect timeout. Throws UnavailableError, leaving the slot
  // marked broken, when the server cannot be reached.
  void Reconnect(Slot& slot) {
    slot.broken = true;
    if (slot.statements) slot.statements->Clear();
    try {
      slot.session->reconnect();
      if (configure_) configure_(*slot.session);
    } catch (const soci::soci_error& e) {
      throw domain::UnavailableError(std::string("database reconnect failed: ") + e.what());
    }
    slot.broken = false;
  }

 private:
  std::chrono::milliseconds wait_;
  Configure configure_;
  std::vector<Slot> slots_;
  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<Slot*> free_;
};

class Lease {
 public:
  explicit Lease(SessionPool& pool) : pool_(pool), slot_(pool.Acquire()) {}
  ~Lease() { pool_.Return(slot_); }
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  soci::session& session() { return *slot_.session; }
  sql::StatementCache* statements() { return slot_.statements.get(); }
  // Runs a statement without bindings (transaction control), prepared once per connection.
  void Run(std::string_view sql) {
    sql::Statement(session(), statements(), std::string(sql)).Execute();
  }
  // Called when the session failed with a lost connection.
  void MarkBroken() { slot_.broken = true; }
  void Reconnect() { pool_.Reconnect(slot_); }

 private:
  SessionPool& pool_;
  SessionPool::Slot& slot_;
};

// Called from a catch block: busy or locked becomes UnavailableError (answered 503), anything
// else is kept as thrown (its dynamic type intact).
std::exception_ptr Translated(const Dialect& dialect, const soci::soci_error& e) {
  if (dialect.IsBusy(e)) {
    return std::make_exception_ptr(
        domain::UnavailableError(std::string("database busy: ") + e.what()));
  }
  return std::current_exception();
}

// As Translated, thrown.
[[noreturn]] void RethrowTranslated(const Dialect& dialect, const soci::soci_error& e) {
  std::rethrow_exception(Translated(dialect, e));
}

// Attempts in all, counting the first: a deadlock victim is usually through on its second run;
// a lock wait timeout has already waited innodb_lock_wait_timeout once, so it gets one more.
constexpr int kDeadlockAttempts = 3;
constexpr int kLockWaitTimeoutAttempts = 2;

bool ShouldRetry(const Dialect& dialect, const soci::soci_error& e, int attempt) {
  if (dialect.IsDeadlock(e)) return attempt < kDeadlockAttempts;
  if (dialect.IsLockWaitTimeout(e)) return attempt < kLockWaitTimeoutAttempts;
  return false;
}

// 5..25 ms after the first failure, 10..50 ms after the second.
void PauseBeforeRetry(int attempt) {
  thread_local std::minstd_rand rng{std::random_device{}()};
  std::uniform_int_distribution<int> ms(5 * attempt, 25 * attempt);
  std::this_thread::sleep_for(std::chrono::milliseconds(ms(rng)));
}

// The libmariadb connection under a MySQL session.
MYSQL* MysqlConnection(soci::session& session) {
  return static_cast<soci::mysql_session_backend*>(session.get_backend())->conn_;
}

void RollbackQuietly(soci::session& session) {
  try {
    session << "ROLLBACK";
  } catch (const soci::soci_error&) {
    // Nothing to undo when the transaction never began or the database already rolled it back.
  }
}

// The sessions a PooledSqlDatabase uses, and how its transactions begin on them.
struct Sessions {
  // Every transaction's (SQLite), or the write transactions' (MySQL).
  std::vector<std::unique_ptr<soci::session>> main;
  Configure configure;  // reapplied to a reconnected main session
  // MySQL: the write sessions run with autocommit off, so a write transaction begins with its
  // first statement and ends with COMMIT or ROLLBACK: no BEGIN round trip.
  bool implicit_write_begin = false;
  // MySQL: sessions of their own for reads, with autocommit on and set up for them
  // (REPEATABLE READ, READ ONLY). A snapshot read begins with Dialect::BeginRead and ends with
  // COMMIT; a latest-rows read (TxMode::kReadLatest) is its statements alone, each its own
  // transaction: a read of one statement is one round trip. Empty: reads use the main sessions.
  std::vector<std::unique_ptr<soci::session>> reads;
  Configure configure_reads;
  // The statement cache of every connection, or none.
  std::optional<sql::StatementCache::Backend> statements;
};

class PooledSqlDatabase final : public SqlDatabase {
 public:
  // With `single_writer`, write transactions of this process are committed in groups by one
  // caller at a time (SQLite: one writer at a time anyway); each waits at most `wait` to be
  // taken into a group.
  PooledSqlDatabase(Dialect dialect, Sessions sessions, std::chrono::milliseconds wait,
                    bool single_writer = false)
      : dialect_(dialect),
        pool_(std::move(sessions.main), wait, std::move(sessions.configure), sessions.statements),
        wait_(wait),
        single_writer_(single_writer),
        implicit_write_begin_(sessions.implicit_write_begin) {
    if (!sessions.reads.empty()) {
      reads_ =
          std::make_unique<SessionPool>(std::move(sessions.reads), wait,
                                        std::move(sessions.configure_reads), sessions.statements);
    }
  }

  bool Ping() override {
    try {
      Lease lease(pool_);
      int one = 0;
      try {
        lease.session() << "SELECT 1", soci::into(one);
      } catch (const soci::soci_error& e) {
        if (dialect_.IsConnectionLost(e)) lease.MarkBroken();
        throw;
      }
      return one == 1;
    } catch (const std::exception&) {
      return false;
    }
  }

  WriteGroupStats WriteGroups() const override {
    std::lock_guard lock(group_mutex_);
    return stats_;
  }

 protected:
  // A write transaction that InnoDB aborted as a deadlock victim (1213) or whose lock wait timed
  // out (1205) runs again from the start, after a short random pause so the transactions that
  // collided do not collide again in step. The work is re-run whole: it may only change the
  // database and values it sets afresh on each run (Database::Run re-creates its result).
  // A connection found dead before anything of the transaction could land (a restarted server
  // closed it while idle in the pool) is reconnected and the transaction begins again on it:
  // that is a failure of its BEGIN or, with an implicit begin, of any statement before COMMIT
  // (the server rolls back the open transaction of a connection it lost, and with autocommit
  // off nothing commits before COMMIT), or of any statement of a read. A connection lost at a
  // write's COMMIT is not retried (the COMMIT may have landed): UnavailableError, and the slot
  // reconnects before its next use.
  void Execute(domain::TxMode mode, const std::function<bool(domain::Store&)>& work) override {
    if (single_writer_ && mode == domain::TxMode::kWrite) {
      ExecuteInGroup(work);
      return;
    }
    const bool writes = mode == domain::TxMode::kWrite;
    // On the read sessions (autocommit on), a latest-rows read has no transaction to begin or end.
    const bool autocommit = !writes && reads_ && mode == domain::TxMode::kReadLatest;
    const bool implicit_begin = writes && implicit_write_begin_;
    Lease lease(!writes && reads_ ? *reads_ : pool_);
    bool reconnected = false;
    // The first run of a MySQL write may hold its conditional writes as if they had succeeded;
    // after one did not, the transaction runs again without assuming (ADR 0018).
    bool assume = true;
    for (int attempt = 1;; ++attempt) {
      soci::session& session = lease.session();
      bool begun = false;
      bool committing = false;
      try {
        if (!implicit_begin && !autocommit) {
          lease.Run(writes ? dialect_.BeginWrite() : dialect_.BeginRead());
        }
        begun = true;
        const Dialect dialect = dialect_.InTransaction(!writes);
        // MySQL write transactions hold back the writes they need no answer from, to send
        // them with the next statement or the COMMIT (ADR 0016).
        std::optional<sql::DeferredWrites> deferred;
        if (implicit_begin) deferred.emplace(MysqlConnection(session), assume);
        SqlStore store({session, lease.statements(), deferred ? &*deferred : nullptr}, dialect);
        const bool ok = work(store);
        if (autocommit) return;
        if (ok) {
          committing = true;
          if (deferred) {
            deferred->Send(/*commit=*/true);  // with the held writes, if any
          } else {
            lease.Run("COMMIT");
          }
        } else {
          RollbackQuietly(session);
        }
        return;
      } catch (const soci::soci_error& e) {
        if (dialect_.IsConnectionLost(e)) {
          const bool nothing_landed = !writes || !begun || (implicit_begin && !committing);
          if (nothing_landed && !reconnected) {
            reconnected = true;
            lease.Reconnect();  // UnavailableError when the server is still down
            continue;
          }
          lease.MarkBroken();
          throw domain::UnavailableError(std::string("database connection lost: ") + e.what());
        }
        if (!autocommit) RollbackQuietly(session);
        if (writes && begun && ShouldRetry(dialect_, e, attempt)) {
          PauseBeforeRetry(attempt);
          continue;
        }
        RethrowTranslated(dialect_, e);
      } catch (const sql::AssumptionFailed&) {
        RollbackQuietly(session);
        if (!assume) throw;  // only Expect raises it, and a run that does not assume has none
        assume = false;
      } catch (...) {
        if (!autocommit) RollbackQuietly(session);
        throw;
      }
    }
  }

 private:
  // A write transaction of this process waiting to be committed with others (single writer).
  struct GroupedWrite {
    const std::function<bool(domain::Store&)>* work = nullptr;
    bool taken = false;  // in a leader's group: it will be answered, so its caller waits
    bool done = false;
    std::exception_ptr error;
  };

  // Group commit (ADR 0012). SQLite lets one transaction write at a time. Each writer of this
  // process queues its work; whichever waiting caller finds no group being committed leads:
  // it takes the queued writes (up to kMaxGroup) and runs them on its own connection in one
  // transaction, each inside a savepoint that is rolled back alone when its work fails or
  // throws, then commits once and wakes their callers. So a rush pays one BEGIN IMMEDIATE,
  // one synced commit and one hand-over per group instead of per request, and nobody is
  // answered before the commit that makes their write durable. A caller whose write is not
  // taken within the busy timeout leaves the queue and gets UnavailableError (503), as a
  // writer that got no turn did before. Another process writing the file still meets
  // busy_timeout inside BEGIN IMMEDIATE.
  void ExecuteInGroup(const std::function<bool(domain::Store&)>& work) {
    GroupedWrite write{.work = &work};
    const auto deadline = std::chrono::steady_clock::now() + wait_;
    std::unique_lock lock(group_mutex_);
    queued_.push_back(&write);
    stats_.queued = queued_.size();
    while (!write.done) {
      if (!group_running_) {
        group_running_ = true;
        const auto count = std::min(queued_.size(), kMaxGroup);
        std::vector<GroupedWrite*> group(queued_.begin(), queued_.begin() + count);
        queued_.erase(queued_.begin(), queued_.begin() + count);
        for (auto* member : group) member->taken = true;
        ++stats_.groups;
        stats_.writes += count;
        stats_.queued = queued_.size();
        lock.unlock();
        CommitGroup(group);
        lock.lock();
        group_running_ = false;
        for (auto* member : group) member->done = true;
        group_done_.notify_all();
        continue;
      }
      if (write.taken) {
        group_done_.wait(lock);
      } else if (group_done_.wait_until(lock, deadline) == std::cv_status::timeout &&
                 !write.taken && group_running_) {
        std::erase(queued_, &write);
        stats_.queued = queued_.size();
        throw domain::UnavailableError("database busy: no turn to write within the busy timeout");
      }
    }
    if (write.error) std::rethrow_exception(write.error);
  }

  // Runs the group's writes in one transaction and records each one's error, if any. Called
  // without group_mutex_; the members' callers are waiting and do not touch them meanwhile.
  void CommitGroup(const std::vector<GroupedWrite*>& group) {
    auto fail_uncommitted = [&](const std::exception_ptr& error) {
      for (auto* member : group) {
        if (!member->error) member->error = error;
      }
    };
    try {
      Lease lease(pool_);
      soci::session& session = lease.session();
      try {
        lease.Run(dialect_.BeginWrite());
      } catch (const soci::soci_error& e) {
        fail_uncommitted(Translated(dialect_, e));
        return;
      }
      const Dialect dialect = dialect_.InTransaction(false);
      bool transaction_lost = false;
      for (auto* member : group) {
        try {
          lease.Run("SAVEPOINT grouped_write");
          SqlStore store({session, lease.statements(), nullptr}, dialect);
          if (!(*member->work)(store)) session << "ROLLBACK TO grouped_write";
          lease.Run("RELEASE grouped_write");
        } catch (const soci::soci_error& e) {
          member->error = Translated(dialect_, e);
        } catch (...) {
          member->error = std::current_exception();
        }
        if (member->error && !UndoGroupedWrite(session)) {
          // SQLite rolled back the whole transaction (an I/O error, a full disk): the writes
          // before this one are gone too, and none after it may run outside a transaction.
          transaction_lost = true;
          break;
        }
      }
      if (transaction_lost) {
        RollbackQuietly(session);
        fail_uncommitted(std::make_exception_ptr(
            domain::UnavailableError("database write failed; the transaction was rolled back")));
        return;
      }
      try {
        lease.Run("COMMIT");
      } catch (const soci::soci_error& e) {
        RollbackQuietly(session);
        fail_uncommitted(Translated(dialect_, e));
      }
    } catch (...) {
      fail_uncommitted(std::current_exception());  // no connection within the wait
    }
  }

  // Rolls back the savepoint of a write that failed. False when the transaction is gone.
  static bool UndoGroupedWrite(soci::session& session) {
    try {
      session << "ROLLBACK TO grouped_write";
      session << "RELEASE grouped_write";
      return true;
    } catch (const soci::soci_error&) {
      return false;
    }
  }

  // Writes per group: bounds how long the first of them waits for the group's commit.
  static constexpr std::size_t kMaxGroup = 64;

  Dialect dialect_;
  SessionPool pool_;
  std::chrono::milliseconds wait_;
  bool single_writer_;
  bool implicit_write_begin_;
  std::unique_ptr<SessionPool> reads_;  // MySQL: see Sessions::reads
  mutable std::mutex group_mutex_;
  std::condition_variable group_done_;
  std::vector<GroupedWrite*> queued_;
  bool group_running_ = false;
  WriteGroupStats stats_;
};

// Applies the migrations not yet recorded, each between BEGIN and COMMIT (atomic on SQLite; on
// MySQL each DDL statement commits implicitly).
int Migrate(soci::session& session, const Dialect& dialect, std::span<const Migration> migrations) {
  try {
    session << kCreateMigrationsTable;
    int applied = 0;
    for (const Migration& m : migrations) {
      session << dialect.BeginWrite();
      try {
        int version = m.version;
        long long present = 0;
        session << kCountMigration, soci::use(version, "v"), soci::into(present);
        if (present > 0) {
          session << "COMMIT";
          continue;
        }
        for (const auto& statement : SplitStatements(m.sql)) session << statement;
        std::int64_t at = sql::ToMs(
            std::chrono::time_point_cast<domain::Duration>(std::chrono::system_clock::now()));
        session << kRecordMigration, soci::use(version, "v"), soci::use(at, "at");
        session << "COMMIT";
        ++applied;
      } catch (...) {
        RollbackQuietly(session);
        throw;
      }
    }
    return applied;
  } catch (const soci::soci_error& e) {
    if (dialect.IsBusy(e)) RethrowTranslated(dialect, e);
    throw std::runtime_error(std::string("migration failed: ") + e.what());
  }
}

constexpr std::size_t kMaxLockNameLength = 64;

// A value for SOCI's "key=value ..." connection string, quoted so spaces and quotes survive.
std::string QuoteConnectValue(std::string_view value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\\' || c == '\'') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('\'');
  return out;
}

// The database named by a MySQL URL.
std::string DatabaseOf(const MysqlSettings& settings) {
  auto parsed = boost::urls::parse_uri(settings.url);
  if (!parsed) throw std::invalid_argument("malformed MySQL URL: " + parsed.error().message());
  std::string database = parsed->path();
  if (!database.empty() && database.front() == '/') database.erase(0, 1);
  if (database.empty() || database.find('/') != std::string::npos) {
    throw std::invalid_argument("MySQL URL must name one database: mysql://host:port/database");
  }
  return database;
}

// mysql://user:password@host:port/database, percent-decoded; port 3306 when absent.
std::string MysqlConnectString(const MysqlSettings& settings) {
  auto parsed = boost::urls::parse_uri(settings.url);
  if (!parsed) throw std::invalid_argument("malformed MySQL URL: " + parsed.error().message());
  const boost::urls::url_view& url = *parsed;
  if (url.scheme() != "mysql" && url.scheme() != "mariadb") {
    throw std::invalid_argument("MySQL URL must start with mysql://");
  }
  if (!url.has_authority() || url.host().empty()) {
    throw std::invalid_argument("MySQL URL has no host");
  }
  const std::string database = DatabaseOf(settings);
  std::string out = "host=" + QuoteConnectValue(url.host());
  out += " port=" + (url.has_port() ? std::string(url.port()) : std::string("3306"));
  out += " dbname=" + QuoteConnectValue(database);
  if (url.has_userinfo()) out += " user=" + QuoteConnectValue(url.user());
  if (url.has_password()) out += " password=" + QuoteConnectValue(url.password());
  out += " charset=utf8mb4";
  out += " connect_timeout=" + std::to_string(settings.connect_timeout_seconds);
  return out;
}

// Write sessions run with autocommit off (Sessions::implicit_write_begin). Every statement on
// them runs inside Execute, which ends each transaction with COMMIT or ROLLBACK, or is Ping's
// SELECT 1, which reads no table. Read sessions keep autocommit on and refuse writes.
constexpr const char* kWriteSession = "SET SESSION autocommit = 0";
constexpr const char* kReadSession =
    "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY";

// Write sessions also take several statements per query, for the writes a transaction holds
// back and sends with its COMMIT (sql::DeferredWrites, ADR 0016).
void SetUpWriteSession(soci::session& session) {
  session << kWriteSession;
  MYSQL* connection = MysqlConnection(session);
  if (mysql_set_server_option(connection, MYSQL_OPTION_MULTI_STATEMENTS_ON) != 0) {
    throw soci::mysql_soci_error(mysql_error(connection),
                                 static_cast<int>(mysql_errno(connection)));
  }
}

void SetUpReadSession(soci::session& session) { session << kReadSession; }

// Set on every connection rather than trusted from the server configuration: the repositories
// are written for READ COMMITTED (see scripts/mariadb) and strict mode.
void ConfigureMysql(const MysqlSettings& settings, soci::session& session) {
  session << "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED";
  session << "SET SESSION innodb_lock_wait_timeout = " +
                 std::to_string(settings.lock_wait_timeout_seconds);
  session << "SET SESSION sql_mode = 'STRICT_TRANS_TABLES,NO_ZERO_DATE,"
             "NO_ENGINE_SUBSTITUTION,ERROR_FOR_DIVISION_BY_ZERO'";
}

std::string RedactedHost(const MysqlSettings& settings);

// With innodb_autoinc_lock_mode 0 or 1 ("traditional", "consecutive"; MariaDB's default), the
// rows of one INSERT ... VALUES (...), (...) get consecutive ids, auto_increment_increment
// apart, the first of them being LAST_INSERT_ID(). With 2 ("interleaved"; MySQL 8's default)
// they may not: 0, and such rows are inserted one at a time.
std::int64_t ConsecutiveInsertIdStep(const MysqlSettings& settings, soci::session& session) {
  long long lock_mode = 2;
  long long increment = 1;
  try {
    session << "SELECT @@innodb_autoinc_lock_mode, @@auto_increment_increment",
        soci::into(lock_mode), soci::into(increment);
  } catch (const soci::soci_error& e) {
    throw domain::UnavailableError("cannot read MySQL settings at " + RedactedHost(settings) +
                                   ": " + e.what());
  }
  return lock_mode == 2 || increment < 1 ? 0 : increment;
}

std::string RedactedHost(const MysqlSettings& settings) {
  auto parsed = boost::urls::parse_uri(settings.url);
  if (!parsed) return "?";
  return std::string(parsed->host()) +
         (parsed->has_port() ? ":" + std::string(parsed->port()) : "");
}

// Identifiers cannot be bound, so the name is restricted to characters needing no escaping.
std::string QuotedDatabaseName(const std::string& name) {
  const bool plain = !name.empty() && name.size() <= 64 &&
                     name.find_first_not_of(
                         "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                         "0123456789_") == std::string::npos;
  if (!plain) throw std::invalid_argument("invalid database name '" + name + "'");
  return "`" + name + "`";
}

std::unique_ptr<soci::session> ConnectMysql(const MysqlSettings& settings,
                                            const std::string& connect) {
  try {
    auto session = std::make_unique<soci::session>(soci::mysql, connect);
    ConfigureMysql(settings, *session);
    return session;
  } catch (const soci::soci_error& e) {
    throw domain::UnavailableError("cannot connect to MySQL at " + RedactedHost(settings) + ": " +
                                   e.what());
  }
}

}  // namespace

std::string MysqlMigrationLockName(const std::string& database) {
  std::string name = "boxoffice.migrate." + database;
  if (name.size() <= kMaxLockNameLength) return name;
  // Lock names are limited to 64 characters; a long database name is represented by its hash
  // (FNV-1a, stable across builds, unlike std::hash).
  std::uint64_t hash = 1469598103934665603ull;
  for (unsigned char c : database) hash = (hash ^ c) * 1099511628211ull;
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(hash));
  return "boxoffice.migrate.#" + std::string(hex);
}

std::unique_ptr<SqlDatabase> OpenSqlite(const SqliteSettings& settings) {
  EnsureParentDirectory(settings.path);
  Sessions sessions;
  const int size = settings.pool_size > 0 ? settings.pool_size : 1;
  for (int i = 0; i < size; ++i) sessions.main.push_back(ConnectSqlite(settings));
  sessions.statements = sql::StatementCache::Backend::kSqlite;
  return std::make_unique<PooledSqlDatabase>(Dialect(SqlBackend::kSqlite), std::move(sessions),
                                             std::chrono::milliseconds(settings.busy_timeout_ms),
                                             /*single_writer=*/true);
}

int MigrateSqlite(const SqliteSettings& settings) {
  EnsureParentDirectory(settings.path);
  auto session = ConnectSqlite(settings);
  return Migrate(*session, Dialect(SqlBackend::kSqlite), SqliteMigrations());
}

std::unique_ptr<SqlDatabase> OpenMysql(const MysqlSettings& settings) {
  const std::string connect = MysqlConnectString(settings);
  auto connect_all = [&](int count, void (*setup)(soci::session&),
                         std::vector<std::unique_ptr<soci::session>>& out) {
    for (int i = 0; i < std::max(count, 1); ++i) {
      out.push_back(ConnectMysql(settings, connect));
      try {
        setup(*out.back());
      } catch (const soci::soci_error& e) {
        throw domain::UnavailableError("cannot configure MySQL session at " +
                                       RedactedHost(settings) + ": " + e.what());
      }
    }
  };
  Sessions sessions;
  connect_all(settings.pool_size, SetUpWriteSession, sessions.main);
  connect_all(settings.read_pool_size, SetUpReadSession, sessions.reads);
  sessions.implicit_write_begin = true;
  if (settings.prepared_statements) sessions.statements = sql::StatementCache::Backend::kMysql;
  sessions.configure = [settings](soci::session& s) {
    ConfigureMysql(settings, s);
    SetUpWriteSession(s);
  };
  sessions.configure_reads = [settings](soci::session& s) {
    ConfigureMysql(settings, s);
    SetUpReadSession(s);
  };
  Dialect dialect(SqlBackend::kMysql);
  dialect.SetInsertIdStep(ConsecutiveInsertIdStep(settings, *sessions.reads.front()));
  return std::make_unique<PooledSqlDatabase>(dialect, std::move(sessions),
                                             std::chrono::milliseconds(settings.acquire_timeout_ms),
                                             /*single_writer=*/false);
}

int MigrateMysql(const MysqlSettings& settings) {
  auto session = ConnectMysql(settings, MysqlConnectString(settings));
  const Dialect dialect(SqlBackend::kMysql);
  // GET_LOCK is per connection and released when it closes, so a crashed migrator frees it.
  // The lock is server-wide, so it is named after the database: migrators of two databases on
  // one server must not wait for each other.
  const std::string lock_name = MysqlMigrationLockName(DatabaseOf(settings));
  int locked = 0;
  try {
    *session << "SELECT GET_LOCK(:name, :t)", soci::use(lock_name, "name"),
        soci::use(settings.migration_lock_seconds, "t"), soci::into(locked);
  } catch (const soci::soci_error& e) {
    throw std::runtime_error(std::string("migration lock failed: ") + e.what());
  }
  if (locked != 1) throw domain::UnavailableError("another instance is migrating the database");
  return Migrate(*session, dialect, MysqlMigrations());
}

void RecreateMysqlDatabase(const MysqlSettings& settings, const std::string& name) {
  const std::string quoted = QuotedDatabaseName(name);
  auto session = ConnectMysql(settings, MysqlConnectString(settings));
  *session << "DROP DATABASE IF EXISTS " + quoted;
  *session << "CREATE DATABASE " + quoted + " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci";
}

void DropMysqlDatabase(const MysqlSettings& settings, const std::string& name) {
  const std::string quoted = QuotedDatabaseName(name);
  auto session = ConnectMysql(settings, MysqlConnectString(settings));
  *session << "DROP DATABASE IF EXISTS " + quoted;
}

}  // namespace boxoffice::infra
