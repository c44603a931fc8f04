#include <gtest/gtest.h>

#include <chrono>
#include <set>

#include "domain/model/catalogue.hpp"
#include "domain/model/events.hpp"
#include "domain/model/hold.hpp"
#include "domain/model/names.hpp"
#include "domain/model/reservation.hpp"

namespace boxoffice::domain {
namespace {

using namespace std::chrono_literals;

const Instant kT0{std::chrono::sys_days{std::chrono::year{2026} / 11 / 26}.time_since_epoch()};

Hold MakeHold() {
  Hold hold;
  hold.status = HoldStatus::kActive;
  hold.expires_at = kT0 + 5min;
  hold.seats = {{SeatId{1}, 1, Money{50'000}}, {SeatId{2}, 2, Money{70'000}}};
  return hold;
}

TEST(HoldTest, TotalAmountSumsSeatPrices) {
  EXPECT_EQ(MakeHold().TotalAmount(), Money{120'000});
  EXPECT_EQ(Hold{}.TotalAmount(), Money{0});
}

TEST(HoldTest, LiveOnlyWhileActiveAndBeforeTheDeadline) {
  Hold hold = MakeHold();
  EXPECT_TRUE(hold.IsLiveAt(kT0));
  EXPECT_TRUE(hold.IsLiveAt(kT0 + 5min - 1ms));
  EXPECT_FALSE(hold.IsLiveAt(kT0 + 5min));
  for (auto status : {HoldStatus::kReleased, HoldStatus::kExpired, HoldStatus::kReserved}) {
    hold.status = status;
    EXPECT_FALSE(hold.IsLiveAt(kT0));
  }
}

TEST(ReservationTest, PayableOnlyWhilePendingAndBeforeTheDeadline) {
  Reservation r;
  r.status = ReservationStatus::kPending;
  r.expires_at = kT0 + 5min;
  EXPECT_TRUE(r.IsPayableAt(kT0));
  EXPECT_FALSE(r.IsPayableAt(kT0 + 5min));
  for (auto status : {ReservationStatus::kConfirmed, ReservationStatus::kPaymentFailed,
                      ReservationStatus::kExpired, ReservationStatus::kCancelled}) {
    r.status = status;
    EXPECT_FALSE(r.IsPayableAt(kT0));
  }
}

TEST(ConcertEventTest, OpenFromStartInclusiveToEndExclusive) {
  ConcertEvent e;
  e.reservation_start_at = kT0;
  e.reservation_end_at = kT0 + 24h;
  EXPECT_FALSE(e.IsOpenAt(kT0 - 1ms));
  EXPECT_TRUE(e.IsOpenAt(kT0));
  EXPECT_TRUE(e.IsOpenAt(kT0 + 24h - 1ms));
  EXPECT_FALSE(e.IsOpenAt(kT0 + 24h));
}

TEST(EventsTest, TypeNamesTheEventAndKeyIsTheReservation) {
  PaymentCompleted paid;
  paid.reservation_id = ReservationId{42};
  EXPECT_EQ(EventType(paid), "PaymentCompleted");
  EXPECT_EQ(EventKey(paid), "42");

  ReservationCancelled cancelled;
  cancelled.reservation_id = ReservationId{7};
  EXPECT_EQ(EventType(cancelled), "ReservationCancelled");
  EXPECT_EQ(EventKey(cancelled), "7");
}

TEST(TypesTest, MoneyArithmeticAndIdComparison) {
  EXPECT_EQ(Money{3} + Money{4}, Money{7});
  EXPECT_EQ(Money{10} - Money{4}, Money{6});
  EXPECT_EQ(Money{2'500} * 4, Money{10'000});
  EXPECT_LT(SeatId{1}, SeatId{2});
  EXPECT_EQ(std::hash<UserId>{}(UserId{5}), std::hash<std::int64_t>{}(5));
}

}  // namespace
}  // namespace boxoffice::domain

namespace boxoffice::domain {
namespace {

TEST(NamesTest, StatesHaveTheirApiNames) {
  EXPECT_EQ(Name(SeatState::kHeld), "HELD");
  EXPECT_EQ(Name(ReservationStatus::kPaymentFailed), "PAYMENT_FAILED");
  EXPECT_EQ(Name(QueueState::kSoldOut), "SOLD_OUT");
  EXPECT_EQ(Name(WalletEntryType::kUse), "USE");
  EXPECT_EQ(Name(PaymentStatus::kSuccess), "SUCCESS");
  EXPECT_EQ(Name(HoldStatus::kReleased), "RELEASED");
  const std::set<std::string_view> reservation{
      Name(ReservationStatus::kPending), Name(ReservationStatus::kConfirmed),
      Name(ReservationStatus::kPaymentFailed), Name(ReservationStatus::kExpired),
      Name(ReservationStatus::kCancelled)};
  EXPECT_EQ(reservation.size(), 5u);
}

}  // namespace
}  // namespace boxoffice::domain
