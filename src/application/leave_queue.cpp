#include "application/leave_queue.hpp"

namespace boxoffice::application {

using domain::ErrorCode;
using domain::Fail;
using domain::QueueState;

LeaveQueue::LeaveQueue(domain::WaitingRoom& room, domain::TokenService& tokens,
                       const domain::Clock& clock)
    : room_(room), tokens_(tokens), clock_(clock) {}

domain::Result<void> LeaveQueue::Execute(std::string_view queue_token) {
  const auto now = clock_.Now();
  auto claims = tokens_.VerifyQueue(queue_token, now);
  if (!claims) return Fail(ErrorCode::kInvalidToken, "queue token is invalid or expired");
  // Only the current token may give the place up; a stale copy must not evict its owner. This
  // use case has no PolicyService, so the touch uses the longest timeouts: a place is then never
  // judged expired early, and the deadline it renews is dropped by the Leave below anyway.
  domain::Policies lenient;
  lenient.waiting_grace_seconds = 24 * 3600;
  lenient.active_idle_ttl_seconds = 24 * 3600;
  auto view = room_.Touch(claims->concert_id, claims->user_id, claims->generation, now, lenient);
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
