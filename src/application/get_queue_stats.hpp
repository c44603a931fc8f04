#pragma once

#include "domain/model/queue.hpp"
#include "domain/ports/clock.hpp"
#include "domain/ports/store.hpp"
#include "domain/ports/waiting_room.hpp"
#include "domain/result.hpp"

namespace boxoffice::application {

// Operator view of a concert's waiting room. concert_not_found when unknown.
class GetQueueStats {
 public:
  GetQueueStats(domain::Database& db, domain::WaitingRoom& room, const domain::Clock& clock);
  domain::Result<domain::QueueStats> Execute(domain::ConcertId concert);

 private:
  domain::Database& db_;
  domain::WaitingRoom& room_;
  const domain::Clock& clock_;
};

}  // namespace boxoffice::application
