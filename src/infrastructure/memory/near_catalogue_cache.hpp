#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "domain/ports/catalogue_cache.hpp"
#include "domain/ports/clock.hpp"

namespace boxoffice::infra {

// A process-local copy in front of the shared catalogue cache (cluster profile): a concert list
// or a concert's dates read from the shared cache are served from this process for `ttl`, so
// the hottest reads of an on-sale (the concert list, the dates behind every token issue) cost no
// network round trip. An operator's change is seen at once by the instance that made it
// (Invalidate clears the local copy) and by the others within `ttl`: catalogue reads are
// allowed to be that stale; seats and available counts are never cached anywhere.
// Fills go to the shared cache only, with its version check; a miss is not remembered.
class NearCatalogueCache : public domain::CatalogueCache {
 public:
  NearCatalogueCache(std::unique_ptr<domain::CatalogueCache> shared, const domain::Clock& clock,
                     domain::Duration ttl);

  std::uint64_t Version() override;
  std::optional<std::vector<domain::Concert>> GetConcerts() override;
  void PutConcerts(const std::vector<domain::Concert>& concerts, std::uint64_t read_at) override;
  std::optional<std::vector<domain::ConcertEvent>> GetEvents(domain::ConcertId concert) override;
  void PutEvents(domain::ConcertId concert, const std::vector<domain::ConcertEvent>& events,
                 std::uint64_t read_at) override;
  // The local copy while it is fresh; the shared cache is not asked.
  std::optional<std::vector<domain::Concert>> PeekConcerts() override;
  std::optional<std::vector<domain::ConcertEvent>> PeekEvents(domain::ConcertId concert) override;
  void Invalidate() override;

 private:
  template <class T>
  struct Copy {
    T value;
    domain::Instant fetched_at;
  };

  // The local copy that may still be served at `now`, or null. Called with mu_ held.
  const std::vector<domain::Concert>* LocalConcerts(domain::Instant now) const;
  const std::vector<domain::ConcertEvent>* LocalEvents(domain::ConcertId concert,
                                                       domain::Instant now) const;

  std::unique_ptr<domain::CatalogueCache> shared_;
  const domain::Clock& clock_;
  domain::Duration ttl_;
  std::mutex mu_;
  std::uint64_t generation_ = 0;  // bumped by Invalidate
  std::optional<Copy<std::vector<domain::Concert>>> concerts_;
  std::map<domain::ConcertId, Copy<std::vector<domain::ConcertEvent>>> events_;
};

}  // namespace boxoffice::infra
