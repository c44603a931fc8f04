#pragma once

#include <vector>

#include "domain/model/events.hpp"

namespace boxoffice::domain {

// The transactional outbox: events are appended in the business transaction and published
// later by the relay.
class OutboxRepository {
 public:
  virtual ~OutboxRepository() = default;
  virtual void Append(const DomainEvent& event, Instant now) = 0;
  // Oldest unpublished rows whose next attempt is due, at most `limit`. Rows are locked for the
  // rest of the transaction where the database supports it (FOR UPDATE SKIP LOCKED).
  virtual std::vector<OutboxRecord> ClaimDue(Instant now, int limit) = 0;
  virtual void MarkPublished(std::int64_t id, Instant now) = 0;
  // Records a failed attempt; the row is retried at `next_attempt_at`, or never when `dead`.
  virtual void MarkFailed(std::int64_t id, Instant next_attempt_at, bool dead) = 0;
  virtual std::int64_t CountUnpublished() = 0;
};

}  // namespace boxoffice::domain
