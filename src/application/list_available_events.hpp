#pragma once

#include <vector>

#include "application/queue_access.hpp"
#include "domain/model/catalogue.hpp"
#include "domain/ports/clock.hpp"
#include "domain/ports/store.hpp"
#include "domain/result.hpp"

namespace boxoffice::application {

// Dates of the concert the user is admitted to whose reservation window is open now, with
// their available seat counts (counted fresh, never cached).
// concert_not_found when unknown; token_not_processable when the token is for another concert.
class ListAvailableEvents {
 public:
  ListAvailableEvents(domain::Database& db, const domain::Clock& clock);
  domain::Result<std::vector<domain::ConcertEvent>> Execute(const ActiveUser& who,
                                                            domain::ConcertId concert);

 private:
  domain::Database& db_;
  const domain::Clock& clock_;
};

}  // namespace boxoffice::application
