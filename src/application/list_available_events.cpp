#include "application/list_available_events.hpp"

namespace boxoffice::application {

using domain::ConcertEvent;
using domain::ErrorCode;
using domain::Fail;
using domain::Result;

ListAvailableEvents::ListAvailableEvents(domain::Database& db, const domain::Clock& clock)
    : db_(db), clock_(clock) {}

Result<std::vector<ConcertEvent>> ListAvailableEvents::Execute(const ActiveUser& who,
                                                               domain::ConcertId concert) {
  if (concert != who.concert_id) {
    return Fail(ErrorCode::kTokenNotProcessable, "queue token is for another concert");
  }
  const auto now = clock_.Now();
  // Usually one statement; the concert it may look up never changes.
  return db_.ReadLatest([&](domain::Store& store) -> Result<std::vector<ConcertEvent>> {
    auto events = store.Catalogue().ListEvents(concert, now);
    // A date belongs to an existing concert, so the concert is looked up only when it has none:
    // one statement per listing, not two.
    if (events.empty() && !store.Catalogue().FindConcert(concert)) {
      return Fail(ErrorCode::kConcertNotFound, "concert not found");
    }
    std::vector<ConcertEvent> open;
    for (auto& event : events) {
      if (event.IsOpenAt(now)) open.push_back(std::move(event));
    }
    return open;
  });
}

}  // namespace boxoffice::application
