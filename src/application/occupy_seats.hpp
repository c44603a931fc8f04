#pragma once

#include <vector>

#include "application/policy_service.hpp"
#include "application/queue_access.hpp"
#include "domain/model/hold.hpp"
#include "domain/ports/clock.hpp"
#include "domain/ports/store.hpp"
#include "domain/result.hpp"

namespace boxoffice::application {

struct OccupySeatsCommand {
  ActiveUser who;
  domain::EventId event_id;
  std::vector<domain::SeatId> seat_ids;
};

// Holds 1..max_seats_per_hold seats of one date for hold_ttl, all or nothing, with one
// conditional update. A user may hold at most max_seats_per_hold seats of a date at once
// across all their live holds and unpaid reservations (too_many_seats beyond). invalid_request for
// an empty list or duplicates; too_many_seats; event_not_found; token_not_processable for a date of
// another concert; reservation_not_opened outside the window; seat_not_found for ids not of this
// date; seat_unavailable when any seat is held or sold.
class OccupySeats {
 public:
  OccupySeats(domain::Database& db, PolicyService& policies, const domain::Clock& clock);
  domain::Result<domain::Hold> Execute(const OccupySeatsCommand& cmd);

 private:
  domain::Database& db_;
  PolicyService& policies_;
  const domain::Clock& clock_;
};

}  // namespace boxoffice::application
