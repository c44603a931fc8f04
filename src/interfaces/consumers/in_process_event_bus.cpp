#include "interfaces/consumers/in_process_event_bus.hpp"

#include <utility>

namespace boxoffice::consumers {

void InProcessEventBus::Subscribe(std::string consumer_name, Handler handler) {
  handlers_.emplace_back(std::move(consumer_name), std::move(handler));
}

bool InProcessEventBus::Publish(const domain::OutboxRecord& record) {
  // Every consumer gets the record even when an earlier one failed: the ones that succeed will
  // skip it on the retry (they are idempotent), and the failing one is not starved by another.
  bool all_handled = true;
  for (auto& [name, handler] : handlers_) {
    if (!handler(record)) all_handled = false;
  }
  return all_handled;
}

}  // namespace boxoffice::consumers
