#include "application/list_concerts.hpp"

namespace boxoffice::application {

using domain::Concert;
using domain::Result;

ListConcerts::ListConcerts(domain::Database& db, domain::CatalogueCache& cache)
    : db_(db), cache_(cache) {}

Result<std::vector<Concert>> ListConcerts::Execute() {
  if (auto cached = cache_.GetConcerts()) return std::move(*cached);
  const auto version = cache_.Version();
  auto concerts = db_.Read([](domain::Store& store) -> Result<std::vector<Concert>> {
    return store.Catalogue().ListConcerts();
  });
  if (concerts) cache_.PutConcerts(concerts.value(), version);
  return concerts;
}

std::optional<std::vector<Concert>> ListConcerts::TryCached() { return cache_.PeekConcerts(); }

}  // namespace boxoffice::application
