#include <algorithm>
#include <atomic>
#include <thread>

#include "contract/sql_contract_test.hpp"

namespace boxoffice::contract {
namespace {

using domain::HoldId;
using domain::HoldStatus;
using domain::SeatId;
using domain::SeatState;
using domain::Store;

class SeatRepositoryContract : public SqlContractTest {
 protected:
  void SetUp() override {
    SqlContractTest::SetUp();
    if (IsSkipped()) return;
    event_ = NewEvent(NewConcert(), 6);
    for (const auto& s : Seats(event_.id, T(0))) ids_.push_back(s.id);
  }

  int Hold(std::vector<SeatId> ids, HoldId hold, domain::Instant until, domain::Instant now) {
    return Commit(db(), [&](Store& s) { return s.Seats().Hold(event_.id, ids, hold, until, now); });
  }
  SeatState StateAt(int index, domain::Instant now) { return Seats(event_.id, now)[index].state; }
  // What Find and FindForHold return at 500 for seats 4 and 2 of event_ (2 held until 1000), a
  // seat of another date and an unknown id: seats 2 and 4 of event_, in id order.
  void ExpectSeatsTwoAndFour(const std::vector<domain::Seat>& found) {
    ASSERT_EQ(found.size(), 2u);
    EXPECT_EQ(found[0].id, ids_[1]);
    EXPECT_EQ(found[0].seat_number, 2);
    EXPECT_EQ(found[0].state, SeatState::kHeld);
    EXPECT_EQ(found[1].id, ids_[3]);
    EXPECT_EQ(found[1].state, SeatState::kAvailable);
  }

