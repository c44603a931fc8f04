#pragma once

#include <vector>

#include "application/known_dates.hpp"
#include "application/queue_access.hpp"
#include "domain/model/catalogue.hpp"
#include "domain/ports/clock.hpp"
#include "domain/ports/store.hpp"
#include "domain/result.hpp"

namespace boxoffice::application {

struct ListSeatsQuery {
  domain::EventId event_id;
  bool only_available = false;
};

// Seats of a date of the concert the user is admitted to. event_not_found when unknown;
// token_not_processable when the date belongs to another concert.
class ListSeats {
 public:
  ListSeats(domain::Database& db, const domain::Clock& clock);
  domain::Result<std::vector<domain::Seat>> Execute(const ActiveUser& who, const ListSeatsQuery& q);

 private:
  domain::Database& db_;
  const domain::Clock& clock_;
  KnownDates dates_;
};

}  // namespace boxoffice::application
