#include "contract/sql_contract_test.hpp"

namespace boxoffice::contract {
namespace {

using domain::SeatState;
using domain::Store;

class UserRepositoryContract : public SqlContractTest {};
BOXOFFICE_SQL_CONTRACT(UserRepositoryContract);

TEST_P(UserRepositoryContract, CreatedUserIsFoundByItsNewId) {
  auto a = Commit(db(), [](Store& s) { return s.Users().Create("kim", T(0)); });
  auto b = Commit(db(), [](Store& s) { return s.Users().Create("lee", T(0)); });
  EXPECT_NE(a.id, b.id);
  auto found = Query(db(), [&](Store& s) { return s.Users().Find(b.id); });
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->name, "lee");
  EXPECT_EQ(found->id, b.id);
}

TEST_P(UserRepositoryContract, UnknownUserIsNotFound) {
  auto found = Query(db(), [](Store& s) { return s.Users().Find(domain::UserId{4242}); });
  EXPECT_FALSE(found.has_value());
}

class CatalogueRepositoryContract : public SqlContractTest {};
BOXOFFICE_SQL_CONTRACT(CatalogueRepositoryContract);

TEST_P(CatalogueRepositoryContract, ConcertsAreListedByIdAndFound) {
  auto first = Commit(db(), [](Store& s) {
    return s.Catalogue().CreateConcert({"Spring", "IU", "first"}, T(0));
  });
  auto second = Commit(db(), [](Store& s) {
    return s.Catalogue().CreateConcert({"Summer", "BTS", "second"}, T(0));
  });
  auto all = Query(db(), [](Store& s) { return s.Catalogue().ListConcerts(); });
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].id, first.id);
  EXPECT_EQ(all[1].title, "Summer");
  EXPECT_EQ(all[1].singer, "BTS");
  EXPECT_EQ(all[1].description, "second");
  auto found = Query(db(), [&](Store& s) { return s.Catalogue().FindConcert(second.id); });
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->title, "Summer");
  EXPECT_FALSE(Query(db(), [](Store& s) {
                 return s.Catalogue().FindConcert(domain::ConcertId{999});
               }).has_value());
}

TEST_P(CatalogueRepositoryContract, CreateEventMakesNumberedAvailableSeatsAtThePrice) {
  auto concert = NewConcert();
  auto event = NewEvent(concert, 5, 7000);
  EXPECT_EQ(event.max_seat_count, 5);
  auto seats = Seats(event.id, T(0));
  ASSERT_EQ(seats.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(seats[i].seat_number, i + 1);
    EXPECT_EQ(seats[i].price, domain::Money{7000});
    EXPECT_EQ(seats[i].state, SeatState::kAvailable);
    EXPECT_EQ(seats[i].event_id, event.id);
  }
  auto found = Query(db(), [&](Store& s) { return s.Catalogue().FindEvent(event.id, T(0)); });
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->venue, "Hall");
  EXPECT_EQ(found->concert_id, concert);
  EXPECT_EQ(found->start_at, event.start_at);
  EXPECT_EQ(found->reservation_start_at, event.reservation_start_at);
  EXPECT_EQ(found->reservation_end_at, event.reservation_end_at);
  EXPECT_EQ(found->duration_minutes, 120);
  EXPECT_EQ(found->available_seat_count, 5);
  EXPECT_FALSE(Query(db(), [](Store& s) {
                 return s.Catalogue().FindEvent(domain::EventId{999}, T(0));
               }).has_value());
}

TEST_P(CatalogueRepositoryContract, AnUncountedEventHasEveryFieldButTheCount) {
  auto concert = NewConcert();
  auto event = NewEvent(concert, 5, 7000);
  auto counted = Query(db(), [&](Store& s) { return s.Catalogue().FindEvent(event.id, T(0)); });
  auto found = Query(db(), [&](Store& s) { return s.Catalogue().FindEventUncounted(event.id); });
  ASSERT_TRUE(found.has_value());
  ASSERT_TRUE(counted.has_value());
  EXPECT_EQ(found->id, event.id);
  EXPECT_EQ(found->concert_id, concert);
  EXPECT_EQ(found->venue, counted->venue);
  EXPECT_EQ(found->start_at, counted->start_at);
  EXPECT_EQ(found->duration_minutes, counted->duration_minutes);
  EXPECT_EQ(found->reservation_start_at, counted->reservation_start_at);
  EXPECT_EQ(found->reservation_end_at, counted->reservation_end_at);
  EXPECT_EQ(found->max_seat_count, 5);
  EXPECT_EQ(found->available_seat_count, 0);
  EXPECT_FALSE(Query(db(), [](Store& s) {
                 return s.Catalogue().FindEventUncounted(domain::EventId{999});
               }).has_value());
}

