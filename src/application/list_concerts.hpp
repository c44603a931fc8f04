#pragma once

#include <optional>
#include <vector>

#include "domain/model/catalogue.hpp"
#include "domain/ports/catalogue_cache.hpp"
#include "domain/ports/store.hpp"
#include "domain/result.hpp"

namespace boxoffice::application {

// All concerts, served from the catalogue cache when it has them.
class ListConcerts {
 public:
  ListConcerts(domain::Database& db, domain::CatalogueCache& cache);
  domain::Result<std::vector<domain::Concert>> Execute();
  // The concerts when this process holds them (CatalogueCache::PeekConcerts), without blocking;
  // nullopt when only Execute can answer.
  std::optional<std::vector<domain::Concert>> TryCached();

 private:
  domain::Database& db_;
  domain::CatalogueCache& cache_;
};

}  // namespace boxoffice::application
