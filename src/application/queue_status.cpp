#include "application/queue_status.hpp"

#include <algorithm>
#include <cmath>

namespace boxoffice::application {

using domain::QueueState;

QueueStatusView MakeStatusView(const domain::QueueView& view, const domain::QueueStats& stats,
                               const domain::Policies& policies) {
  const std::int64_t poll_cap =
      std::min<std::int64_t>(30'000, std::int64_t{policies.waiting_grace_seconds} * 1000 / 3);
  QueueStatusView out;
  out.state = view.state;
  out.position = view.position;
  out.poll_after_ms = poll_cap;

  if (view.state == QueueState::kActive) {
    out.position = 0;
    out.estimated_wait_seconds = 0;
    out.active_until = view.active_until;
    out.poll_after_ms =
        std::min<std::int64_t>(5000, std::int64_t{policies.active_idle_ttl_seconds} * 1000 / 3);
    return out;
  }
  if (view.state != QueueState::kWaiting) return out;
  if (policies.admit_batch == 0) return out;  // paused: no honest ETA, poll slowly

  // Before anything was measured the configured rate is the best guess.
  const double rate = stats.admission_rate_per_second > 0
                          ? stats.admission_rate_per_second
                          : policies.admit_batch * 1000.0 / policies.admit_interval_ms;
  const auto eta = static_cast<std::int64_t>(std::ceil(static_cast<double>(view.position) / rate));
  out.estimated_wait_seconds = eta;
  // A tenth of the wait: short near the front, long far back. No shorter than one admission
  // interval (a user is admitted by a tick, so polling between ticks learns nothing), kept
  // within 100 ms to 1 s: with ticks every 100 ms, a user at the front polls again at the next
  // tick rather than a second later.
  const std::int64_t poll_floor = std::clamp<std::int64_t>(policies.admit_interval_ms, 100, 1000);
  out.poll_after_ms = std::clamp<std::int64_t>(eta * 1000 / 10, poll_floor,
                                               std::max<std::int64_t>(poll_floor, poll_cap));
  return out;
}

}  // namespace boxoffice::application
