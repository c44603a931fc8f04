#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "domain/ports/store.hpp"

namespace boxoffice::infra {

struct SqliteSettings {
  std::string path;              // database file; created when missing
  int pool_size = 8;             // connections kept open
  int busy_timeout_ms = 5000;    // wait for the write lock before answering 503
  bool synchronous_full = true;  // FULL: a confirmed payment survives power loss
};

struct MysqlSettings {
  std::string url;                    // mysql://user:password@host:port/database
  int pool_size = 16;                 // connections kept open for write transactions
  int read_pool_size = 4;             // and for reads, apart
  int connect_timeout_seconds = 5;    // per connection attempt
  int lock_wait_timeout_seconds = 5;  // innodb_lock_wait_timeout: a longer wait answers 503
  int acquire_timeout_ms = 5000;      // wait for a free pooled connection before answering 503
  int migration_lock_seconds = 60;    // MigrateMysql waits this long for another migrator
  bool prepared_statements = true;    // prepare on the server, once per connection (ADR 0020)
};

// The SQL implementation of domain::Database over a SOCI connection pool. One implementation
// serves SQLite and MySQL; the differences live in dialect.hpp.
class SqlDatabase : public domain::Database {
 public:
  // True when a connection answers a trivial query.
  virtual bool Ping() = 0;

  // SQLite commits this process's write transactions in groups (ADR 0012): how many groups
  // have run, how many writes they held, and how many writes are queued for the next one.
  // All zero on MySQL, whose writers commit on their own.
  struct WriteGroupStats {
    std::uint64_t groups = 0;
    std::uint64_t writes = 0;
    std::size_t queued = 0;
  };
  virtual WriteGroupStats WriteGroups() const { return {}; }
};

// Opens the pool and sets the per-connection pragmas (WAL, synchronous, busy_timeout,
// foreign_keys). Throws std::runtime_error with a clear message when the file cannot be opened.
std::unique_ptr<SqlDatabase> OpenSqlite(const SqliteSettings& settings);

// Applies the migrations not yet recorded in schema_migrations, in version order, each in its
// own transaction. Returns how many were applied. Idempotent.
int MigrateSqlite(const SqliteSettings& settings);

// Opens the pool and sets the per-connection session (READ COMMITTED, lock wait timeout, strict
// sql_mode, utf8mb4). Throws std::invalid_argument for a malformed URL and
// domain::UnavailableError when the server cannot be reached.
std::unique_ptr<SqlDatabase> OpenMysql(const MysqlSettings& settings);

// As MigrateSqlite. MySQL commits DDL implicitly, so a migration is not atomic there; concurrent
// migrators (instances starting together) are serialised with a named server lock.
int MigrateMysql(const MysqlSettings& settings);

// The name of the server-wide lock (GET_LOCK) that serialises migrators of `database`: distinct
// per database, so migrations of two databases on one server never wait for each other.
std::string MysqlMigrationLockName(const std::string& database);

// Drops and creates database `name` (letters, digits, '_') on the server of settings.url, with
// utf8mb4; for tests and tools that need a fresh schema. DropMysqlDatabase drops it if present.
void RecreateMysqlDatabase(const MysqlSettings& settings, const std::string& name);
void DropMysqlDatabase(const MysqlSettings& settings, const std::string& name);

}  // namespace boxoffice::infra
