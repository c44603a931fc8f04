#include "contract/sql_contract_test.hpp"

namespace boxoffice::contract {
namespace {

using domain::HoldStatus;
using domain::ReservationStatus;
using domain::SeatState;
using domain::Store;

// A user with a live hold on two seats of one date, ready to be reserved.
class ReservationFixture : public SqlContractTest {
 protected:
  void SetUp() override {
    SqlContractTest::SetUp();
    if (IsSkipped()) return;
    user_ = NewUser();
    concert_ = NewConcert();
    event_ = NewEvent(concert_, 4, 3000);
  }

  domain::Hold HoldSeats(std::vector<int> indexes, domain::Instant expires) {
    auto seats = Seats(event_.id, T(0));
    return Commit(db(), [&](Store& s) {
      std::vector<domain::HeldSeat> held;
      std::vector<domain::SeatId> ids;
      for (int i : indexes) {
        held.push_back({seats[i].id, seats[i].seat_number, seats[i].price});
        ids.push_back(seats[i].id);
      }
      auto hold = s.Holds().Create(user_, event_.id, held, expires, T(0));
      EXPECT_EQ(s.Seats().Hold(event_.id, ids, hold.id, expires, T(0)),
                static_cast<int>(ids.size()));
      return hold;
    });
  }

  domain::Reservation Reserve(const domain::Hold& hold, domain::Instant now = T(0)) {
    return Commit(db(), [&](Store& s) {
      EXPECT_TRUE(s.Holds().Transition(hold.id, HoldStatus::kActive, HoldStatus::kReserved, now));
      return s.Reservations().Create(
          domain::Reservation{.user_id = hold.user_id,
                              .concert_id = concert_,
                              .event_id = hold.event_id,
                              .hold_id = hold.id,
                              .status = ReservationStatus::kPending,
                              .total_seats = static_cast<std::int32_t>(hold.seats.size()),
                              .total_amount = hold.TotalAmount(),
                              .expires_at = hold.expires_at,
                              .concert_start_at = event_.start_at,
                              .seats = hold.seats},
          now);
    });
  }

  std::optional<domain::Reservation> Find(domain::ReservationId id) {
    return Query(db(), [&](Store& s) { return s.Reservations().Find(id); });
  }

