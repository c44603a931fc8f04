#pragma once

#include <memory>
#include <vector>

#include "application/known_dates.hpp"
#include "application/policy_service.hpp"
#include "application/queue_access.hpp"
#include "application/seat_gate.hpp"
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
// date; seat_unavailable when any seat is held or sold (reported before the per-user limit).
//
// Concurrent attempts on one seat are coalesced by a SeatGate (ADR 0011): one reaches the
// database at a time and the others adopt its outcome where it answers them too, so thousands of
// callers racing for one seat cost the database a handful of transactions, not thousands.
class OccupySeats {
 public:
  // With a gate of its own.
  OccupySeats(domain::Database& db, PolicyService& policies, const domain::Clock& clock);
  // With a gate shared with (or observed by) the caller; it must outlive this object.
  OccupySeats(domain::Database& db, PolicyService& policies, const domain::Clock& clock,
              SeatGate& gate);
  domain::Result<domain::Hold> Execute(const OccupySeatsCommand& cmd);

 private:
  struct Attempted {
    domain::Result<domain::Hold> hold;
    std::vector<domain::SeatId> taken;  // seats it saw held or sold, when that was the refusal
  };
  // One attempt in the database.
  Attempted Attempt(const OccupySeatsCommand& cmd, const domain::Policies& policies);

  domain::Database& db_;
  PolicyService& policies_;
  const domain::Clock& clock_;
  std::unique_ptr<SeatGate> own_gate_;
  SeatGate& gate_;
  KnownDates dates_;
};

}  // namespace boxoffice::application
