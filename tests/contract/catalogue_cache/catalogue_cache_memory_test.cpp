#include <memory>

#include "catalogue_cache_contract.hpp"
#include "infrastructure/memory/memory_catalogue_cache.hpp"

namespace boxoffice::contract {
namespace {

std::unique_ptr<domain::CatalogueCache> MakeMemoryCache() {
  return std::make_unique<infra::MemoryCatalogueCache>();
}

INSTANTIATE_TEST_SUITE_P(Memory, CatalogueCacheContract,
                         ::testing::Values(CatalogueCacheBackend{"Memory", MakeMemoryCache}));

}  // namespace
}  // namespace boxoffice::contract
