#pragma once

#include <string>
#include <vector>

#include "application/policy_service.hpp"
#include "application/queue_status.hpp"
#include "domain/ports/catalogue_cache.hpp"
#include "domain/ports/clock.hpp"
#include "domain/ports/store.hpp"
#include "domain/ports/token_service.hpp"
#include "domain/ports/waiting_room.hpp"
#include "domain/result.hpp"

namespace boxoffice::application {

struct IssueQueueTokenCommand {
  domain::UserId user_id;
  domain::ConcertId concert_id;
};

struct QueueTicket {
  std::string token;
  QueueStatusView status;
};

// Gives the user a place in the concert's waiting room (or keeps theirs) and a fresh token for it.
// concert_not_found for unknown concerts; reservation_not_opened when the concert has no date
// whose reservation window is still to come or open. The sale windows come from the catalogue
// cache: this is the request every arrival makes at a ticket opening.
class IssueQueueToken {
 public:
  IssueQueueToken(domain::Database& db, domain::CatalogueCache& cache, domain::WaitingRoom& room,
                  domain::TokenService& tokens, PolicyService& policies,
                  const domain::Clock& clock);
  domain::Result<QueueTicket> Execute(const IssueQueueTokenCommand& cmd);
  // Execute without blocking, where that is possible: when the waiting room answers without
  // blocking, the concert's dates are in this process's cache and the policies are fresh, it
  // starts the join, returns true and later calls `done` once, on the thread that completes the
  // join (possibly before returning). Otherwise it returns false having done nothing, and the
  // caller runs Execute where it may block (a database or shared-cache read is due).
  bool TryExecuteAsync(const IssueQueueTokenCommand& cmd,
                       domain::Completion<domain::Result<QueueTicket>> done);

 private:
  // The concert's dates (without seat counts), from the cache when it has them.
  domain::Result<std::vector<domain::ConcertEvent>> Dates(domain::ConcertId concert,
                                                          domain::Instant now);
  // The token and status for the place the join gave.
  QueueTicket Ticket(const IssueQueueTokenCommand& cmd, domain::Instant now,
                     const domain::PlaceWithStats& joined, const domain::Policies& policies);

  domain::Database& db_;
  domain::CatalogueCache& cache_;
  domain::WaitingRoom& room_;
  domain::TokenService& tokens_;
  PolicyService& policies_;
  const domain::Clock& clock_;
};

}  // namespace boxoffice::application
