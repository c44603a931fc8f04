#include "domain/model/policies.hpp"

namespace boxoffice::domain {
namespace {

std::optional<std::string> CheckRange(const char* name, std::int32_t value, std::int32_t min,
                                      std::int32_t max) {
  if (value < min || value > max) {
    return std::string(name) + " must be between " + std::to_string(min) + " and " +
           std::to_string(max);
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> Validate(const Policies& p) {
  for (auto check : {
           CheckRange("holdTtlSeconds", p.hold_ttl_seconds, 1, 24 * 3600),
           CheckRange("admitBatch", p.admit_batch, 0, 1'000'000),
           CheckRange("admitIntervalMs", p.admit_interval_ms, 10, 3'600'000),
           CheckRange("maxActive", p.max_active, 1, 10'000'000),
           CheckRange("activeIdleTtlSeconds", p.active_idle_ttl_seconds, 1, 24 * 3600),
           CheckRange("waitingGraceSeconds", p.waiting_grace_seconds, 5, 24 * 3600),
           CheckRange("maxSeatsPerHold", p.max_seats_per_hold, 1, 100),
       }) {
    if (check) return check;
  }
  return std::nullopt;
}

Policies Apply(Policies base, const PolicyPatch& patch) {
  auto set = [](std::int32_t& field, const std::optional<std::int32_t>& v) {
    if (v) field = *v;
  };
  set(base.hold_ttl_seconds, patch.hold_ttl_seconds);
  set(base.admit_batch, patch.admit_batch);
  set(base.admit_interval_ms, patch.admit_interval_ms);
  set(base.max_active, patch.max_active);
  set(base.active_idle_ttl_seconds, patch.active_idle_ttl_seconds);
  set(base.waiting_grace_seconds, patch.waiting_grace_seconds);
  set(base.max_seats_per_hold, patch.max_seats_per_hold);
  return base;
}

}  // namespace boxoffice::domain
