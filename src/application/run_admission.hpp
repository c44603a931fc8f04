#pragma once

#include <mutex>
#include <string>
#include <unordered_map>

#include "application/policy_service.hpp"
#include "domain/ports/clock.hpp"
#include "domain/ports/lease.hpp"
#include "domain/ports/store.hpp"
#include "domain/ports/waiting_room.hpp"

namespace boxoffice::application {

// One pass of the admission scheduler, called often (every ~100 ms) on every instance. For
// every concert with a queue whose admission lease this instance holds (so one instance ticks
// each concert) and whose last tick here is at least admit_interval_ms old, runs
// WaitingRoom::Admit with the lease's fencing token and refreshes the sold-out flag from the
// database (no buyable seat left).
class RunAdmission {
 public:
  // How long an instance that stopped renewing keeps a concert's admission lease.
  static constexpr domain::Duration kLeaseTtl = std::chrono::seconds(3);

  RunAdmission(domain::Database& db, domain::WaitingRoom& room, PolicyService& policies,
               domain::Lease& lease, std::string instance_id, const domain::Clock& clock);
  // Returns how many users were admitted in this pass.
  int Execute();

 private:
  domain::Database& db_;
  domain::WaitingRoom& room_;
  PolicyService& policies_;
  domain::Lease& lease_;
  std::string instance_id_;
  const domain::Clock& clock_;
  std::mutex mu_;
  std::unordered_map<domain::ConcertId, domain::Instant> last_tick_;
};

}  // namespace boxoffice::application
