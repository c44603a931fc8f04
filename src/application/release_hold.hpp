#pragma once

#include "application/queue_access.hpp"
#include "domain/ports/clock.hpp"
#include "domain/ports/store.hpp"
#include "domain/result.hpp"

namespace boxoffice::application {

struct ReleaseHoldCommand {
  ActiveUser who;
  domain::HoldId hold_id;
};

// Gives the seats of a live hold back at once (and cancels its PENDING reservation, if any).
// occupation_not_found; occupation_invalid for another user's hold; occupation_already_released;
// occupation_already_expired.
class ReleaseHold {
 public:
  ReleaseHold(domain::Database& db, const domain::Clock& clock);
  domain::Result<void> Execute(const ReleaseHoldCommand& cmd);

 private:
  domain::Database& db_;
  const domain::Clock& clock_;
};

}  // namespace boxoffice::application
