#pragma once

#include <optional>
#include <span>
#include <vector>

#include "domain/model/hold.hpp"

namespace boxoffice::domain {

// Holds ("occupations") and the seats each one covers.
class HoldRepository {
 public:
  virtual ~HoldRepository() = default;

  // Inserts an ACTIVE hold with its seats and returns it with its new id.
  virtual Hold Create(UserId user, EventId event, const std::vector<HeldSeat>& seats,
                      Instant expires_at, Instant now) = 0;
  // As Create, unless the user's live seats of `event` (CountLiveSeats) plus `seats` would exceed
  // `max_live_seats`: then nothing is written and the answer is nullopt. The count and the insert
  // are one decision: concurrent calls for one user decide one after the other (on a database
  // with row locks the user's row is locked first, unless this transaction already locked it).
  virtual std::optional<Hold> CreateWithinLimit(UserId user, EventId event,
                                                const std::vector<HeldSeat>& seats,
                                                Instant expires_at, Instant now,
                                                int max_live_seats) = 0;
  virtual std::optional<Hold> Find(HoldId id) = 0;
  // Moves the hold from `from` to `to` if it is still in `from`. Returns whether it moved.
  virtual bool Transition(HoldId id, HoldStatus from, HoldStatus to, Instant now) = 0;

  // The forms below serve several users' reservations in one transaction (ReserveSeats::
  // ExecuteTogether). Their defaults call the forms above one at a time; an adapter may send
  // each as one statement for all.
  //
  // Find for each of `ids`, in their order.
  virtual std::vector<std::optional<Hold>> FindAll(std::span<const HoldId> ids) {
    std::vector<std::optional<Hold>> out;
    out.reserve(ids.size());
    for (HoldId id : ids) out.push_back(Find(id));
    return out;
  }
  // Transition for each of `ids`, which are distinct. True when every hold moved; false when
  // any did not: which did is not told, and the transaction must be rolled back.
  virtual bool TransitionAll(std::span<const HoldId> ids, HoldStatus from, HoldStatus to,
                             Instant now) {
    for (HoldId id : ids) {
      if (!Transition(id, from, to, now)) return false;
    }
    return true;
  }
  // Seats of `event` still HELD (deadline after `now`) under holds of `user`, reserved or not:
  // what the per-user limit counts, so one user cannot hold a whole date hold by hold.
  virtual int CountLiveSeats(UserId user, EventId event, Instant now) = 0;
  // ACTIVE holds whose deadline is at or before `now` become EXPIRED, at most `limit` of them,
  // lowest ids first (sweeper; idempotent).
  virtual int ExpireLapsed(Instant now, int limit) = 0;
};

}  // namespace boxoffice::domain
