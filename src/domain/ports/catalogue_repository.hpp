#pragma once

#include <optional>
#include <vector>

#include "domain/model/catalogue.hpp"

namespace boxoffice::domain {

// Concerts, their dates and seat maps.
class CatalogueRepository {
 public:
  virtual ~CatalogueRepository() = default;

  virtual Concert CreateConcert(const NewConcert& concert, Instant now) = 0;
  virtual std::vector<Concert> ListConcerts() = 0;  // ordered by id
  virtual std::optional<Concert> FindConcert(ConcertId id) = 0;

  // Creates the date and its seats numbered 1..seat_count, all at `price`, all AVAILABLE.
  virtual ConcertEvent CreateEvent(const NewConcertEvent& event, Instant now) = 0;
  // available_seat_count is computed at `now`: seats AVAILABLE, or HELD with a lapsed hold.
  virtual std::optional<ConcertEvent> FindEvent(EventId id, Instant now) = 0;
  // As FindEvent without counting the available seats (available_seat_count reads 0): for the
  // checks of a hold, reservation or seat listing, which need the date, not its count.
  virtual std::optional<ConcertEvent> FindEventUncounted(EventId id) = 0;
  // All dates of a concert ordered by start_at, with available counts at `now`.
  virtual std::vector<ConcertEvent> ListEvents(ConcertId concert, Instant now) = 0;

  // Seats of a date ordered by seat number. A HELD seat whose hold lapsed before `now` reads
  // AVAILABLE.
  virtual std::vector<Seat> ListSeats(EventId event, Instant now) = 0;
  // The seats of ListSeats that read AVAILABLE at `now`, in the same order: the database leaves
  // out the others, which are most of a date once its sale is under way.
  virtual std::vector<Seat> ListFreeSeats(EventId event, Instant now) = 0;

  // Whether any seat of the concert could still be bought: not RESERVED, in a date whose
  // reservation window has not ended at `now`. Stops at the first such seat.
  virtual bool HasBuyableSeats(ConcertId concert, Instant now) = 0;
};

}  // namespace boxoffice::domain
