#include "application/occupy_seats.hpp"

#include <algorithm>
#include <chrono>
#include <unordered_set>

namespace boxoffice::application {

using domain::ErrorCode;
using domain::Fail;
using domain::Hold;
using domain::Result;

OccupySeats::OccupySeats(domain::Database& db, PolicyService& policies, const domain::Clock& clock)
    : db_(db), policies_(policies), clock_(clock) {}

Result<Hold> OccupySeats::Execute(const OccupySeatsCommand& cmd) {
  const auto& ids = cmd.seat_ids;
  if (ids.empty()) return Fail(ErrorCode::kInvalidRequest, "seatIds must not be empty");
  std::unordered_set<domain::SeatId> unique;
  for (auto id : ids) {
    if (id.value <= 0) return Fail(ErrorCode::kInvalidRequest, "seat ids must be positive");
    if (!unique.insert(id).second) {
      return Fail(ErrorCode::kInvalidRequest, "seat ids must not repeat");
    }
  }
  const auto policies = policies_.Current();
  if (ids.size() > static_cast<std::size_t>(policies.max_seats_per_hold)) {
    return Fail(ErrorCode::kTooManySeats,
                "at most " + std::to_string(policies.max_seats_per_hold) + " seats per hold");
  }

  return db_.Write([&](domain::Store& store) -> Result<Hold> {
    const auto now = clock_.Now();  // inside the transaction, after the write lock
    auto event = store.Catalogue().FindEvent(cmd.event_id, now);
    if (!event) return Fail(ErrorCode::kEventNotFound, "concert event not found");
    if (event->concert_id != cmd.who.concert_id) {
      return Fail(ErrorCode::kTokenNotProcessable, "queue token is for another concert");
    }
    if (!event->IsOpenAt(now)) {
      return Fail(ErrorCode::kReservationNotOpened, "reservation window is not open");
    }
    const int already = store.Holds().CountLiveSeats(cmd.who.user_id, cmd.event_id, now);
    if (already + static_cast<int>(ids.size()) > policies.max_seats_per_hold) {
      return Fail(ErrorCode::kTooManySeats, "at most " +
                                                std::to_string(policies.max_seats_per_hold) +
                                                " seats of a date held at once per user; " +
                                                std::to_string(already) + " already held");
    }
    auto seats = store.Seats().Find(cmd.event_id, ids, now);
    if (seats.size() != ids.size()) return Fail(ErrorCode::kSeatNotFound, "seat not found");
    // Rejecting here spares a write for the common case of a seat already taken; the
    // conditional update below is what actually decides races.
    if (std::any_of(seats.begin(), seats.end(), [](const domain::Seat& s) {
          return s.state != domain::SeatState::kAvailable;
        })) {
      return Fail(ErrorCode::kSeatUnavailable, "seat is already held or sold");
    }
    std::vector<domain::HeldSeat> held;
    held.reserve(seats.size());
    for (const auto& s : seats) held.push_back({s.id, s.seat_number, s.price});
    const auto expires_at = now + std::chrono::seconds(policies.hold_ttl_seconds);
    auto hold = store.Holds().Create(cmd.who.user_id, cmd.event_id, held, expires_at, now);
    const int changed = store.Seats().Hold(cmd.event_id, ids, hold.id, expires_at, now);
    if (changed != static_cast<int>(ids.size())) {
      return Fail(ErrorCode::kSeatUnavailable, "seat is already held or sold");
    }
    return hold;
  });
}

}  // namespace boxoffice::application
