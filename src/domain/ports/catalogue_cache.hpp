#pragma once

#include <optional>
#include <vector>

#include "domain/model/catalogue.hpp"

namespace boxoffice::domain {

// Cache of catalogue reads that change only when an operator edits the catalogue. Seat state
// and available counts are never cached.
class CatalogueCache {
 public:
  virtual ~CatalogueCache() = default;
  virtual std::optional<std::vector<Concert>> GetConcerts() = 0;
  virtual void PutConcerts(const std::vector<Concert>& concerts) = 0;
  // Dates of a concert with available_seat_count unset (0).
  virtual std::optional<std::vector<ConcertEvent>> GetEvents(ConcertId concert) = 0;
  virtual void PutEvents(ConcertId concert, const std::vector<ConcertEvent>& events) = 0;
  // Drops everything (after any catalogue change).
  virtual void Invalidate() = 0;
};

}  // namespace boxoffice::domain
