#include "application/create_user.hpp"

#include "application/text.hpp"
#include "application/together.hpp"

namespace boxoffice::application {

using domain::ErrorCode;
using domain::Fail;

CreateUser::CreateUser(domain::Database& db, domain::TokenService& tokens,
                       const domain::Clock& clock)
    : db_(db), tokens_(tokens), clock_(clock) {}

domain::Result<std::string> CreateUser::ValidName(const std::string& name) {
  // The limit applies to what was sent, so a client cannot pass it with padding we trim away.
  std::string trimmed = TrimSpace(name);
  if (trimmed.empty() || Utf8Length(name) > domain::kMaxNameLength) {
    return Fail(ErrorCode::kInvalidRequest,
                "name must be 1 to " + std::to_string(domain::kMaxNameLength) + " characters");
  }
  return trimmed;
}

domain::Result<CreatedUser> CreateUser::Execute(const CreateUserCommand& cmd) {
  auto name = ValidName(cmd.name);
  if (!name) return name.error();
  const auto now = clock_.Now();
  auto user = db_.Write([&](domain::Store& store) -> domain::Result<domain::User> {
    auto created = store.Users().Create(*name, now);
    store.Wallets().Create(created.id, now);
    return created;
  });
  if (!user) return user.error();
  return CreatedUser{user.value(), tokens_.IssueAccess(user->id, now)};
}

std::optional<std::vector<CreatedUser>> CreateUser::ExecuteTogether(
    std::span<const CreateUserCommand> commands) {
  std::vector<std::string> names;
  names.reserve(commands.size());
  for (const auto& cmd : commands) {
    auto name = ValidName(cmd.name);
    if (!name) return std::nullopt;  // answered by Execute, alone
    names.push_back(*std::move(name));
  }
  const auto now = clock_.Now();
  std::vector<domain::User> users;
  const bool committed = CommitTogether(db_, [&](domain::Store& store) -> domain::Result<bool> {
    users = store.Users().CreateAll(names, now);
    std::vector<domain::UserId> ids;
    ids.reserve(users.size());
    for (const auto& user : users) ids.push_back(user.id);
    store.Wallets().CreateAll(ids, now);
    return true;
  });
  if (!committed) return std::nullopt;
  std::vector<CreatedUser> out;
  out.reserve(users.size());
  for (auto& user : users) {
    const auto id = user.id;
    out.push_back({std::move(user), tokens_.IssueAccess(id, now)});
  }
  return out;
}

}  // namespace boxoffice::application
