#pragma once

#include <cstdint>
#include <optional>

#include "domain/model/policies.hpp"
#include "domain/model/queue.hpp"

namespace boxoffice::application {

// What the queue endpoints report about a place.
struct QueueStatusView {
  domain::QueueState state = domain::QueueState::kWaiting;
  std::int64_t position = 0;
  std::optional<std::int64_t> estimated_wait_seconds;  // nullopt while admission is paused
  std::int64_t poll_after_ms = 1000;
  std::optional<domain::Instant> active_until;
};

// ETA = position / measured admission rate (or the configured rate before any measurement);
// pollAfterMs grows with the ETA, from 1 s near the front to at most a third of the grace
// period, so a client that obeys it never loses its place.
QueueStatusView MakeStatusView(const domain::QueueView& view, const domain::QueueStats& stats,
                               const domain::Policies& policies);

}  // namespace boxoffice::application
