#include "application/get_queue_status.hpp"

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

domain::Error InvalidToken() {
  return Fail(ErrorCode::kInvalidToken, "queue token is invalid or expired");
}

}  // namespace

domain::Result<QueueStatusView> GetQueueStatus::Execute(std::string_view queue_token) {
  const auto now = clock_.Now();
  auto claims = tokens_.VerifyQueue(queue_token, now);
  if (!claims) return InvalidToken();
  const auto policies = policies_.Current();
  return StatusOf(
      room_.TouchWithStats(claims->concert_id, claims->user_id, claims->generation, now, policies),
      policies);
}

bool GetQueueStatus::TryExecuteAsync(std::string_view queue_token,
                                     domain::Completion<domain::Result<QueueStatusView>> done) {
  if (!room_.AnswersWithoutBlocking()) return false;
  const auto policies = policies_.CurrentIfFresh();
  if (!policies) return false;
  const auto now = clock_.Now();
  auto claims = tokens_.VerifyQueue(queue_token, now);
  if (!claims) {
    done(nullptr, InvalidToken());
    return true;
  }
  room_.TouchWithStatsAsync(claims->concert_id, claims->user_id, claims->generation, now, *policies,
                            [policies = *policies, done = std::move(done)](
                                std::exception_ptr error, domain::ViewWithStats touched) {
                              if (error) {
                                done(error, Fail(ErrorCode::kUnavailable, "the check failed"));
                              } else {
                                done(nullptr, StatusOf(touched, policies));
                              }
                            });
  return true;
}

}  // namespace boxoffice::application
