#pragma once

#include <optional>

#include "domain/model/policies.hpp"
#include "domain/types.hpp"

namespace boxoffice::domain {

class PolicyRepository {
 public:
  virtual ~PolicyRepository() = default;
  // nullopt until an operator has saved policies once (defaults apply).
  virtual std::optional<Policies> Load() = 0;
  virtual void Save(const Policies& policies, Instant now) = 0;
};

}  // namespace boxoffice::domain
