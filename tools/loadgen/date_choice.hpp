#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace boxoffice::loadgen {

// How a virtual user picks a date of the concert.
enum class DateChoice {
  kFirst,     // the earliest date with a free seat: every user crowds the same date
  kWeighted,  // any date with a free seat, with probability proportional to its free seats
};

// The index of the date a user picks, given each date's free seat count (as the dates listing
// says) and a uniform draw `u` in [0, 1); nullopt when no date has a free seat.
std::optional<std::size_t> ChooseDate(const std::vector<std::int64_t>& free_seats,
                                      DateChoice choice, double u);

}  // namespace boxoffice::loadgen