TEST_P(CatalogueRepositoryContract, AvailableCountsExcludeLiveHoldsAndSalesButNotLapsedHolds) {
  auto concert = NewConcert();
  auto later = NewEvent(concert, 4, 1000, 2 * 86'400'000);
  auto earlier = NewEvent(concert, 3, 1000, 86'400'000);
  auto seats = Seats(later.id, T(0));
  Commit(db(), [&](Store& s) {
    s.Seats().Hold(later.id, {seats[0].id}, domain::HoldId{1}, T(1000), T(0));
    s.Seats().Hold(later.id, {seats[1].id}, domain::HoldId{2}, T(5000), T(0));
    s.Seats().Hold(later.id, {seats[2].id}, domain::HoldId{3}, T(5000), T(0));
    s.Seats().Confirm(domain::HoldId{3}, T(0));
  });

  auto events = Query(db(), [&](Store& s) { return s.Catalogue().ListEvents(concert, T(2000)); });
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].id, earlier.id);  // ordered by start_at, not by id
  EXPECT_EQ(events[0].available_seat_count, 3);
  EXPECT_EQ(events[1].id, later.id);
  EXPECT_EQ(events[1].available_seat_count, 2);  // seat 1 lapsed at 1000, seat 4 untouched

  auto at_start = Query(db(), [&](Store& s) { return s.Catalogue().FindEvent(later.id, T(500)); });
  EXPECT_EQ(at_start->available_seat_count, 1);

  auto listed = Seats(later.id, T(2000));
  EXPECT_EQ(listed[0].state, SeatState::kAvailable);
  EXPECT_EQ(listed[1].state, SeatState::kHeld);
  EXPECT_EQ(listed[2].state, SeatState::kReserved);
  EXPECT_EQ(listed[3].state, SeatState::kAvailable);
  EXPECT_EQ(Seats(later.id, T(500))[0].state, SeatState::kHeld);

  // The free seats are those that read AVAILABLE, in seat order, at each moment.
  auto free_at = [&](domain::Instant now) {
    std::vector<std::int32_t> numbers;
    auto free = Query(db(), [&](Store& s) { return s.Catalogue().ListFreeSeats(later.id, now); });
    for (const auto& seat : free) {
      EXPECT_EQ(seat.state, SeatState::kAvailable);
      EXPECT_EQ(seat.event_id, later.id);
      EXPECT_EQ(seat.price.won, 1000);
      numbers.push_back(seat.seat_number);
    }
    return numbers;
  };
  EXPECT_EQ(free_at(T(2000)), (std::vector<std::int32_t>{1, 4}));
  EXPECT_EQ(free_at(T(500)), (std::vector<std::int32_t>{4}));
  EXPECT_EQ(free_at(T(6000)), (std::vector<std::int32_t>{1, 2, 4}));
}

TEST_P(CatalogueRepositoryContract, ListEventsOfAConcertWithoutDatesIsEmpty) {
  auto concert = NewConcert();
  auto other = NewConcert();
  NewEvent(other);
  EXPECT_TRUE(
      Query(db(), [&](Store& s) { return s.Catalogue().ListEvents(concert, T(0)); }).empty());
}

TEST_P(CatalogueRepositoryContract, BuyableSeatsExcludeSoldSeatsAndClosedDates) {
  auto concert = NewConcert();
  auto open = NewEvent(concert, 4, 1000, 86'400'000);
  NewEvent(concert, 6, 1000, 3'600'000 + 10'000);  // its window ends at T(10000)
  NewEvent(NewConcert(), 8);
  auto seats = Seats(open.id, T(0));
  Commit(db(), [&](Store& s) {
    s.Seats().Hold(open.id, {seats[0].id}, domain::HoldId{1}, T(5000), T(0));
    s.Seats().Confirm(domain::HoldId{1}, T(0));
    s.Seats().Hold(open.id, {seats[2].id, seats[3].id}, domain::HoldId{3}, T(5000), T(0));
    s.Seats().Confirm(domain::HoldId{3}, T(0));
    s.Seats().Hold(open.id, {seats[1].id}, domain::HoldId{2}, T(5000), T(0));  // held: buyable
  });
  const auto has = [&](domain::Instant at) {
    return Query(db(), [&](Store& s) { return s.Catalogue().HasBuyableSeats(concert, at); });
  };
  EXPECT_TRUE(has(T(0)));
  EXPECT_TRUE(has(T(10'000)));  // the closing date is over, but the held seat may still sell
  Commit(db(), [&](Store& s) { s.Seats().Confirm(domain::HoldId{2}, T(0)); });
  EXPECT_TRUE(has(T(0)));        // the closing date's six seats
  EXPECT_FALSE(has(T(10'000)));  // every seat of the open date sold, the other date closed
}

}  // namespace
}  // namespace boxoffice::contract