  domain::ConcertEvent event_;
  std::vector<SeatId> ids_;
};
BOXOFFICE_SQL_CONTRACT(SeatRepositoryContract);

TEST_P(SeatRepositoryContract, HoldCountsOnlySeatsThatWereFree) {
  EXPECT_EQ(Hold({ids_[0], ids_[1]}, HoldId{1}, T(1000), T(0)), 2);
  EXPECT_EQ(Hold({ids_[1], ids_[2]}, HoldId{2}, T(1000), T(0)), 1);  // seat 2 is taken
  EXPECT_EQ(Hold({ids_[0], ids_[1]}, HoldId{3}, T(1000), T(500)), 0);
  EXPECT_EQ(StateAt(0, T(0)), SeatState::kHeld);
  EXPECT_EQ(StateAt(2, T(0)), SeatState::kHeld);
  EXPECT_EQ(StateAt(3, T(0)), SeatState::kAvailable);
}

TEST_P(SeatRepositoryContract, HoldIgnoresUnknownSeatsAndSeatsOfOtherDates) {
  auto other = NewEvent(NewConcert(), 2);
  auto other_seat = Seats(other.id, T(0))[0].id;
  EXPECT_EQ(Hold({other_seat, SeatId{99'999}, ids_[0]}, HoldId{1}, T(1000), T(0)), 1);
  EXPECT_EQ(Seats(other.id, T(0))[0].state, SeatState::kAvailable);
  EXPECT_EQ(Hold({}, HoldId{2}, T(1000), T(0)), 0);
}

TEST_P(SeatRepositoryContract, LapsedHoldIsReclaimableAtItsDeadlineWithoutASweeper) {
  ASSERT_EQ(Hold({ids_[0]}, HoldId{1}, T(1000), T(0)), 1);
  EXPECT_EQ(Hold({ids_[0]}, HoldId{2}, T(5000), T(999)), 0);
  EXPECT_EQ(Hold({ids_[0]}, HoldId{2}, T(5000), T(1000)), 1);
  // The first hold lost the seat: confirming or releasing it touches nothing.
  EXPECT_EQ(Commit(db(), [](Store& s) { return s.Seats().Confirm(HoldId{1}, T(1000)); }), 0);
  EXPECT_EQ(Commit(db(), [](Store& s) { return s.Seats().Release(HoldId{1}); }), 0);
  EXPECT_EQ(StateAt(0, T(1000)), SeatState::kHeld);
}

TEST_P(SeatRepositoryContract, ConfirmSellsOnlyBeforeTheDeadline) {
  ASSERT_EQ(Hold({ids_[0], ids_[1]}, HoldId{1}, T(1000), T(0)), 2);
  ASSERT_EQ(Hold({ids_[2]}, HoldId{2}, T(1000), T(0)), 1);
  EXPECT_EQ(Commit(db(), [](Store& s) { return s.Seats().Confirm(HoldId{1}, T(1000)); }), 0);
  EXPECT_EQ(Commit(db(), [](Store& s) { return s.Seats().Confirm(HoldId{2}, T(999)); }), 1);
  EXPECT_EQ(StateAt(2, T(5000)), SeatState::kReserved);
  // A sold seat is never reclaimable, however late.
  EXPECT_EQ(Hold({ids_[2]}, HoldId{3}, T(100'000), T(50'000)), 0);
  EXPECT_EQ(Commit(db(), [](Store& s) { return s.Seats().Release(HoldId{2}); }), 0);
  EXPECT_EQ(Commit(db(), [](Store& s) { return s.Seats().ReleaseLapsed(T(100'000), 100); }), 2);
  EXPECT_EQ(StateAt(2, T(100'000)), SeatState::kReserved);
}

TEST_P(SeatRepositoryContract, ReleaseFreesOnlyTheSeatsOfThatHold) {
  ASSERT_EQ(Hold({ids_[0], ids_[1]}, HoldId{1}, T(1000), T(0)), 2);
  ASSERT_EQ(Hold({ids_[2]}, HoldId{2}, T(1000), T(0)), 1);
  EXPECT_EQ(Commit(db(), [](Store& s) { return s.Seats().Release(HoldId{1}); }), 2);
  EXPECT_EQ(StateAt(0, T(0)), SeatState::kAvailable);
  EXPECT_EQ(StateAt(2, T(0)), SeatState::kHeld);
  EXPECT_EQ(Commit(db(), [](Store& s) { return s.Seats().Release(HoldId{1}); }), 0);
}

TEST_P(SeatRepositoryContract, ReleaseLapsedFreesOnlyLapsedHoldsAndIsIdempotent) {
  ASSERT_EQ(Hold({ids_[0]}, HoldId{1}, T(1000), T(0)), 1);
  ASSERT_EQ(Hold({ids_[1]}, HoldId{2}, T(2000), T(0)), 1);
  EXPECT_EQ(Commit(db(), [](Store& s) { return s.Seats().ReleaseLapsed(T(1000), 100); }), 1);
  EXPECT_EQ(Commit(db(), [](Store& s) { return s.Seats().ReleaseLapsed(T(1000), 100); }), 0);
  EXPECT_EQ(StateAt(0, T(0)), SeatState::kAvailable);  // really reset, not only read as free
  EXPECT_EQ(StateAt(1, T(1000)), SeatState::kHeld);
}

// The sweeper's batches: at most `limit` seats per call, lowest ids first, so a sweeper never
// locks more than one small batch and takes seat locks in the order holds take them.
TEST_P(SeatRepositoryContract, ReleaseLapsedWorksInBatchesLowestIdsFirst) {
  for (int i = 0; i < 5; ++i) ASSERT_EQ(Hold({ids_[i]}, HoldId{i + 1}, T(1000), T(0)), 1);
  EXPECT_EQ(Commit(db(), [](Store& s) { return s.Seats().ReleaseLapsed(T(1000), 2); }), 2);
  // Read at T(0), when every hold was live: only the released seats are really AVAILABLE.
  EXPECT_EQ(StateAt(0, T(0)), SeatState::kAvailable);
  EXPECT_EQ(StateAt(1, T(0)), SeatState::kAvailable);
  EXPECT_EQ(StateAt(2, T(0)), SeatState::kHeld);
  EXPECT_EQ(Commit(db(), [](Store& s) { return s.Seats().ReleaseLapsed(T(1000), 2); }), 2);
  EXPECT_EQ(StateAt(4, T(0)), SeatState::kHeld);
  EXPECT_EQ(Commit(db(), [](Store& s) { return s.Seats().ReleaseLapsed(T(1000), 2); }), 1);
  EXPECT_EQ(Commit(db(), [](Store& s) { return s.Seats().ReleaseLapsed(T(1000), 2); }), 0);
  EXPECT_EQ(Commit(db(), [](Store& s) { return s.Seats().ReleaseLapsed(T(1000), 0); }), 0);
}

TEST_P(SeatRepositoryContract, FindInAWriteTransactionReadsTheSameAsInARead) {
  ASSERT_EQ(Hold({ids_[1]}, HoldId{1}, T(1000), T(0)), 1);
  auto found = Commit(db(), [&](Store& s) {
    return s.Seats().Find(event_.id, {ids_[1], ids_[0], SeatId{77'777}}, T(500));
  });
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].id, ids_[0]);
  EXPECT_EQ(found[0].state, SeatState::kAvailable);
  EXPECT_EQ(found[1].state, SeatState::kHeld);
}

TEST_P(SeatRepositoryContract, FindReturnsSeatsOfTheDateAndReadsLapsedHoldsAsAvailable) {
  ASSERT_EQ(Hold({ids_[1]}, HoldId{1}, T(1000), T(0)), 1);
  auto other = NewEvent(NewConcert(), 1);
  auto other_seat = Seats(other.id, T(0))[0].id;
  auto found = Query(db(), [&](Store& s) {
    return s.Seats().Find(event_.id, {ids_[3], ids_[1], other_seat, SeatId{77'777}}, T(500));
  });
  ExpectSeatsTwoAndFour(found);
  if (HasFatalFailure()) return;
  auto later = Query(db(), [&](Store& s) { return s.Seats().Find(event_.id, {ids_[1]}, T(1000)); });
  ASSERT_EQ(later.size(), 1u);
  EXPECT_EQ(later[0].state, SeatState::kAvailable);
  EXPECT_TRUE(Query(db(), [&](Store& s) { return s.Seats().Find(event_.id, {}, T(0)); }).empty());
}

// The way OccupySeats decides a race: create the hold, hold the seats, roll back on a shortfall.
TEST_P(SeatRepositoryContract, SixtyFourThreadsHoldingOneSeatLeaveExactlyOneWinner) {
  auto user = NewUser();
  constexpr int kThreads = 64;
  std::atomic<int> winners{0};
  std::atomic<int> losers{0};
  std::atomic<std::int64_t> winning_hold{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      auto attempt = [&](Store& s) -> domain::Result<HoldId> {
        auto seats = s.Seats().Find(event_.id, {ids_[0]}, T(0));
        auto hold =
            s.Holds().Create(user, event_.id, {{seats[0].id, seats[0].seat_number, seats[0].price}},
                             T(60'000), T(0));
        if (s.Seats().Hold(event_.id, {ids_[0]}, hold.id, T(60'000), T(0)) != 1) {
          return domain::Fail(domain::ErrorCode::kSeatUnavailable, "taken");
        }
        return hold.id;
      };
      try {
        auto result = db().Write(attempt);
        if (result.ok()) {
          ++winners;
          winning_hold = result->value;
        } else {
          ++losers;
        }
      } catch (const std::exception&) {
        // Counted as neither: the totals below then fail.
      }
    });
  }
  for (auto& t : threads) t.join();

  EXPECT_EQ(winners.load(), 1);
  EXPECT_EQ(losers.load(), kThreads - 1);
  EXPECT_EQ(StateAt(0, T(0)), SeatState::kHeld);
  // The losers' holds were rolled back with their transactions; only the winner's exists.
  int holds_found = 0;
  for (std::int64_t id = 1; id <= kThreads + 1; ++id) {
    auto hold = Query(db(), [&](Store& s) { return s.Holds().Find(HoldId{id}); });
    if (hold) {
      ++holds_found;
      EXPECT_EQ(hold->id.value, winning_hold.load());
    }
  }
  EXPECT_EQ(holds_found, 1);
  EXPECT_EQ(Commit(db(), [&](Store& s) { return s.Seats().Release(HoldId{winning_hold}); }), 1);
}

class HoldRepositoryContract : public SqlContractTest {
 protected:
  void SetUp() override {
    SqlContractTest::SetUp();
    if (IsSkipped()) return;
    user_ = NewUser();
    event_ = NewEvent(NewConcert(), 4, 2500);
    for (const auto& s : Seats(event_.id, T(0))) seats_.push_back({s.id, s.seat_number, s.price});
  }
  domain::Hold Create(std::vector<domain::HeldSeat> seats, domain::Instant expires) {
    return Commit(
        db(), [&](Store& s) { return s.Holds().Create(user_, event_.id, seats, expires, T(0)); });
  }
  std::optional<domain::Hold> Find(HoldId id) {
    return Query(db(), [&](Store& s) { return s.Holds().Find(id); });
  }

  domain::UserId user_;
  domain::ConcertEvent event_;
  std::vector<domain::HeldSeat> seats_;
};
BOXOFFICE_SQL_CONTRACT(HoldRepositoryContract);

TEST_P(HoldRepositoryContract, CreatedHoldIsActiveAndFoundWithItsSeats) {
  auto created = Create({seats_[2], seats_[0]}, T(300'000));
  EXPECT_EQ(created.status, HoldStatus::kActive);
  EXPECT_EQ(created.TotalAmount(), domain::Money{5000});
  auto found = Find(created.id);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->user_id, user_);
  EXPECT_EQ(found->event_id, event_.id);
  EXPECT_EQ(found->status, HoldStatus::kActive);
  EXPECT_EQ(found->created_at, T(0));
  EXPECT_EQ(found->expires_at, T(300'000));
  ASSERT_EQ(found->seats.size(), 2u);
  EXPECT_EQ(found->seats[0].seat_number, 1);
  EXPECT_EQ(found->seats[0].seat_id, seats_[0].seat_id);
  EXPECT_EQ(found->seats[1].seat_number, 3);
  EXPECT_EQ(found->seats[1].price, domain::Money{2500});
  EXPECT_NE(Create({seats_[1]}, T(1)).id, created.id);
  EXPECT_FALSE(Find(HoldId{12345}).has_value());
  // A hold without seats (the port allows one) is found, with none.
  auto bare = Find(Create({}, T(2)).id);
  ASSERT_TRUE(bare.has_value());
  EXPECT_TRUE(bare->seats.empty());
  EXPECT_EQ(bare->expires_at, T(2));
  EXPECT_EQ(bare->user_id, user_);
}

TEST_P(HoldRepositoryContract, TransitionMovesOnlyFromTheExpectedStatus) {
  auto hold = Create({seats_[0]}, T(1000));
  auto move = [&](HoldStatus from, HoldStatus to) {
    return Commit(db(), [&](Store& s) { return s.Holds().Transition(hold.id, from, to, T(1)); });
  };
  EXPECT_FALSE(move(HoldStatus::kReserved, HoldStatus::kReleased));
  EXPECT_TRUE(move(HoldStatus::kActive, HoldStatus::kReserved));
  EXPECT_FALSE(move(HoldStatus::kActive, HoldStatus::kReleased));
  EXPECT_EQ(Find(hold.id)->status, HoldStatus::kReserved);
  EXPECT_FALSE(Commit(db(), [](Store& s) {
    return s.Holds().Transition(HoldId{999}, HoldStatus::kActive, HoldStatus::kReleased, T(1));
  }));
}

TEST_P(HoldRepositoryContract, ExpireLapsedExpiresOnlyActiveHoldsPastTheirDeadline) {
  auto lapsed = Create({seats_[0]}, T(1000));
  auto live = Create({seats_[1]}, T(2000));
  auto released = Create({seats_[2]}, T(500));
  Commit(db(), [&](Store& s) {
    return s.Holds().Transition(released.id, HoldStatus::kActive, HoldStatus::kReleased, T(1));
  });
  EXPECT_EQ(Commit(db(), [](Store& s) { return s.Holds().ExpireLapsed(T(1000), 100); }), 1);
  EXPECT_EQ(Commit(db(), [](Store& s) { return s.Holds().ExpireLapsed(T(1000), 100); }), 0);
  EXPECT_EQ(Find(lapsed.id)->status, HoldStatus::kExpired);
  EXPECT_EQ(Find(live.id)->status, HoldStatus::kActive);
  EXPECT_EQ(Find(released.id)->status, HoldStatus::kReleased);
}

TEST_P(HoldRepositoryContract, ExpireLapsedWorksInBatchesLowestIdsFirst) {
  std::vector<domain::Hold> holds;
  for (int i = 0; i < 3; ++i) holds.push_back(Create({seats_[i]}, T(1000)));
  EXPECT_EQ(Commit(db(), [](Store& s) { return s.Holds().ExpireLapsed(T(1000), 2); }), 2);
  EXPECT_EQ(Find(holds[0].id)->status, HoldStatus::kExpired);
  EXPECT_EQ(Find(holds[1].id)->status, HoldStatus::kExpired);
  EXPECT_EQ(Find(holds[2].id)->status, HoldStatus::kActive);
  EXPECT_EQ(Commit(db(), [](Store& s) { return s.Holds().ExpireLapsed(T(1000), 2); }), 1);
  EXPECT_EQ(Commit(db(), [](Store& s) { return s.Holds().ExpireLapsed(T(1000), 2); }), 0);
}

TEST_P(HoldRepositoryContract, CountLiveSeatsCountsOnlyTheUsersStillHeldSeatsOfTheDate) {
  auto hold_seats = [&](const domain::Hold& hold, std::vector<SeatId> ids, domain::Instant until) {
    return Commit(db(),
                  [&](Store& s) { return s.Seats().Hold(event_.id, ids, hold.id, until, T(0)); });
  };
  auto count = [&](domain::UserId user, domain::Instant now) {
    return Query(db(), [&](Store& s) { return s.Holds().CountLiveSeats(user, event_.id, now); });
  };
  auto two = Create({seats_[0], seats_[1]}, T(1000));
  ASSERT_EQ(hold_seats(two, {seats_[0].seat_id, seats_[1].seat_id}, T(1000)), 2);
  auto reserved = Create({seats_[2]}, T(2000));
  ASSERT_EQ(hold_seats(reserved, {seats_[2].seat_id}, T(2000)), 1);
  Commit(db(), [&](Store& s) {
    return s.Holds().Transition(reserved.id, HoldStatus::kActive, HoldStatus::kReserved, T(1));
  });
  EXPECT_EQ(count(user_, T(1)), 3);
  EXPECT_EQ(count(NewUser(), T(1)), 0);
  EXPECT_EQ(count(user_, T(1000)), 1) << "seats of a lapsed hold no longer count";
  Commit(db(), [&](Store& s) { return s.Seats().Confirm(reserved.id, T(2)); });
  EXPECT_EQ(count(user_, T(2)), 2) << "sold seats no longer count";
}

TEST_P(HoldRepositoryContract, CreateWithinLimitCountsTheUsersLiveSeatsBeforeInserting) {
  // As OccupySeats does it: a new hold and its seats in one transaction, with a limit of 3.
  auto hold = [&](domain::UserId user, std::vector<domain::HeldSeat> seats, domain::Instant now) {
    return Commit(db(), [&](Store& s) -> std::optional<domain::Hold> {
      std::vector<SeatId> ids;
      for (const auto& seat : seats) ids.push_back(seat.seat_id);
      auto created = s.Holds().CreateWithinLimit(user, event_.id, seats, T(1000), now, 3);
      if (created) {
        EXPECT_EQ(s.Seats().Hold(event_.id, ids, created->id, T(1000), now),
                  static_cast<int>(ids.size()));
      }
      return created;
    });
  };
  auto two = hold(user_, {seats_[0], seats_[1]}, T(0));
  ASSERT_TRUE(two.has_value());
  EXPECT_EQ(two->status, HoldStatus::kActive);
  EXPECT_EQ(two->expires_at, T(1000));
  ASSERT_EQ(two->seats.size(), 2u);
  auto found = Find(two->id);
  ASSERT_TRUE(found.has_value());
  ASSERT_EQ(found->seats.size(), 2u) << "every seat of the hold is inserted";
  EXPECT_EQ(found->seats[1].seat_id, seats_[1].seat_id);
  EXPECT_EQ(found->seats[1].price, domain::Money{2500});

  EXPECT_FALSE(hold(user_, {seats_[2], seats_[3]}, T(1)).has_value()) << "2 + 2 > 3";
  EXPECT_FALSE(Find(HoldId{two->id.value + 1}).has_value()) << "a refused hold writes nothing";
  EXPECT_TRUE(hold(NewUser(), {seats_[2], seats_[3]}, T(1)).has_value()) << "another user's";
  EXPECT_EQ(Query(db(), [&](Store& s) { return s.Holds().CountLiveSeats(user_, event_.id, T(1)); }),
            2);
}

// As OccupySeats does it: the seats read for the hold first (on MySQL that read locks the user).
// The count includes the user's holds committed before and a hold made earlier in the same
// transaction.
TEST_P(HoldRepositoryContract, CreateWithinLimitAfterFindForHoldCountsEachHold) {
  auto first = Commit(db(), [&](Store& s) {
    auto created = s.Holds().CreateWithinLimit(user_, event_.id, {seats_[0]}, T(1000), T(0), 3);
    EXPECT_EQ(s.Seats().Hold(event_.id, {seats_[0].seat_id}, created->id, T(1000), T(0)), 1);
    return created.has_value();
  });
  ASSERT_TRUE(first);
  const auto outcome = Commit(db(), [&](Store& s) {
    auto read = s.Seats().FindForHold(event_.id, {seats_[1].seat_id}, user_, T(1));
    EXPECT_EQ(read.size(), 1u);
    auto second = s.Holds().CreateWithinLimit(user_, event_.id, {seats_[1]}, T(1000), T(1), 3);
    EXPECT_TRUE(second.has_value()) << "1 + 1 <= 3";
    if (second) {
      EXPECT_EQ(s.Seats().Hold(event_.id, {seats_[1].seat_id}, second->id, T(1000), T(1)), 1);
    }
    // The count must include the hold just made in this transaction.
    auto third =
        s.Holds().CreateWithinLimit(user_, event_.id, {seats_[2], seats_[3]}, T(1000), T(1), 3);
    return std::pair{second.has_value(), third.has_value()};
  });
  EXPECT_EQ(outcome, std::pair(true, false)) << "1 + 1 + 2 > 3";
  EXPECT_FALSE(Commit(db(), [&](Store& s) {
    auto read = s.Seats().FindForHold(event_.id, {seats_[2].seat_id}, user_, T(2));
    EXPECT_EQ(read.size(), 1u);
    return s.Holds()
        .CreateWithinLimit(user_, event_.id, {seats_[2], seats_[3]}, T(1000), T(2), 3)
        .has_value();
  })) << "2 + 2 > 3";
  EXPECT_EQ(Query(db(), [&](Store& s) { return s.Holds().CountLiveSeats(user_, event_.id, T(2)); }),
            2);
}

TEST_P(HoldRepositoryContract, CreateWithinLimitNoLongerCountsLapsedHolds) {
  auto hold = [&](std::vector<domain::HeldSeat> seats, domain::Instant now) {
    return Commit(db(), [&](Store& s) {
      auto created = s.Holds().CreateWithinLimit(user_, event_.id, seats,
                                                 now + domain::Duration{1000}, now, 2);
      if (!created) return false;
      std::vector<SeatId> ids;
      for (const auto& seat : seats) ids.push_back(seat.seat_id);
      return s.Seats().Hold(event_.id, ids, created->id, now + domain::Duration{1000}, now) ==
             static_cast<int>(ids.size());
    });
  };
  ASSERT_TRUE(hold({seats_[0], seats_[1]}, T(0)));
  EXPECT_FALSE(hold({seats_[2]}, T(999)));
  EXPECT_TRUE(hold({seats_[2], seats_[3]}, T(1000))) << "the first hold lapsed at its deadline";
}

TEST_P(SeatRepositoryContract, FindForHoldReadsAsFind) {
  ASSERT_EQ(Hold({ids_[1]}, HoldId{1}, T(1000), T(0)), 1);
  auto user = NewUser();
  auto other = NewEvent(NewConcert(), 1);
  auto other_seat = Seats(other.id, T(0))[0].id;
  auto found = Commit(db(), [&](Store& s) {
    return s.Seats().FindForHold(event_.id, {ids_[3], ids_[1], other_seat, SeatId{77'777}}, user,
                                 T(500));
  });
  ExpectSeatsTwoAndFour(found);
  if (HasFatalFailure()) return;
  auto later = Commit(
      db(), [&](Store& s) { return s.Seats().FindForHold(event_.id, {ids_[1]}, user, T(1000)); });
  ASSERT_EQ(later.size(), 1u);
  EXPECT_EQ(later[0].state, SeatState::kAvailable) << "a lapsed hold reads as available";
}

}  // namespace
}  // namespace boxoffice::contract
