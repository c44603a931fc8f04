#include <soci/soci.h>

#include "infrastructure/sql/sql_repositories.hpp"
#include "infrastructure/sql/sql_util.hpp"

namespace boxoffice::infra {
namespace {

// Both run with Dialect::InsertUnlessDuplicate: an existing key inserts nothing.
constexpr const char* kStoreRecord =
    "INSERT INTO idempotency_key (user_id, scope, idem_key, request_hash, completed, status, body, "
    "created_at) VALUES (:user, :scope, :key, :hash, :completed, :status, :body, :now)";
constexpr const char* kInsertRecord =
    "INSERT INTO idempotency_key (user_id, scope, idem_key, request_hash, completed, status, body, "
    "created_at) VALUES (:user, :scope, :key, :hash, 0, 0, '', :now)";
constexpr const char* kSelectRecord =
    "SELECT request_hash, completed, status, body, created_at FROM idempotency_key "
    "WHERE user_id = :user AND scope = :scope AND idem_key = :key";
constexpr const char* kCompleteRecord =
    "UPDATE idempotency_key SET completed = 1, status = :status, body = :body "
    "WHERE user_id = :user AND scope = :scope AND idem_key = :key";
constexpr const char* kDeleteRecord =
    "DELETE FROM idempotency_key WHERE user_id = :user AND scope = :scope AND idem_key = :key";
constexpr const char* kPurgeRecords = "DELETE FROM idempotency_key WHERE created_at < :cutoff";

}  // namespace

bool SqlIdempotencyRepository::TryStore(domain::UserId user, const std::string& scope,
                                        const std::string& key,
                                        const domain::IdempotencyRecord& record) {
  const int completed = record.completed ? 1 : 0;
  const std::int64_t at = sql::ToMs(record.created_at);
  soci::statement st =
      (session_.prepare << kStoreRecord, soci::use(user.value, "user"), soci::use(scope, "scope"),
       soci::use(key, "key"), soci::use(record.request_hash, "hash"),
       soci::use(completed, "completed"), soci::use(record.status, "status"),
       soci::use(record.body, "body"), soci::use(at, "now"));
  return dialect_.InsertUnlessDuplicate(st);
}

bool SqlIdempotencyRepository::TryBegin(domain::UserId user, const std::string& scope,
                                        const std::string& key, const std::string& request_hash,
                                        domain::Instant now) {
  const std::int64_t at = sql::ToMs(now);
  soci::statement st =
      (session_.prepare << kInsertRecord, soci::use(user.value, "user"), soci::use(scope, "scope"),
       soci::use(key, "key"), soci::use(request_hash, "hash"), soci::use(at, "now"));
  return dialect_.InsertUnlessDuplicate(st);
}

std::optional<domain::IdempotencyRecord> SqlIdempotencyRepository::Find(domain::UserId user,
                                                                        const std::string& scope,
                                                                        const std::string& key) {
  domain::IdempotencyRecord record;
  int completed = 0;
  std::int64_t created = 0;
  session_ << kSelectRecord, soci::use(user.value, "user"), soci::use(scope, "scope"),
      soci::use(key, "key"), soci::into(record.request_hash), soci::into(completed),
      soci::into(record.status), soci::into(record.body), soci::into(created);
  if (!session_.got_data()) return std::nullopt;
  record.completed = completed != 0;
  record.created_at = sql::FromMs(created);
  return record;
}

void SqlIdempotencyRepository::Complete(domain::UserId user, const std::string& scope,
                                        const std::string& key, int status,
                                        const std::string& body) {
  session_ << kCompleteRecord, soci::use(status, "status"), soci::use(body, "body"),
      soci::use(user.value, "user"), soci::use(scope, "scope"), soci::use(key, "key");
}

void SqlIdempotencyRepository::Forget(domain::UserId user, const std::string& scope,
                                      const std::string& key) {
  session_ << kDeleteRecord, soci::use(user.value, "user"), soci::use(scope, "scope"),
      soci::use(key, "key");
}

int SqlIdempotencyRepository::Purge(domain::Instant cutoff) {
  const std::int64_t at = sql::ToMs(cutoff);
  soci::statement st = (session_.prepare << kPurgeRecords, soci::use(at, "cutoff"));
  st.execute(true);
  return static_cast<int>(st.get_affected_rows());
}

}  // namespace boxoffice::infra
