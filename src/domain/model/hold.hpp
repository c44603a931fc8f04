#pragma once

#include <string>
#include <vector>

#include "domain/model/catalogue.hpp"
#include "domain/types.hpp"

namespace boxoffice::domain {

// An "occupation": seats of one date held by one user until expires_at.
enum class HoldStatus { kActive, kReleased, kExpired, kReserved };

struct HeldSeat {
  SeatId seat_id;
  std::int32_t seat_number = 0;
  Money price;
};

struct Hold {
  HoldId id;
  UserId user_id;
  EventId event_id;
  HoldStatus status = HoldStatus::kActive;
  Instant created_at;
  Instant expires_at;
  std::vector<HeldSeat> seats;

  Money TotalAmount() const {
    Money total{};
    for (const auto& s : seats) total = total + s.price;
    return total;
  }
  // A hold that is still ACTIVE in storage but past its deadline is expired for every purpose.
  bool IsLiveAt(Instant now) const { return status == HoldStatus::kActive && now < expires_at; }
};

}  // namespace boxoffice::domain
