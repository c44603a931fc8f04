#include <atomic>
#include <thread>

#include "app_test.hpp"
#include "application/cancel_reservation.hpp"
#include "application/charge_wallet.hpp"
#include "application/occupy_seats.hpp"
#include "application/pay_reservation.hpp"
#include "application/reserve_seats.hpp"
#include "application/sweep_expired.hpp"

namespace boxoffice::application {
namespace {

using domain::ErrorCode;
using domain::Money;
using domain::ReservationStatus;
using domain::SeatState;

class MoneyTest : public AppTest {
 protected:
  // Alice holds and reserves seats 1 and 2 (2,000 won).
  domain::Reservation Reserved(domain::UserId user) {
    OccupySeats occupy(db_, policies_, clock_);
    ReserveSeats reserve(db_, clock_);
    auto hold =
        occupy.Execute({{user, show_.concert}, show_.event, {show_.seats[0], show_.seats[1]}});
    EXPECT_TRUE(hold.ok());
    auto r = reserve.Execute({{user, show_.concert}, show_.event, hold->id});
    EXPECT_TRUE(r.ok());
    return r.value();
  }
  domain::Result<domain::Payment> Pay(domain::UserId user, domain::ReservationId id) {
    auto paid = pay_.Execute({{user, show_.concert}, id});
    if (!paid) return paid.error();
    EXPECT_EQ(paid->seat_count, ReservationOf(id).total_seats);
    return paid->payment;
  }
  void ExpectNothingMoved(domain::UserId user, const domain::Reservation& r, Money balance) {
    EXPECT_EQ(Balance(user), balance);
    EXPECT_EQ(LedgerSum(user), balance);
    EXPECT_EQ(ReservationOf(r.id).status, ReservationStatus::kPending);
    EXPECT_EQ(StateOf(show_, show_.seats[0]), SeatState::kHeld);
    EXPECT_EQ(StateOf(show_, show_.seats[1]), SeatState::kHeld);
    const auto tables = db_.Snapshot();
    EXPECT_TRUE(tables.payments.empty());
    EXPECT_TRUE(tables.outbox.empty());
  }

