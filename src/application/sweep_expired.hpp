#pragma once

#include "domain/ports/clock.hpp"
#include "domain/ports/store.hpp"

namespace boxoffice::application {

struct SweepResult {
  int holds_expired = 0;
  int seats_released = 0;
  int reservations_expired = 0;
  int idempotency_purged = 0;
};

// Housekeeping run every few seconds on every instance: expires lapsed holds and PENDING
// reservations, frees their seats, and drops idempotency records older than 24 h. Every
// statement is conditional and idempotent, so concurrent sweeps are harmless. Correctness never
// depends on it: lapsed holds are reclaimable and unpayable without it.
class SweepExpired {
 public:
  SweepExpired(domain::Database& db, const domain::Clock& clock);
  SweepResult Execute();

 private:
  domain::Database& db_;
  const domain::Clock& clock_;
};

}  // namespace boxoffice::application
