#include "date_choice.hpp"

#include <algorithm>

namespace boxoffice::loadgen {

std::optional<std::size_t> ChooseDate(const std::vector<std::int64_t>& free_seats,
                                      DateChoice choice, double u) {
  std::int64_t total = 0;
  for (const auto n : free_seats) total += std::max<std::int64_t>(0, n);
  if (total == 0) return std::nullopt;
  if (choice == DateChoice::kFirst) {
    for (std::size_t i = 0; i < free_seats.size(); ++i) {
      if (free_seats[i] > 0) return i;
    }
  }
  // Walk the cumulative counts; the clamp keeps u == 1 (or rounding) on the last free date.
  const auto target = std::min<std::int64_t>(
      total - 1, static_cast<std::int64_t>(std::clamp(u, 0.0, 1.0) * static_cast<double>(total)));
  std::int64_t seen = 0;
  std::size_t last_free = 0;
  for (std::size_t i = 0; i < free_seats.size(); ++i) {
    if (free_seats[i] <= 0) continue;
    last_free = i;
    seen += free_seats[i];
    if (target < seen) return i;
  }
  return last_free;
}

}  // namespace boxoffice::loadgen
