#include "application/authenticate.hpp"

namespace boxoffice::application {

using domain::ErrorCode;
using domain::Fail;

Authenticate::Authenticate(domain::TokenService& tokens, const domain::Clock& clock)
    : tokens_(tokens), clock_(clock) {}

domain::Result<domain::UserId> Authenticate::Execute(std::string_view access_token) {
  if (access_token.empty()) return Fail(ErrorCode::kUnauthenticated, "access token required");
  auto user = tokens_.VerifyAccess(access_token, clock_.Now());
  if (!user) return Fail(ErrorCode::kInvalidToken, "access token is invalid or expired");
  return *user;
}

}  // namespace boxoffice::application
