#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "domain/model/user.hpp"

namespace boxoffice::domain {

class UserRepository {
 public:
  virtual ~UserRepository() = default;
  virtual User Create(const std::string& name, Instant now) = 0;
  // Create for each of `names`, in order (CreateUser::ExecuteTogether). The default creates
  // them one at a time; an adapter may insert them in one statement.
  virtual std::vector<User> CreateAll(std::span<const std::string> names, Instant now) {
    std::vector<User> out;
    out.reserve(names.size());
    for (const auto& name : names) out.push_back(Create(name, now));
    return out;
  }
  virtual std::optional<User> Find(UserId id) = 0;
};

}  // namespace boxoffice::domain
