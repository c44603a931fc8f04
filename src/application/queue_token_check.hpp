#pragma once

#include <string_view>

#include "application/policy_service.hpp"
#include "domain/ports/clock.hpp"
#include "domain/ports/token_service.hpp"
#include "domain/ports/waiting_room.hpp"
#include "domain/result.hpp"

namespace boxoffice::application {

// The answer to a queue token that is malformed, forged or expired.
inline domain::Error InvalidQueueToken() {
  return domain::Fail(domain::ErrorCode::kInvalidToken, "queue token is invalid or expired");
}

// The first steps of a queue-token check that must not block (ADR 0015), shared by the use cases
// that ask the waiting room about the place a token names. Returns false, having started
// nothing, when the room would block or the policies are due for a database read: the caller
// then runs its blocking form. Otherwise returns true: a token that does not verify is answered
// through `done` at once; a valid one is handed to `ask` with the fresh policies and the time,
// and `ask` starts the room's call, which ends through `done` (moved from).
template <class T, class Ask>
bool StartQueueCheck(domain::WaitingRoom& room, domain::TokenService& tokens,
                     PolicyService& policies, const domain::Clock& clock,
                     std::string_view queue_token, domain::Completion<domain::Result<T>>& done,
                     Ask ask) {
  if (!room.AnswersWithoutBlocking()) return false;
  const auto fresh = policies.CurrentIfFresh();
  if (!fresh) return false;
  const auto now = clock.Now();
  auto claims = tokens.VerifyQueue(queue_token, now);
  if (!claims) {
    done(nullptr, InvalidQueueToken());
    return true;
  }
  ask(*claims, *fresh, now);
  return true;
}

}  // namespace boxoffice::application
