#include "application/get_queue_stats.hpp"

namespace boxoffice::application {

using domain::ErrorCode;
using domain::Fail;
using domain::Result;

GetQueueStats::GetQueueStats(domain::Database& db, domain::WaitingRoom& room,
                             const domain::Clock& clock)
    : db_(db), room_(room), clock_(clock) {}

Result<domain::QueueStats> GetQueueStats::Execute(domain::ConcertId concert) {
  auto found = db_.Read([&](domain::Store& store) -> Result<bool> {
    if (!store.Catalogue().FindConcert(concert)) {
      return Fail(ErrorCode::kConcertNotFound, "concert not found");
    }
    return true;
  });
  if (!found) return found.error();
  return room_.Stats(concert, clock_.Now());
}

}  // namespace boxoffice::application
