#include "application/cancel_reservation.hpp"

namespace boxoffice::application {

using domain::ErrorCode;
using domain::Fail;
using domain::HoldStatus;
using domain::Reservation;
using domain::ReservationStatus;
using domain::Result;

namespace {

domain::Error NotCancellable(const Reservation& r) {
  if (r.status == ReservationStatus::kConfirmed) {
    return Fail(ErrorCode::kReservationAlreadyConfirmed, "reservation already confirmed");
  }
  return Fail(ErrorCode::kReservationExpired, "reservation expired or cancelled");
}

}  // namespace

CancelReservation::CancelReservation(domain::Database& db, const domain::Clock& clock)
    : db_(db), clock_(clock) {}

Result<Reservation> CancelReservation::Execute(const CancelReservationCommand& cmd) {
  return db_.Write([&](domain::Store& store) -> Result<Reservation> {
    const auto now = clock_.Now();  // inside the transaction, after the write lock
    auto reservation = store.Reservations().Find(cmd.reservation_id);
    if (!reservation || reservation->user_id != cmd.user_id) {
      return Fail(ErrorCode::kReservationNotFound, "reservation not found");
    }
    if (reservation->status != ReservationStatus::kPending) return NotCancellable(*reservation);
    // Past its deadline a reservation is expired, whether or not the sweeper has marked it yet.
    if (!reservation->IsPayableAt(now)) {
      return Fail(ErrorCode::kReservationExpired, "reservation expired");
    }
    if (!store.Reservations().Transition(reservation->id, ReservationStatus::kPending,
                                         ReservationStatus::kCancelled, now)) {
      auto current = store.Reservations().Find(reservation->id);
      return current ? NotCancellable(*current)
                     : Fail(ErrorCode::kReservationNotFound, "reservation not found");
    }
    store.Seats().Release(reservation->hold_id);
    store.Holds().Transition(reservation->hold_id, HoldStatus::kReserved, HoldStatus::kReleased,
                             now);
    store.Outbox().Append(domain::ReservationCancelled{reservation->id, reservation->user_id,
                                                       reservation->concert_id, now},
                          now);
    reservation->status = ReservationStatus::kCancelled;
    return *std::move(reservation);
  });
}

}  // namespace boxoffice::application
