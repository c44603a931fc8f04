#include "infrastructure/memory/near_catalogue_cache.hpp"

#include <gtest/gtest.h>

#include <memory>

#include "fakes/fake_catalogue_cache.hpp"
#include "fakes/fake_clock.hpp"

namespace boxoffice::infra {
namespace {

using namespace std::chrono_literals;

// The shared cache as every instance sees it, counting the reads that reach it.
class CountingCache : public fakes::FakeCatalogueCache {
 public:
  std::optional<std::vector<domain::Concert>> GetConcerts() override {
    ++concert_reads;
    return FakeCatalogueCache::GetConcerts();
  }
  std::optional<std::vector<domain::ConcertEvent>> GetEvents(domain::ConcertId concert) override {
    ++event_reads;
    return FakeCatalogueCache::GetEvents(concert);
  }
  int concert_reads = 0;
  int event_reads = 0;
};

std::vector<domain::Concert> Concerts(std::string title) {
  return {domain::Concert{domain::ConcertId{1}, std::move(title), "singer", ""}};
}

class NearCatalogueCacheTest : public testing::Test {
 protected:
  NearCatalogueCacheTest() {
    auto shared = std::make_unique<CountingCache>();
    shared_ = shared.get();
    near_.emplace(std::move(shared), clock_, 1s);
  }
  // Another instance's operator changes the catalogue: the shared cache is invalidated and
  // refilled with the new list, without this instance knowing.
  void ChangedElsewhere(std::string title) {
    shared_->Invalidate();
    shared_->PutConcerts(Concerts(std::move(title)), shared_->Version());
  }

  fakes::FakeClock clock_;
  CountingCache* shared_ = nullptr;
  std::optional<NearCatalogueCache> near_;
};

TEST_F(NearCatalogueCacheTest, ServesItsCopyWithinTheTtlThenReadsTheSharedCacheAgain) {
  near_->PutConcerts(Concerts("old"), near_->Version());
  EXPECT_EQ(near_->GetConcerts()->front().title, "old");
  ChangedElsewhere("new");
  clock_.Advance(999ms);
  EXPECT_EQ(near_->GetConcerts()->front().title, "old");  // within the TTL: no round trip
  EXPECT_EQ(shared_->concert_reads, 1);
  clock_.Advance(1ms);
  EXPECT_EQ(near_->GetConcerts()->front().title, "new");
  EXPECT_EQ(shared_->concert_reads, 2);
}

TEST_F(NearCatalogueCacheTest, AChangeMadeHereIsSeenHereAtOnce) {
  near_->PutConcerts(Concerts("old"), near_->Version());
  ASSERT_TRUE(near_->GetConcerts().has_value());
  near_->Invalidate();
  EXPECT_EQ(shared_->Invalidations(), 1);
  EXPECT_FALSE(near_->GetConcerts().has_value());
  near_->PutConcerts(Concerts("new"), near_->Version());
  EXPECT_EQ(near_->GetConcerts()->front().title, "new");
}

TEST_F(NearCatalogueCacheTest, AMissIsNotRemembered) {
  EXPECT_FALSE(near_->GetConcerts().has_value());
  EXPECT_FALSE(near_->GetEvents(domain::ConcertId{1}).has_value());
  shared_->PutConcerts(Concerts("filled"), shared_->Version());
  EXPECT_EQ(near_->GetConcerts()->front().title, "filled");
}

TEST_F(NearCatalogueCacheTest, DatesAreKeptPerConcert) {
  domain::ConcertEvent date;
  date.id = domain::EventId{7};
  date.concert_id = domain::ConcertId{1};
  near_->PutEvents(domain::ConcertId{1}, {date}, near_->Version());
  ASSERT_EQ(near_->GetEvents(domain::ConcertId{1})->size(), 1u);
  ASSERT_EQ(near_->GetEvents(domain::ConcertId{1})->size(), 1u);
  EXPECT_EQ(shared_->event_reads, 1);
  EXPECT_FALSE(near_->GetEvents(domain::ConcertId{2}).has_value());
  EXPECT_EQ(shared_->event_reads, 2);
  clock_.Advance(1s);
  ASSERT_TRUE(near_->GetEvents(domain::ConcertId{1}).has_value());
  EXPECT_EQ(shared_->event_reads, 3);
}

TEST_F(NearCatalogueCacheTest, APeekAtTheConcertsAnswersFromTheLocalCopyOnly) {
  near_->PutConcerts(Concerts("filled"), near_->Version());  // in the shared cache only
  EXPECT_FALSE(near_->PeekConcerts().has_value());
  EXPECT_EQ(shared_->concert_reads, 0);           // a peek never asks the shared cache
  ASSERT_TRUE(near_->GetConcerts().has_value());  // copied here
  ASSERT_TRUE(near_->PeekConcerts().has_value());
  EXPECT_EQ(near_->PeekConcerts()->front().title, "filled");
  EXPECT_EQ(shared_->concert_reads, 1);
  clock_.Advance(1s);  // the copy is too old
  EXPECT_FALSE(near_->PeekConcerts().has_value());
  ASSERT_TRUE(near_->GetConcerts().has_value());
  near_->Invalidate();
  EXPECT_FALSE(near_->PeekConcerts().has_value());
  EXPECT_EQ(shared_->concert_reads, 2);
}

TEST_F(NearCatalogueCacheTest, PeekAnswersFromTheLocalCopyOnly) {
  domain::ConcertEvent date;
  date.id = domain::EventId{7};
  date.concert_id = domain::ConcertId{1};
  near_->PutEvents(domain::ConcertId{1}, {date}, near_->Version());  // in the shared cache only
  EXPECT_FALSE(near_->PeekEvents(domain::ConcertId{1}).has_value());
  EXPECT_EQ(shared_->event_reads, 0);  // a peek never asks the shared cache
  ASSERT_TRUE(near_->GetEvents(domain::ConcertId{1}).has_value());  // copied here
  ASSERT_TRUE(near_->PeekEvents(domain::ConcertId{1}).has_value());
  EXPECT_EQ(near_->PeekEvents(domain::ConcertId{1})->front().id, domain::EventId{7});
  EXPECT_EQ(shared_->event_reads, 1);
  clock_.Advance(1s);  // the copy is too old
  EXPECT_FALSE(near_->PeekEvents(domain::ConcertId{1}).has_value());
  ASSERT_TRUE(near_->GetEvents(domain::ConcertId{1}).has_value());
  near_->Invalidate();
  EXPECT_FALSE(near_->PeekEvents(domain::ConcertId{1}).has_value());
  EXPECT_EQ(shared_->event_reads, 2);
}

}  // namespace
}  // namespace boxoffice::infra
