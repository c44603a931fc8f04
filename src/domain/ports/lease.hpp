#pragma once

#include <string>

#include "domain/types.hpp"

namespace boxoffice::domain {

// Mutual exclusion with expiry across instances: which instance runs a periodic job (the
// admission tick of a concert). Correctness never depends on it (the waiting room caps
// admissions at max_active regardless); it keeps N instances from admitting N batches per
// interval.
class Lease {
 public:
  virtual ~Lease() = default;
  // Takes the lease `name` for `owner`, or renews it when `owner` already holds it, until
  // `ttl` after now. Returns whether `owner` holds it. A lease whose holder stopped renewing is
  // free once its ttl has passed.
  virtual bool Hold(const std::string& name, const std::string& owner, Instant now,
                    Duration ttl) = 0;
};

}  // namespace boxoffice::domain
