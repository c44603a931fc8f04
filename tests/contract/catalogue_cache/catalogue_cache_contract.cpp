#include "catalogue_cache_contract.hpp"

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace boxoffice::contract {
namespace {

using domain::Concert;
using domain::ConcertEvent;
using domain::ConcertId;
using domain::EventId;

std::vector<Concert> TwoConcerts() {
  return {Concert{ConcertId{1}, "Midnight Bloom", "Han Yerin", "arena tour"},
          Concert{ConcertId{2}, "Neon Harbor", "The Blue Hour", "quote \" and unicode \u00e9"}};
}

ConcertEvent EventOf(std::int64_t id, ConcertId concert) {
  using namespace std::chrono;
  ConcertEvent e;
  e.id = EventId{id};
  e.concert_id = concert;
  e.venue = "Hall " + std::to_string(id);
  e.start_at = domain::Instant{milliseconds{1'800'000'000'000 + id}};
  e.duration_minutes = 120;
  e.reservation_start_at = domain::Instant{milliseconds{1'790'000'000'000}};
  e.reservation_end_at = e.start_at;
  e.max_seat_count = 50;
  return e;
}

TEST_P(CatalogueCacheContract, EmptyUntilPut) {
  EXPECT_FALSE(cache().GetConcerts().has_value());
  EXPECT_FALSE(cache().GetEvents(ConcertId{1}).has_value());
}

TEST_P(CatalogueCacheContract, ReturnsWhatWasPutFieldByField) {
  cache().PutConcerts(TwoConcerts(), cache().Version());
  auto concerts = cache().GetConcerts();
  ASSERT_TRUE(concerts.has_value());
  ASSERT_EQ(concerts->size(), 2u);
  EXPECT_EQ((*concerts)[1].id, ConcertId{2});
  EXPECT_EQ((*concerts)[1].title, "Neon Harbor");
  EXPECT_EQ((*concerts)[1].singer, "The Blue Hour");
  EXPECT_EQ((*concerts)[1].description, "quote \" and unicode \u00e9");

  cache().PutEvents(ConcertId{1}, {EventOf(10, ConcertId{1}), EventOf(11, ConcertId{1})},
                    cache().Version());
  auto events = cache().GetEvents(ConcertId{1});
  ASSERT_TRUE(events.has_value());
  ASSERT_EQ(events->size(), 2u);
  const auto expected = EventOf(11, ConcertId{1});
  EXPECT_EQ((*events)[1].id, expected.id);
  EXPECT_EQ((*events)[1].venue, expected.venue);
  EXPECT_EQ((*events)[1].start_at, expected.start_at);
  EXPECT_EQ((*events)[1].reservation_start_at, expected.reservation_start_at);
  EXPECT_EQ((*events)[1].reservation_end_at, expected.reservation_end_at);
  EXPECT_EQ((*events)[1].max_seat_count, 50);
  EXPECT_FALSE(cache().GetEvents(ConcertId{2}).has_value());
}

TEST_P(CatalogueCacheContract, AnEmptyListIsCachedToo) {
  cache().PutConcerts({}, cache().Version());
  auto concerts = cache().GetConcerts();
  ASSERT_TRUE(concerts.has_value());
  EXPECT_TRUE(concerts->empty());
}

TEST_P(CatalogueCacheContract, InvalidateDropsEverything) {
  cache().PutConcerts(TwoConcerts(), cache().Version());
  cache().PutEvents(ConcertId{1}, {EventOf(10, ConcertId{1})}, cache().Version());
  cache().Invalidate();
  EXPECT_FALSE(cache().GetConcerts().has_value());
  EXPECT_FALSE(cache().GetEvents(ConcertId{1}).has_value());
}

TEST_P(CatalogueCacheContract, AFillThatRacedWithAnInvalidationIsDropped) {
  const auto read_at = cache().Version();  // a reader starts loading the old catalogue
  cache().Invalidate();                    // an operator changes it meanwhile
  cache().PutConcerts(TwoConcerts(), read_at);
  cache().PutEvents(ConcertId{1}, {EventOf(10, ConcertId{1})}, read_at);
  EXPECT_FALSE(cache().GetConcerts().has_value());
  EXPECT_FALSE(cache().GetEvents(ConcertId{1}).has_value());
  cache().PutConcerts(TwoConcerts(), cache().Version());
  EXPECT_TRUE(cache().GetConcerts().has_value());
}

TEST_P(CatalogueCacheContract, ConcurrentReadersAndWritersSeeWholeValues) {
  std::vector<std::thread> threads;
  std::atomic<int> torn{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) {
        if (t % 2 == 0) {
          cache().PutConcerts(TwoConcerts(), cache().Version());
          if (i % 50 == 0) cache().Invalidate();
        } else if (auto got = cache().GetConcerts(); got && got->size() != 2u) {
          ++torn;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(torn.load(), 0);
}

}  // namespace
}  // namespace boxoffice::contract
