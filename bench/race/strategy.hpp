#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace boxoffice::bench {

// How a caller tries to hold the seat. The first three are the reference's, rebuilt over our
// tables; kOurs is application::OccupySeats with the real SQL adapter. kFloor does no work at
// all (caller 0 "wins"): it measures what starting and answering N parked threads costs here.
enum class Strategy { kRedisLockPessimistic, kPessimistic, kOptimistic, kOurs, kFloor };

inline constexpr Strategy kAllStrategies[] = {Strategy::kRedisLockPessimistic,
                                              Strategy::kPessimistic, Strategy::kOptimistic,
                                              Strategy::kOurs, Strategy::kFloor};

inline std::string_view NameOf(Strategy s) {
  switch (s) {
    case Strategy::kRedisLockPessimistic:
      return "redis-lock+pessimistic";
    case Strategy::kPessimistic:
      return "pessimistic";
    case Strategy::kOptimistic:
      return "optimistic";
    case Strategy::kOurs:
      return "ours";
    case Strategy::kFloor:
      return "floor";
  }
  return "?";
}

inline std::optional<Strategy> StrategyNamed(std::string_view name) {
  for (auto s : kAllStrategies) {
    if (NameOf(s) == name) return s;
  }
  return std::nullopt;
}

}  // namespace boxoffice::bench
