#pragma once

#include "application/known_dates.hpp"
#include "application/queue_access.hpp"
#include "domain/model/reservation.hpp"
#include "domain/ports/clock.hpp"
#include "domain/ports/store.hpp"
#include "domain/result.hpp"

namespace boxoffice::application {

struct ReserveSeatsCommand {
  ActiveUser who;
  domain::EventId event_id;
  domain::HoldId hold_id;
};

// Turns the user's live hold into a PENDING reservation due by the hold's deadline.
// occupation_not_found; occupation_invalid (another user's hold, or another date);
// occupation_already_released (released or already reserved); occupation_already_expired.
class ReserveSeats {
 public:
  ReserveSeats(domain::Database& db, const domain::Clock& clock);
  domain::Result<domain::Reservation> Execute(const ReserveSeatsCommand& cmd);

 private:
  domain::Database& db_;
  const domain::Clock& clock_;
  KnownDates dates_;
};

}  // namespace boxoffice::application
