#pragma once

#include <atomic>

#include "domain/ports/clock.hpp"

namespace boxoffice::infra {

// Wall-clock time (UTC), millisecond resolution.
class SystemClock : public domain::Clock {
 public:
  domain::Instant Now() const override;
};

// System time plus an offset that only moves forward when told to. Enabled with
// BOXOFFICE_TEST_HOOKS so black-box tests can let holds and places expire without sleeping.
class ManualClock : public domain::Clock {
 public:
  domain::Instant Now() const override;
  void Advance(domain::Duration by);

 private:
  std::atomic<std::int64_t> offset_ms_{0};
};

}  // namespace boxoffice::infra
