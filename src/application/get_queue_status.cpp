#include "application/get_queue_status.hpp"

namespace boxoffice::application {

using domain::ErrorCode;
using domain::Fail;
using domain::QueueState;

GetQueueStatus::GetQueueStatus(domain::WaitingRoom& room, domain::TokenService& tokens,
                               PolicyService& policies, const domain::Clock& clock)
    : room_(room), tokens_(tokens), policies_(policies), clock_(clock) {}

domain::Result<QueueStatusView> GetQueueStatus::Execute(std::string_view queue_token) {
  const auto now = clock_.Now();
  auto claims = tokens_.VerifyQueue(queue_token, now);
  if (!claims) return Fail(ErrorCode::kInvalidToken, "queue token is invalid or expired");
  const auto policies = policies_.Current();
  auto [view, stats] =
      room_.TouchWithStats(claims->concert_id, claims->user_id, claims->generation, now, policies);
  if (view.state == QueueState::kSuperseded) {
    return Fail(ErrorCode::kInvalidToken, "token superseded by a newer one");
  }
  if (view.state == QueueState::kExpired) {
    return Fail(ErrorCode::kQueueTokenNotFound, "no place in the waiting room");
  }
  return MakeStatusView(view, stats, policies);
}

}  // namespace boxoffice::application
