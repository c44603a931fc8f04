#pragma once

#include <span>
#include <vector>

#include "domain/model/catalogue.hpp"

namespace boxoffice::domain {

// Conditional writes on seats. Each method is one statement; the returned count is the number
// of rows that matched the condition, which is how races are decided.
class SeatRepository {
 public:
  virtual ~SeatRepository() = default;

  // The seats of `event` among `ids` (unknown ids or seats of other dates are omitted), with
  // their state at `now`. In a write transaction on a database with row locks it also locks
  // them (in id order), so the state returned stays true until the transaction ends; except
  // that when a seat is locked by another transaction and its latest committed state is already
  // not available, it answers that state at once instead of queueing on the lock.
  virtual std::vector<Seat> Find(EventId event, const std::vector<SeatId>& ids, Instant now) = 0;

  // As Find, for a hold by `holder` about to be written in this transaction. On a database with
  // row locks it also locks the holder's user row, in the same statement as the seats, so that
  // concurrent holds of one user count their live seats (HoldRepository::CreateWithinLimit) one
  // after the other; when the seats are answered as taken at once, nothing stays locked.
  virtual std::vector<Seat> FindForHold(EventId event, const std::vector<SeatId>& ids,
                                        UserId holder, Instant now) = 0;

  // Marks the seats HELD by `hold` until `until` where each is AVAILABLE, or HELD with a
  // deadline at or before `now`. Returns how many changed; the caller rolls back when fewer
  // than asked.
  virtual int Hold(EventId event, const std::vector<SeatId>& ids, HoldId hold, Instant until,
                   Instant now) = 0;

  // HELD seats of `hold` back to AVAILABLE.
  virtual int Release(HoldId hold) = 0;

  // HELD seats of `hold` whose deadline is after `now` become RESERVED (sold).
  virtual int Confirm(HoldId hold, Instant now) = 0;
  // Confirm, for a caller that goes on only when exactly `seats` were confirmed: whether they
  // were. The adapter may check it with the transaction's next statement.
  virtual bool ConfirmAll(HoldId hold, int seats, Instant now) {
    return Confirm(hold, now) == seats;
  }
  // One hold's part of ConfirmEvery.
  struct HoldSeats {
    HoldId hold;
    int seats = 0;
  };
  // ConfirmAll for each of `holds`, which are distinct (PayReservation::ExecuteTogether):
  // whether every hold had all its seats confirmed. When not, the transaction must be rolled
  // back.
  virtual bool ConfirmEvery(std::span<const HoldSeats> holds, Instant now) {
    for (const auto& h : holds) {
      if (!ConfirmAll(h.hold, h.seats, now)) return false;
    }
    return true;
  }

  // HELD seats whose deadline is at or before `now` back to AVAILABLE, at most `limit` of them,
  // lowest ids first (sweeper; idempotent). Returns how many changed; fewer than `limit` means
  // none is left.
  virtual int ReleaseLapsed(Instant now, int limit) = 0;
};

}  // namespace boxoffice::domain
