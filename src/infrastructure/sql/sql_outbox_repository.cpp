#include <soci/soci.h>

#include "infrastructure/events/event_codec.hpp"
#include "infrastructure/sql/sql_repositories.hpp"
#include "infrastructure/sql/sql_util.hpp"

namespace boxoffice::infra {
namespace {

constexpr const char* kInsertEvent =
    "INSERT INTO outbox (event_type, event_key, payload, created_at, next_attempt_at, "
    "claimed_until, attempts, dead) VALUES (:type, :key, :payload, :now, :now, 0, 0, 0)";
// Oldest first; the dialect appends FOR UPDATE SKIP LOCKED where relays can run concurrently.
constexpr const char* kSelectDue =
    "SELECT id, event_type, payload, created_at, attempts FROM outbox "
    "WHERE published_at IS NULL AND dead = 0 AND next_attempt_at <= :now "
    "AND claimed_until <= :now ORDER BY id LIMIT :limit";
constexpr const char* kClaim = "UPDATE outbox SET claimed_until = :until WHERE id IN ({in})";
constexpr const char* kMarkDead = "UPDATE outbox SET dead = 1, claimed_until = 0 WHERE id = :id";
constexpr const char* kMarkPublished =
    "UPDATE outbox SET published_at = :now, claimed_until = 0 WHERE id IN ({in})";
constexpr const char* kMarkFailed =
    "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = :next, claimed_until = 0, "
    "dead = :dead WHERE id = :id";
// A batch of rows published before the cutoff (SelectIds), then deleted by primary key.
constexpr const char* kSelectPurgeable =
    "SELECT id FROM outbox WHERE published_at IS NOT NULL AND published_at < :at "
    "ORDER BY id LIMIT :limit";
constexpr const char* kDeletePublished =
    "DELETE FROM outbox WHERE id IN ({in}) AND published_at IS NOT NULL AND published_at < :at";
constexpr const char* kCountUnpublished =
    "SELECT COUNT(*) FROM outbox WHERE published_at IS NULL AND dead = 0";

}  // namespace

void SqlOutboxRepository::Append(const domain::DomainEvent& event, domain::Instant now) {
  RunOrDefer(kInsertEvent, {{"type", std::string(domain::EventType(event))},
                            {"key", domain::EventKey(event)},
                            {"payload", EncodeEventPayload(event)},
                            {"now", sql::ToMs(now)}});
}

void SqlOutboxRepository::AppendAll(std::span<const domain::DomainEvent> events,
                                    domain::Instant now) {
  // Held with the transaction's next statement where it can be (MySQL); elsewhere one at a
  // time, so that texts of every batch size do not pass through the statement cache.
  if (!deferred_ || events.size() < 2) {
    OutboxRepository::AppendAll(events, now);
    return;
  }
  std::string sql =
      "INSERT INTO outbox (event_type, event_key, payload, created_at, next_attempt_at, "
      "claimed_until, attempts, dead) VALUES ";
  sql::Params params{{"now", sql::ToMs(now)}};
  for (std::size_t i = 0; i < events.size(); ++i) {
    const std::string n = std::to_string(i);
    sql += (i > 0 ? ",(:t" : "(:t") + n + ", :k" + n + ", :p" + n + ", :now, :now, 0, 0, 0)";
    params.push_back({"t" + n, std::string(domain::EventType(events[i]))});
    params.push_back({"k" + n, domain::EventKey(events[i])});
    params.push_back({"p" + n, EncodeEventPayload(events[i])});
  }
  RunOrDefer(sql, params);
}

std::vector<domain::OutboxRecord> SqlOutboxRepository::Claim(domain::Instant now,
                                                             domain::Instant claim_until,
                                                             int limit) {
  if (limit <= 0) return {};
  const std::int64_t at = sql::ToMs(now);
  std::int64_t id = 0;
  std::string type;
  std::string payload;
  std::int64_t created = 0;
  int attempts = 0;
  sql::Statement st = Prepare(std::string(kSelectDue) + std::string(dialect_.SkipLockedSuffix()));
  st.Bind(soci::use(at, "now"), soci::use(limit, "limit"), soci::into(id), soci::into(type),
          soci::into(payload), soci::into(created), soci::into(attempts));
  st.Execute(false);
  std::vector<domain::OutboxRecord> out;
  std::vector<std::int64_t> undecodable;
  while (st.Fetch()) {
    auto event = DecodeEventPayload(type, payload);
    if (!event) {
      undecodable.push_back(id);
      continue;
    }
    out.push_back(domain::OutboxRecord{
        .id = id, .event = *event, .created_at = sql::FromMs(created), .attempts = attempts});
  }
  // A row no consumer could ever read would block nothing but retry forever: bury it.
  for (std::int64_t dead_id : undecodable) Run(kMarkDead, soci::use(dead_id, "id"));
  if (out.empty()) return out;

  std::vector<std::int64_t> ids;
  for (const auto& r : out) ids.push_back(r.id);
  sql::InList list("o", ids);
  const std::int64_t until = sql::ToMs(claim_until);
  sql::Statement claim = PrepareInList(sql::WithInList(kClaim, list), list);
  claim.Bind(soci::use(until, "until"));
  list.BindTo(claim);
  claim.Execute();
  return out;
}

void SqlOutboxRepository::MarkPublished(const std::vector<std::int64_t>& ids, domain::Instant now) {
  if (ids.empty()) return;
  sql::InList list("o", ids);
  const std::int64_t at = sql::ToMs(now);
  sql::Statement st = PrepareInList(sql::WithInList(kMarkPublished, list), list);
  st.Bind(soci::use(at, "now"));
  list.BindTo(st);
  st.Execute();
}

void SqlOutboxRepository::MarkFailed(std::int64_t id, domain::Instant next_attempt_at, bool dead) {
  const std::int64_t next = sql::ToMs(next_attempt_at);
  const int dead_flag = dead ? 1 : 0;
  Run(kMarkFailed, soci::use(next, "next"), soci::use(dead_flag, "dead"), soci::use(id, "id"));
}

std::int64_t SqlOutboxRepository::CountUnpublished() {
  long long count = 0;
  Run(kCountUnpublished, soci::into(count));
  return count;
}

int SqlOutboxRepository::PurgePublished(domain::Instant cutoff, int limit) {
  if (limit <= 0) return 0;
  const std::int64_t at = sql::ToMs(cutoff);
  return sql::ExecuteOnIds(session_, kDeletePublished,
                           sql::SelectIds(session_, kSelectPurgeable, at, limit), at);
}

}  // namespace boxoffice::infra
