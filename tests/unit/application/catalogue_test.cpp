#include "app_test.hpp"
#include "application/list_available_events.hpp"
#include "application/list_concerts.hpp"
#include "application/list_seats.hpp"
#include "application/manage_catalogue.hpp"
#include "application/occupy_seats.hpp"
#include "fakes/fake_catalogue_cache.hpp"

namespace boxoffice::application {
namespace {

using domain::ErrorCode;
using domain::Money;

class CatalogueTest : public AppTest {
 protected:
  domain::NewConcertEvent ValidEvent(domain::ConcertId concert) {
    domain::NewConcertEvent e;
    e.concert_id = concert;
    e.venue = "Olympic Hall";
    e.reservation_start_at = clock_.Now();
    e.reservation_end_at = clock_.Now() + 24h;
    e.start_at = clock_.Now() + 48h;
    e.duration_minutes = 120;
    e.seat_count = 50;
    e.price = Money{80'000};
    return e;
  }

  fakes::FakeCatalogueCache cache_;
  ManageCatalogue manage_{db_, cache_, clock_};
};

TEST_F(CatalogueTest, ListConcertsIsServedFromTheCache) {
  ListConcerts list(db_, cache_);
  ASSERT_TRUE(manage_.CreateConcert({"A", "B", ""}).ok());
  EXPECT_EQ(list.Execute()->size(), 1u);
  EXPECT_EQ(cache_.Puts(), 1);
  Seed([&](domain::Store& s) { s.Catalogue().CreateConcert({"Hidden", "X", ""}, clock_.Now()); });
  EXPECT_EQ(list.Execute()->size(), 1u) << "second read must come from the cache";
  EXPECT_EQ(cache_.Puts(), 1);
  ASSERT_TRUE(manage_.CreateConcert({"C", "D", ""}).ok());
  EXPECT_EQ(list.Execute()->size(), 3u);
}

TEST_F(CatalogueTest, CreateConcertValidation) {
  EXPECT_EQ(CodeOf(manage_.CreateConcert({"", "S", ""})), ErrorCode::kInvalidRequest);
  EXPECT_EQ(CodeOf(manage_.CreateConcert({"T", "  ", ""})), ErrorCode::kInvalidRequest);
  EXPECT_EQ(CodeOf(manage_.CreateConcert({std::string(201, 't'), "S", ""})),
            ErrorCode::kInvalidRequest);
  EXPECT_EQ(CodeOf(manage_.CreateConcert({"T", "S", std::string(2001, 'd')})),
            ErrorCode::kInvalidRequest);
  EXPECT_EQ(cache_.Invalidations(), 0);
  auto ok = manage_.CreateConcert({std::string(200, 't'), "S", std::string(2000, 'd')});
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(cache_.Invalidations(), 1);
}

TEST_F(CatalogueTest, CreateEventValidation) {
  auto concert = manage_.CreateConcert({"T", "S", ""})->id;
  auto e = ValidEvent(concert);
  auto created = manage_.CreateEvent(e);
  ASSERT_TRUE(created.ok()) << created.error().message;
  EXPECT_EQ(created->max_seat_count, 50);
  EXPECT_EQ(cache_.Invalidations(), 2);

  auto expect = [&](auto mutate, ErrorCode code) {
    auto bad = ValidEvent(concert);
    mutate(bad);
    auto r = manage_.CreateEvent(bad);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(CodeOf(r), code);
  };
  expect([](auto& b) { b.concert_id = domain::ConcertId{4040}; }, ErrorCode::kConcertNotFound);
  expect([](auto& b) { b.seat_count = 0; }, ErrorCode::kInvalidRequest);
  expect([](auto& b) { b.seat_count = domain::kMaxSeatsPerEvent + 1; }, ErrorCode::kInvalidRequest);
  expect([](auto& b) { b.duration_minutes = 0; }, ErrorCode::kInvalidRequest);
  expect([](auto& b) { b.duration_minutes = domain::kMaxDurationMinutes + 1; },
         ErrorCode::kInvalidRequest);
  expect([](auto& b) { b.reservation_end_at = b.reservation_start_at; },
         ErrorCode::kInvalidRequest);
  expect([](auto& b) { b.start_at = b.reservation_end_at - 1s; }, ErrorCode::kInvalidRequest);
  expect([](auto& b) { b.venue = ""; }, ErrorCode::kInvalidRequest);
  expect([](auto& b) { b.price = Money{0}; }, ErrorCode::kInvalidAmount);
  expect([](auto& b) { b.price = domain::kMaxChargeAmount + Money{1}; }, ErrorCode::kInvalidAmount);
  EXPECT_EQ(cache_.Invalidations(), 2);
}

TEST_F(CatalogueTest, AvailableEventsAreTheOpenDatesOfTheAdmittedConcert) {
  Show show = NewShow(4);
  Seed([&](domain::Store& s) {
    AddEvent(s, show.concert, 3, Money{1}, clock_.Now() + 1h, clock_.Now() + 2h);  // not yet
    AddEvent(s, show.concert, 3, Money{1}, clock_.Now() - 2h, clock_.Now() - 1h);  // over
  });
  OccupySeats occupy(db_, policies_, clock_);
  auto user = NewUser();
  ASSERT_TRUE(occupy.Execute({{user, show.concert}, show.event, {show.seats[0]}}).ok());

  ListAvailableEvents list(db_, clock_);
  auto events = list.Execute({user, show.concert}, show.concert);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ(events->front().id, show.event);
  EXPECT_EQ(events->front().available_seat_count, 3);
  EXPECT_EQ(events->front().max_seat_count, 4);

  EXPECT_EQ(CodeOf(list.Execute({user, show.concert}, domain::ConcertId{show.concert.value + 99})),
            ErrorCode::kTokenNotProcessable);
  const domain::ConcertId ghost{show.concert.value + 99};
  EXPECT_EQ(CodeOf(list.Execute({user, ghost}, ghost)), ErrorCode::kConcertNotFound);
}

TEST_F(CatalogueTest, SeatsWithStateAndAvailableOnly) {
  Show show = NewShow(3, Money{500});
  OccupySeats occupy(db_, policies_, clock_);
  auto user = NewUser();
  ASSERT_TRUE(occupy.Execute({{user, show.concert}, show.event, {show.seats[1]}}).ok());
  ListSeats list(db_, clock_);

  auto all = list.Execute({user, show.concert}, {show.event, false});
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[1].state, domain::SeatState::kHeld);
  EXPECT_EQ((*all)[1].price, Money{500});
  auto available = list.Execute({user, show.concert}, {show.event, true});
  ASSERT_EQ(available->size(), 2u);
  EXPECT_EQ((*available)[0].seat_number, 1);
  EXPECT_EQ((*available)[1].seat_number, 3);

  clock_.Advance(300s);  // the hold lapses: the seat reads available again at once
  EXPECT_EQ(list.Execute({user, show.concert}, {show.event, true})->size(), 3u);

  EXPECT_EQ(CodeOf(list.Execute({user, show.concert}, {domain::EventId{123456}, false})),
            ErrorCode::kEventNotFound);
  Show other = NewShow();
  EXPECT_EQ(CodeOf(list.Execute({user, show.concert}, {other.event, false})),
            ErrorCode::kTokenNotProcessable);
}

}  // namespace
}  // namespace boxoffice::application
