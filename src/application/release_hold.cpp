#include "application/release_hold.hpp"

namespace boxoffice::application {

using domain::ErrorCode;
using domain::Fail;
using domain::HoldStatus;
using domain::ReservationStatus;
using domain::Result;

ReleaseHold::ReleaseHold(domain::Database& db, const domain::Clock& clock)
    : db_(db), clock_(clock) {}

Result<void> ReleaseHold::Execute(const ReleaseHoldCommand& cmd) {
  return db_.Write([&](domain::Store& store) -> Result<void> {
    const auto now = clock_.Now();  // inside the transaction, after the write lock
    auto hold = store.Holds().Find(cmd.hold_id);
    if (!hold) return Fail(ErrorCode::kOccupationNotFound, "occupation not found");
    if (hold->user_id != cmd.who.user_id) {
      return Fail(ErrorCode::kOccupationInvalid, "occupation belongs to another user");
    }
    auto event = store.Catalogue().FindEventUncounted(hold->event_id);
    if (!event || event->concert_id != cmd.who.concert_id) {
      return Fail(ErrorCode::kTokenNotProcessable, "queue token is for another concert");
    }
    if (hold->status == HoldStatus::kReleased) {
      return Fail(ErrorCode::kOccupationAlreadyReleased, "occupation already released");
    }
    if (hold->status == HoldStatus::kExpired || now >= hold->expires_at) {
      return Fail(ErrorCode::kOccupationAlreadyExpired, "occupation already expired");
    }
    if (hold->status == HoldStatus::kReserved) {
      auto pending = store.Reservations().FindPendingByHold(hold->id);
      if (!pending || !store.Reservations().Transition(pending->id, ReservationStatus::kPending,
                                                       ReservationStatus::kCancelled, now)) {
        return Fail(ErrorCode::kReservationAlreadyConfirmed, "the seats are already paid for");
      }
      store.Outbox().Append(
          domain::ReservationCancelled{pending->id, pending->user_id, pending->concert_id, now},
          now);
    }
    if (!store.Holds().Transition(hold->id, hold->status, HoldStatus::kReleased, now)) {
      return Fail(ErrorCode::kOccupationAlreadyReleased, "occupation already released");
    }
    store.Seats().Release(hold->id);
    return {};
  });
}

}  // namespace boxoffice::application
