#pragma once

#include <functional>
#include <string>
#include <vector>

#include "domain/ports/event_publisher.hpp"

namespace boxoffice::consumers {

// The event bus of the embedded profile: hands each outbox record to every subscribed consumer
// in this process. Publish succeeds only when every consumer has handled the record; consumers
// are idempotent, so the relay's retry of a partly handled record is harmless.
class InProcessEventBus : public domain::EventPublisher {
 public:
  using Handler = std::function<bool(const domain::OutboxRecord&)>;
  void Subscribe(std::string consumer_name, Handler handler);
  bool Publish(const domain::OutboxRecord& record) override;

 private:
  std::vector<std::pair<std::string, Handler>> handlers_;
};

}  // namespace boxoffice::consumers
