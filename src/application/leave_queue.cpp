#include "application/leave_queue.hpp"

#include "application/queue_token_check.hpp"

namespace boxoffice::application {

using domain::ErrorCode;
using domain::Fail;
using domain::QueueState;

LeaveQueue::LeaveQueue(domain::WaitingRoom& room, domain::TokenService& tokens,
                       PolicyService& policies, const domain::Clock& clock)
    : room_(room), tokens_(tokens), policies_(policies), clock_(clock) {}

domain::Result<void> LeaveQueue::Execute(std::string_view queue_token) {
  const auto now = clock_.Now();
  auto claims = tokens_.VerifyQueue(queue_token, now);
  if (!claims) return InvalidQueueToken();
  // Only the current token may give the place up; a stale copy must not evict its owner.
  auto view = room_.Touch(claims->concert_id, claims->user_id, claims->generation, now,
                          policies_.Current());
  if (view.state == QueueState::kSuperseded) {
    return Fail(ErrorCode::kInvalidToken, "token superseded by a newer one");
  }
  if (view.state == QueueState::kExpired) {
    return Fail(ErrorCode::kQueueTokenNotFound, "no place in the waiting room");
  }
  room_.Leave(claims->concert_id, claims->user_id);
  return {};
}

}  // namespace boxoffice::application
