#pragma once

#include <atomic>
#include <chrono>

#include "domain/ports/clock.hpp"

namespace boxoffice::fakes {

// A clock that moves only when a test moves it.
class FakeClock : public domain::Clock {
 public:
  // 2026-11-26T00:00:00Z: a fixed, readable starting point.
  static constexpr domain::Instant kStart{std::chrono::milliseconds(1'795'651'200'000)};

  explicit FakeClock(domain::Instant start = kStart) : now_(start.time_since_epoch().count()) {}

  domain::Instant Now() const override { return domain::Instant{domain::Duration(now_.load())}; }
  void Set(domain::Instant t) { now_ = t.time_since_epoch().count(); }
  void Advance(domain::Duration d) { now_ += d.count(); }

 private:
  std::atomic<std::int64_t> now_;
};

}  // namespace boxoffice::fakes
