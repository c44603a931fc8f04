#pragma once

#include <string_view>

#include "application/policy_service.hpp"
#include "application/queue_status.hpp"
#include "domain/ports/clock.hpp"
#include "domain/ports/token_service.hpp"
#include "domain/ports/waiting_room.hpp"
#include "domain/result.hpp"

namespace boxoffice::application {

// The state of the place a queue token names; counts as a sign of life.
// invalid_token when forged or superseded; queue_token_not_found when the place expired.
class GetQueueStatus {
 public:
  GetQueueStatus(domain::WaitingRoom& room, domain::TokenService& tokens, PolicyService& policies,
                 const domain::Clock& clock);
  domain::Result<QueueStatusView> Execute(std::string_view queue_token);
  // Execute without blocking, where that is possible: when the waiting room answers without
  // blocking and the policies are fresh, it starts the check, returns true and later calls
  // `done` once, on the thread that completes it (possibly before returning). Otherwise it
  // returns false having done nothing, and the caller runs Execute where it may block.
  bool TryExecuteAsync(std::string_view queue_token,
                       domain::Completion<domain::Result<QueueStatusView>> done);

 private:
  domain::WaitingRoom& room_;
  domain::TokenService& tokens_;
  PolicyService& policies_;
  const domain::Clock& clock_;
};

}  // namespace boxoffice::application
