#pragma once

#include "domain/model/catalogue.hpp"
#include "domain/ports/catalogue_cache.hpp"
#include "domain/ports/clock.hpp"
#include "domain/ports/store.hpp"
#include "domain/result.hpp"

namespace boxoffice::application {

// Operator edits of the catalogue. Each invalidates the catalogue cache.
// CreateConcert: invalid_request for an empty or over-long title or singer (description may be
// empty). CreateEvent: concert_not_found; invalid_request unless 1 <= seat_count <=
// kMaxSeatsPerEvent, 1 <= duration <= kMaxDurationMinutes, reservation_start_at <
// reservation_end_at <= start_at, venue non-empty; invalid_amount unless 0 < price <=
// kMaxChargeAmount.
class ManageCatalogue {
 public:
  ManageCatalogue(domain::Database& db, domain::CatalogueCache& cache, const domain::Clock& clock);
  domain::Result<domain::Concert> CreateConcert(const domain::NewConcert& concert);
  domain::Result<domain::ConcertEvent> CreateEvent(const domain::NewConcertEvent& event);

 private:
  domain::Database& db_;
  domain::CatalogueCache& cache_;
  const domain::Clock& clock_;
};

}  // namespace boxoffice::application