  Show show_ = NewShow(10, Money{1000});
  domain::UserId alice_ = NewUser(Money{5000});
  domain::UserId bob_ = NewUser(Money{5000});
  PayReservation pay_{db_, clock_};
  CancelReservation cancel_{db_, clock_};
  ChargeWallet charge_{db_, clock_};
  SweepExpired sweep_{db_, clock_};
};

TEST_F(MoneyTest, PayConfirmsSellsDebitsAndPublishes) {
  auto r = Reserved(alice_);
  clock_.Advance(30s);
  auto payment = Pay(alice_, r.id);
  ASSERT_TRUE(payment.ok()) << payment.error().message;
  EXPECT_EQ(payment->amount, Money{2000});
  EXPECT_EQ(payment->reservation_id, r.id);
  EXPECT_EQ(payment->paid_at, clock_.Now());
  EXPECT_EQ(payment->status, domain::PaymentStatus::kSuccess);
  EXPECT_EQ(ReservationOf(r.id).status, ReservationStatus::kConfirmed);
  EXPECT_EQ(StateOf(show_, show_.seats[0]), SeatState::kReserved);
  EXPECT_EQ(StateOf(show_, show_.seats[1]), SeatState::kReserved);
  EXPECT_EQ(Balance(alice_), Money{3000});
  EXPECT_EQ(LedgerSum(alice_), Money{3000});

  const auto tables = db_.Snapshot();
  const auto& entry = tables.entries.back();
  EXPECT_EQ(entry.id, payment->wallet_entry_id);
  EXPECT_EQ(entry.type, domain::WalletEntryType::kUse);
  EXPECT_EQ(entry.amount, Money{-2000});
  ASSERT_EQ(tables.outbox.size(), 1u);
  const auto& event =
      std::get<domain::PaymentCompleted>(tables.outbox.begin()->second.record.event);
  EXPECT_EQ(event.payment_id, payment->id);
  EXPECT_EQ(event.user_id, alice_);
  EXPECT_EQ(event.concert_id, show_.concert);
  EXPECT_EQ(event.event_id, show_.event);
  EXPECT_EQ(event.seat_count, 2);
  EXPECT_EQ(event.amount, Money{2000});
}

// PayReservation::ExecuteTogether: several first payments in one transaction.
class PayTogetherTest : public MoneyTest {
 protected:
  // `user` holds and reserves the seats at `indexes`.
  domain::Reservation ReservedSeats(domain::UserId user, std::vector<std::size_t> indexes) {
    OccupySeats occupy(db_, policies_, clock_);
    ReserveSeats reserve(db_, clock_);
    std::vector<domain::SeatId> seats;
    for (auto i : indexes) seats.push_back(show_.seats[i]);
    auto hold = occupy.Execute({{user, show_.concert}, show_.event, seats});
    EXPECT_TRUE(hold.ok());
    auto r = reserve.Execute({{user, show_.concert}, show_.event, hold->id});
    EXPECT_TRUE(r.ok());
    return *r;
  }
  static PayReservation::Together Of(domain::UserId user, domain::ConcertId concert,
                                     domain::ReservationId id, const std::string& key) {
    return {.command = {{user, concert}, id}, .request = {user, "payments", key, "h"}};
  }
  std::optional<std::vector<PayReservation::PaidTogether>> Together(
      const std::vector<PayReservation::Together>& payments) {
    return pay_.ExecuteTogether(payments, [](const PaidReservation& paid) -> StoredResponse {
      return {201, std::to_string(paid.payment.id.value)};
    });
  }
};

TEST_F(PayTogetherTest, EachPaymentCommitsWithItsOwnRowsInOneTransaction) {
  const auto mine = ReservedSeats(alice_, {0, 1});
  const auto bobs = ReservedSeats(bob_, {2});
  clock_.Advance(30s);
  const int commits = db_.Commits();
  auto paid =
      Together({Of(bob_, show_.concert, bobs.id, "b"), Of(alice_, show_.concert, mine.id, "a")});
  ASSERT_TRUE(paid.has_value());
  EXPECT_EQ(db_.Commits(), commits + 1);
  ASSERT_EQ(paid->size(), 2u);
  EXPECT_EQ((*paid)[0].paid.payment.reservation_id, bobs.id);
  EXPECT_EQ((*paid)[0].paid.payment.amount, Money{1000});
  EXPECT_EQ((*paid)[0].paid.seat_count, 1);
  EXPECT_EQ((*paid)[1].paid.payment.reservation_id, mine.id);
  EXPECT_EQ((*paid)[1].paid.payment.amount, Money{2000});
  EXPECT_EQ((*paid)[1].paid.payment.paid_at, clock_.Now());
  EXPECT_EQ((*paid)[1].response.body, std::to_string((*paid)[1].paid.payment.id.value));
  EXPECT_EQ(Balance(alice_), Money{3000});
  EXPECT_EQ(Balance(bob_), Money{4000});
  EXPECT_EQ(LedgerSum(bob_), Money{4000});
  EXPECT_EQ(ReservationOf(mine.id).status, ReservationStatus::kConfirmed);
  EXPECT_EQ(StateOf(show_, show_.seats[2]), SeatState::kReserved);

  const auto tables = db_.Snapshot();
  for (const auto& done : *paid) {
    const auto& payment = done.paid.payment;
    bool found = false;
    for (const auto& entry : tables.entries) {
      if (entry.id != payment.wallet_entry_id) continue;
      found = true;
      EXPECT_EQ(entry.user_id, payment.user_id);
      EXPECT_EQ(entry.amount, Money{0} - payment.amount);
    }
    EXPECT_TRUE(found) << "the payment's ledger row";
    EXPECT_EQ(tables.idempotency.count(
                  {payment.user_id.value, "payments", payment.user_id == alice_ ? "a" : "b"}),
              1u);
  }
  ASSERT_EQ(tables.outbox.size(), 2u);
  for (const auto& [id, row] : tables.outbox) {
    const auto& event = std::get<domain::PaymentCompleted>(row.record.event);
    const auto& done = event.user_id == alice_ ? (*paid)[1] : (*paid)[0];
    EXPECT_EQ(event.payment_id, done.paid.payment.id);
    EXPECT_EQ(event.seat_count, done.paid.seat_count);
  }
}

TEST_F(PayTogetherTest, APaymentExecuteWouldRefuseMakesTheBatchWriteNothing) {
  const auto mine = ReservedSeats(alice_, {0, 1});
  const auto poor = NewUser(Money{500});
  const auto theirs = ReservedSeats(poor, {2});
  const int commits = db_.Commits();
  const auto outbox = db_.Snapshot().outbox.size();
  for (const auto& other : {
           Of(poor, show_.concert, theirs.id, "p"),           // too little in the wallet
           Of(bob_, show_.concert, theirs.id, "b"),           // not bob's
           Of(alice_, show_.concert, theirs.id, "a2"),        // alice twice
           Of(poor, domain::ConcertId{999}, theirs.id, "p"),  // another concert's token
       }) {
    EXPECT_FALSE(Together({Of(alice_, show_.concert, mine.id, "a"), other}).has_value());
  }
  EXPECT_EQ(db_.Commits(), commits);
  EXPECT_EQ(Balance(alice_), Money{5000});
  EXPECT_EQ(ReservationOf(mine.id).status, ReservationStatus::kPending);
  EXPECT_EQ(StateOf(show_, show_.seats[0]), SeatState::kHeld);
  EXPECT_EQ(db_.Snapshot().outbox.size(), outbox);
  EXPECT_TRUE(db_.Snapshot().payments.empty());
  // Alone, each is answered as before.
  EXPECT_EQ(CodeOf(Pay(poor, theirs.id)), ErrorCode::kInsufficientBalance);
  EXPECT_TRUE(Pay(alice_, mine.id).ok());
}

TEST_F(MoneyTest, PayingTwiceIsAlreadyConfirmed) {
  auto r = Reserved(alice_);
  ASSERT_TRUE(Pay(alice_, r.id).ok());
  EXPECT_EQ(CodeOf(Pay(alice_, r.id)), ErrorCode::kReservationAlreadyConfirmed);
  EXPECT_EQ(Balance(alice_), Money{3000});
}

TEST_F(MoneyTest, ConcurrentPaymentsOfOneReservationChargeOnce) {
  auto r = Reserved(alice_);
  constexpr int kThreads = 8;
  std::atomic<int> ready{0};
  std::atomic<int> paid{0};
  std::atomic<int> already{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      ready.fetch_add(1);
      while (ready.load() < kThreads) std::this_thread::yield();
      auto result = Pay(alice_, r.id);
      if (result.ok()) {
        paid.fetch_add(1);
      } else if (result.error().code == ErrorCode::kReservationAlreadyConfirmed) {
        already.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(paid.load(), 1);
  EXPECT_EQ(already.load(), kThreads - 1);
  EXPECT_EQ(Balance(alice_), Money{3000});
  EXPECT_EQ(LedgerSum(alice_), Money{3000});
  const auto tables = db_.Snapshot();
  EXPECT_EQ(tables.payments.size(), 1u);
  EXPECT_EQ(tables.outbox.size(), 1u);
}

TEST_F(MoneyTest, PayOnSomeoneElsesReservationIsRefusedAndNoMoneyMoves) {
  auto r = Reserved(alice_);
  EXPECT_EQ(CodeOf(Pay(bob_, r.id)), ErrorCode::kReservationNotFound);
  EXPECT_EQ(Balance(bob_), Money{5000});
  ExpectNothingMoved(alice_, r, Money{5000});
}

TEST_F(MoneyTest, PayUnknownReservation) {
  EXPECT_EQ(CodeOf(Pay(alice_, domain::ReservationId{777})), ErrorCode::kReservationNotFound);
}

TEST_F(MoneyTest, PayWithATokenOfAnotherConcertIsNotProcessable) {
  auto r = Reserved(alice_);
  auto result = pay_.Execute({{alice_, domain::ConcertId{show_.concert.value + 1000}}, r.id});
  EXPECT_EQ(CodeOf(result), ErrorCode::kTokenNotProcessable);
  ExpectNothingMoved(alice_, r, Money{5000});
}

TEST_F(MoneyTest, InsufficientBalanceRollsEverythingBack) {
  auto poor = NewUser(Money{1999});
  auto r = Reserved(poor);
  EXPECT_EQ(CodeOf(Pay(poor, r.id)), ErrorCode::kInsufficientBalance);
  ExpectNothingMoved(poor, r, Money{1999});
  ASSERT_TRUE(charge_.Execute({poor, Money{1}, std::nullopt}).ok());
  EXPECT_TRUE(Pay(poor, r.id).ok());
  EXPECT_EQ(Balance(poor), Money{0});
  EXPECT_EQ(LedgerSum(poor), Money{0});
}

TEST_F(MoneyTest, SecondPaymentRowIsRefusedAndRollsBack) {
  auto r = Reserved(alice_);
  Seed([&](domain::Store& s) {
    (void)s.Payments().Create(
        {{}, alice_, r.id, 0, Money{2000}, domain::PaymentStatus::kSuccess, clock_.Now()},
        clock_.Now());
  });
  EXPECT_EQ(CodeOf(Pay(alice_, r.id)), ErrorCode::kReservationAlreadyConfirmed);
  EXPECT_EQ(Balance(alice_), Money{5000});
  EXPECT_EQ(ReservationOf(r.id).status, ReservationStatus::kPending);
  EXPECT_EQ(StateOf(show_, show_.seats[0]), SeatState::kHeld);
}

TEST_F(MoneyTest, UnpaidReservationPastDeadlineCannotBePaidAndIsSwept) {
  auto r = Reserved(alice_);
  clock_.Advance(300s);
  EXPECT_EQ(CodeOf(Pay(alice_, r.id)), ErrorCode::kReservationExpired);
  EXPECT_EQ(Balance(alice_), Money{5000});
  // Lapsed seats already read AVAILABLE before any sweep.
  EXPECT_EQ(StateOf(show_, show_.seats[0]), SeatState::kAvailable);

  auto swept = sweep_.Execute();
  EXPECT_EQ(swept.reservations_expired, 1);
  EXPECT_EQ(swept.seats_released, 2);
  EXPECT_EQ(ReservationOf(r.id).status, ReservationStatus::kExpired);
  EXPECT_EQ(HoldOf(r.hold_id).status, domain::HoldStatus::kExpired);
  const auto tables = db_.Snapshot();
  EXPECT_EQ(tables.seats.at(show_.seats[0].value).seat.state, SeatState::kAvailable);
  EXPECT_EQ(CodeOf(Pay(alice_, r.id)), ErrorCode::kReservationExpired);

  auto again = sweep_.Execute();
  EXPECT_EQ(again.reservations_expired, 0);
  EXPECT_EQ(again.seats_released, 0);
}

TEST_F(MoneyTest, SeatsTakenOverAfterTheDeadlineCannotBeConfirmed) {
  // The seat step is conditional on its own: if the hold no longer covers every seat, nothing
  // is charged even though the reservation row still reads PENDING.
  auto r = Reserved(alice_);
  Seed([&](domain::Store& s) {
    s.Seats().Release(r.hold_id);  // someone freed the seats under us
  });
  EXPECT_EQ(CodeOf(Pay(alice_, r.id)), ErrorCode::kReservationExpired);
  EXPECT_EQ(Balance(alice_), Money{5000});
  EXPECT_EQ(ReservationOf(r.id).status, ReservationStatus::kPending);
}

TEST_F(MoneyTest, SweeperExpiresLapsedHoldsAndPurgesOldKeys) {
  OccupySeats occupy(db_, policies_, clock_);
  ASSERT_TRUE(occupy.Execute({{bob_, show_.concert}, show_.event, {show_.seats[5]}}).ok());
  // Records older than 24 h go, completed or left in flight by an older version.
  Seed([&](domain::Store& s) {
    s.Idempotency().TryStore(bob_, "pay", "old", {"h", true, 201, "{}", clock_.Now()});
    s.Idempotency().TryStore(bob_, "pay", "old-in-flight", {"h", false, 0, "", clock_.Now()});
  });
  clock_.Advance(24h + 1s);
  Seed([&](domain::Store& s) {
    s.Idempotency().TryStore(bob_, "pay", "new", {"h", true, 201, "{}", clock_.Now()});
  });
  auto swept = sweep_.Execute();
  EXPECT_EQ(swept.holds_expired, 1);
  EXPECT_EQ(swept.seats_released, 1);
  EXPECT_EQ(swept.idempotency_purged, 2);
  const auto records = db_.Snapshot().idempotency;
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(std::get<2>(records.begin()->first), "new");
}

TEST_F(MoneyTest, CancelFreesSeatsAndPublishes) {
  auto r = Reserved(alice_);
  auto cancelled = cancel_.Execute({alice_, r.id});
  ASSERT_TRUE(cancelled.ok());
  EXPECT_EQ(cancelled->status, ReservationStatus::kCancelled);
  EXPECT_EQ(ReservationOf(r.id).status, ReservationStatus::kCancelled);
  EXPECT_EQ(HoldOf(r.hold_id).status, domain::HoldStatus::kReleased);
  EXPECT_EQ(StateOf(show_, show_.seats[0]), SeatState::kAvailable);
  const auto outbox = db_.Snapshot().outbox;
  ASSERT_EQ(outbox.size(), 1u);
  EXPECT_TRUE(
      std::holds_alternative<domain::ReservationCancelled>(outbox.begin()->second.record.event));
  EXPECT_EQ(CodeOf(cancel_.Execute({alice_, r.id})), ErrorCode::kReservationExpired);
  EXPECT_EQ(CodeOf(Pay(alice_, r.id)), ErrorCode::kReservationExpired);
}

TEST_F(MoneyTest, CancelRules) {
  auto r = Reserved(alice_);
  EXPECT_EQ(CodeOf(cancel_.Execute({bob_, r.id})), ErrorCode::kReservationNotFound);
  EXPECT_EQ(CodeOf(cancel_.Execute({alice_, domain::ReservationId{31337}})),
            ErrorCode::kReservationNotFound);
  ASSERT_TRUE(Pay(alice_, r.id).ok());
  EXPECT_EQ(CodeOf(cancel_.Execute({alice_, r.id})), ErrorCode::kReservationAlreadyConfirmed);
  EXPECT_EQ(StateOf(show_, show_.seats[0]), SeatState::kReserved);
}

TEST_F(MoneyTest, CancelAfterTheDeadlineIsExpiredEvenBeforeTheSweeper) {
  auto r = Reserved(alice_);
  clock_.Advance(std::chrono::seconds(policies_.Current().hold_ttl_seconds));
  EXPECT_EQ(CodeOf(cancel_.Execute({alice_, r.id})), ErrorCode::kReservationExpired);
  EXPECT_EQ(ReservationOf(r.id).status, ReservationStatus::kPending);  // the sweeper's to expire
}

TEST_F(MoneyTest, ChargeAddsMoneyWithALedgerRow) {
  auto balance = charge_.Execute({alice_, Money{700}, std::nullopt});
  ASSERT_TRUE(balance.ok());
  EXPECT_EQ(*balance, Money{5700});
  EXPECT_EQ(LedgerSum(alice_), Money{5700});
  const auto entry = db_.Snapshot().entries.back();
  EXPECT_EQ(entry.type, domain::WalletEntryType::kCharge);
  EXPECT_EQ(entry.amount, Money{700});
}

TEST_F(MoneyTest, ChargeRules) {
  EXPECT_EQ(CodeOf(charge_.Execute({alice_, Money{0}, std::nullopt})), ErrorCode::kInvalidAmount);
  EXPECT_EQ(CodeOf(charge_.Execute({alice_, Money{-5}, std::nullopt})), ErrorCode::kInvalidAmount);
  EXPECT_EQ(CodeOf(charge_.Execute({alice_, domain::kMaxChargeAmount + Money{1}, std::nullopt})),
            ErrorCode::kInvalidAmount);
  EXPECT_TRUE(charge_.Execute({alice_, domain::kMaxChargeAmount, std::nullopt}).ok());
  EXPECT_EQ(CodeOf(charge_.Execute({domain::UserId{424242}, Money{1}, std::nullopt})),
            ErrorCode::kUserNotFound);
}

TEST_F(MoneyTest, ChargePastTheWalletLimitIsRefused) {
  auto rich = NewUser(domain::kMaxWalletBalance - Money{10});
  EXPECT_EQ(CodeOf(charge_.Execute({rich, Money{11}, std::nullopt})),
            ErrorCode::kWalletLimitExceeded);
  EXPECT_EQ(Balance(rich), domain::kMaxWalletBalance - Money{10});
  EXPECT_EQ(*charge_.Execute({rich, Money{10}, std::nullopt}), domain::kMaxWalletBalance);
  EXPECT_EQ(LedgerSum(rich), domain::kMaxWalletBalance);
}

TEST_F(MoneyTest, RepeatedIdempotencyKeyIsANoOp) {
  EXPECT_EQ(*charge_.Execute({alice_, Money{100}, std::string("k1")}), Money{5100});
  EXPECT_EQ(*charge_.Execute({alice_, Money{100}, std::string("k1")}), Money{5100});
  EXPECT_EQ(*charge_.Execute({alice_, Money{100}, std::string("k2")}), Money{5200});
  EXPECT_EQ(CodeOf(charge_.Execute({alice_, Money{999}, std::string("k1")})),
            ErrorCode::kIdempotencyKeyReused)
      << "a ledger key names one amount for ever";
  // Keys are per user.
  EXPECT_EQ(*charge_.Execute({bob_, Money{100}, std::string("k1")}), Money{5100});
  EXPECT_EQ(LedgerSum(alice_), Money{5200});
  EXPECT_EQ(db_.Snapshot().entries.size(), 2u + 3u);
}

// The ledger key is found by the insert of the entry, not looked up first: a first keyed charge
// looks nothing up, and only a key seen before costs a second run with the lookup.
TEST_F(MoneyTest, AFirstKeyedChargeDoesNotLookItsKeyUp) {
  EXPECT_EQ(*charge_.Execute({alice_, Money{100}, std::string("k1")}), Money{5100});
  EXPECT_EQ(db_.LedgerKeyFinds(), 0);
  const int rollbacks = db_.Rollbacks();
  EXPECT_EQ(*charge_.Execute({alice_, Money{100}, std::string("k1")}), Money{5100});
  EXPECT_EQ(db_.LedgerKeyFinds(), 1);
  EXPECT_EQ(db_.Rollbacks(), rollbacks + 1);
  EXPECT_EQ(LedgerSum(alice_), Money{5100});
}

TEST_F(MoneyTest, BalanceAlwaysEqualsLedgerSum) {
  auto r = Reserved(alice_);
  ASSERT_TRUE(charge_.Execute({alice_, Money{123}, std::string("a")}).ok());
  ASSERT_TRUE(Pay(alice_, r.id).ok());
  ASSERT_TRUE(charge_.Execute({alice_, Money{123}, std::string("a")}).ok());
  ASSERT_TRUE(charge_.Execute({alice_, Money{77}, std::nullopt}).ok());
  EXPECT_FALSE(Pay(alice_, r.id).ok());
  for (auto user : {alice_, bob_}) EXPECT_EQ(Balance(user), LedgerSum(user));
  EXPECT_EQ(Balance(alice_), Money{5000 + 123 - 2000 + 77});
}

}  // namespace
}  // namespace boxoffice::application
