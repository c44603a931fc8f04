#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <vector>

#include "application/policy_service.hpp"
#include "application/queue_access.hpp"
#include "fakes/fake_clock.hpp"
#include "fakes/fake_token_service.hpp"
#include "fakes/fake_waiting_room.hpp"
#include "fakes/memory_database.hpp"

namespace boxoffice::application {

using namespace std::chrono_literals;

// A date of a concert on sale now, and its seats in seat-number order.
struct Show {
  domain::ConcertId concert;
  domain::EventId event;
  std::vector<domain::SeatId> seats;
};

// The error code of a failed result, or nullopt when it succeeded (so a wrong success fails the
// assertion instead of aborting the test binary).
template <class T>
std::optional<domain::ErrorCode> CodeOf(const domain::Result<T>& r) {
  if (r.ok()) return std::nullopt;
  return r.error().code;
}

// Fakes wired together plus helpers to seed data through the repositories.
class AppTest : public ::testing::Test {
 protected:
  template <class T, class F>
  T Query(F&& f) {
    return db_.Read([&](domain::Store& s) -> domain::Result<T> { return f(s); }).value();
  }
  template <class F>
  void Seed(F&& f) {
    auto done = db_.Write([&](domain::Store& s) -> domain::Result<bool> {
      f(s);
      return true;
    });
    ASSERT_TRUE(done.ok());
  }

  domain::UserId NewUser(domain::Money balance = domain::Money{0}) {
    domain::UserId id;
    Seed([&](domain::Store& s) {
      id = s.Users().Create("user", clock_.Now()).id;
      s.Wallets().Create(id, clock_.Now());
      if (balance > domain::Money{0}) {
        s.Wallets().Credit(id, balance, domain::kMaxWalletBalance, clock_.Now());
        (void)s.Wallets().AppendEntry(
            {0, id, domain::WalletEntryType::kCharge, balance, std::nullopt, clock_.Now()});
      }
    });
    return id;
  }

  Show NewShow(std::int32_t seat_count = 10, domain::Money price = domain::Money{1000},
               domain::Duration opened_ago = std::chrono::hours(1),
               domain::Duration closes_in = std::chrono::hours(24)) {
    Show show;
    const auto now = clock_.Now();
    Seed([&](domain::Store& s) {
      show.concert = s.Catalogue().CreateConcert({"Title", "Singer", ""}, now).id;
      show.event = AddEvent(s, show.concert, seat_count, price, now - opened_ago, now + closes_in);
      for (const auto& seat : s.Catalogue().ListSeats(show.event, now)) {
        show.seats.push_back(seat.id);
      }
    });
    return show;
  }

  domain::EventId AddEvent(domain::Store& s, domain::ConcertId concert, std::int32_t seats,
                           domain::Money price, domain::Instant opens, domain::Instant closes) {
    domain::NewConcertEvent e;
    e.concert_id = concert;
    e.venue = "Hall";
    e.start_at = closes + std::chrono::hours(1);
    e.duration_minutes = 120;
    e.reservation_start_at = opens;
    e.reservation_end_at = closes;
    e.seat_count = seats;
    e.price = price;
    return s.Catalogue().CreateEvent(e, clock_.Now()).id;
  }

  domain::SeatState StateOf(const Show& show, domain::SeatId seat) {
    auto seats = Query<std::vector<domain::Seat>>(
        [&](domain::Store& s) { return s.Seats().Find(show.event, {seat}, clock_.Now()); });
    EXPECT_EQ(seats.size(), 1u);
    return seats.empty() ? domain::SeatState::kAvailable : seats[0].state;
  }
  domain::Money Balance(domain::UserId user) {
    return Query<domain::Money>([&](domain::Store& s) { return *s.Wallets().Balance(user); });
  }
  domain::Money LedgerSum(domain::UserId user) {
    return Query<domain::Money>([&](domain::Store& s) { return s.Wallets().LedgerSum(user); });
  }
  domain::Hold HoldOf(domain::HoldId id) {
    return Query<domain::Hold>([&](domain::Store& s) { return *s.Holds().Find(id); });
  }
  domain::Reservation ReservationOf(domain::ReservationId id) {
    return Query<domain::Reservation>([&](domain::Store& s) { return *s.Reservations().Find(id); });
  }
  void SetPolicies(const domain::Policies& p) {
    Seed([&](domain::Store& s) { s.Policy().Save(p, clock_.Now()); });
  }

  fakes::MemoryDatabase db_;
  fakes::FakeClock clock_;
  fakes::FakeTokenService tokens_;
  fakes::FakeWaitingRoom room_;
  // Refresh 0: every use case sees a policy change at once.
  PolicyService policies_{db_, clock_, domain::Duration{0}};
};

}  // namespace boxoffice::application
