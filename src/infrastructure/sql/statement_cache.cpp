#include "infrastructure/sql/statement_cache.hpp"

#include <soci/mysql/soci-mysql.h>
#include <soci/sqlite3/soci-sqlite3.h>
#include <sqlite3.h>

namespace boxoffice::infra::sql {

StatementCache::Entry* StatementCache::Lend(soci::session& session, const std::string& sql) {
  auto it = entries_.find(sql);
  if (it == entries_.end()) {
    Entry entry;
    if (backend_ == Backend::kMysql) {
      if (server_full_ || entries_.size() >= kMysqlCapacity) return nullptr;
      entry.mysql = MysqlPrepared::Prepare(
          static_cast<soci::mysql_session_backend*>(session.get_backend())->conn_, sql);
      if (!entry.mysql) {
        server_full_ = true;
        return nullptr;
      }
    } else {
      if (entries_.size() >= kCapacity) return nullptr;
      entry.statement = std::make_unique<soci::statement>(session);
      entry.statement->alloc();
      entry.statement->prepare(sql);  // throws on a bad statement: nothing is kept
    }
    ++prepared_;
    it = entries_.emplace(sql, std::move(entry)).first;
  }
  if (it->second.lent) return nullptr;
  it->second.lent = true;
  return &it->second;
}

void StatementCache::Return(Entry& entry) {
  entry.lent = false;
  if (entry.mysql) {
    entry.mysql->Finish();
    return;
  }
  soci::statement& statement = *entry.statement;
  statement.bind_clean_up();
  // A single-row read leaves SQLite's statement on its row, still reading the snapshot it
  // started; the reset ends that read (its result, an earlier step's error, is not needed).
  sqlite3_reset(static_cast<soci::sqlite3_statement_backend*>(statement.get_backend())->stmt_);
}

Statement::Statement(soci::session& session, StatementCache* cache, const std::string& sql)
    : lent_(cache ? cache->Lend(session, sql) : nullptr), statement_(nullptr), mysql_(nullptr) {
  if (lent_ && lent_->mysql) {
    mysql_ = lent_->mysql.get();
  } else if (lent_) {
    statement_ = lent_->statement.get();
  } else {
    own_.emplace(session);
    own_->alloc();
    own_->prepare(sql);
    statement_ = &*own_;
  }
}

Statement::~Statement() {
  if (lent_) StatementCache::Return(*lent_);
}

bool Statement::Execute(bool exchange_data) {
  if (mysql_) return mysql_->Execute(exchange_data);
  if (!bound_) {
    statement_->define_and_bind();
    bound_ = true;
  }
  return statement_->execute(exchange_data);
}

}  // namespace boxoffice::infra::sql
