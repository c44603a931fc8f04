#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "domain/model/catalogue.hpp"

namespace boxoffice::domain {

// Cache of catalogue reads that change only when an operator edits the catalogue. Seat state
// and available counts are never cached.
//
// A fill races with invalidation: a reader may load the old catalogue, an operator's change
// then invalidates, and the reader stores what it loaded. So a reader takes Version() before it
// reads the database and passes it to Put; a Put whose version is no longer current is dropped.
class CatalogueCache {
 public:
  virtual ~CatalogueCache() = default;
  // Changes on every Invalidate.
  virtual std::uint64_t Version() = 0;
  virtual std::optional<std::vector<Concert>> GetConcerts() = 0;
  virtual void PutConcerts(const std::vector<Concert>& concerts, std::uint64_t read_at) = 0;
  // GetConcerts answered from this process's memory only, never blocking: nullopt when that
  // would take a network round trip (a cache shared through another server) or a miss.
  virtual std::optional<std::vector<Concert>> PeekConcerts() { return std::nullopt; }
  // Dates of a concert with available_seat_count unset (0).
  virtual std::optional<std::vector<ConcertEvent>> GetEvents(ConcertId concert) = 0;
  virtual void PutEvents(ConcertId concert, const std::vector<ConcertEvent>& events,
                         std::uint64_t read_at) = 0;
  // GetEvents answered the same way as PeekConcerts.
  virtual std::optional<std::vector<ConcertEvent>> PeekEvents(ConcertId /*concert*/) {
    return std::nullopt;
  }
  // Drops everything (after any catalogue change).
  virtual void Invalidate() = 0;
};

}  // namespace boxoffice::domain
