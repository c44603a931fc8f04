#pragma once

#include <cstdint>
#include <string>

#include "domain/types.hpp"

namespace boxoffice::domain {

struct Concert {
  ConcertId id;
  std::string title;
  std::string singer;
  std::string description;
};

// One date of a concert, with its seat map and the window in which seats can be bought.
struct ConcertEvent {
  EventId id;
  ConcertId concert_id;
  std::string venue;
  Instant start_at;
  std::int32_t duration_minutes = 0;
  Instant reservation_start_at;
  Instant reservation_end_at;
  std::int32_t max_seat_count = 0;
  std::int32_t available_seat_count = 0;  // derived at read time; never stored as a counter

  bool IsOpenAt(Instant now) const {
    return reservation_start_at <= now && now < reservation_end_at;
  }
};

// Limits on what an operator may create.
inline constexpr std::int32_t kMaxSeatsPerEvent = 10'000;
inline constexpr std::int32_t kMaxDurationMinutes = 24 * 60;

enum class SeatState { kAvailable, kHeld, kReserved };

struct Seat {
  SeatId id;
  EventId event_id;
  std::int32_t seat_number = 0;  // 1..max_seat_count
  Money price;
  SeatState state = SeatState::kAvailable;  // a HELD seat whose hold has lapsed reads AVAILABLE
};

struct NewConcert {
  std::string title;
  std::string singer;
  std::string description;
};

struct NewConcertEvent {
  ConcertId concert_id;
  std::string venue;
  Instant start_at;
  std::int32_t duration_minutes = 0;
  Instant reservation_start_at;
  Instant reservation_end_at;
  std::int32_t seat_count = 50;
  Money price;
};

}  // namespace boxoffice::domain
