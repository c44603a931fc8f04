#pragma once

#include <cstdint>
#include <optional>

#include "domain/types.hpp"

namespace boxoffice::domain {

enum class QueueState {
  kWaiting,     // in line; position >= 1
  kActive,      // admitted; may browse, hold, reserve and pay until the idle deadline
  kSoldOut,     // waiting, but nothing is left to buy
  kExpired,     // no place: left, evicted for idling, or never joined
  kSuperseded,  // the token names an older generation; a newer token was issued for this place
};

struct QueueView {
  QueueState state = QueueState::kExpired;
  std::int64_t position = 0;  // 1-based while waiting; 0 once admitted (as the reference)
  std::optional<Instant> active_until;
};

// A user's place in a concert's waiting room. Re-issuing a token keeps `sequence` and bumps
// `generation`, which invalidates older tokens.
struct QueuePlace {
  ConcertId concert_id;
  UserId user_id;
  std::int64_t sequence = 0;
  std::int32_t generation = 0;
  QueueView view;  // the place's state as Join left it, read in the same atomic step
};

struct AdmissionResult {
  std::int32_t admitted = 0;
  std::int32_t evicted_waiting = 0;  // waiting users dropped after the grace period
  std::int32_t evicted_active = 0;   // admitted users dropped after the idle TTL
};

struct QueueStats {
  std::int64_t waiting = 0;
  std::int64_t active = 0;
  std::int64_t admitted_total = 0;
  double admission_rate_per_second = 0;  // measured over the recent window
};

}  // namespace boxoffice::domain
