#include "application/create_user.hpp"

#include "application/text.hpp"

namespace boxoffice::application {

using domain::ErrorCode;
using domain::Fail;

CreateUser::CreateUser(domain::Database& db, domain::TokenService& tokens,
                       const domain::Clock& clock)
    : db_(db), tokens_(tokens), clock_(clock) {}

domain::Result<CreatedUser> CreateUser::Execute(const CreateUserCommand& cmd) {
  // The limit applies to what was sent, so a client cannot pass it with padding we trim away.
  std::string name = TrimSpace(cmd.name);
  if (name.empty() || Utf8Length(cmd.name) > domain::kMaxNameLength) {
    return Fail(ErrorCode::kInvalidRequest,
                "name must be 1 to " + std::to_string(domain::kMaxNameLength) + " characters");
  }
  const auto now = clock_.Now();
  auto user = db_.Write([&](domain::Store& store) -> domain::Result<domain::User> {
    auto created = store.Users().Create(name, now);
    store.Wallets().Create(created.id, now);
    return created;
  });
  if (!user) return user.error();
  return CreatedUser{user.value(), tokens_.IssueAccess(user->id, now)};
}

}  // namespace boxoffice::application
