#include "application/queue_access.hpp"

#include "application/queue_token_check.hpp"

namespace boxoffice::application {

using domain::ErrorCode;
using domain::Fail;
using domain::QueueState;

QueueAccess::QueueAccess(domain::TokenService& tokens, domain::WaitingRoom& room,
                         PolicyService& policies, const domain::Clock& clock)
    : tokens_(tokens), room_(room), policies_(policies), clock_(clock) {}

namespace {

// The admitted user `claims` names, if `view` says the place is admitted.
domain::Result<ActiveUser> ActiveOf(const domain::QueueClaims& claims,
                                    const domain::QueueView& view) {
  switch (view.state) {
    case QueueState::kSuperseded:
      return Fail(ErrorCode::kInvalidToken, "token superseded by a newer one");
    case QueueState::kExpired:
      return Fail(ErrorCode::kQueueTokenNotFound, "no place in the waiting room");
    case QueueState::kWaiting:
    case QueueState::kSoldOut:
      return Fail(ErrorCode::kTokenNotProcessable, "not admitted yet");
    case QueueState::kActive:
      break;
  }
  return ActiveUser{claims.user_id, claims.concert_id, claims.generation};
}

}  // namespace

domain::Result<ActiveUser> QueueAccess::RequireActive(std::string_view queue_token) {
  const auto now = clock_.Now();
  auto claims = tokens_.VerifyQueue(queue_token, now);
  if (!claims) return InvalidQueueToken();
  return ActiveOf(*claims, room_.Touch(claims->concert_id, claims->user_id, claims->generation, now,
                                       policies_.Current()));
}

bool QueueAccess::RequireActiveAsync(std::string_view queue_token,
                                     domain::Completion<domain::Result<ActiveUser>> done) {
  return StartQueueCheck(
      room_, tokens_, policies_, clock_, queue_token, done,
      [&](const domain::QueueClaims& claims, const domain::Policies& policies,
          domain::Instant now) {
        room_.TouchAsync(
            claims.concert_id, claims.user_id, claims.generation, now, policies,
            [claims, done = std::move(done)](std::exception_ptr error, domain::QueueView view) {
              if (error) {
                done(error, Fail(ErrorCode::kUnavailable, "the check failed"));
              } else {
                done(nullptr, ActiveOf(claims, view));
              }
            });
      });
}

domain::Result<domain::UserId> QueueAccess::Identify(std::string_view queue_token) {
  auto claims = tokens_.VerifyQueue(queue_token, clock_.Now());
  if (!claims) return domain::Fail(domain::ErrorCode::kInvalidToken, "queue token is invalid");
  return claims->user_id;
}

}  // namespace boxoffice::application
