#pragma once

#include <string>

#include "domain/model/user.hpp"
#include "domain/ports/clock.hpp"
#include "domain/ports/store.hpp"
#include "domain/ports/token_service.hpp"
#include "domain/result.hpp"

namespace boxoffice::application {

struct CreateUserCommand {
  std::string name;  // 1..kMaxNameLength characters after trimming
};

struct CreatedUser {
  domain::User user;
  std::string access_token;
};

// Signs a user up with an empty wallet and returns an access token.
class CreateUser {
 public:
  CreateUser(domain::Database& db, domain::TokenService& tokens, const domain::Clock& clock);
  domain::Result<CreatedUser> Execute(const CreateUserCommand& cmd);

 private:
  domain::Database& db_;
  domain::TokenService& tokens_;
  const domain::Clock& clock_;
};

}  // namespace boxoffice::application
