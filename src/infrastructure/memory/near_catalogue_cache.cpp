#include "infrastructure/memory/near_catalogue_cache.hpp"

#include <utility>

namespace boxoffice::infra {

NearCatalogueCache::NearCatalogueCache(std::unique_ptr<domain::CatalogueCache> shared,
                                       const domain::Clock& clock, domain::Duration ttl)
    : shared_(std::move(shared)), clock_(clock), ttl_(ttl) {}

std::uint64_t NearCatalogueCache::Version() { return shared_->Version(); }

const std::vector<domain::Concert>* NearCatalogueCache::LocalConcerts(domain::Instant now) const {
  return concerts_ && now - concerts_->fetched_at < ttl_ ? &concerts_->value : nullptr;
}

const std::vector<domain::ConcertEvent>* NearCatalogueCache::LocalEvents(
    domain::ConcertId concert, domain::Instant now) const {
  const auto it = events_.find(concert);
  return it != events_.end() && now - it->second.fetched_at < ttl_ ? &it->second.value : nullptr;
}

std::optional<std::vector<domain::Concert>> NearCatalogueCache::GetConcerts() {
  const auto now = clock_.Now();
  std::uint64_t generation = 0;
  {
    std::lock_guard lock(mu_);
    if (const auto* local = LocalConcerts(now)) return *local;
    generation = generation_;
  }
  auto fetched = shared_->GetConcerts();
  if (fetched) {
    std::lock_guard lock(mu_);
    // Not kept when an Invalidate ran meanwhile: it may be what the change replaced.
    if (generation == generation_) concerts_ = Copy<std::vector<domain::Concert>>{*fetched, now};
  }
  return fetched;
}

std::optional<std::vector<domain::Concert>> NearCatalogueCache::PeekConcerts() {
  const auto now = clock_.Now();
  std::lock_guard lock(mu_);
  if (const auto* local = LocalConcerts(now)) return *local;
  return std::nullopt;
}

void NearCatalogueCache::PutConcerts(const std::vector<domain::Concert>& concerts,
                                     std::uint64_t read_at) {
  shared_->PutConcerts(concerts, read_at);
}

std::optional<std::vector<domain::ConcertEvent>> NearCatalogueCache::GetEvents(
    domain::ConcertId concert) {
  const auto now = clock_.Now();
  std::uint64_t generation = 0;
  {
    std::lock_guard lock(mu_);
    if (const auto* local = LocalEvents(concert, now)) return *local;
    generation = generation_;
  }
  auto fetched = shared_->GetEvents(concert);
  if (fetched) {
    std::lock_guard lock(mu_);
    if (generation == generation_) {
      events_.insert_or_assign(concert, Copy<std::vector<domain::ConcertEvent>>{*fetched, now});
    }
  }
  return fetched;
}

std::optional<std::vector<domain::ConcertEvent>> NearCatalogueCache::PeekEvents(
    domain::ConcertId concert) {
  const auto now = clock_.Now();
  std::lock_guard lock(mu_);
  if (const auto* local = LocalEvents(concert, now)) return *local;
  return std::nullopt;
}

void NearCatalogueCache::PutEvents(domain::ConcertId concert,
                                   const std::vector<domain::ConcertEvent>& events,
                                   std::uint64_t read_at) {
  shared_->PutEvents(concert, events, read_at);
}

void NearCatalogueCache::Invalidate() {
  // The shared cache first: a read of this process that starts after this line cannot fetch the
  // old catalogue from it, and one that started before is not kept (generation).
  shared_->Invalidate();
  std::lock_guard lock(mu_);
  ++generation_;
  concerts_.reset();
  events_.clear();
}

}  // namespace boxoffice::infra
