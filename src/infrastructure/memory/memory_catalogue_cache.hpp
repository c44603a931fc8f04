#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <vector>

#include "domain/ports/catalogue_cache.hpp"

namespace boxoffice::infra {

// In-process catalogue cache (embedded profile). Entries live until Invalidate.
class MemoryCatalogueCache : public domain::CatalogueCache {
 public:
  std::uint64_t Version() override;
  std::optional<std::vector<domain::Concert>> GetConcerts() override;
  void PutConcerts(const std::vector<domain::Concert>& concerts, std::uint64_t read_at) override;
  std::optional<std::vector<domain::Concert>> PeekConcerts() override { return GetConcerts(); }
  std::optional<std::vector<domain::ConcertEvent>> GetEvents(domain::ConcertId concert) override;
  void PutEvents(domain::ConcertId concert, const std::vector<domain::ConcertEvent>& events,
                 std::uint64_t read_at) override;
  std::optional<std::vector<domain::ConcertEvent>> PeekEvents(domain::ConcertId concert) override {
    return GetEvents(concert);
  }
  void Invalidate() override;

 private:
  std::mutex mu_;
  std::uint64_t version_ = 0;
  std::optional<std::vector<domain::Concert>> concerts_;
  std::map<domain::ConcertId, std::vector<domain::ConcertEvent>> events_;
};

}  // namespace boxoffice::infra
