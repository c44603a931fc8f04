#pragma once

#include <string_view>

#include "application/policy_service.hpp"
#include "domain/ports/clock.hpp"
#include "domain/ports/token_service.hpp"
#include "domain/ports/waiting_room.hpp"
#include "domain/result.hpp"

namespace boxoffice::application {

// Gives up the place a (current) queue token names, waiting or admitted.
class LeaveQueue {
 public:
  LeaveQueue(domain::WaitingRoom& room, domain::TokenService& tokens, PolicyService& policies,
             const domain::Clock& clock);
  domain::Result<void> Execute(std::string_view queue_token);

 private:
  domain::WaitingRoom& room_;
  domain::TokenService& tokens_;
  PolicyService& policies_;
  const domain::Clock& clock_;
};

}  // namespace boxoffice::application
