#include "infrastructure/sql/dialect.hpp"

#include <errmsg.h>
#include <mysqld_error.h>
#include <soci/mysql/soci-mysql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>
#include <sqlite3.h>

#include "infrastructure/sql/statement_cache.hpp"

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

// Error numbers not defined by both client libraries' headers (MySQL 8 and MariaDB).
constexpr unsigned kMysqlLockNowait = 3572;                // ER_LOCK_NOWAIT (MySQL 8)
constexpr unsigned kMysqlClientInteractionTimeout = 4031;  // MySQL 8.0.24+: idle past wait_timeout
constexpr unsigned kServerLostExtended = 2055;             // CR_SERVER_LOST_EXTENDED
constexpr unsigned kConnectionKilled = 1927;               // ER_CONNECTION_KILLED (MariaDB)

}  // namespace

std::string_view Dialect::BeginWrite() const {
  return backend_ == SqlBackend::kSqlite ? "BEGIN IMMEDIATE" : "START TRANSACTION";
}

std::string_view Dialect::BeginRead() const {
  return backend_ == SqlBackend::kSqlite ? "BEGIN" : "START TRANSACTION WITH CONSISTENT SNAPSHOT";
}

bool Dialect::InsertUnlessDuplicate(sql::Statement& insert) const {
  try {
    insert.Execute();
  } catch (const soci::soci_error& e) {
    if (IsUniqueViolation(e)) return false;
    throw;
  }
  return insert.AffectedRows() > 0;
}

std::string_view Dialect::SkipLockedSuffix() const {
  return backend_ == SqlBackend::kSqlite ? "" : " FOR UPDATE SKIP LOCKED";
}

std::string_view Dialect::ForUpdateSuffix() const {
  return backend_ == SqlBackend::kSqlite || read_only_ ? "" : " FOR UPDATE";
}

std::string_view Dialect::ForUpdateNowaitSuffix() const {
  return backend_ == SqlBackend::kSqlite || read_only_ ? "" : " FOR UPDATE NOWAIT";
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
  return IsDeadlock(error) || IsLockWaitTimeout(error) || IsLockNotAvailable(error) ||
         IsConnectionLost(error);
}

bool Dialect::IsDeadlock(const soci::soci_error& error) const {
  return backend_ == SqlBackend::kMysql && MysqlErrorNumber(error) == ER_LOCK_DEADLOCK;
}

bool Dialect::IsLockWaitTimeout(const soci::soci_error& error) const {
  return backend_ == SqlBackend::kMysql && MysqlErrorNumber(error) == ER_LOCK_WAIT_TIMEOUT;
}

bool Dialect::IsLockNotAvailable(const soci::soci_error& error) const {
  if (backend_ == SqlBackend::kSqlite) return false;
  const unsigned code = MysqlErrorNumber(error);
  return code == kMysqlLockNowait || code == ER_LOCK_WAIT_TIMEOUT;
}

bool Dialect::IsConnectionLost(const soci::soci_error& error) const {
  if (backend_ == SqlBackend::kSqlite) return false;
  switch (MysqlErrorNumber(error)) {
    case CR_CONNECTION_ERROR:   // 2002: cannot reach the socket (reconnecting to a stopped server)
    case CR_CONN_HOST_ERROR:    // 2003: cannot reach host:port
    case CR_SERVER_GONE_ERROR:  // 2006: the server closed the idle connection (restart, kill)
    case CR_SERVER_LOST:        // 2013: lost during a query
    case kServerLostExtended:   // 2055
    case kMysqlClientInteractionTimeout:  // 4031
    case ER_SERVER_SHUTDOWN:              // 1053: the server is shutting down
    case kConnectionKilled:               // 1927: KILL CONNECTION from another session
      return true;
    default:
      return error.get_error_category() == soci::soci_error::connection_error;
  }
}

std::int64_t Dialect::LastInsertId(soci::session& session) const {
  long long id = 0;
  // Both backends keep the id on the client side of the connection (mysql_insert_id,
  // sqlite3_last_insert_rowid): no round trip. The query is the fallback for a backend that
  // does not say.
  if (session.get_last_insert_id("", id) && id > 0) return id;
  session << (backend_ == SqlBackend::kSqlite ? "SELECT last_insert_rowid()"
                                              : "SELECT LAST_INSERT_ID()"),
      soci::into(id);
  return id;
}

}  // namespace boxoffice::infra
