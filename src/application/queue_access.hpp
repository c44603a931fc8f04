#pragma once

#include <string_view>

#include "application/policy_service.hpp"
#include "domain/ports/clock.hpp"
#include "domain/ports/token_service.hpp"
#include "domain/ports/waiting_room.hpp"
#include "domain/result.hpp"

namespace boxoffice::application {

// A user admitted to a concert: what an ACTIVE queue token proves.
struct ActiveUser {
  domain::UserId user_id;
  domain::ConcertId concert_id;
  std::int32_t generation = 0;  // of the queue place (QueueClaims::generation)
};

// Checks queue tokens for the endpoints that require admission. Each successful check renews
// the idle deadline of the admitted user.
class QueueAccess {
 public:
  QueueAccess(domain::TokenService& tokens, domain::WaitingRoom& room, PolicyService& policies,
              const domain::Clock& clock);
  // invalid_token when the token is malformed, forged or superseded; queue_token_not_found when
  // the place expired; token_not_processable while still waiting (or sold out).
  domain::Result<ActiveUser> RequireActive(std::string_view queue_token);
  // RequireActive ending through `done`, without blocking: when the waiting room answers
  // without blocking and the policies are at hand it returns true, and `done` runs once, in place
  // or on the thread that reads the room's reply (with an error when the room failed). Otherwise
  // it returns false having started nothing: call RequireActive.
  bool RequireActiveAsync(std::string_view queue_token,
                          domain::Completion<domain::Result<ActiveUser>> done);
  // The user a correctly signed, unexpired queue token names, whatever the state of the place
  // (to replay a stored response after the place was freed). invalid_token otherwise.
  domain::Result<domain::UserId> Identify(std::string_view queue_token);

 private:
  domain::TokenService& tokens_;
  domain::WaitingRoom& room_;
  PolicyService& policies_;
  const domain::Clock& clock_;
};

}  // namespace boxoffice::application
