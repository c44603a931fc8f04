#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <vector>

#include "domain/ports/catalogue_cache.hpp"

namespace boxoffice::fakes {

// A plain cache that counts what happens to it.
class FakeCatalogueCache : public domain::CatalogueCache {
 public:
  std::uint64_t Version() override {
    std::lock_guard lock(mu_);
    return static_cast<std::uint64_t>(invalidations_);
  }
  std::optional<std::vector<domain::Concert>> GetConcerts() override {
    std::lock_guard lock(mu_);
    return concerts_;
  }
  void PutConcerts(const std::vector<domain::Concert>& concerts, std::uint64_t read_at) override {
    std::lock_guard lock(mu_);
    if (read_at != static_cast<std::uint64_t>(invalidations_)) return;
    ++puts_;
    concerts_ = concerts;
  }
  std::optional<std::vector<domain::ConcertEvent>> GetEvents(domain::ConcertId concert) override {
    std::lock_guard lock(mu_);
    auto it = events_.find(concert.value);
    if (it == events_.end()) return std::nullopt;
    return it->second;
  }
  void PutEvents(domain::ConcertId concert, const std::vector<domain::ConcertEvent>& events,
                 std::uint64_t read_at) override {
    std::lock_guard lock(mu_);
    if (read_at != static_cast<std::uint64_t>(invalidations_)) return;
    events_[concert.value] = events;
  }
  // In this process, like MemoryCatalogueCache.
  std::optional<std::vector<domain::Concert>> PeekConcerts() override { return GetConcerts(); }
  std::optional<std::vector<domain::ConcertEvent>> PeekEvents(domain::ConcertId concert) override {
    return GetEvents(concert);
  }
  void Invalidate() override {
    std::lock_guard lock(mu_);
    ++invalidations_;
    concerts_.reset();
    events_.clear();
  }

  int Puts() {
    std::lock_guard lock(mu_);
    return puts_;
  }
  int Invalidations() {
    std::lock_guard lock(mu_);
    return invalidations_;
  }

 private:
  std::mutex mu_;
  std::optional<std::vector<domain::Concert>> concerts_;
  std::map<std::int64_t, std::vector<domain::ConcertEvent>> events_;
  int puts_ = 0;
  int invalidations_ = 0;
};

}  // namespace boxoffice::fakes
