#pragma once

#include <span>
#include <vector>

#include "domain/model/events.hpp"

namespace boxoffice::domain {

// The transactional outbox: events are appended in the business transaction and published
// later by the relay, outside any transaction.
class OutboxRepository {
 public:
  virtual ~OutboxRepository() = default;
  virtual void Append(const DomainEvent& event, Instant now) = 0;
  // Append for each of `events`, in order. The default appends them one at a time; an adapter
  // may insert them in one statement.
  virtual void AppendAll(std::span<const DomainEvent> events, Instant now) {
    for (const auto& event : events) Append(event, now);
  }
  // Claims the oldest unpublished rows that are due (next attempt at or before `now`) and not
  // claimed by another relay (claim at or before `now`), at most `limit`, by setting their claim
  // to `claim_until`. On MySQL the candidates are selected FOR UPDATE SKIP LOCKED, so relays on
  // many instances never claim the same row twice.
  virtual std::vector<OutboxRecord> Claim(Instant now, Instant claim_until, int limit) = 0;
  // Marks the rows `ids` published at `now` (one statement however many: the relay marks a
  // whole pass at once). Ids of rows that no longer exist are skipped.
  virtual void MarkPublished(const std::vector<std::int64_t>& ids, Instant now) = 0;
  // Records a failed attempt (attempts + 1) and releases the claim; the row is retried at
  // `next_attempt_at`, or never again when `dead`.
  virtual void MarkFailed(std::int64_t id, Instant next_attempt_at, bool dead) = 0;
  virtual std::int64_t CountUnpublished() = 0;
  // Deletes published rows whose publication is older than `cutoff`, at most `limit`, oldest
  // first (housekeeping). Unpublished and dead rows are kept. Returns how many were deleted.
  virtual int PurgePublished(Instant cutoff, int limit) = 0;
};

}  // namespace boxoffice::domain
