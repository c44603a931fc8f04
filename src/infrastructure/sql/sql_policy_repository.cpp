#include <soci/soci.h>

#include "infrastructure/sql/sql_repositories.hpp"
#include "infrastructure/sql/sql_util.hpp"

namespace boxoffice::infra {
namespace {

constexpr const char* kSelectPolicy =
    "SELECT hold_ttl_seconds, admit_batch, admit_interval_ms, max_active, "
    "active_idle_ttl_seconds, waiting_grace_seconds, max_seats_per_hold FROM policy WHERE id = 1";
constexpr const char* kUpdatePolicy =
    "UPDATE policy SET hold_ttl_seconds = :ttl, admit_batch = :batch, "
    "admit_interval_ms = :interval, max_active = :active, active_idle_ttl_seconds = :idle, "
    "waiting_grace_seconds = :grace, max_seats_per_hold = :seats, updated_at = :now WHERE id = 1";
constexpr const char* kInsertPolicy =
    "INSERT INTO policy (id, hold_ttl_seconds, admit_batch, admit_interval_ms, max_active, "
    "active_idle_ttl_seconds, waiting_grace_seconds, max_seats_per_hold, updated_at) "
    "VALUES (1, :ttl, :batch, :interval, :active, :idle, :grace, :seats, :now)";

}  // namespace

std::optional<domain::Policies> SqlPolicyRepository::Load() {
  domain::Policies p;
  if (!Run(kSelectPolicy, soci::into(p.hold_ttl_seconds), soci::into(p.admit_batch),
           soci::into(p.admit_interval_ms), soci::into(p.max_active),
           soci::into(p.active_idle_ttl_seconds), soci::into(p.waiting_grace_seconds),
           soci::into(p.max_seats_per_hold))) {
    return std::nullopt;
  }
  return p;
}

void SqlPolicyRepository::Save(const domain::Policies& p, domain::Instant now) {
  const std::int64_t at = sql::ToMs(now);
  // Update-then-insert needs no dialect-specific upsert. Two first saves racing on MySQL: the
  // loser's insert hits the primary key and its values are written by the update instead.
  auto run = [&](const char* sql) {
    sql::Statement st = Prepare(sql);
    st.Bind(soci::use(p.hold_ttl_seconds, "ttl"), soci::use(p.admit_batch, "batch"),
            soci::use(p.admit_interval_ms, "interval"), soci::use(p.max_active, "active"),
            soci::use(p.active_idle_ttl_seconds, "idle"),
            soci::use(p.waiting_grace_seconds, "grace"), soci::use(p.max_seats_per_hold, "seats"),
            soci::use(at, "now"));
    st.Execute();
    return st.AffectedRows();
  };
  if (run(kUpdatePolicy) > 0) return;
  try {
    run(kInsertPolicy);
  } catch (const soci::soci_error& e) {
    if (!dialect_.IsUniqueViolation(e)) throw;
    run(kUpdatePolicy);
  }
}

}  // namespace boxoffice::infra
