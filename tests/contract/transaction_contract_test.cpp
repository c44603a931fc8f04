#include <stdexcept>

#include "contract/sql_contract_test.hpp"

namespace boxoffice::contract {
namespace {

using domain::Money;
using domain::Store;

// What one transaction wrote, so the test can look for every piece afterwards.
struct Written {
  domain::UserId user;
  domain::ConcertId concert;
  domain::EventId event;
  domain::HoldId hold;
  domain::ReservationId reservation;
};

class TransactionContract : public SqlContractTest {
 protected:
  void SetUp() override {
    SqlContractTest::SetUp();
    if (IsSkipped()) return;
    payer_ = NewUser();
    Commit(db(),
           [&](Store& s) { s.Wallets().Credit(payer_, Money{10'000}, Money{1'000'000}, T(0)); });
    existing_event_ = NewEvent(NewConcert(), 2);
  }

  // Writes through every repository, as a payment would and more.
  Written WriteEverything(Store& s) {
    Written w;
    w.user = s.Users().Create("ghost", T(1)).id;
    s.Wallets().Create(w.user, T(1));
    w.concert = s.Catalogue().CreateConcert({"Ghost", "Nobody", ""}, T(1)).id;
    w.event = s.Catalogue()
                  .CreateEvent({.concert_id = w.concert,
                                .venue = "Nowhere",
                                .start_at = T(100'000),
                                .duration_minutes = 60,
                                .reservation_start_at = T(0),
                                .reservation_end_at = T(50'000),
                                .seat_count = 3,
                                .price = Money{10}},
                               T(1))
                  .id;
    auto seat = s.Catalogue().ListSeats(existing_event_.id, T(1))[0];
    auto hold = s.Holds().Create(payer_, existing_event_.id,
                                 {{seat.id, seat.seat_number, seat.price}}, T(9000), T(1));
    w.hold = hold.id;
    EXPECT_EQ(s.Seats().Hold(existing_event_.id, {seat.id}, hold.id, T(9000), T(1)), 1);
    EXPECT_TRUE(s.Holds().Transition(hold.id, domain::HoldStatus::kActive,
                                     domain::HoldStatus::kReserved, T(1)));
    w.reservation = s.Reservations()
                        .Create({.user_id = payer_,
                                 .concert_id = existing_event_.concert_id,
                                 .event_id = existing_event_.id,
                                 .hold_id = hold.id,
                                 .total_seats = 1,
                                 .total_amount = seat.price,
                                 .expires_at = T(9000),
                                 .concert_start_at = existing_event_.start_at,
                                 .seats = hold.seats},
                                T(1))
                        .id;
    EXPECT_EQ(s.Seats().Confirm(hold.id, T(1)), 1);
    EXPECT_TRUE(s.Wallets().Debit(payer_, seat.price, T(1)));
    auto entry = s.Wallets().AppendEntry({.user_id = payer_,
                                          .type = domain::WalletEntryType::kUse,
                                          .amount = Money{0} - seat.price,
                                          .idempotency_key = "pay-1",
                                          .created_at = T(1)});
    EXPECT_TRUE(s.Payments()
                    .Create({.user_id = payer_,
                             .reservation_id = w.reservation,
                             .wallet_entry_id = *entry,
                             .amount = seat.price,
                             .paid_at = T(1)},
                            T(1))
                    .has_value());
    s.Outbox().Append(domain::ReservationCancelled{.reservation_id = w.reservation}, T(1));
    EXPECT_TRUE(s.ProcessedEvents().MarkProcessed("c", 1, T(1)));
    EXPECT_TRUE(s.Idempotency().TryStore(payer_, "pay", "k", {"h", true, 201, "{}", T(1)}));
    s.Policy().Save(domain::Policies{.hold_ttl_seconds = 42}, T(1));
    return w;
  }

  void ExpectNothingOf(const Written& w) {
    Query(db(), [&](Store& s) {
      EXPECT_FALSE(s.Users().Find(w.user).has_value());
      EXPECT_FALSE(s.Wallets().Balance(w.user).has_value());
      EXPECT_FALSE(s.Catalogue().FindConcert(w.concert).has_value());
      EXPECT_FALSE(s.Catalogue().FindEvent(w.event, T(1)).has_value());
      EXPECT_TRUE(s.Catalogue().ListSeats(w.event, T(1)).empty());
      EXPECT_FALSE(s.Holds().Find(w.hold).has_value());
      EXPECT_EQ(s.Catalogue().ListSeats(existing_event_.id, T(1))[0].state,
                domain::SeatState::kAvailable);
      EXPECT_FALSE(s.Reservations().Find(w.reservation).has_value());
      EXPECT_EQ(s.Wallets().Balance(payer_), Money{10'000});
      EXPECT_FALSE(s.Wallets().FindEntryByKey(payer_, "pay-1").has_value());
      EXPECT_TRUE(s.Payments().ListByUser(payer_).empty());
      EXPECT_EQ(s.Outbox().CountUnpublished(), 0);
      EXPECT_FALSE(s.ProcessedEvents().IsProcessed("c", 1));
      EXPECT_FALSE(s.Idempotency().Find(payer_, "pay", "k").has_value());
      EXPECT_FALSE(s.Policy().Load().has_value());
      return 0;
    });
  }

  domain::UserId payer_;
  domain::ConcertEvent existing_event_;
};
BOXOFFICE_SQL_CONTRACT(TransactionContract);

TEST_P(TransactionContract, AnErrorResultRollsBackEveryWrite) {
  Written w;
  auto r = db().Write([&](Store& s) -> domain::Result<int> {
    w = WriteEverything(s);
    return domain::Fail(domain::ErrorCode::kInsufficientBalance, "changed my mind");
  });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, domain::ErrorCode::kInsufficientBalance);
  ExpectNothingOf(w);
}

TEST_P(TransactionContract, AnExceptionRollsBackEveryWriteAndPropagates) {
  Written w;
  EXPECT_THROW(db().Write([&](Store& s) -> domain::Result<int> {
    w = WriteEverything(s);
    throw std::logic_error("bug");
  }),
               std::logic_error);
  ExpectNothingOf(w);
}

// MySQL holds back writes whose outcome nobody looks at (an outbox row, a wallet, the seats of
// a reservation) and sends them with the next statement or the COMMIT (ADR 0016). What the
// transaction reads afterwards must see them, and one that fails must fail the transaction.
TEST_P(TransactionContract, AReadAfterAHeldWriteSeesIt) {
  const auto seen = Commit(db(), [&](Store& s) {
    s.Outbox().Append(
        domain::PaymentCompleted{domain::PaymentId{1}, domain::ReservationId{2}, payer_,
                                 domain::ConcertId{3}, domain::EventId{4}, Money{5}, 1, T(1)},
        T(1));
    const auto user = s.Users().Create("held", T(1));
    s.Wallets().Create(user.id, T(1));
    return std::pair{s.Outbox().CountUnpublished(), s.Wallets().Balance(user.id)};
  });
  EXPECT_EQ(seen.first, 1);
  EXPECT_EQ(seen.second, Money{0});
}

TEST_P(TransactionContract, AHeldWriteThatFailsFailsTheTransaction) {
  std::optional<domain::UserId> created;
  EXPECT_ANY_THROW(db().Write([&](Store& s) -> domain::Result<bool> {
    created = s.Users().Create("orphan", T(1)).id;
    s.Wallets().Create(domain::UserId{created->value + 1'000'000}, T(1));  // no such user
    return true;
  }));
  ASSERT_TRUE(created.has_value());
  EXPECT_FALSE(Query(db(), [&](Store& s) { return s.Users().Find(*created); }).has_value());
  // The connection is sound afterwards.
  EXPECT_TRUE(Query(db(), [&](Store& s) { return s.Wallets().Balance(payer_); }).has_value());
  EXPECT_TRUE(Commit(db(), [&](Store& s) { return s.Users().Create("next", T(1)).id.value > 0; }));
}

// A held write also rides with a conditional update (the hold's seat rows with its seat
// update): the update's count is its own, and a held write that fails fails the update.
TEST_P(TransactionContract, AnUpdateCountsItsOwnRowsAfterAHeldWrite) {
  const auto seats =
      Query(db(), [&](Store& s) { return s.Catalogue().ListSeats(existing_event_.id, T(1)); });
  ASSERT_EQ(seats.size(), 2u);
  const int held = Commit(db(), [&](Store& s) {
    auto hold = s.Holds().Create(payer_, existing_event_.id,
                                 {{seats[0].id, seats[0].seat_number, seats[0].price},
                                  {seats[1].id, seats[1].seat_number, seats[1].price}},
                                 T(9000), T(1));
    // Two seat rows held back, one seat updated: the count is the update's.
    return s.Seats().Hold(existing_event_.id, {seats[0].id}, hold.id, T(9000), T(1));
  });
  EXPECT_EQ(held, 1);
  EXPECT_ANY_THROW(db().Write([&](Store& s) -> domain::Result<int> {
    auto hold = s.Holds().Create(payer_, existing_event_.id,
                                 {{domain::SeatId{seats[1].id.value + 1'000'000}, 1, Money{1}}},
                                 T(9000), T(2));  // no such seat
    return s.Seats().Hold(existing_event_.id, {seats[0].id}, hold.id, T(9000), T(9000));
  }));
  const auto after =
      Query(db(), [&](Store& s) { return s.Catalogue().ListSeats(existing_event_.id, T(1)); });
  EXPECT_EQ(after[0].state, domain::SeatState::kHeld);
  EXPECT_EQ(
      Query(db(),
            [&](Store& s) { return s.Holds().CountLiveSeats(payer_, existing_event_.id, T(1)); }),
      1)
      << "the failed transaction's hold is gone";
}

// A MySQL write's first run holds its conditional writes as if they had succeeded and checks
// them with its next statement, never with its COMMIT (ADR 0018). A write that missed runs the
// transaction again, one statement at a time, so its code sees the miss and takes its branch.
// Either way the outcome is the one of running each statement at once.
class AssumedWrites : public TransactionContract {
 protected:
  // Runs of a transaction: two on MySQL when the first assumed wrong, one elsewhere.
  int RunsAfterAMiss() const { return GetParam().name == "Mysql" ? 2 : 1; }
};
BOXOFFICE_SQL_CONTRACT(AssumedWrites);

TEST_P(AssumedWrites, AMissedDebitIsSeenBeforeTheNextStatementUsesIt) {
  int runs = 0;
  auto r = db().Write([&](Store& s) -> domain::Result<std::int64_t> {
    ++runs;
    if (!s.Wallets().Debit(payer_, Money{20'000}, T(1))) {  // 10,000 in the wallet
      return domain::Fail(domain::ErrorCode::kInsufficientBalance, "insufficient balance");
    }
    return *s.Wallets().AppendEntry({.user_id = payer_,
                                     .type = domain::WalletEntryType::kUse,
                                     .amount = Money{-20'000},
                                     .created_at = T(1)});
  });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, domain::ErrorCode::kInsufficientBalance);
  EXPECT_EQ(runs, RunsAfterAMiss());
  Query(db(), [&](Store& s) {
    EXPECT_EQ(s.Wallets().Balance(payer_), Money{10'000});
    EXPECT_EQ(s.Wallets().LedgerSum(payer_), Money{0}) << "the first run's entry is gone";
    return 0;
  });
}

TEST_P(AssumedWrites, AMissedWriteNeverCommitsWhatFollowsIt) {
  int runs = 0;
  auto r = db().Write([&](Store& s) -> domain::Result<bool> {
    ++runs;
    const bool debited = s.Wallets().Debit(payer_, Money{20'000}, T(1));
    // A held write after it, and nothing else before the COMMIT: the debit must be checked
    // before the COMMIT is sent, or the outbox row would land.
    s.Outbox().Append(domain::ReservationCancelled{.reservation_id = domain::ReservationId{7}},
                      T(1));
    if (!debited) return domain::Fail(domain::ErrorCode::kInsufficientBalance, "no");
    return true;
  });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(runs, RunsAfterAMiss());
  EXPECT_EQ(Query(db(), [&](Store& s) { return s.Outbox().CountUnpublished(); }), 0);
}

TEST_P(AssumedWrites, HeldWritesThatMatchCommitWithOneRun) {
  const auto seats =
      Query(db(), [&](Store& s) { return s.Catalogue().ListSeats(existing_event_.id, T(1)); });
  const auto hold = Commit(db(), [&](Store& s) {
    auto created = s.Holds().Create(payer_, existing_event_.id,
                                    {{seats[0].id, seats[0].seat_number, seats[0].price},
                                     {seats[1].id, seats[1].seat_number, seats[1].price}},
                                    T(9000), T(1));
    EXPECT_EQ(
        s.Seats().Hold(existing_event_.id, {seats[0].id, seats[1].id}, created.id, T(9000), T(1)),
        2);
    return created;
  });
  int runs = 0;
  const auto balance = Commit(db(), [&](Store& s) {
    ++runs;
    EXPECT_TRUE(s.Holds().Transition(hold.id, domain::HoldStatus::kActive,
                                     domain::HoldStatus::kReserved, T(2)));
    EXPECT_TRUE(s.Seats().ConfirmAll(hold.id, 2, T(2)));
    EXPECT_TRUE(s.Wallets().Debit(payer_, Money{3'000}, T(2)));
    EXPECT_TRUE(s.Wallets().Credit(payer_, Money{1'000}, Money{1'000'000}, T(2)));
    EXPECT_TRUE(s.Wallets().AddEntry({.user_id = payer_,
                                      .type = domain::WalletEntryType::kUse,
                                      .amount = Money{-2'000},
                                      .idempotency_key = "both",
                                      .created_at = T(2)}));
    return s.Wallets().Balance(payer_);
  });
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(balance, Money{8'000}) << "the read sees every held write";
  Query(db(), [&](Store& s) {
    EXPECT_EQ(s.Holds().Find(hold.id)->status, domain::HoldStatus::kReserved);
    for (const auto& seat : s.Catalogue().ListSeats(existing_event_.id, T(2))) {
      EXPECT_EQ(seat.state, domain::SeatState::kReserved);
    }
    EXPECT_EQ(s.Wallets().Balance(payer_), Money{8'000});
    EXPECT_TRUE(s.Wallets().FindEntryByKey(payer_, "both").has_value());
    return 0;
  });
}

TEST_P(AssumedWrites, FewerSeatsThanExpectedAreAMiss) {
  const auto seats =
      Query(db(), [&](Store& s) { return s.Catalogue().ListSeats(existing_event_.id, T(1)); });
  const auto hold = Commit(db(), [&](Store& s) {
    auto created =
        s.Holds().Create(payer_, existing_event_.id,
                         {{seats[0].id, seats[0].seat_number, seats[0].price}}, T(9000), T(1));
    s.Seats().Hold(existing_event_.id, {seats[0].id}, created.id, T(9000), T(1));
    return created;
  });
  int runs = 0;
  auto r = db().Write([&](Store& s) -> domain::Result<bool> {
    ++runs;
    if (!s.Seats().ConfirmAll(hold.id, 2, T(2))) {  // the hold has one seat
      return domain::Fail(domain::ErrorCode::kReservationExpired, "the hold has lapsed");
    }
    return s.Wallets().Balance(payer_).has_value();
  });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(runs, RunsAfterAMiss());
  EXPECT_EQ(
      Query(db(), [&](Store& s) { return s.Catalogue().ListSeats(existing_event_.id, T(2)); })[0]
          .state,
      domain::SeatState::kHeld);
}

TEST_P(AssumedWrites, AnEntryWhoseKeyIsOnTheLedgerIsRefusedAndItsCreditUndone) {
  Commit(db(), [&](Store& s) {
    return s.Wallets().AppendEntry({.user_id = payer_,
                                    .type = domain::WalletEntryType::kCharge,
                                    .amount = Money{0},
                                    .idempotency_key = "seen",
                                    .created_at = T(1)});
  });
  int runs = 0;
  auto r = db().Write([&](Store& s) -> domain::Result<domain::Money> {
    ++runs;
    EXPECT_TRUE(s.Wallets().Credit(payer_, Money{500}, Money{1'000'000}, T(2)));
    if (!s.Wallets().AddEntry({.user_id = payer_,
                               .type = domain::WalletEntryType::kCharge,
                               .amount = Money{500},
                               .idempotency_key = "seen",
                               .created_at = T(2)})) {
      return domain::Fail(domain::ErrorCode::kIdempotencyInProgress, "key seen");
    }
    return *s.Wallets().Balance(payer_);
  });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, domain::ErrorCode::kIdempotencyInProgress);
  EXPECT_EQ(runs, RunsAfterAMiss());
  EXPECT_EQ(Query(db(), [&](Store& s) { return s.Wallets().Balance(payer_); }), Money{10'000});
}

TEST_P(AssumedWrites, AnEventMarkedBeforeStopsItsQueryBeforeTheCommit) {
  ASSERT_TRUE(
      Commit(db(), [&](Store& s) { return s.ProcessedEvents().MarkProcessed("c", 9, T(1)); }));
  int runs = 0;
  auto r = db().Write([&](Store& s) -> domain::Result<bool> {
    ++runs;
    if (!s.ProcessedEvents().MarkProcessed("c", 9, T(2))) {
      return domain::Fail(domain::ErrorCode::kIdempotencyInProgress, "seen");
    }
    // Held after the mark, so it would land with a COMMIT sent in spite of the duplicate.
    s.Outbox().Append(domain::ReservationCancelled{.reservation_id = domain::ReservationId{9}},
                      T(2));
    return true;
  });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(runs, RunsAfterAMiss());
  EXPECT_EQ(Query(db(), [&](Store& s) { return s.Outbox().CountUnpublished(); }), 0);
}

TEST_P(TransactionContract, AnOkResultCommitsEveryWrite) {
  auto w = Commit(db(), [&](Store& s) { return WriteEverything(s); });
  Query(db(), [&](Store& s) {
    EXPECT_TRUE(s.Users().Find(w.user).has_value());
    EXPECT_EQ(s.Catalogue().ListSeats(w.event, T(1)).size(), 3u);
    EXPECT_EQ(s.Wallets().Balance(payer_), Money{10'000 - 1000});
    EXPECT_EQ(s.Wallets().LedgerSum(payer_), Money{-1000});  // the credit had no ledger row
    EXPECT_EQ(s.Payments().ListByUser(payer_).size(), 1u);
    EXPECT_EQ(s.Outbox().CountUnpublished(), 1);
    EXPECT_EQ(s.Policy().Load()->hold_ttl_seconds, 42);
    return 0;
  });
}

TEST_P(TransactionContract, AConnectionIsReusableAfterEveryKindOfOutcome) {
  // More transactions than the pool has connections, alternating outcomes: a connection
  // returned mid-transaction would fail the next BEGIN.
  for (int i = 0; i < 40; ++i) {
    if (i % 3 == 0) {
      EXPECT_THROW(db().Write([&](Store& s) -> domain::Result<int> {
        s.Users().Create("x", T(0));
        throw std::runtime_error("boom");
      }),
                   std::runtime_error);
    } else if (i % 3 == 1) {
      auto r = db().Write([&](Store& s) -> domain::Result<int> {
        s.Users().Create("x", T(0));
        return domain::Fail(domain::ErrorCode::kInternal, "no");
      });
      EXPECT_FALSE(r.ok());
    } else {
      Commit(db(), [&](Store& s) { return s.Users().Create("kept", T(0)); });
    }
  }
  int kept = 0;
  for (std::int64_t id = 1; id <= 100; ++id) {
    if (Query(db(), [&](Store& s) { return s.Users().Find(domain::UserId{id}); })) ++kept;
  }
  EXPECT_EQ(kept, 1 + 13);  // the fixture's payer and every third transaction
}

}  // namespace
}  // namespace boxoffice::contract
