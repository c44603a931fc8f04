#include "infrastructure/sql/dialect.hpp"

#include <mysqld_error.h>
#include <soci/mysql/soci-mysql.h>
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

// The server or client error number, 0 when the error did not come from the MySQL backend.
unsigned MysqlErrorNumber(const soci::soci_error& error) {
  const auto* e = dynamic_cast<const soci::mysql_soci_error*>(&error);
  return e != nullptr ? e->err_num_ : 0;
}

}  // namespace

std::string_view Dialect::BeginWrite() const {
  return backend_ == SqlBackend::kSqlite ? "BEGIN IMMEDIATE" : "START TRANSACTION";
}

std::string_view Dialect::BeforeRead() const {
  // Applies to the next transaction only; the session level stays READ COMMITTED.
  return backend_ == SqlBackend::kSqlite ? "" : "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ";
}

std::string_view Dialect::BeginRead() const {
  return backend_ == SqlBackend::kSqlite ? "BEGIN"
                                         : "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY";
}

std::string_view Dialect::InsertIgnore() const {
  return backend_ == SqlBackend::kSqlite ? "INSERT OR IGNORE" : "INSERT IGNORE";
}

std::string_view Dialect::SkipLockedSuffix() const {
  return backend_ == SqlBackend::kSqlite ? "" : " FOR UPDATE SKIP LOCKED";
}

std::string_view Dialect::ForUpdateSuffix() const {
  return backend_ == SqlBackend::kSqlite || read_only_ ? "" : " FOR UPDATE";
}

bool Dialect::IsUniqueViolation(const soci::soci_error& error) const {
  if (backend_ == SqlBackend::kSqlite) {
    return (SqliteResult(error) & 0xff) == SQLITE_CONSTRAINT &&
           Contains(error, "UNIQUE constraint failed");
  }
  return MysqlErrorNumber(error) == ER_DUP_ENTRY;
}

bool Dialect::IsBusy(const soci::soci_error& error) const {
  if (backend_ == SqlBackend::kSqlite) {
    const int primary = SqliteResult(error) & 0xff;
    return primary == SQLITE_BUSY || primary == SQLITE_LOCKED ||
           Contains(error, "database is locked") || Contains(error, "database table is locked");
  }
  const unsigned code = MysqlErrorNumber(error);
  return code == ER_LOCK_WAIT_TIMEOUT || code == ER_LOCK_DEADLOCK || IsConnectionLost(error);
}

bool Dialect::IsConnectionLost(const soci::soci_error& error) const {
  if (backend_ == SqlBackend::kSqlite) return false;
  const unsigned code = MysqlErrorNumber(error);
  return code == CR_SERVER_GONE_ERROR || code == CR_SERVER_LOST || code == CR_CONNECTION_ERROR ||
         code == CR_CONN_HOST_ERROR ||
         error.get_error_category() == soci::soci_error::connection_error;
}

std::int64_t Dialect::LastInsertId(soci::session& session) const {
  long long id = 0;
  session << (backend_ == SqlBackend::kSqlite ? "SELECT last_insert_rowid()"
                                              : "SELECT LAST_INSERT_ID()"),
      soci::into(id);
  return id;
}

}  // namespace boxoffice::infra
