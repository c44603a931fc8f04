// OccupySeats with its SeatGate (ADR 0011) on real threads. A database wrapper stops chosen write
// transactions until the test releases them, so every interleaving below is forced, not hoped
// for; nothing sleeps.
#include "application/seat_gate.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <latch>
#include <mutex>
#include <thread>

#include "app_test.hpp"
#include "application/occupy_seats.hpp"
#include "application/release_hold.hpp"

namespace boxoffice::application {
namespace {

using domain::ErrorCode;
using domain::SeatId;

// domain::Database over a MemoryDatabase that counts write transactions and can stop the next
// one before its work runs, or after it committed or rolled back, until Release().
class ControlledDatabase : public domain::Database {
 public:
  enum class Stop { kBefore, kAfter };

  explicit ControlledDatabase(fakes::MemoryDatabase& inner) : inner_(inner) {}

  void StopNextWrite(Stop where) {
    std::lock_guard lock(mu_);
    armed_ = where;
  }
  // Waits until `count` writes in all have been stopped.
  void AwaitStops(int count) {
    std::unique_lock lock(mu_);
    ASSERT_TRUE(cv_.wait_for(lock, kPatience, [&] { return stops_ >= count; }))
        << "no write stopped";
  }
  // Lets every stopped write go on.
  void Release() {
    std::lock_guard lock(mu_);
    ++released_;
    cv_.notify_all();
  }
  int Writes() const {
    std::lock_guard lock(mu_);
    return writes_;
  }

 protected:
  void Execute(domain::TxMode mode, const std::function<bool(domain::Store&)>& work) override {
    std::optional<Stop> stop;
    int generation = 0;
    {
      std::lock_guard lock(mu_);
      if (mode == domain::TxMode::kWrite) {
        ++writes_;
        stop = std::exchange(armed_, std::nullopt);
        generation = released_;
      }
    }
    if (stop == Stop::kBefore) Pause(generation);
    auto finished = [&] {
      if (stop == Stop::kAfter) Pause(generation);
    };
    try {
      (void)inner_.Run(mode, [&](domain::Store& store) -> domain::Result<bool> {
        if (work(store)) return true;
        return domain::Fail(ErrorCode::kInternal, "rolled back");
      });
    } catch (...) {
      finished();
      throw;
    }
    finished();
  }

 private:
  static constexpr auto kPatience = std::chrono::seconds(20);

  void Pause(int generation) {
    std::unique_lock lock(mu_);
    ++stops_;
    cv_.notify_all();
    // Bounded so that a broken gate fails the test instead of hanging it.
    cv_.wait_for(lock, kPatience, [&] { return released_ > generation; });
  }

  fakes::MemoryDatabase& inner_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::optional<Stop> armed_;
  int writes_ = 0;
  int stops_ = 0;
  int released_ = 0;
};

class SeatGateTest : public AppTest {
 protected:
  using Outcome = domain::Result<domain::Hold>;

  // A caller on its own thread; its result is read after Join().
  struct Caller {
    std::optional<Outcome> outcome;
    std::exception_ptr error;
    std::thread thread;
  };

  void Start(Caller& caller, domain::UserId user, std::vector<SeatId> seats) {
    caller.thread = std::thread([this, &caller, user, seats = std::move(seats)] {
      try {
        caller.outcome.emplace(occupy_.Execute({{user, show_.concert}, show_.event, seats}));
      } catch (...) {
        caller.error = std::current_exception();
      }
    });
  }
  // Waits until `count` callers are parked behind the attempt in flight on `seat`.
  void AwaitWaiting(SeatId seat, std::size_t count) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (gate_.WaitersOn(show_.event, seat) < count) {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline)
          << gate_.WaitersOn(show_.event, seat) << " waiting";
      std::this_thread::yield();
    }
  }
  static std::optional<ErrorCode> CodeOfCaller(Caller& caller) {
    if (caller.thread.joinable()) caller.thread.join();
    if (caller.error || !caller.outcome) return ErrorCode::kInternal;
    return CodeOf(*caller.outcome);
  }
  std::vector<domain::UserId> Users(int count) {
    std::vector<domain::UserId> users;
    for (int i = 0; i < count; ++i) users.push_back(NewUser());
    return users;
  }
  domain::UserId HolderOf(SeatId seat) {
    const auto tables = db_.Snapshot();
    const auto& row = tables.seats.at(seat.value);
    EXPECT_TRUE(row.hold_id.has_value());
    return row.hold_id ? tables.holds.at(row.hold_id->value).user_id : domain::UserId{};
  }
  void ExpectGateEmpty() {
    EXPECT_EQ(gate_.InFlight(), 0u) << "the in-flight map must not keep ended attempts";
    EXPECT_EQ(gate_.Waiting(), 0u);
  }

