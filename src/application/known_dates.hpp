#pragma once

#include <cstddef>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "domain/model/catalogue.hpp"
#include "domain/ports/store.hpp"

namespace boxoffice::application {

// What the seat steps need of a date, remembered once read. Dates are never changed once
// created (the catalogue has no update or delete), so a date found once is not read again:
// the seat listing, the hold and the reservation each spare a statement, and none counts the
// date's seats (FindEvent derives available_seat_count) on the hot path. Thread-safe.
class KnownDates {
 public:
  struct Facts {
    domain::ConcertId concert_id;
    domain::Instant start_at;
    domain::Instant reservation_start_at;
    domain::Instant reservation_end_at;
  };

  // The date's facts, read through `store` the first time; nullopt when there is no such date.
  std::optional<Facts> Find(domain::Store& store, domain::EventId event);

 private:
  // Dates on sale at once are few; past this the memory is simply started over.
  static constexpr std::size_t kMaxDates = 10'000;

  std::mutex mu_;
  std::unordered_map<domain::EventId, Facts> dates_;
};

}  // namespace boxoffice::application
