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

std::vector<domain::User> SqlUserRepository::CreateAll(std::span<const std::string> names,
                                                       domain::Instant now) {
  const std::int64_t step = dialect_.InsertIdStep();
  if (names.size() < 2 || step == 0) return UserRepository::CreateAll(names, now);
  // One statement for all; the database numbers its rows consecutively from LastInsertId.
  std::string sql = "INSERT INTO users (name, created_at) VALUES ";
  sql::Params params{{"now", sql::ToMs(now)}};
  for (std::size_t i = 0; i < names.size(); ++i) {
    const std::string n = std::to_string(i);
    sql += (i > 0 ? ",(:n" : "(:n") + n + ", :now)";
    params.push_back({"n" + n, names[i]});
  }
  RunCountedOnce(sql, params);
  const std::int64_t first = dialect_.LastInsertId(session_);
  std::vector<domain::User> out;
  out.reserve(names.size());
  for (std::size_t i = 0; i < names.size(); ++i) {
    out.push_back({domain::UserId{first + static_cast<std::int64_t>(i) * step}, names[i]});
  }
  return out;
}

std::optional<domain::User> SqlUserRepository::Find(domain::UserId id) {
  std::string name;
  if (!Run(kSelectUser, soci::use(id.value, "id"), soci::into(name))) return std::nullopt;
  return domain::User{id, name};
}

}  // namespace boxoffice::infra
