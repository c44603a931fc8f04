#include <soci/soci.h>

#include "infrastructure/sql/sql_repositories.hpp"
#include "infrastructure/sql/sql_util.hpp"

namespace boxoffice::infra {
namespace {

constexpr const char* kInsertUser = "INSERT INTO users (name, created_at) VALUES (:name, :now)";
constexpr const char* kSelectUser = "SELECT name FROM users WHERE id = :id";

}  // namespace

domain::User SqlUserRepository::Create(const std::string& name, domain::Instant now) {
  const std::int64_t at = sql::ToMs(now);
  Run(kInsertUser, soci::use(name, "name"), soci::use(at, "now"));
  return domain::User{domain::UserId{dialect_.LastInsertId(session_)}, name};
}

std::optional<domain::User> SqlUserRepository::Find(domain::UserId id) {
  std::string name;
  if (!Run(kSelectUser, soci::use(id.value, "id"), soci::into(name))) return std::nullopt;
  return domain::User{id, name};
}

}  // namespace boxoffice::infra
