#include <soci/soci.h>

#include "domain/errors.hpp"
#include "infrastructure/sql/sql_repositories.hpp"
#include "infrastructure/sql/sql_util.hpp"

namespace boxoffice::infra {
namespace {

// An existing key inserts nothing: TryStore runs it with Dialect::InsertUnlessDuplicate, and
// StoreLast reports it as domain::DuplicateRecordError.
constexpr const char* kStoreRecord =
    "INSERT INTO idempotency_key (user_id, scope, idem_key, request_hash, completed, status, body, "
    "created_at) VALUES (:user, :scope, :key, :hash, :completed, :status, :body, :now)";
constexpr const char* kSelectRecord =
    "SELECT request_hash, completed, status, body, created_at FROM idempotency_key "
    "WHERE user_id = :user AND scope = :scope AND idem_key = :key";
// Conditional on the row still being in flight and old: on MySQL a repeat that read the
// abandoned record before a concurrent repeat took it over must not delete the completed record
// that replaced it (the delete reads the latest committed row).
constexpr const char* kDropAbandoned =
    "DELETE FROM idempotency_key WHERE user_id = :user AND scope = :scope AND idem_key = :key "
    "AND completed = 0 AND created_at < :cutoff";
constexpr const char* kPurgeRecords = "DELETE FROM idempotency_key WHERE created_at < :cutoff";

// The values of kStoreRecord.
sql::Params RecordParams(domain::UserId user, const std::string& scope, const std::string& key,
                         const domain::IdempotencyRecord& record) {
  return {{"user", user.value},
          {"scope", scope},
          {"key", key},
          {"hash", record.request_hash},
          {"completed", std::int64_t{record.completed ? 1 : 0}},
          {"status", std::int64_t{record.status}},
          {"body", record.body},
          {"now", sql::ToMs(record.created_at)}};
}

}  // namespace

bool SqlIdempotencyRepository::TryStore(domain::UserId user, const std::string& scope,
                                        const std::string& key,
                                        const domain::IdempotencyRecord& record) {
  const sql::Params params = RecordParams(user, scope, key, record);
  sql::Statement st = Prepare(kStoreRecord);
  sql::BindParams(st, params);
  return dialect_.InsertUnlessDuplicate(st);
}

void SqlIdempotencyRepository::StoreLast(domain::UserId user, const std::string& scope,
                                         const std::string& key,
                                         const domain::IdempotencyRecord& record) {
  try {
    RunOrDefer(kStoreRecord, RecordParams(user, scope, key, record),
               sql::DeferredWrites::OnDuplicate::kConflict);
  } catch (const soci::soci_error& e) {
    if (dialect_.IsUniqueViolation(e)) throw domain::DuplicateRecordError(e.what());
    throw;
  }
}

std::optional<domain::IdempotencyRecord> SqlIdempotencyRepository::Find(domain::UserId user,
                                                                        const std::string& scope,
                                                                        const std::string& key) {
  domain::IdempotencyRecord record;
  int completed = 0;
  std::int64_t created = 0;
  if (!Run(kSelectRecord, soci::use(user.value, "user"), soci::use(scope, "scope"),
           soci::use(key, "key"), soci::into(record.request_hash), soci::into(completed),
           soci::into(record.status), soci::into(record.body), soci::into(created))) {
    return std::nullopt;
  }
  record.completed = completed != 0;
  record.created_at = sql::FromMs(created);
  return record;
}

bool SqlIdempotencyRepository::DropAbandoned(domain::UserId user, const std::string& scope,
                                             const std::string& key,
                                             domain::Instant started_before) {
  const std::int64_t cutoff = sql::ToMs(started_before);
  sql::Statement st = Prepare(kDropAbandoned);
  st.Bind(soci::use(user.value, "user"), soci::use(scope, "scope"), soci::use(key, "key"),
          soci::use(cutoff, "cutoff"));
  st.Execute();
  return st.AffectedRows() > 0;
}

int SqlIdempotencyRepository::Purge(domain::Instant cutoff) {
  const std::int64_t at = sql::ToMs(cutoff);
  sql::Statement st = Prepare(kPurgeRecords);
  st.Bind(soci::use(at, "cutoff"));
  st.Execute();
  return static_cast<int>(st.AffectedRows());
}

}  // namespace boxoffice::infra
