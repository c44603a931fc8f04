#include "application/list_seats.hpp"

#include <algorithm>

namespace boxoffice::application {

using domain::ErrorCode;
using domain::Fail;
using domain::Result;
using domain::Seat;

ListSeats::ListSeats(domain::Database& db, const domain::Clock& clock) : db_(db), clock_(clock) {}

Result<std::vector<Seat>> ListSeats::Execute(const ActiveUser& who, const ListSeatsQuery& q) {
  const auto now = clock_.Now();
  return db_.Read([&](domain::Store& store) -> Result<std::vector<Seat>> {
    auto event = store.Catalogue().FindEventUncounted(q.event_id);
    if (!event) return Fail(ErrorCode::kEventNotFound, "concert event not found");
    if (event->concert_id != who.concert_id) {
      return Fail(ErrorCode::kTokenNotProcessable, "queue token is for another concert");
    }
    auto seats = store.Catalogue().ListSeats(q.event_id, now);
    if (q.only_available) {
      std::erase_if(seats, [](const Seat& s) { return s.state != domain::SeatState::kAvailable; });
    }
    return seats;
  });
}

}  // namespace boxoffice::application
