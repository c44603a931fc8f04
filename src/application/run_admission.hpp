#pragma once

#include <mutex>
#include <unordered_map>

#include "application/policy_service.hpp"
#include "domain/ports/clock.hpp"
#include "domain/ports/store.hpp"
#include "domain/ports/waiting_room.hpp"

namespace boxoffice::application {

// One pass of the admission scheduler, called often (every ~100 ms). For every concert with a
// queue whose last tick is at least admit_interval_ms old, runs WaitingRoom::Admit, and refreshes
// the sold-out flag from the database (sold out = no buyable seat left).
class RunAdmission {
 public:
  RunAdmission(domain::Database& db, domain::WaitingRoom& room, PolicyService& policies,
               const domain::Clock& clock);
  // Returns how many users were admitted in this pass.
  int Execute();

 private:
  domain::Database& db_;
  domain::WaitingRoom& room_;
  PolicyService& policies_;
  const domain::Clock& clock_;
  std::mutex mu_;
  std::unordered_map<domain::ConcertId, domain::Instant> last_tick_;
};

}  // namespace boxoffice::application
