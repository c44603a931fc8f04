#pragma once

#include "domain/model/events.hpp"

namespace boxoffice::domain {

// Where the outbox relay hands events: in-process consumers (embedded) or Kafka (cluster).
class EventPublisher {
 public:
  virtual ~EventPublisher() = default;
  // Returns true once the event is durably handed over (all in-process consumers succeeded, or
  // the broker acknowledged). False means "retry later"; the relay backs off.
  virtual bool Publish(const OutboxRecord& record) = 0;
};

}  // namespace boxoffice::domain
