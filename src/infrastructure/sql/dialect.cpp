#include "infrastructure/sql/dialect.hpp"

#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>
#include <sqlite3.h>

namespace boxoffice::infra {
namespace {

bool Contains(const soci::soci_error& error, std::string_view needle) {
  return std::string_view(error.what()).find(needle) != std::string_view::npos;
}

int SqliteResult(const soci::soci_error& error) {
  const auto* e = dynamic_cast<const soci::sqlite3_soci_error*>(&error);
  return e != nullptr ? e->result() : SQLITE_OK;
}

}  // namespace

std::string_view Dialect::BeginWrite() const {
  return backend_ == SqlBackend::kSqlite ? "BEGIN IMMEDIATE" : "START TRANSACTION";
}

std::string_view Dialect::BeginRead() const {
  return backend_ == SqlBackend::kSqlite ? "BEGIN" : "START TRANSACTION READ ONLY";
}

std::string_view Dialect::InsertIgnore() const {
  return backend_ == SqlBackend::kSqlite ? "INSERT OR IGNORE" : "INSERT IGNORE";
}

std::string_view Dialect::SkipLockedSuffix() const {
  return backend_ == SqlBackend::kSqlite ? "" : " FOR UPDATE SKIP LOCKED";
}

bool Dialect::IsUniqueViolation(const soci::soci_error& error) const {
  if (backend_ == SqlBackend::kSqlite) {
    return (SqliteResult(error) & 0xff) == SQLITE_CONSTRAINT &&
           Contains(error, "UNIQUE constraint failed");
  }
  // ER_DUP_ENTRY (1062); the MySQL backend is not linked yet, so match its message.
  return Contains(error, "Duplicate entry");
}

bool Dialect::IsBusy(const soci::soci_error& error) const {
  if (backend_ == SqlBackend::kSqlite) {
    const int primary = SqliteResult(error) & 0xff;
    return primary == SQLITE_BUSY || primary == SQLITE_LOCKED ||
           Contains(error, "database is locked") || Contains(error, "database table is locked");
  }
  // ER_LOCK_WAIT_TIMEOUT (1205) and ER_LOCK_DEADLOCK (1213).
  return Contains(error, "Lock wait timeout") || Contains(error, "Deadlock found");
}

std::int64_t Dialect::LastInsertId(soci::session& session) const {
  long long id = 0;
  session << (backend_ == SqlBackend::kSqlite ? "SELECT last_insert_rowid()"
                                              : "SELECT LAST_INSERT_ID()"),
      soci::into(id);
  return id;
}

}  // namespace boxoffice::infra
