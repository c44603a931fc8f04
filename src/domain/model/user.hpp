#pragma once

#include <string>

#include "domain/types.hpp"

namespace boxoffice::domain {

struct User {
  UserId id;
  std::string name;
};

inline constexpr std::size_t kMaxNameLength = 100;

}  // namespace boxoffice::domain
