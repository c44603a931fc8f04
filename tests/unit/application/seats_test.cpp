#include <atomic>
#include <thread>

#include "app_test.hpp"
#include "application/occupy_seats.hpp"
#include "application/release_hold.hpp"
#include "application/reserve_seats.hpp"

namespace boxoffice::application {
namespace {

using domain::ErrorCode;
using domain::HoldStatus;
using domain::SeatId;
using domain::SeatState;

class SeatsTest : public AppTest {
 protected:
  domain::Result<domain::Hold> Occupy(domain::UserId user, std::vector<SeatId> ids) {
    return occupy_.Execute({{user, show_.concert}, show_.event, std::move(ids)});
  }
  domain::Result<domain::Reservation> Reserve(domain::UserId user, domain::HoldId hold) {
    return reserve_.Execute({{user, show_.concert}, show_.event, hold});
  }

  Show show_ = NewShow(10, domain::Money{1000});
  domain::UserId alice_ = NewUser();
  domain::UserId bob_ = NewUser();
  OccupySeats occupy_{db_, policies_, clock_};
  ReserveSeats reserve_{db_, clock_};
  ReleaseHold release_{db_, clock_};
};

TEST_F(SeatsTest, HoldsSeatsUntilTheTtl) {
  auto hold = Occupy(alice_, {show_.seats[0], show_.seats[1]});
  ASSERT_TRUE(hold.ok()) << hold.error().message;
  EXPECT_EQ(hold->expires_at, clock_.Now() + 300s);
  EXPECT_EQ(hold->seats.size(), 2u);
  EXPECT_EQ(hold->TotalAmount(), domain::Money{2000});
  EXPECT_EQ(StateOf(show_, show_.seats[0]), SeatState::kHeld);
  EXPECT_EQ(StateOf(show_, show_.seats[2]), SeatState::kAvailable);
}

TEST_F(SeatsTest, RejectsMalformedSeatLists) {
  EXPECT_EQ(CodeOf(Occupy(alice_, {})), ErrorCode::kInvalidRequest);
  EXPECT_EQ(CodeOf(Occupy(alice_, {SeatId{0}})), ErrorCode::kInvalidRequest);
  EXPECT_EQ(CodeOf(Occupy(alice_, {SeatId{-3}})), ErrorCode::kInvalidRequest);
  EXPECT_EQ(CodeOf(Occupy(alice_, {show_.seats[0], show_.seats[0]})), ErrorCode::kInvalidRequest);
  EXPECT_EQ(CodeOf(Occupy(alice_, {show_.seats[0], show_.seats[1], show_.seats[2], show_.seats[3],
                                   show_.seats[4]})),
            ErrorCode::kTooManySeats);
}

TEST_F(SeatsTest, MaxSeatsPerHoldFollowsThePolicy) {
  domain::Policies p;
  p.max_seats_per_hold = 1;
  SetPolicies(p);
  EXPECT_EQ(CodeOf(Occupy(alice_, {show_.seats[0], show_.seats[1]})), ErrorCode::kTooManySeats);
  EXPECT_TRUE(Occupy(alice_, {show_.seats[0]}).ok());
}

TEST_F(SeatsTest, OneUserHoldsAtMostTheLimitOfADateAcrossHolds) {
  ASSERT_TRUE(Occupy(alice_, {show_.seats[0], show_.seats[1], show_.seats[2]}).ok());
  EXPECT_EQ(CodeOf(Occupy(alice_, {show_.seats[3], show_.seats[4]})), ErrorCode::kTooManySeats);
  EXPECT_TRUE(Occupy(alice_, {show_.seats[3]}).ok());
  EXPECT_EQ(CodeOf(Occupy(alice_, {show_.seats[4]})), ErrorCode::kTooManySeats);
  EXPECT_TRUE(Occupy(bob_, {show_.seats[4]}).ok()) << "the limit is per user";
  clock_.Advance(std::chrono::seconds(policies_.Current().hold_ttl_seconds));
  EXPECT_TRUE(Occupy(alice_, {show_.seats[5]}).ok()) << "lapsed holds no longer count";
}

TEST_F(SeatsTest, UnknownEventAndForeignConcert) {
  auto r = occupy_.Execute({{alice_, show_.concert}, domain::EventId{9999}, {show_.seats[0]}});
  EXPECT_EQ(CodeOf(r), ErrorCode::kEventNotFound);
  Show other = NewShow();
  r = occupy_.Execute({{alice_, show_.concert}, other.event, {other.seats[0]}});
  EXPECT_EQ(CodeOf(r), ErrorCode::kTokenNotProcessable);
}

TEST_F(SeatsTest, OutsideTheWindowIsNotOpened) {
  Show later = NewShow(5, domain::Money{1000}, -1h, 24h);  // opens in an hour
  auto r = occupy_.Execute({{alice_, later.concert}, later.event, {later.seats[0]}});
  EXPECT_EQ(CodeOf(r), ErrorCode::kReservationNotOpened);
  clock_.Advance(1h);
  r = occupy_.Execute({{alice_, later.concert}, later.event, {later.seats[0]}});
  EXPECT_TRUE(r.ok());
  clock_.Advance(24h);
  r = occupy_.Execute({{alice_, later.concert}, later.event, {later.seats[1]}});
  EXPECT_EQ(CodeOf(r), ErrorCode::kReservationNotOpened);
}

TEST_F(SeatsTest, SeatOfAnotherDateIsNotFound) {
  domain::EventId second;
  Seed([&](domain::Store& s) {
    second =
        AddEvent(s, show_.concert, 3, domain::Money{500}, clock_.Now() - 1h, clock_.Now() + 1h);
  });
  auto seats = Query<std::vector<domain::Seat>>(
      [&](domain::Store& s) { return s.Catalogue().ListSeats(second, clock_.Now()); });
  EXPECT_EQ(CodeOf(Occupy(alice_, {show_.seats[0], seats[0].id})), ErrorCode::kSeatNotFound);
  EXPECT_EQ(CodeOf(Occupy(alice_, {SeatId{999'999}})), ErrorCode::kSeatNotFound);
}

TEST_F(SeatsTest, HoldIsAllOrNothing) {
  ASSERT_TRUE(Occupy(alice_, {show_.seats[1]}).ok());
  const int commits = db_.Commits();
  auto r = Occupy(bob_, {show_.seats[0], show_.seats[1]});
  EXPECT_EQ(CodeOf(r), ErrorCode::kSeatUnavailable);
  EXPECT_EQ(StateOf(show_, show_.seats[0]), SeatState::kAvailable);
  EXPECT_EQ(db_.Commits(), commits);
  EXPECT_TRUE(db_.Snapshot().holds.size() == 1u) << "no hold row may survive a refused hold";
}

TEST_F(SeatsTest, ExpiredHoldIsReclaimableWithoutSweeper) {
  ASSERT_TRUE(Occupy(alice_, {show_.seats[0]}).ok());
  clock_.Advance(299s);
  EXPECT_EQ(CodeOf(Occupy(bob_, {show_.seats[0]})), ErrorCode::kSeatUnavailable);
  clock_.Advance(1s);
  auto r = Occupy(bob_, {show_.seats[0]});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->user_id, bob_);
}

TEST_F(SeatsTest, HoldTtlChangeAppliesToNewHoldsOnly) {
  auto first = Occupy(alice_, {show_.seats[0]});
  domain::PolicyPatch patch;
  patch.hold_ttl_seconds = 60;
  ASSERT_TRUE(policies_.Update(patch).ok());
  auto second = Occupy(bob_, {show_.seats[1]});
  EXPECT_EQ(first->expires_at, clock_.Now() + 300s);
  EXPECT_EQ(second->expires_at, clock_.Now() + 60s);
  EXPECT_EQ(HoldOf(first->id).expires_at, clock_.Now() + 300s);
}

TEST_F(SeatsTest, ConcurrentHoldsOfOneSeatHaveExactlyOneWinner) {
  constexpr int kThreads = 32;
  std::vector<domain::UserId> users;
  for (int i = 0; i < kThreads; ++i) users.push_back(NewUser());
  std::atomic<int> ready{0};
  std::atomic<int> wins{0};
  std::atomic<int> unavailable{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      ready.fetch_add(1);
      while (ready.load() < kThreads) std::this_thread::yield();
      auto r = Occupy(users[i], {show_.seats[0]});
      if (r.ok()) {
        wins.fetch_add(1);
      } else if (CodeOf(r) == ErrorCode::kSeatUnavailable) {
        unavailable.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wins.load(), 1);
  EXPECT_EQ(unavailable.load(), kThreads - 1);
  const auto tables = db_.Snapshot();
  EXPECT_EQ(tables.holds.size(), 1u);
  const auto& seat = tables.seats.at(show_.seats[0].value);
  EXPECT_EQ(seat.seat.state, SeatState::kHeld);
  EXPECT_EQ(seat.hold_id, tables.holds.begin()->second.id);
}

TEST_F(SeatsTest, ReserveTurnsALiveHoldIntoAPendingReservation) {
  auto hold = Occupy(alice_, {show_.seats[0], show_.seats[1]});
  clock_.Advance(10s);
  auto r = Reserve(alice_, hold->id);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->status, domain::ReservationStatus::kPending);
  EXPECT_EQ(r->total_seats, 2);
  EXPECT_EQ(r->total_amount, domain::Money{2000});
  EXPECT_EQ(r->expires_at, hold->expires_at);
  EXPECT_EQ(r->concert_id, show_.concert);
  EXPECT_EQ(r->hold_id, hold->id);
  EXPECT_EQ(r->created_at, clock_.Now());
  EXPECT_EQ(HoldOf(hold->id).status, HoldStatus::kReserved);
  EXPECT_EQ(ReservationOf(r->id).status, domain::ReservationStatus::kPending);
  EXPECT_EQ(CodeOf(Reserve(alice_, hold->id)), ErrorCode::kOccupationAlreadyReleased);
}

TEST_F(SeatsTest, ReserveRules) {
  EXPECT_EQ(CodeOf(Reserve(alice_, domain::HoldId{424242})), ErrorCode::kOccupationNotFound);
  auto hold = Occupy(alice_, {show_.seats[0]});
  EXPECT_EQ(CodeOf(Reserve(bob_, hold->id)), ErrorCode::kOccupationInvalid);
  Show other = NewShow();
  auto wrong_date = reserve_.Execute({{alice_, show_.concert}, other.event, hold->id});
  EXPECT_EQ(CodeOf(wrong_date), ErrorCode::kOccupationInvalid);
  clock_.Advance(300s);
  EXPECT_EQ(CodeOf(Reserve(alice_, hold->id)), ErrorCode::kOccupationAlreadyExpired);
  EXPECT_EQ(HoldOf(hold->id).status, HoldStatus::kActive);
}

TEST_F(SeatsTest, ReservationsTogetherCommitOnceEachWithItsOwnHoldAndSeats) {
  auto a = Occupy(alice_, {show_.seats[0], show_.seats[1]});
  auto b = Occupy(bob_, {show_.seats[2]});
  ASSERT_TRUE(a.ok() && b.ok());
  clock_.Advance(10s);
  const int commits = db_.Commits();
  const std::vector<ReserveSeatsCommand> commands{{{bob_, show_.concert}, show_.event, b->id},
                                                  {{alice_, show_.concert}, show_.event, a->id}};
  auto reserved = reserve_.ExecuteTogether(commands);
  ASSERT_TRUE(reserved.has_value());
  EXPECT_EQ(db_.Commits(), commits + 1);
  ASSERT_EQ(reserved->size(), 2u);
  EXPECT_EQ((*reserved)[0].hold_id, b->id);
  EXPECT_EQ((*reserved)[0].user_id, bob_);
  EXPECT_EQ((*reserved)[0].total_amount, domain::Money{1000});
  EXPECT_EQ((*reserved)[1].hold_id, a->id);
  EXPECT_EQ((*reserved)[1].total_seats, 2);
  EXPECT_EQ((*reserved)[1].created_at, clock_.Now());
  EXPECT_NE((*reserved)[0].id, (*reserved)[1].id);
  EXPECT_EQ(HoldOf(a->id).status, HoldStatus::kReserved);
  EXPECT_EQ(ReservationOf((*reserved)[1].id).status, domain::ReservationStatus::kPending);
}

TEST_F(SeatsTest, ReservationsTogetherWithOneExecuteWouldRefuseWriteNothing) {
  auto a = Occupy(alice_, {show_.seats[0]});
  auto b = Occupy(bob_, {show_.seats[2]});
  ASSERT_TRUE(a.ok() && b.ok());
  const int commits = db_.Commits();
  const ReserveSeatsCommand mine{{alice_, show_.concert}, show_.event, a->id};
  for (const auto& other : {
           ReserveSeatsCommand{{alice_, show_.concert}, show_.event, b->id},  // not hers
           ReserveSeatsCommand{{bob_, show_.concert}, show_.event, domain::HoldId{424242}},
           mine,  // the same hold twice
       }) {
    const std::vector<ReserveSeatsCommand> commands{mine, other};
    EXPECT_FALSE(reserve_.ExecuteTogether(commands).has_value());
  }
  ASSERT_TRUE(Reserve(bob_, b->id).ok());
  const std::vector<ReserveSeatsCommand> reserved_already{
      mine, {{bob_, show_.concert}, show_.event, b->id}};
  EXPECT_FALSE(reserve_.ExecuteTogether(reserved_already).has_value());
  EXPECT_EQ(db_.Commits(), commits + 1) << "only Reserve committed";
  EXPECT_EQ(HoldOf(a->id).status, HoldStatus::kActive);
  EXPECT_EQ(db_.Snapshot().reservations.size(), 1u);
}

TEST_F(SeatsTest, ReleaseGivesSeatsBackAtOnce) {
  auto hold = Occupy(alice_, {show_.seats[0]});
  ASSERT_TRUE(release_.Execute({{alice_, show_.concert}, hold->id}).ok());
  EXPECT_EQ(HoldOf(hold->id).status, HoldStatus::kReleased);
  EXPECT_EQ(StateOf(show_, show_.seats[0]), SeatState::kAvailable);
  EXPECT_TRUE(Occupy(bob_, {show_.seats[0]}).ok());
  EXPECT_EQ(CodeOf(release_.Execute({{alice_, show_.concert}, hold->id})),
            ErrorCode::kOccupationAlreadyReleased);
}

TEST_F(SeatsTest, ReleaseRules) {
  EXPECT_EQ(CodeOf(release_.Execute({{alice_, show_.concert}, domain::HoldId{9}})),
            ErrorCode::kOccupationNotFound);
  auto hold = Occupy(alice_, {show_.seats[0]});
  EXPECT_EQ(CodeOf(release_.Execute({{bob_, show_.concert}, hold->id})),
            ErrorCode::kOccupationInvalid);
  EXPECT_EQ(StateOf(show_, show_.seats[0]), SeatState::kHeld);
  clock_.Advance(301s);
  EXPECT_EQ(CodeOf(release_.Execute({{alice_, show_.concert}, hold->id})),
            ErrorCode::kOccupationAlreadyExpired);
}

TEST_F(SeatsTest, ReleasingAReservedHoldCancelsItsPendingReservation) {
  auto hold = Occupy(alice_, {show_.seats[0]});
  auto reservation = Reserve(alice_, hold->id);
  ASSERT_TRUE(release_.Execute({{alice_, show_.concert}, hold->id}).ok());
  EXPECT_EQ(ReservationOf(reservation->id).status, domain::ReservationStatus::kCancelled);
  EXPECT_EQ(HoldOf(hold->id).status, HoldStatus::kReleased);
  EXPECT_EQ(StateOf(show_, show_.seats[0]), SeatState::kAvailable);
  const auto outbox = db_.Snapshot().outbox;
  ASSERT_EQ(outbox.size(), 1u);
  EXPECT_TRUE(
      std::holds_alternative<domain::ReservationCancelled>(outbox.begin()->second.record.event));
}

TEST_F(SeatsTest, ReleasingAPaidHoldIsRefused) {
  auto hold = Occupy(alice_, {show_.seats[0]});
  auto reservation = Reserve(alice_, hold->id);
  Seed([&](domain::Store& s) {
    s.Reservations().Transition(reservation->id, domain::ReservationStatus::kPending,
                                domain::ReservationStatus::kConfirmed, clock_.Now());
    s.Seats().Confirm(hold->id, clock_.Now());
  });
  EXPECT_EQ(CodeOf(release_.Execute({{alice_, show_.concert}, hold->id})),
            ErrorCode::kReservationAlreadyConfirmed);
  EXPECT_EQ(StateOf(show_, show_.seats[0]), SeatState::kReserved);
  EXPECT_EQ(HoldOf(hold->id).status, HoldStatus::kReserved);
}

}  // namespace
}  // namespace boxoffice::application
