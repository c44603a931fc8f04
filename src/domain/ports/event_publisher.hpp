#pragma once

#include <exception>
#include <span>
#include <vector>

#include "domain/model/events.hpp"

namespace boxoffice::domain {

// Where the outbox relay hands events: in-process consumers (embedded) or Kafka (cluster).
class EventPublisher {
 public:
  virtual ~EventPublisher() = default;
  // Returns true once the event is durably handed over (all in-process consumers succeeded, or
  // the broker acknowledged). False means "retry later"; the relay backs off.
  virtual bool Publish(const OutboxRecord& record) = 0;
  // Hands over several events; element i tells, as Publish would, whether records[i] was handed
  // over. A broker adapter sends them all and waits for the acknowledgements once, which a
  // relay pass would otherwise wait for one round trip at a time. The default publishes one
  // after the other; a record whose Publish throws counts as not handed over, so one broken
  // record does not cost the others their attempt.
  virtual std::vector<bool> PublishAll(std::span<const OutboxRecord> records) {
    std::vector<bool> handed_over;
    handed_over.reserve(records.size());
    for (const auto& record : records) {
      bool ok = false;
      try {
        ok = Publish(record);
      } catch (const std::exception&) {
        ok = false;
      }
      handed_over.push_back(ok);
    }
    return handed_over;
  }
};

}  // namespace boxoffice::domain