  Show show_ = NewShow(10, domain::Money{1000});
  SeatGate gate_;
  ControlledDatabase controlled_{db_};
  OccupySeats occupy_{controlled_, policies_, clock_, gate_};
};

TEST_F(SeatGateTest, WaitersOfTheWinnerAreRefusedWithoutReachingTheDatabase) {
  constexpr int kWaiters = 24;
  const auto users = Users(kWaiters + 1);
  controlled_.StopNextWrite(ControlledDatabase::Stop::kBefore);
  Caller first;
  Start(first, users[0], {show_.seats[0]});
  controlled_.AwaitStops(1);
  std::vector<Caller> waiters(kWaiters);
  for (int i = 0; i < kWaiters; ++i) Start(waiters[i], users[i + 1], {show_.seats[0]});
  AwaitWaiting(show_.seats[0], kWaiters);
  EXPECT_EQ(gate_.InFlight(), 1u);

  controlled_.Release();
  EXPECT_EQ(CodeOfCaller(first), std::nullopt);
  for (auto& w : waiters) EXPECT_EQ(CodeOfCaller(w), ErrorCode::kSeatUnavailable);
  EXPECT_EQ(controlled_.Writes(), 1) << "only the first attempt may reach the database";
  EXPECT_EQ(HolderOf(show_.seats[0]), users[0]);
  EXPECT_EQ(db_.Snapshot().holds.size(), 1u);
  ExpectGateEmpty();
}

TEST_F(SeatGateTest, ManyThreadsReleasedTogetherHaveExactlyOneWinner) {
  constexpr int kThreads = 64;
  const auto users = Users(kThreads);
  std::latch start(kThreads);
  std::vector<std::optional<Outcome>> outcomes(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      outcomes[i].emplace(
          occupy_.Execute({{users[i], show_.concert}, show_.event, {show_.seats[3]}}));
    });
  }
  for (auto& t : threads) t.join();
  int winners = 0;
  for (int i = 0; i < kThreads; ++i) {
    if (outcomes[i]->ok()) {
      ++winners;
      EXPECT_EQ(HolderOf(show_.seats[3]), users[i]);
    } else {
      EXPECT_EQ(CodeOf(*outcomes[i]), ErrorCode::kSeatUnavailable);
    }
  }
  EXPECT_EQ(winners, 1);
  EXPECT_EQ(db_.Snapshot().holds.size(), 1u);
  EXPECT_LE(controlled_.Writes(), kThreads);
  ExpectGateEmpty();
}

TEST_F(SeatGateTest, AnAttemptRefusedForItsOwnUserLetsAWaiterWin) {
  const auto alice = NewUser();
  // Alice already holds the most a user may hold of this date.
  ASSERT_TRUE(occupy_
                  .Execute({{alice, show_.concert},
                            show_.event,
                            {show_.seats[1], show_.seats[2], show_.seats[3], show_.seats[4]}})
                  .ok());
  constexpr int kWaiters = 8;
  const auto users = Users(kWaiters);
  controlled_.StopNextWrite(ControlledDatabase::Stop::kBefore);
  Caller first;
  Start(first, alice, {show_.seats[0]});
  controlled_.AwaitStops(1);
  std::vector<Caller> waiters(kWaiters);
  for (int i = 0; i < kWaiters; ++i) Start(waiters[i], users[i], {show_.seats[0]});
  AwaitWaiting(show_.seats[0], kWaiters);

  controlled_.Release();
  EXPECT_EQ(CodeOfCaller(first), ErrorCode::kTooManySeats);
  int winners = 0;
  for (auto& w : waiters) {
    const auto code = CodeOfCaller(w);
    if (!code) {
      ++winners;
    } else {
      EXPECT_EQ(code, ErrorCode::kSeatUnavailable);
    }
  }
  EXPECT_EQ(winners, 1) << "the seat was free: one waiter must get it";
  EXPECT_NE(HolderOf(show_.seats[0]), alice);
  ExpectGateEmpty();
}

