#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "domain/ports/catalogue_cache.hpp"

namespace boxoffice::contract {

// Builds an empty cache, or returns nullptr when the backing service is unreachable (the suite
// then skips instead of failing).
using CatalogueCacheFactory = std::function<std::unique_ptr<domain::CatalogueCache>()>;

struct CatalogueCacheBackend {
  std::string name;
  CatalogueCacheFactory make;
  friend void PrintTo(const CatalogueCacheBackend& b, std::ostream* os) { *os << b.name; }
};

// The behaviour every domain::CatalogueCache must have; tests in catalogue_cache_contract.cpp.
// An adapter joins with one INSTANTIATE_TEST_SUITE_P line.
class CatalogueCacheContract : public ::testing::TestWithParam<CatalogueCacheBackend> {
 protected:
  void SetUp() override {
    cache_ = GetParam().make();
    if (!cache_) GTEST_SKIP() << "catalogue cache backend unavailable";
  }
  domain::CatalogueCache& cache() { return *cache_; }

 private:
  std::unique_ptr<domain::CatalogueCache> cache_;
};

}  // namespace boxoffice::contract
