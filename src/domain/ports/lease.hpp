#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "domain/types.hpp"

namespace boxoffice::domain {

// Mutual exclusion with expiry across instances: which instance runs a periodic job (the
// admission tick of a concert). Correctness never depends on it (the waiting room caps
// admissions at max_active regardless); it keeps N instances from admitting N batches per
// interval. A holder that stalls past its ttl (a long pause, a slow network) can still act
// after its successor took over; the fencing token lets the guarded resource refuse it
// (docs/adr/0009-admission-fencing.md).
class Lease {
 public:
  virtual ~Lease() = default;
  // Takes the lease `name` for `owner`, or renews it when `owner` already holds it, until
  // `ttl` after now. Returns the fencing token when `owner` holds it, nullopt otherwise. A
  // lease whose holder stopped renewing is free once its ttl has passed. Tokens of one lease
  // only grow: a renewal keeps the holder's token, and every new acquisition (another owner,
  // or the same one after its lease lapsed) gets a token above every token issued before.
  virtual std::optional<std::int64_t> Hold(const std::string& name, const std::string& owner,
                                           Instant now, Duration ttl) = 0;
};

}  // namespace boxoffice::domain
