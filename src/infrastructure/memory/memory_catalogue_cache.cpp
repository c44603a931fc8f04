#include "infrastructure/memory/memory_catalogue_cache.hpp"

namespace boxoffice::infra {

std::uint64_t MemoryCatalogueCache::Version() {
  std::lock_guard lock(mu_);
  return version_;
}

std::optional<std::vector<domain::Concert>> MemoryCatalogueCache::GetConcerts() {
  std::lock_guard lock(mu_);
  return concerts_;
}

void MemoryCatalogueCache::PutConcerts(const std::vector<domain::Concert>& concerts,
                                       std::uint64_t read_at) {
  std::lock_guard lock(mu_);
  if (read_at != version_) return;
  concerts_ = concerts;
}

std::optional<std::vector<domain::ConcertEvent>> MemoryCatalogueCache::GetEvents(
    domain::ConcertId concert) {
  std::lock_guard lock(mu_);
  auto it = events_.find(concert);
  if (it == events_.end()) return std::nullopt;
  return it->second;
}

void MemoryCatalogueCache::PutEvents(domain::ConcertId concert,
                                     const std::vector<domain::ConcertEvent>& events,
                                     std::uint64_t read_at) {
  std::lock_guard lock(mu_);
  if (read_at != version_) return;
  events_[concert] = events;
}

void MemoryCatalogueCache::Invalidate() {
  std::lock_guard lock(mu_);
  ++version_;
  concerts_.reset();
  events_.clear();
}

}  // namespace boxoffice::infra
