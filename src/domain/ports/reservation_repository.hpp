#pragma once

#include <optional>
#include <span>
#include <vector>

#include "domain/model/reservation.hpp"

namespace boxoffice::domain {

class ReservationRepository {
 public:
  virtual ~ReservationRepository() = default;

  // Inserts the reservation (id ignored) with its seats; returns it with its new id.
  virtual Reservation Create(const Reservation& reservation, Instant now) = 0;
  // Create for each of `reservations`, in order (ReserveSeats::ExecuteTogether). The default
  // creates them one at a time; an adapter may insert them in one statement.
  virtual std::vector<Reservation> CreateAll(std::span<const Reservation> reservations,
                                             Instant now) {
    std::vector<Reservation> out;
    out.reserve(reservations.size());
    for (const auto& reservation : reservations) out.push_back(Create(reservation, now));
    return out;
  }
  virtual std::optional<Reservation> Find(ReservationId id) = 0;
  // As Find, with `seats` left empty, for a step that needs only the reservation's own columns
  // (a payment): one statement less.
  virtual std::optional<Reservation> FindWithoutSeats(ReservationId id) = 0;
  virtual std::optional<Reservation> FindPendingByHold(HoldId hold) = 0;
  // FindWithoutSeats for each of `ids`, in their order (PayReservation::ExecuteTogether).
  virtual std::vector<std::optional<Reservation>> FindAllWithoutSeats(
      std::span<const ReservationId> ids) {
    std::vector<std::optional<Reservation>> out;
    out.reserve(ids.size());
    for (ReservationId id : ids) out.push_back(FindWithoutSeats(id));
    return out;
  }
  // Newest first.
  virtual std::vector<Reservation> ListByUser(UserId user) = 0;
  // Moves the reservation from `from` to `to` if it is still in `from`. Returns whether it moved.
  virtual bool Transition(ReservationId id, ReservationStatus from, ReservationStatus to,
                          Instant now) = 0;
  // Transition for each of `ids`, which are distinct. True when every reservation moved; false
  // when any did not: the transaction must be rolled back.
  virtual bool TransitionAll(std::span<const ReservationId> ids, ReservationStatus from,
                             ReservationStatus to, Instant now) {
    for (ReservationId id : ids) {
      if (!Transition(id, from, to, now)) return false;
    }
    return true;
  }
  // PENDING reservations whose deadline is at or before `now` become EXPIRED, at most `limit`
  // of them, lowest ids first; their holds become EXPIRED too (sweeper; idempotent). Returns
  // the number of reservations expired.
  virtual int ExpireLapsed(Instant now, int limit) = 0;
};

}  // namespace boxoffice::domain
