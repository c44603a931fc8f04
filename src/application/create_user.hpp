#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

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
  // Several sign-ups in ONE transaction, with statements the adapter may share between them
  // (ADR 0021). Returns each one's user, in order, when the transaction committed; nullopt when
  // it did not (a name Execute would refuse, the database unavailable): nothing is then
  // written, and each must run alone (Execute), which answers it as it would have been answered
  // had it never been tried here.
  std::optional<std::vector<CreatedUser>> ExecuteTogether(
      std::span<const CreateUserCommand> commands);

 private:
  // The name to store, or invalid_request.
  static domain::Result<std::string> ValidName(const std::string& name);

  domain::Database& db_;
  domain::TokenService& tokens_;
  const domain::Clock& clock_;
};

}  // namespace boxoffice::application
