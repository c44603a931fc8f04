#pragma once

#include "domain/model/reservation.hpp"
#include "domain/ports/clock.hpp"
#include "domain/ports/store.hpp"
#include "domain/result.hpp"

namespace boxoffice::application {

struct CancelReservationCommand {
  domain::UserId user_id;
  domain::ReservationId reservation_id;
};

// Cancels a PENDING reservation and frees its seats. reservation_not_found (also for another
// user's reservation, so ids cannot be probed); reservation_already_confirmed;
// reservation_expired when expired or already cancelled.
class CancelReservation {
 public:
  CancelReservation(domain::Database& db, const domain::Clock& clock);
  domain::Result<domain::Reservation> Execute(const CancelReservationCommand& cmd);

 private:
  domain::Database& db_;
  const domain::Clock& clock_;
};

}  // namespace boxoffice::application
