#include "application/known_dates.hpp"

namespace boxoffice::application {

std::optional<KnownDates::Facts> KnownDates::Find(domain::Store& store, domain::EventId event) {
  {
    std::lock_guard lock(mu_);
    if (auto it = dates_.find(event); it != dates_.end()) return it->second;
  }
  auto found = store.Catalogue().FindEventUncounted(event);
  if (!found) return std::nullopt;
  const Facts facts{found->concert_id, found->start_at, found->reservation_start_at,
                    found->reservation_end_at};
  std::lock_guard lock(mu_);
  if (dates_.size() >= kMaxDates) dates_.clear();
  dates_[event] = facts;
  return facts;
}

}  // namespace boxoffice::application
