#include "application/sweep_expired.hpp"

#include <chrono>

#include "domain/result.hpp"

namespace boxoffice::application {

namespace {

// Matches the replay window promised for Idempotency-Key.
constexpr auto kIdempotencyRetention = std::chrono::hours(24);
// Long enough to look into a delivery after the fact; the consumers' processed-event records,
// not these rows, are what make redelivery harmless.
constexpr auto kOutboxRetention = std::chrono::hours(24);

// Runs `step` (one batch, returning how many rows it changed) in its own write transaction until
// a batch comes back short or kMaxBatches ran. Returns the rows changed in all.
template <class Step>
int InBatches(domain::Database& db, Step step) {
  int total = 0;
  for (int i = 0; i < SweepExpired::kMaxBatches; ++i) {
    const int changed =
        db.Write([&](domain::Store& store) -> domain::Result<int> { return step(store); }).value();
    total += changed;
    if (changed < SweepExpired::kBatchSize) break;
  }
  return total;
}

}  // namespace

SweepExpired::SweepExpired(domain::Database& db, const domain::Clock& clock)
    : db_(db), clock_(clock) {}

SweepResult SweepExpired::Execute() {
  const auto now = clock_.Now();
  constexpr int n = kBatchSize;
  SweepResult out;
  // Reservations first: expiring one also expires its hold, whose seats are then freed.
  out.reservations_expired =
      InBatches(db_, [&](domain::Store& s) { return s.Reservations().ExpireLapsed(now, n); });
  out.holds_expired =
      InBatches(db_, [&](domain::Store& s) { return s.Holds().ExpireLapsed(now, n); });
  out.seats_released =
      InBatches(db_, [&](domain::Store& s) { return s.Seats().ReleaseLapsed(now, n); });
  out.idempotency_purged = db_.Write([&](domain::Store& s) -> domain::Result<int> {
                                return s.Idempotency().Purge(now - kIdempotencyRetention);
                              })
                               .value();
  out.outbox_purged = InBatches(
      db_, [&](domain::Store& s) { return s.Outbox().PurgePublished(now - kOutboxRetention, n); });
  return out;
}

}  // namespace boxoffice::application
