#pragma once

#include <string_view>

#include "domain/ports/clock.hpp"
#include "domain/ports/token_service.hpp"
#include "domain/result.hpp"

namespace boxoffice::application {

// Turns an access token into the user it names; unauthenticated when empty, invalid_token when
// malformed, forged or expired.
class Authenticate {
 public:
  Authenticate(domain::TokenService& tokens, const domain::Clock& clock);
  domain::Result<domain::UserId> Execute(std::string_view access_token);

 private:
  domain::TokenService& tokens_;
  const domain::Clock& clock_;
};

}  // namespace boxoffice::application
