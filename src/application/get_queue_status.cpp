#include "application/get_queue_status.hpp"

#include "application/queue_token_check.hpp"

namespace boxoffice::application {

using domain::ErrorCode;
using domain::Fail;
using domain::QueueState;

GetQueueStatus::GetQueueStatus(domain::WaitingRoom& room, domain::TokenService& tokens,
                               PolicyService& policies, const domain::Clock& clock)
    : room_(room), tokens_(tokens), policies_(policies), clock_(clock) {}

namespace {

domain::Result<QueueStatusView> StatusOf(const domain::ViewWithStats& touched,
                                         const domain::Policies& policies) {
  const auto& [view, stats] = touched;
  if (view.state == QueueState::kSuperseded) {
    return Fail(ErrorCode::kInvalidToken, "token superseded by a newer one");
  }
  if (view.state == QueueState::kExpired) {
    return Fail(ErrorCode::kQueueTokenNotFound, "no place in the waiting room");
  }
  return MakeStatusView(view, stats, policies);
}

}  // namespace

domain::Result<QueueStatusView> GetQueueStatus::Execute(std::string_view queue_token) {
  const auto now = clock_.Now();
  auto claims = tokens_.VerifyQueue(queue_token, now);
  if (!claims) return InvalidQueueToken();
  const auto policies = policies_.Current();
  return StatusOf(
      room_.TouchWithStats(claims->concert_id, claims->user_id, claims->generation, now, policies),
      policies);
}

bool GetQueueStatus::TryExecuteAsync(std::string_view queue_token,
                                     domain::Completion<domain::Result<QueueStatusView>> done) {
  return StartQueueCheck(room_, tokens_, policies_, clock_, queue_token, done,
                         [&](const domain::QueueClaims& claims, const domain::Policies& policies,
                             domain::Instant now) {
                           room_.TouchWithStatsAsync(
                               claims.concert_id, claims.user_id, claims.generation, now, policies,
                               [policies, done = std::move(done)](std::exception_ptr error,
                                                                  domain::ViewWithStats touched) {
                                 if (error) {
                                   done(error, Fail(ErrorCode::kUnavailable, "the check failed"));
                                 } else {
                                   done(nullptr, StatusOf(touched, policies));
                                 }
                               });
                         });
}

}  // namespace boxoffice::application
