#pragma once

#include "domain/ports/clock.hpp"
#include "domain/ports/store.hpp"

namespace boxoffice::application {

struct SweepResult {
  int holds_expired = 0;
  int seats_released = 0;
  int reservations_expired = 0;
  int idempotency_purged = 0;
  int outbox_purged = 0;
};

// Housekeeping run every few seconds on every instance: expires lapsed holds and PENDING
// reservations, frees their seats, drops idempotency records older than 24 h and outbox rows
// published more than 24 h ago. Every statement is conditional and idempotent, so concurrent
// sweeps are harmless. Correctness never depends on it: lapsed holds are reclaimable and
// unpayable without it.
//
// Each step works in batches of kBatchSize rows, lowest ids first, one short transaction per
// batch, and at most kMaxBatches batches per step and pass: a sweeper never holds many row locks
// at once, locks seats in the same (id) order as holds do, and a backlog is worked off over a few
// passes instead of one long transaction.
class SweepExpired {
 public:
  static constexpr int kBatchSize = 100;
  static constexpr int kMaxBatches = 10;

  SweepExpired(domain::Database& db, const domain::Clock& clock);
  SweepResult Execute();

 private:
  domain::Database& db_;
  const domain::Clock& clock_;
};

}  // namespace boxoffice::application
