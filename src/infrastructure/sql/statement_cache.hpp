#pragma once

#include <soci/soci.h>

#include <cstddef>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "infrastructure/sql/mysql_prepared.hpp"

namespace boxoffice::infra::sql {

// The prepared statements of one connection, kept from one transaction to the next.
// SQLite (ADR 0014): SOCI prepares a statement each time one is built, and on SQLite preparing
// (parsing and planning) costs more than running most of this server's statements: it was a
// fifth of the embedded server's CPU in a rush.
// MySQL (ADR 0020): SOCI's MySQL backend prepares on the client only (it splits the text at its
// placeholders and sends the whole text each time), so the cache prepares on the server itself
// (MysqlPrepared). The server counts prepared statements across all connections
// (max_prepared_stmt_count), so a MySQL connection keeps fewer, and past its capacity closes the
// one it lent least recently. A statement the server will not prepare runs as text.
//
// A statement is lent to one user at a time (sql::Statement); a second user of the same text
// while the first still holds it gets a statement of its own (SOCI's), as does any statement past
// the SQLite capacity. Not thread-safe: a connection serves one transaction at a time.
class StatementCache {
 public:
  enum class Backend { kSqlite, kMysql };
  static constexpr std::size_t kCapacity = 256;
  static constexpr std::size_t kMysqlCapacity = 64;

  explicit StatementCache(Backend backend = Backend::kSqlite) : backend_(backend) {}
  StatementCache(const StatementCache&) = delete;
  StatementCache& operator=(const StatementCache&) = delete;

  struct Entry {
    std::unique_ptr<soci::statement> statement;  // SQLite
    std::unique_ptr<MysqlPrepared> mysql;        // MySQL
    bool lent = false;
    std::list<std::string>::iterator recent;  // MySQL: the entry's place in recent_
  };

  // The prepared statement for `sql`, or nullptr when the caller should prepare its own.
  Entry* Lend(soci::session& session, const std::string& sql);
  // Takes back what Lend gave: the bindings are dropped and the statement is reset (SQLite) or
  // its unread rows dropped (MySQL), so no read it started stays open past the transaction.
  static void Return(Entry& entry);
  // Finalises every statement; call before the session reconnects (the statements refer to
  // the session's backend) and before the session is destroyed.
  void Clear() {
    entries_.clear();
    recent_.clear();
    text_only_.clear();
    server_full_ = false;
  }

  std::size_t size() const { return entries_.size(); }
  // Statements prepared since the cache was made (a hit prepares nothing).
  std::size_t prepared() const { return prepared_; }

 private:
  // The statements MySQL will not prepare that are remembered, at most (the rest are asked again).
  static constexpr std::size_t kTextOnlyCapacity = 256;

  Entry* LendMysql(soci::session& session, const std::string& sql);
  // MySQL at its capacity: closes the statement lent least recently that is not lent now. False
  // when every statement is lent.
  bool EvictMysql();

  Backend backend_;
  std::unordered_map<std::string, Entry> entries_;
  std::list<std::string> recent_;  // MySQL: the entries' texts, lent most recently first
  std::unordered_set<std::string> text_only_;  // MySQL: texts the server would not prepare
  std::size_t prepared_ = 0;
  bool server_full_ = false;  // MySQL refused a statement for its server-wide limit: stop asking
};

// One statement run by a repository: taken from the connection's cache when it has one and
// prepared here otherwise; given back when this object ends. Bind the use and into elements,
// then Execute (and Fetch for more rows), as with soci::statement.
class Statement {
 public:
  Statement(soci::session& session, StatementCache* cache, const std::string& sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Adds use and into elements (soci::use, soci::into), in any order.
  template <class... Elements>
  Statement& Bind(Elements&&... elements) {
    if (mysql_) {
      (mysql_->Bind(elements), ...);
    } else {
      (statement_->exchange(std::forward<Elements>(elements)), ...);
    }
    return *this;
  }
  // Runs the statement; with `exchange_data`, fetches the first row into the into elements.
  // True when a row was fetched.
  bool Execute(bool exchange_data = true);
  // The next row into the into elements; false when there is none.
  bool Fetch() { return mysql_ ? mysql_->Fetch() : statement_->fetch(); }
  long long AffectedRows() {
    return mysql_ ? mysql_->AffectedRows() : statement_->get_affected_rows();
  }
  // True when the statement was prepared on a MySQL server (binary results), false when SOCI
  // runs it (SQLite, or MySQL text).
  bool PreparedOnMysql() const { return mysql_ != nullptr; }

 private:
  StatementCache::Entry* lent_;         // null when this statement is not the cache's
  std::optional<soci::statement> own_;  // the statement when the cache did not lend one
  soci::statement* statement_;          // SOCI's statement, or null for a MySQL prepared one
  MysqlPrepared* mysql_;                // the lent MySQL prepared statement, or null
  bool bound_ = false;
};

}  // namespace boxoffice::infra::sql
