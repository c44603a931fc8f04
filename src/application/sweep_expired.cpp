#include "application/sweep_expired.hpp"

#include <chrono>

#include "domain/result.hpp"

namespace boxoffice::application {

namespace {

// Matches the replay window promised for Idempotency-Key.
constexpr auto kIdempotencyRetention = std::chrono::hours(24);

}  // namespace

SweepExpired::SweepExpired(domain::Database& db, const domain::Clock& clock)
    : db_(db), clock_(clock) {}

SweepResult SweepExpired::Execute() {
  const auto now = clock_.Now();
  return db_
      .Write([&](domain::Store& store) -> domain::Result<SweepResult> {
        SweepResult out;
        // Reservations first: expiring one also expires its hold, whose seats are then freed.
        out.reservations_expired = store.Reservations().ExpireLapsed(now);
        out.holds_expired = store.Holds().ExpireLapsed(now);
        out.seats_released = store.Seats().ReleaseLapsed(now);
        out.idempotency_purged = store.Idempotency().Purge(now - kIdempotencyRetention);
        return out;
      })
      .value();
}

}  // namespace boxoffice::application
