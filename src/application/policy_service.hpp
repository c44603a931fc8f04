#pragma once

#include <mutex>
#include <optional>

#include "domain/model/policies.hpp"
#include "domain/ports/clock.hpp"
#include "domain/ports/store.hpp"
#include "domain/result.hpp"

namespace boxoffice::application {

// The policies in force. Reads are served from memory and refreshed from the database at most
// once per refresh interval, so an update made through another instance applies within it.
class PolicyService {
 public:
  PolicyService(domain::Database& db, const domain::Clock& clock,
                domain::Duration refresh = std::chrono::seconds(1));
  domain::Policies Current();
  // The cached policies when Current would not read the database (they are fresh, or another
  // caller is refreshing them); nullopt when a caller must refresh them through Current.
  std::optional<domain::Policies> CurrentIfFresh();
  // Validates and stores the patched policies; they apply to new work at once.
  domain::Result<domain::Policies> Update(const domain::PolicyPatch& patch);

 private:
  domain::Database& db_;
  const domain::Clock& clock_;
  domain::Duration refresh_;
  std::mutex mu_;
  std::optional<domain::Policies> cached_;
  bool refreshing_ = false;
  domain::Instant loaded_at_{};
};

}  // namespace boxoffice::application
