#include "infrastructure/sql/statement_cache.hpp"

#include <soci/mysql/soci-mysql.h>
#include <soci/sqlite3/soci-sqlite3.h>
#include <sqlite3.h>

namespace boxoffice::infra::sql {

StatementCache::Entry* StatementCache::Lend(soci::session& session, const std::string& sql) {
  if (backend_ == Backend::kMysql) return LendMysql(session, sql);
  auto it = entries_.find(sql);
  if (it == entries_.end()) {
    if (entries_.size() >= kCapacity) return nullptr;
    Entry entry;
    entry.statement = std::make_unique<soci::statement>(session);
    entry.statement->alloc();
    entry.statement->prepare(sql);  // throws on a bad statement: nothing is kept
    ++prepared_;
    it = entries_.emplace(sql, std::move(entry)).first;
  }
  if (it->second.lent) return nullptr;
  it->second.lent = true;
  return &it->second;
}

StatementCache::Entry* StatementCache::LendMysql(soci::session& session, const std::string& sql) {
  auto it = entries_.find(sql);
  if (it == entries_.end()) {
    if (server_full_ || text_only_.contains(sql)) return nullptr;
    if (entries_.size() >= kMysqlCapacity && !EvictMysql()) return nullptr;
    MysqlPrepared::Refusal refusal{};
    Entry entry;
    entry.mysql = MysqlPrepared::Prepare(
        static_cast<soci::mysql_session_backend*>(session.get_backend())->conn_, sql, refusal);
    if (!entry.mysql) {
      if (refusal == MysqlPrepared::Refusal::kServerFull) {
        server_full_ = true;
      } else if (text_only_.size() < kTextOnlyCapacity) {
        text_only_.insert(sql);
      }
      return nullptr;
    }
    ++prepared_;
    recent_.push_front(sql);
    entry.recent = recent_.begin();
    it = entries_.emplace(sql, std::move(entry)).first;
  } else {
    recent_.splice(recent_.begin(), recent_, it->second.recent);
  }
  if (it->second.lent) return nullptr;
  it->second.lent = true;
  return &it->second;
}

bool StatementCache::EvictMysql() {
  for (auto text = recent_.rbegin(); text != recent_.rend(); ++text) {
    auto it = entries_.find(*text);
    if (it->second.lent) continue;
    recent_.erase(it->second.recent);
    entries_.erase(it);  // closes the statement on the server
    return true;
  }
  return false;
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
