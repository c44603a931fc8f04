#include "application/list_seats.hpp"

#include <algorithm>

namespace boxoffice::application {

using domain::ErrorCode;
using domain::Fail;
using domain::Result;
using domain::Seat;

ListSeats::ListSeats(domain::Database& db, const domain::Clock& clock) : db_(db), clock_(clock) {}

Result<std::vector<Seat>> ListSeats::Execute(const ActiveUser& who, const ListSeatsQuery& q) {
  const auto now = clock_.Now();
  // The date's facts never change, so its seats need not share a snapshot with them.
  return db_.ReadLatest([&](domain::Store& store) -> Result<std::vector<Seat>> {
    auto date = dates_.Find(store, q.event_id);
    if (!date) return Fail(ErrorCode::kEventNotFound, "concert event not found");
    if (date->concert_id != who.concert_id) {
      return Fail(ErrorCode::kTokenNotProcessable, "queue token is for another concert");
    }
    return q.only_available ? store.Catalogue().ListFreeSeats(q.event_id, now)
                            : store.Catalogue().ListSeats(q.event_id, now);
  });
}

}  // namespace boxoffice::application
