#include "infrastructure/system/clocks.hpp"

#include <chrono>
#include <stdexcept>

namespace boxoffice::infra {
namespace {

domain::Instant WallNow() {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

}  // namespace

domain::Instant SystemClock::Now() const { return WallNow(); }

domain::Instant ManualClock::Now() const {
  return WallNow() + domain::Duration(offset_ms_.load(std::memory_order_relaxed));
}

void ManualClock::Advance(domain::Duration by) {
  // Time that runs backwards would break every deadline comparison in the service.
  if (by.count() < 0) throw std::invalid_argument("ManualClock::Advance: negative duration");
  offset_ms_.fetch_add(by.count(), std::memory_order_relaxed);
}

}  // namespace boxoffice::infra
