#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace boxoffice::domain {

// Operator-tunable policies. Defaults follow the reference service. A change applies at once
// to new work (new holds, the next admission tick); existing holds keep their deadline.
struct Policies {
  std::int32_t hold_ttl_seconds = 300;
  std::int32_t admit_batch = 1400;  // 0 pauses admission
  std::int32_t admit_interval_ms = 10'000;
  std::int32_t max_active = 5000;  // admitted users per concert at once
  std::int32_t active_idle_ttl_seconds = 600;
  std::int32_t waiting_grace_seconds = 120;
  std::int32_t max_seats_per_hold = 4;

  friend bool operator==(const Policies&, const Policies&) = default;
};

// Returns a message naming the first out-of-range field, or nullopt when all are valid.
std::optional<std::string> Validate(const Policies& p);

// A partial update: only the fields present change.
struct PolicyPatch {
  std::optional<std::int32_t> hold_ttl_seconds;
  std::optional<std::int32_t> admit_batch;
  std::optional<std::int32_t> admit_interval_ms;
  std::optional<std::int32_t> max_active;
  std::optional<std::int32_t> active_idle_ttl_seconds;
  std::optional<std::int32_t> waiting_grace_seconds;
  std::optional<std::int32_t> max_seats_per_hold;
};

Policies Apply(Policies base, const PolicyPatch& patch);

}  // namespace boxoffice::domain
