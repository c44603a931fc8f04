#pragma once

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

// The SQL implementation of domain::Database over a SOCI connection pool. One implementation
// serves SQLite and MySQL; the differences live in dialect.hpp.
class SqlDatabase : public domain::Database {
 public:
  // True when a connection answers a trivial query.
  virtual bool Ping() = 0;
};

// Opens the pool and sets the per-connection pragmas (WAL, synchronous, busy_timeout,
// foreign_keys). Throws std::runtime_error with a clear message when the file cannot be opened.
std::unique_ptr<SqlDatabase> OpenSqlite(const SqliteSettings& settings);

// Applies the migrations not yet recorded in schema_migrations, in version order, each in its
// own transaction. Returns how many were applied. Idempotent.
int MigrateSqlite(const SqliteSettings& settings);

}  // namespace boxoffice::infra