  domain::UserId user_;
  domain::ConcertId concert_;
  domain::ConcertEvent event_;
};

class ReservationRepositoryContract : public ReservationFixture {};
BOXOFFICE_SQL_CONTRACT(ReservationRepositoryContract);

TEST_P(ReservationRepositoryContract, CreatedReservationIsFoundWithItsSeats) {
  auto hold = HoldSeats({0, 2}, T(300'000));
  auto created = Reserve(hold, T(10));
  EXPECT_GT(created.id.value, 0);
  auto found = Find(created.id);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->user_id, user_);
  EXPECT_EQ(found->concert_id, concert_);
  EXPECT_EQ(found->event_id, event_.id);
  EXPECT_EQ(found->hold_id, hold.id);
  EXPECT_EQ(found->status, ReservationStatus::kPending);
  EXPECT_EQ(found->total_seats, 2);
  EXPECT_EQ(found->total_amount, domain::Money{6000});
  EXPECT_EQ(found->expires_at, T(300'000));
  EXPECT_EQ(found->concert_start_at, event_.start_at);
  EXPECT_EQ(found->created_at, T(10));
  ASSERT_EQ(found->seats.size(), 2u);
  EXPECT_EQ(found->seats[0].seat_number, 1);
  EXPECT_EQ(found->seats[1].seat_number, 3);
  EXPECT_FALSE(Find(domain::ReservationId{999}).has_value());

  auto bare = Query(db(), [&](Store& s) { return s.Reservations().FindWithoutSeats(created.id); });
  ASSERT_TRUE(bare.has_value());
  EXPECT_TRUE(bare->seats.empty());
  EXPECT_EQ(bare->hold_id, hold.id);
  EXPECT_EQ(bare->total_seats, 2);
  EXPECT_EQ(bare->total_amount, domain::Money{6000});
  EXPECT_EQ(bare->status, ReservationStatus::kPending);
  EXPECT_EQ(bare->expires_at, T(300'000));
  EXPECT_FALSE(Query(db(), [](Store& s) {
                 return s.Reservations().FindWithoutSeats(domain::ReservationId{999});
               }).has_value());
}

// The batch forms (ReserveSeats::ExecuteTogether): holds read and moved, and reservations
// created, several at once; each reservation keeps its own id and seats.
TEST_P(ReservationRepositoryContract, HoldsAndReservationsTogetherKeepEachTheirOwnRows) {
  auto seat_ids = [](const std::vector<domain::HeldSeat>& seats) {
    std::vector<std::int64_t> ids;
    for (const auto& seat : seats) ids.push_back(seat.seat_id.value);
    return ids;
  };
  const auto first = HoldSeats({0, 2}, T(300'000));
  const auto second = HoldSeats({1}, T(300'000));
  const auto third = HoldSeats({3}, T(300'000));
  const std::vector<domain::HoldId> ids{third.id, first.id, domain::HoldId{999'999}, second.id};
  auto found = Query(db(), [&](Store& s) { return s.Holds().FindAll(ids); });
  ASSERT_EQ(found.size(), 4u);
  ASSERT_TRUE(found[0] && found[1] && found[3]);
  EXPECT_FALSE(found[2].has_value());
  EXPECT_EQ(found[0]->id, third.id);
  EXPECT_EQ(found[1]->id, first.id);
  EXPECT_EQ(found[1]->seats.size(), 2u);
  EXPECT_EQ(seat_ids(found[1]->seats), seat_ids(first.seats));
  EXPECT_EQ(seat_ids(found[3]->seats), seat_ids(second.seats));
  EXPECT_EQ(found[1]->status, HoldStatus::kActive);
  EXPECT_EQ(found[1]->user_id, user_);
  EXPECT_EQ(found[1]->expires_at, T(300'000));

  const std::vector<domain::Hold> holds{first, second, third};
  auto created = Commit(db(), [&](Store& s) {
    const std::vector<domain::HoldId> moving{first.id, second.id, third.id};
    EXPECT_TRUE(s.Holds().TransitionAll(moving, HoldStatus::kActive, HoldStatus::kReserved, T(5)));
    std::vector<domain::Reservation> drafts;
    for (const auto& hold : holds) {
      drafts.push_back({.user_id = hold.user_id,
                        .concert_id = concert_,
                        .event_id = hold.event_id,
                        .hold_id = hold.id,
                        .status = ReservationStatus::kPending,
                        .total_seats = static_cast<std::int32_t>(hold.seats.size()),
                        .total_amount = hold.TotalAmount(),
                        .expires_at = hold.expires_at,
                        .concert_start_at = event_.start_at,
                        .seats = hold.seats});
    }
    return s.Reservations().CreateAll(drafts, T(10));
  });
  ASSERT_EQ(created.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    auto reservation = Find(created[i].id);
    ASSERT_TRUE(reservation.has_value()) << i;
    EXPECT_EQ(reservation->hold_id, holds[i].id) << "the id of row " << i;
    EXPECT_EQ(seat_ids(reservation->seats), seat_ids(holds[i].seats)) << i;
    EXPECT_EQ(reservation->total_amount, holds[i].TotalAmount());
    EXPECT_EQ(created[i].created_at, T(10));
  }
  // Moved once: a second move finds none of them ACTIVE, and is refused whole.
  auto again = db().Write([&](Store& s) -> domain::Result<void> {
    const std::vector<domain::HoldId> moving{first.id, second.id};
    if (!s.Holds().TransitionAll(moving, HoldStatus::kActive, HoldStatus::kReleased, T(20))) {
      return domain::Fail(domain::ErrorCode::kOccupationAlreadyReleased, "moved");
    }
    return {};
  });
  EXPECT_FALSE(again.ok());
  EXPECT_EQ(Query(db(), [&](Store& s) { return s.Holds().Find(first.id); })->status,
            HoldStatus::kReserved);
}

TEST_P(ReservationRepositoryContract, FindPendingByHoldSeesOnlyPendingOnes) {
  auto hold = HoldSeats({0}, T(300'000));
  auto created = Reserve(hold);
  auto pending = Query(db(), [&](Store& s) { return s.Reservations().FindPendingByHold(hold.id); });
  ASSERT_TRUE(pending.has_value());
  EXPECT_EQ(pending->id, created.id);
  EXPECT_TRUE(Commit(db(), [&](Store& s) {
    return s.Reservations().Transition(created.id, ReservationStatus::kPending,
                                       ReservationStatus::kCancelled, T(1));
  }));
  EXPECT_FALSE(Query(db(), [&](Store& s) {
                 return s.Reservations().FindPendingByHold(hold.id);
               }).has_value());
}

TEST_P(ReservationRepositoryContract, ListByUserIsNewestFirstWithSeatsAndOnlyTheirs) {
  auto first = Reserve(HoldSeats({0}, T(300'000)), T(1));
  auto second = Reserve(HoldSeats({1, 2}, T(300'000)), T(2));
  auto other_user = NewUser("lee");
  auto list = Query(db(), [&](Store& s) { return s.Reservations().ListByUser(user_); });
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].id, second.id);
  EXPECT_EQ(list[0].seats.size(), 2u);
  EXPECT_EQ(list[1].id, first.id);
  EXPECT_EQ(list[1].seats.size(), 1u);
  EXPECT_TRUE(
      Query(db(), [&](Store& s) { return s.Reservations().ListByUser(other_user); }).empty());
}

TEST_P(ReservationRepositoryContract, TransitionMovesOnlyFromTheExpectedStatus) {
  auto r = Reserve(HoldSeats({0}, T(300'000)));
  auto move = [&](ReservationStatus from, ReservationStatus to) {
    return Commit(db(),
                  [&](Store& s) { return s.Reservations().Transition(r.id, from, to, T(5)); });
  };
  EXPECT_TRUE(move(ReservationStatus::kPending, ReservationStatus::kConfirmed));
  EXPECT_FALSE(move(ReservationStatus::kPending, ReservationStatus::kCancelled));
  EXPECT_EQ(Find(r.id)->status, ReservationStatus::kConfirmed);
}

TEST_P(ReservationRepositoryContract, ExpireLapsedExpiresReservationAndHoldSoSeatsAreFreed) {
  auto lapsing_hold = HoldSeats({0, 1}, T(1000));
  auto live_hold = HoldSeats({2}, T(5000));
  auto lapsing = Reserve(lapsing_hold);
  auto live = Reserve(live_hold);
  auto paid_hold = HoldSeats({3}, T(1000));
  auto paid = Reserve(paid_hold);
  Commit(db(), [&](Store& s) {
    s.Seats().Confirm(paid_hold.id, T(10));
    return s.Reservations().Transition(paid.id, ReservationStatus::kPending,
                                       ReservationStatus::kConfirmed, T(10));
  });

  EXPECT_EQ(Commit(db(), [](Store& s) { return s.Reservations().ExpireLapsed(T(1000), 100); }), 1);
  EXPECT_EQ(Commit(db(), [](Store& s) { return s.Reservations().ExpireLapsed(T(1000), 100); }), 0);
  EXPECT_EQ(Find(lapsing.id)->status, ReservationStatus::kExpired);
  EXPECT_EQ(Find(live.id)->status, ReservationStatus::kPending);
  EXPECT_EQ(Find(paid.id)->status, ReservationStatus::kConfirmed);
  auto hold_status = [&](domain::HoldId id) {
    return Query(db(), [&](Store& s) { return s.Holds().Find(id); })->status;
  };
  EXPECT_EQ(hold_status(lapsing_hold.id), HoldStatus::kExpired);
  EXPECT_EQ(hold_status(live_hold.id), HoldStatus::kReserved);
  EXPECT_EQ(hold_status(paid_hold.id), HoldStatus::kReserved);

  EXPECT_EQ(Commit(db(), [](Store& s) { return s.Seats().ReleaseLapsed(T(1000), 100); }), 2);
  auto seats = Seats(event_.id, T(0));
  EXPECT_EQ(seats[0].state, SeatState::kAvailable);
  EXPECT_EQ(seats[1].state, SeatState::kAvailable);
  EXPECT_EQ(seats[2].state, SeatState::kHeld);
  EXPECT_EQ(seats[3].state, SeatState::kReserved);
}

class PaymentRepositoryContract : public ReservationFixture {
 protected:
  std::int64_t LedgerEntry(domain::Money amount) {
    return Commit(db(), [&](Store& s) {
      return *s.Wallets().AppendEntry({.user_id = user_,
                                       .type = domain::WalletEntryType::kUse,
                                       .amount = domain::Money{0} - amount,
                                       .created_at = T(0)});
    });
  }
};
BOXOFFICE_SQL_CONTRACT(PaymentRepositoryContract);

TEST_P(PaymentRepositoryContract, PaymentIsFoundByReservationAndListedNewestFirst) {
  auto r1 = Reserve(HoldSeats({0}, T(300'000)));
  auto r2 = Reserve(HoldSeats({1}, T(300'000)));
  auto entry = LedgerEntry(domain::Money{3000});
  auto p1 = Commit(db(), [&](Store& s) {
    return s.Payments().Create({.user_id = user_,
                                .reservation_id = r1.id,
                                .wallet_entry_id = entry,
                                .amount = domain::Money{3000},
                                .paid_at = T(100)},
                               T(100));
  });
  auto p2 = Commit(db(), [&](Store& s) {
    return s.Payments().Create({.user_id = user_,
                                .reservation_id = r2.id,
                                .wallet_entry_id = entry,
                                .amount = domain::Money{3000},
                                .paid_at = T(200)},
                               T(200));
  });
  ASSERT_TRUE(p1.has_value());
  ASSERT_TRUE(p2.has_value());
  EXPECT_NE(p1->id, p2->id);
  auto found = Query(db(), [&](Store& s) { return s.Payments().FindByReservation(r1.id); });
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->id, p1->id);
  EXPECT_EQ(found->user_id, user_);
  EXPECT_EQ(found->wallet_entry_id, entry);
  EXPECT_EQ(found->amount, domain::Money{3000});
  EXPECT_EQ(found->status, domain::PaymentStatus::kSuccess);
  EXPECT_EQ(found->paid_at, T(100));
  auto list = Query(db(), [&](Store& s) { return s.Payments().ListByUser(user_); });
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].id, p2->id);
  EXPECT_EQ(list[1].id, p1->id);
  EXPECT_FALSE(Query(db(), [&](Store& s) {
                 return s.Payments().FindByReservation(domain::ReservationId{999});
               }).has_value());
}

TEST_P(PaymentRepositoryContract, SecondPaymentOfAReservationIsRefusedAndTheTransactionGoesOn) {
  auto r = Reserve(HoldSeats({0}, T(300'000)));
  auto entry = LedgerEntry(domain::Money{3000});
  domain::Payment payment{.user_id = user_,
                          .reservation_id = r.id,
                          .wallet_entry_id = entry,
                          .amount = domain::Money{3000},
                          .paid_at = T(5)};
  ASSERT_TRUE(Commit(db(), [&](Store& s) { return s.Payments().Create(payment, T(5)); }));
  auto second = Commit(db(), [&](Store& s) {
    auto refused = s.Payments().Create(payment, T(6));
    // The refusal leaves the transaction usable: this write still commits.
    s.Users().Create("after", T(6));
    return refused;
  });
  EXPECT_FALSE(second.has_value());
  EXPECT_EQ(Query(db(), [&](Store& s) { return s.Payments().ListByUser(user_); }).size(), 1u);
  const domain::UserId next_user{user_.value + 1};
  EXPECT_TRUE(Query(db(), [&](Store& s) { return s.Users().Find(next_user); }).has_value());
}

// The batch forms of a payment (PayReservation::ExecuteTogether): each statement for several
// reservations, holds, wallets, ledger rows, payments and events at once; every row keeps its
// own values and ids, and a refusal of any one refuses the whole.
TEST_P(PaymentRepositoryContract, PaymentsTogetherKeepEachTheirOwnRowsAndIds) {
  const auto other = NewUser("lee");
  ASSERT_TRUE(Commit(db(), [&](Store& s) {
    return s.Wallets().Credit(user_, domain::Money{10'000}, domain::kMaxWalletBalance, T(0)) &&
           s.Wallets().Credit(other, domain::Money{10'000}, domain::kMaxWalletBalance, T(0));
  }));
  const auto first = Reserve(HoldSeats({0, 2}, T(300'000)));
  const auto second = Reserve(HoldSeats({1}, T(300'000)));
  const std::vector<domain::ReservationId> ids{second.id, domain::ReservationId{999'999}, first.id};
  auto found = Query(db(), [&](Store& s) { return s.Reservations().FindAllWithoutSeats(ids); });
  ASSERT_EQ(found.size(), 3u);
  ASSERT_TRUE(found[0] && found[2]);
  EXPECT_FALSE(found[1].has_value());
  EXPECT_EQ(found[0]->id, second.id);
  EXPECT_EQ(found[0]->hold_id, second.hold_id);
  EXPECT_EQ(found[2]->total_amount, first.total_amount);
  EXPECT_TRUE(found[2]->seats.empty());

  const std::vector<domain::ReservationId> paying{first.id, second.id};
  const std::vector<domain::SeatRepository::HoldSeats> wrong{{first.hold_id, 2},
                                                             {second.hold_id, 2}};
  auto refused = db().Write([&](Store& s) -> domain::Result<void> {
    if (!s.Reservations().TransitionAll(paying, ReservationStatus::kPending,
                                        ReservationStatus::kConfirmed, T(5)) ||
        !s.Seats().ConfirmEvery(wrong, T(5))) {
      return domain::Fail(domain::ErrorCode::kReservationExpired, "refused");
    }
    return {};
  });
  EXPECT_FALSE(refused.ok()) << "one seat fewer than asked is a refusal";
  EXPECT_EQ(Find(first.id)->status, ReservationStatus::kPending) << "rolled back";

  struct Written {
    std::vector<std::int64_t> entries;
    std::vector<domain::Payment> payments;
  };
  auto written = Commit(db(), [&](Store& s) {
    const std::vector<domain::SeatRepository::HoldSeats> holds{{first.hold_id, 2},
                                                               {second.hold_id, 1}};
    EXPECT_TRUE(s.Reservations().TransitionAll(paying, ReservationStatus::kPending,
                                               ReservationStatus::kConfirmed, T(5)));
    EXPECT_TRUE(s.Seats().ConfirmEvery(holds, T(5)));
    const std::vector<domain::WalletAmount> debits{{user_, domain::Money{6000}},
                                                   {other, domain::Money{3000}}};
    EXPECT_TRUE(s.Wallets().DebitAll(debits, T(5)));
    const std::vector<domain::WalletEntry> entries{
        {0, user_, domain::WalletEntryType::kUse, domain::Money{-6000}, std::nullopt, T(5)},
        {0, other, domain::WalletEntryType::kUse, domain::Money{-3000}, std::nullopt, T(5)}};
    Written out;
    out.entries = *s.Wallets().AppendEntries(entries);
    const std::vector<domain::Payment> drafts{{{},
                                               user_,
                                               first.id,
                                               out.entries[0],
                                               domain::Money{6000},
                                               domain::PaymentStatus::kSuccess,
                                               T(5)},
                                              {{},
                                               other,
                                               second.id,
                                               out.entries[1],
                                               domain::Money{3000},
                                               domain::PaymentStatus::kSuccess,
                                               T(5)}};
    out.payments = *s.Payments().CreateAll(drafts, T(5));
    const std::vector<domain::DomainEvent> events{
        domain::PaymentCompleted{.payment_id = out.payments[0].id, .reservation_id = first.id},
        domain::PaymentCompleted{.payment_id = out.payments[1].id, .reservation_id = second.id}};
    s.Outbox().AppendAll(events, T(5));
    return out;
  });
  EXPECT_EQ(Find(first.id)->status, ReservationStatus::kConfirmed);
  EXPECT_EQ(Find(second.id)->status, ReservationStatus::kConfirmed);
  for (const auto& seat : Seats(event_.id, T(6))) {
    EXPECT_EQ(seat.state, seat.seat_number == 4 ? SeatState::kAvailable : SeatState::kReserved)
        << seat.seat_number;
  }
  auto balance = [&](domain::UserId user) {
    return *Query(db(), [&](Store& s) { return s.Wallets().Balance(user); });
  };
  EXPECT_EQ(balance(user_), domain::Money{4000});
  EXPECT_EQ(balance(other), domain::Money{7000});
  // Each ledger row and payment has the id it was given.
  auto entries_of = [&](domain::UserId user) {
    return Query(db(), [&](Store& s) { return s.Wallets().ListEntries(user, 10); });
  };
  EXPECT_EQ(entries_of(user_).front().id, written.entries[0]);
  EXPECT_EQ(entries_of(user_).front().amount, domain::Money{-6000});
  EXPECT_EQ(entries_of(other).front().id, written.entries[1]);
  EXPECT_EQ(entries_of(other).front().amount, domain::Money{-3000});
  for (std::size_t i = 0; i < 2; ++i) {
    auto payment = Query(db(), [&](Store& s) { return s.Payments().FindByReservation(paying[i]); });
    ASSERT_TRUE(payment.has_value());
    EXPECT_EQ(payment->id, written.payments[i].id) << "the id of row " << i;
    EXPECT_EQ(payment->wallet_entry_id, written.entries[i]);
  }
  EXPECT_EQ(Query(db(), [](Store& s) { return s.Outbox().CountUnpublished(); }), 2);

  // A reservation paid already refuses a batch that pays it again.
  auto again = Commit(db(), [&](Store& s) {
    const std::vector<domain::Payment> drafts{{{},
                                               user_,
                                               first.id,
                                               written.entries[0],
                                               domain::Money{1},
                                               domain::PaymentStatus::kSuccess,
                                               T(7)},
                                              {{},
                                               other,
                                               second.id,
                                               written.entries[1],
                                               domain::Money{1},
                                               domain::PaymentStatus::kSuccess,
                                               T(7)}};
    return s.Payments().CreateAll(drafts, T(7)).has_value();
  });
  EXPECT_FALSE(again);
}

}  // namespace
}  // namespace boxoffice::contract