TEST_F(SeatGateTest, DifferentSeatsDoNotWaitForEachOther) {
  const auto alice = NewUser();
  const auto bob = NewUser();
  const auto carol = NewUser();
  controlled_.StopNextWrite(ControlledDatabase::Stop::kBefore);
  Caller first;
  Start(first, alice, {show_.seats[0], show_.seats[1]});
  controlled_.AwaitStops(1);

  // Alice's attempt is still in flight: other seats go straight through, on this thread.
  auto other = occupy_.Execute({{bob, show_.concert}, show_.event, {show_.seats[2]}});
  EXPECT_TRUE(other.ok());
  EXPECT_EQ(gate_.InFlight(), 2u) << "alice's two seats";
  // A hold sharing one seat with alice's waits for hers, and loses to it.
  Caller overlapping;
  Start(overlapping, carol, {show_.seats[1], show_.seats[5]});
  AwaitWaiting(show_.seats[1], 1);

  controlled_.Release();
  EXPECT_EQ(CodeOfCaller(first), std::nullopt);
  EXPECT_EQ(CodeOfCaller(overlapping), ErrorCode::kSeatUnavailable);
  EXPECT_EQ(controlled_.Writes(), 2) << "alice and bob only; carol adopted alice's outcome";
  EXPECT_EQ(StateOf(show_, show_.seats[5]), domain::SeatState::kAvailable);
  ExpectGateEmpty();
}

TEST_F(SeatGateTest, AHoldAnswersOnlyTheWaitersSharingASeatWithIt) {
  const auto alice = NewUser();
  const auto bob = NewUser();
  const auto carol = NewUser();
  // Alice holds three seats already, so her hold of two more is refused for her own limit.
  ASSERT_TRUE(occupy_
                  .Execute({{alice, show_.concert},
                            show_.event,
                            {show_.seats[2], show_.seats[3], show_.seats[4]}})
                  .ok());
  controlled_.StopNextWrite(ControlledDatabase::Stop::kBefore);
  Caller first;
  Start(first, alice, {show_.seats[0], show_.seats[1]});
  controlled_.AwaitStops(1);
  // Bob queues the next attempt (seat 0) behind Alice's; Carol (seat 1) waits for Bob's.
  Caller second;
  Start(second, bob, {show_.seats[0]});
  AwaitWaiting(show_.seats[0], 1);
  Caller third;
  Start(third, carol, {show_.seats[1]});
  AwaitWaiting(show_.seats[1], 2);

  controlled_.Release();
  EXPECT_EQ(CodeOfCaller(first), ErrorCode::kTooManySeats);
  EXPECT_EQ(CodeOfCaller(second), std::nullopt);
  EXPECT_EQ(CodeOfCaller(third), std::nullopt) << "Bob's hold of seat 0 says nothing of seat 1";
  EXPECT_EQ(HolderOf(show_.seats[0]), bob);
  EXPECT_EQ(HolderOf(show_.seats[1]), carol);
  ExpectGateEmpty();
}

TEST_F(SeatGateTest, AQueuedAttemptWhoseSeatWasTakenMeanwhileStepsAside) {
  const auto alice = NewUser();
  const auto bob = NewUser();
  const auto carol = NewUser();
  ASSERT_TRUE(occupy_
                  .Execute({{alice, show_.concert},
                            show_.event,
                            {show_.seats[2], show_.seats[3], show_.seats[4], show_.seats[5]}})
                  .ok());
  controlled_.StopNextWrite(ControlledDatabase::Stop::kBefore);
  Caller first;
  Start(first, alice, {show_.seats[0]});  // refused: Alice is at her limit
  controlled_.AwaitStops(1);
  Caller second;
  Start(second, bob, {show_.seats[0], show_.seats[1]});  // queued behind Alice's
  AwaitWaiting(show_.seats[0], 1);
  // Seat 1 has nothing in flight, so Carol's attempt runs at once (and stops).
  controlled_.StopNextWrite(ControlledDatabase::Stop::kBefore);
  Caller third;
  Start(third, carol, {show_.seats[1]});
  controlled_.AwaitStops(2);

  controlled_.Release();
  EXPECT_EQ(CodeOfCaller(first), ErrorCode::kTooManySeats);
  EXPECT_EQ(CodeOfCaller(third), std::nullopt);
  EXPECT_EQ(CodeOfCaller(second), ErrorCode::kSeatUnavailable) << "seat 1 is Carol's";
  EXPECT_EQ(HolderOf(show_.seats[1]), carol);
  EXPECT_EQ(StateOf(show_, show_.seats[0]), domain::SeatState::kAvailable);
  ExpectGateEmpty();
}

