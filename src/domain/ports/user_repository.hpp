#pragma once

#include <optional>
#include <string>

#include "domain/model/user.hpp"

namespace boxoffice::domain {

class UserRepository {
 public:
  virtual ~UserRepository() = default;
  virtual User Create(const std::string& name, Instant now) = 0;
  virtual std::optional<User> Find(UserId id) = 0;
};

}  // namespace boxoffice::domain
