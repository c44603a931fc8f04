#pragma once

#include "domain/types.hpp"

namespace boxoffice::domain {

// The only source of "now". Tests use a fake that they advance by hand.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual Instant Now() const = 0;
};

}  // namespace boxoffice::domain