TEST_F(SeatGateTest, ARefusalReadBeforeTheWaiterCameIsNotAdopted) {
  const auto owner = NewUser();
  const auto alice = NewUser();
  const auto bob = NewUser();
  auto owned = occupy_.Execute({{owner, show_.concert}, show_.event, {show_.seats[0]}});
  ASSERT_TRUE(owned.ok());

  // Alice's attempt reads the seat held and rolls back, but has not answered yet...
  controlled_.StopNextWrite(ControlledDatabase::Stop::kAfter);
  Caller first;
  Start(first, alice, {show_.seats[0]});
  controlled_.AwaitStops(1);
  // ...when the owner gives the seat back, and only then Bob asks for it.
  ReleaseHold release(db_, clock_);
  ASSERT_TRUE(release.Execute({{owner, show_.concert}, owned->id}).ok());
  Caller second;
  Start(second, bob, {show_.seats[0]});
  AwaitWaiting(show_.seats[0], 1);

  controlled_.Release();
  EXPECT_EQ(CodeOfCaller(first), ErrorCode::kSeatUnavailable);
  EXPECT_EQ(CodeOfCaller(second), std::nullopt)
      << "the seat was free for Bob's whole request: a refusal read before it is not his answer";
  EXPECT_EQ(HolderOf(show_.seats[0]), bob);
  ExpectGateEmpty();
}

TEST_F(SeatGateTest, ARefusalReadAfterTheWaitersCameAnswersThemAll) {
  const auto owner = NewUser();
  ASSERT_TRUE(occupy_.Execute({{owner, show_.concert}, show_.event, {show_.seats[0]}}).ok());
  constexpr int kWaiters = 6;
  const auto users = Users(kWaiters + 1);

  controlled_.StopNextWrite(ControlledDatabase::Stop::kBefore);
  Caller first;
  Start(first, users[0], {show_.seats[0]});
  controlled_.AwaitStops(1);
  std::vector<Caller> waiters(kWaiters);
  for (int i = 0; i < kWaiters; ++i) Start(waiters[i], users[i + 1], {show_.seats[0]});
  AwaitWaiting(show_.seats[0], kWaiters);

  // The first attempt began before the waiters came, so its refusal is not theirs: one of them
  // runs the next attempt (stopped here until the rest are parked behind it) and answers all.
  controlled_.StopNextWrite(ControlledDatabase::Stop::kBefore);
  controlled_.Release();
  EXPECT_EQ(CodeOfCaller(first), ErrorCode::kSeatUnavailable);
  controlled_.AwaitStops(2);
  AwaitWaiting(show_.seats[0], kWaiters - 1);
  controlled_.Release();
  for (auto& w : waiters) EXPECT_EQ(CodeOfCaller(w), ErrorCode::kSeatUnavailable);
  EXPECT_EQ(controlled_.Writes(), 1 + 2) << "the owner's hold, the first attempt, one for all";
  EXPECT_EQ(HolderOf(show_.seats[0]), owner);
  ExpectGateEmpty();
}

TEST_F(SeatGateTest, AnUnavailableDatabaseIsRetriedOnceThenShared) {
  constexpr int kWaiters = 4;
  const auto users = Users(kWaiters + 1);
  controlled_.StopNextWrite(ControlledDatabase::Stop::kBefore);
  Caller first;
  Start(first, users[0], {show_.seats[0]});
  controlled_.AwaitStops(1);
  std::vector<Caller> waiters(kWaiters);
  for (int i = 0; i < kWaiters; ++i) Start(waiters[i], users[i + 1], {show_.seats[0]});
  AwaitWaiting(show_.seats[0], kWaiters);

  db_.FailNextTransactions(2);
  controlled_.StopNextWrite(ControlledDatabase::Stop::kBefore);
  controlled_.Release();
  first.thread.join();
  EXPECT_TRUE(first.error) << "the first attempt's own failure";
  controlled_.AwaitStops(2);
  AwaitWaiting(show_.seats[0], kWaiters - 1);
  controlled_.Release();
  int unavailable = 0;
  for (auto& w : waiters) {
    w.thread.join();
    if (!w.error) continue;
    try {
      std::rethrow_exception(w.error);
    } catch (const domain::UnavailableError&) {
      ++unavailable;
    } catch (...) {
    }
  }
  EXPECT_EQ(unavailable, kWaiters) << "one retry for all of them, whose failure they share";
  EXPECT_EQ(controlled_.Writes(), 2);
  EXPECT_EQ(StateOf(show_, show_.seats[0]), domain::SeatState::kAvailable);
  ExpectGateEmpty();
}

}  // namespace
}  // namespace boxoffice::application
