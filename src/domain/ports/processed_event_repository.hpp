#pragma once

#include <string>

#include "domain/types.hpp"

namespace boxoffice::domain {

// What each consumer has already applied, so redelivered events have no second effect.
class ProcessedEventRepository {
 public:
  virtual ~ProcessedEventRepository() = default;
  // Records (consumer, event_id). Returns false when it was already recorded.
  virtual bool MarkProcessed(const std::string& consumer, std::int64_t event_id, Instant now) = 0;
  virtual bool IsProcessed(const std::string& consumer, std::int64_t event_id) = 0;
};

}  // namespace boxoffice::domain
