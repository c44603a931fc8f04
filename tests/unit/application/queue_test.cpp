#include "app_test.hpp"
#include "application/get_queue_stats.hpp"
#include "application/get_queue_status.hpp"
#include "application/issue_queue_token.hpp"
#include "application/leave_queue.hpp"
#include "application/queue_access.hpp"
#include "application/queue_status.hpp"
#include "application/run_admission.hpp"
#include "fakes/fake_catalogue_cache.hpp"
#include "fakes/fake_lease.hpp"

namespace boxoffice::application {
namespace {

using domain::ErrorCode;
using domain::QueueState;
using domain::QueueView;

class QueueTest : public AppTest {
 protected:
  std::string TokenFor(domain::UserId user, domain::ConcertId concert, domain::QueuePlace place) {
    return tokens_.IssueQueue({user, concert, place.sequence, place.generation}, clock_.Now());
  }

  Show show_ = NewShow();
  domain::UserId alice_ = NewUser();
  QueueAccess access_{tokens_, room_, policies_, clock_};
  fakes::FakeCatalogueCache cache_;
  fakes::FakeLease lease_;
  IssueQueueToken issue_{db_, cache_, room_, tokens_, policies_, clock_};
  GetQueueStatus status_{room_, tokens_, policies_, clock_};
  LeaveQueue leave_{room_, tokens_, policies_, clock_};
};

TEST_F(QueueTest, TokenIssueReadsTheSaleWindowsFromTheCache) {
  ASSERT_TRUE(issue_.Execute({alice_, show_.concert}).ok());
  ASSERT_TRUE(cache_.GetEvents(show_.concert).has_value());
  EXPECT_EQ(CodeOf(issue_.Execute({alice_, domain::ConcertId{4242}})), ErrorCode::kConcertNotFound);
  EXPECT_FALSE(cache_.GetEvents(domain::ConcertId{4242}).has_value());

  // What the cache says wins until an operator's change invalidates it.
  auto dates = *cache_.GetEvents(show_.concert);
  cache_.PutEvents(domain::ConcertId{4242}, dates, cache_.Version());
  EXPECT_TRUE(issue_.Execute({alice_, domain::ConcertId{4242}}).ok());
  cache_.Invalidate();
  EXPECT_EQ(CodeOf(issue_.Execute({alice_, domain::ConcertId{4242}})), ErrorCode::kConcertNotFound);
}

TEST_F(QueueTest, RequireActiveMapsEveryState) {
  EXPECT_EQ(CodeOf(access_.RequireActive("garbage")), ErrorCode::kInvalidToken);
  auto place = room_.Admitted(show_.concert, alice_, clock_.Now() + 600s);
  auto token = TokenFor(alice_, show_.concert, place);

  auto who = access_.RequireActive(token);
  ASSERT_TRUE(who.ok());
  EXPECT_EQ(who->user_id, alice_);
  EXPECT_EQ(who->concert_id, show_.concert);

  room_.SetView(show_.concert, alice_, {QueueState::kWaiting, 3, std::nullopt});
  EXPECT_EQ(CodeOf(access_.RequireActive(token)), ErrorCode::kTokenNotProcessable);
  room_.SetSoldOut(show_.concert, true);
  EXPECT_EQ(CodeOf(access_.RequireActive(token)), ErrorCode::kTokenNotProcessable);

  room_.Join(show_.concert, alice_, clock_.Now(), clock_.Now(),
             domain::Policies{});  // newer generation
  auto superseded = access_.RequireActive(token);
  EXPECT_EQ(CodeOf(superseded), ErrorCode::kInvalidToken);
  EXPECT_EQ(superseded.error().message, "token superseded by a newer one");

  room_.Leave(show_.concert, alice_);
  EXPECT_EQ(CodeOf(access_.RequireActive(token)), ErrorCode::kQueueTokenNotFound);
}

TEST_F(QueueTest, RequireActiveTouchesWithCurrentPolicies) {
  domain::Policies p;
  p.active_idle_ttl_seconds = 42;
  SetPolicies(p);
  auto place = room_.Admitted(show_.concert, alice_, clock_.Now() + 600s);
  ASSERT_TRUE(access_.RequireActive(TokenFor(alice_, show_.concert, place)).ok());
  EXPECT_EQ(room_.LastTouchPolicies()->active_idle_ttl_seconds, 42);
}

TEST_F(QueueTest, StatusViewEtaUsesMeasuredRate) {
  domain::Policies p;
  domain::QueueStats stats;
  stats.admission_rate_per_second = 20;
  auto v = MakeStatusView({QueueState::kWaiting, 401, std::nullopt}, stats, p);
  EXPECT_EQ(v.state, QueueState::kWaiting);
  EXPECT_EQ(v.position, 401);
  EXPECT_EQ(v.estimated_wait_seconds, 21);  // ceil(401 / 20)
  EXPECT_EQ(v.poll_after_ms, 2100);
}

TEST_F(QueueTest, StatusViewFallsBackToConfiguredRate) {
  domain::Policies p;  // 1,400 per 10 s = 140/s
  auto v = MakeStatusView({QueueState::kWaiting, 1, std::nullopt}, {}, p);
  EXPECT_EQ(v.estimated_wait_seconds, 1);
  EXPECT_EQ(v.poll_after_ms, 1000);  // not below the 10 s admission interval, kept within 1 s
  v = MakeStatusView({QueueState::kWaiting, 140 * 1000, std::nullopt}, {}, p);
  EXPECT_EQ(v.estimated_wait_seconds, 1000);
  EXPECT_EQ(v.poll_after_ms, 30'000);  // capped
}

TEST_F(QueueTest, PollIntervalNearTheFrontFollowsFastAdmissionTicks) {
  domain::Policies p;
  p.admit_batch = 1000;
  p.admit_interval_ms = 100;  // 10,000 per second
  auto v = MakeStatusView({QueueState::kWaiting, 5, std::nullopt}, {}, p);
  EXPECT_EQ(v.estimated_wait_seconds, 1);
  EXPECT_EQ(v.poll_after_ms, 100);  // the next tick, not a second later
  v = MakeStatusView({QueueState::kWaiting, 50'000, std::nullopt}, {}, p);
  EXPECT_EQ(v.poll_after_ms, 500);  // a tenth of the 5 s wait
  p.admit_interval_ms = 40;
  EXPECT_EQ(MakeStatusView({QueueState::kWaiting, 5, std::nullopt}, {}, p).poll_after_ms, 100);
  p.admit_interval_ms = 400;
  EXPECT_EQ(MakeStatusView({QueueState::kWaiting, 5, std::nullopt}, {}, p).poll_after_ms, 400);
}

TEST_F(QueueTest, PollIntervalNeverExceedsAThirdOfTheGrace) {
  domain::Policies p;
  p.waiting_grace_seconds = 30;
  auto v = MakeStatusView({QueueState::kWaiting, 1'000'000, std::nullopt}, {}, p);
  EXPECT_EQ(v.poll_after_ms, 10'000);
}

TEST_F(QueueTest, StatusViewPausedAdmissionHasNoEta) {
  domain::Policies p;
  p.admit_batch = 0;
  auto v = MakeStatusView({QueueState::kWaiting, 5, std::nullopt}, {}, p);
  EXPECT_FALSE(v.estimated_wait_seconds.has_value());
  EXPECT_EQ(v.poll_after_ms, 30'000);
}

TEST_F(QueueTest, StatusViewActiveAndSoldOut) {
  domain::Policies p;
  p.active_idle_ttl_seconds = 9;
  const auto until = clock_.Now() + 9s;
  auto v = MakeStatusView({QueueState::kActive, 0, until}, {}, p);
  EXPECT_EQ(v.position, 0);
  EXPECT_EQ(v.estimated_wait_seconds, 0);
  EXPECT_EQ(v.active_until, until);
  EXPECT_EQ(v.poll_after_ms, 3000);
  p.active_idle_ttl_seconds = 600;
  EXPECT_EQ(MakeStatusView({QueueState::kActive, 0, until}, {}, p).poll_after_ms, 5000);
  auto sold = MakeStatusView({QueueState::kSoldOut, 7, std::nullopt}, {}, p);
  EXPECT_EQ(sold.state, QueueState::kSoldOut);
  EXPECT_EQ(sold.position, 7);
  EXPECT_EQ(sold.poll_after_ms, 30'000);
}

TEST_F(QueueTest, IssueGivesAPlaceAndAToken) {
  auto ticket = issue_.Execute({alice_, show_.concert});
  ASSERT_TRUE(ticket.ok()) << ticket.error().message;
  EXPECT_EQ(ticket->status.state, QueueState::kWaiting);
  EXPECT_EQ(ticket->status.position, 1);
  auto claims = tokens_.VerifyQueue(ticket->token, clock_.Now());
  ASSERT_TRUE(claims.has_value());
  EXPECT_EQ(claims->user_id, alice_);
  EXPECT_EQ(claims->concert_id, show_.concert);
  EXPECT_EQ(room_.LastOpensAt(), clock_.Now() - 1h);
}

TEST_F(QueueTest, ReissueKeepsThePlaceAndSupersedesTheOldToken) {
  auto first = issue_.Execute({alice_, show_.concert});
  auto second = issue_.Execute({alice_, show_.concert});
  auto c1 = tokens_.VerifyQueue(first->token, clock_.Now());
  auto c2 = tokens_.VerifyQueue(second->token, clock_.Now());
  EXPECT_EQ(c1->sequence, c2->sequence);
  EXPECT_GT(c2->generation, c1->generation);
  EXPECT_EQ(CodeOf(status_.Execute(first->token)), ErrorCode::kInvalidToken);
  EXPECT_TRUE(status_.Execute(second->token).ok());
}

TEST_F(QueueTest, IssueRules) {
  EXPECT_EQ(CodeOf(issue_.Execute({alice_, domain::ConcertId{5555}})), ErrorCode::kConcertNotFound);
  Show over = NewShow(5, domain::Money{100}, 48h, -1h);  // window ended an hour ago
  EXPECT_EQ(CodeOf(issue_.Execute({alice_, over.concert})), ErrorCode::kReservationNotOpened);
  domain::ConcertId empty;
  Seed([&](domain::Store& s) {
    empty = s.Catalogue().CreateConcert({"No dates", "Nobody", ""}, clock_.Now()).id;
  });
  EXPECT_EQ(CodeOf(issue_.Execute({alice_, empty})), ErrorCode::kReservationNotOpened);
  EXPECT_FALSE(room_.HasPlace(over.concert, alice_));
}

TEST_F(QueueTest, LineOpensWithTheEarliestDateStillOnSale) {
  Seed([&](domain::Store& s) {
    AddEvent(s, show_.concert, 1, domain::Money{1}, clock_.Now() - 5h, clock_.Now() - 2h);
    AddEvent(s, show_.concert, 1, domain::Money{1}, clock_.Now() - 3h, clock_.Now() + 2h);
  });
  ASSERT_TRUE(issue_.Execute({alice_, show_.concert}).ok());
  EXPECT_EQ(room_.LastOpensAt(), clock_.Now() - 3h);
}

TEST_F(QueueTest, PreQueueBeforeTheSaleOpens) {
  Show later = NewShow(5, domain::Money{100}, -2h, 24h);
  ASSERT_TRUE(issue_.Execute({alice_, later.concert}).ok());
  EXPECT_EQ(room_.LastOpensAt(), clock_.Now() + 2h);
}

TEST_F(QueueTest, IssueReportsEtaFromStats) {
  domain::QueueStats stats;
  stats.admission_rate_per_second = 0.5;
  room_.SetStats(show_.concert, stats);
  NewUser();
  room_.Join(show_.concert, domain::UserId{999}, clock_.Now(), clock_.Now(), domain::Policies{});
  auto ticket = issue_.Execute({alice_, show_.concert});
  EXPECT_EQ(ticket->status.position, 2);
  EXPECT_EQ(ticket->status.estimated_wait_seconds, 4);
}

TEST_F(QueueTest, StatusRules) {
  EXPECT_EQ(CodeOf(status_.Execute("queue:1:2")), ErrorCode::kInvalidToken);
  auto ticket = issue_.Execute({alice_, show_.concert});
  auto s = status_.Execute(ticket->token);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->state, QueueState::kWaiting);
  room_.SetView(show_.concert, alice_, {QueueState::kActive, 0, clock_.Now() + 600s});
  s = status_.Execute(ticket->token);
  EXPECT_EQ(s->state, QueueState::kActive);
  EXPECT_EQ(s->active_until, clock_.Now() + 600s);
  room_.Leave(show_.concert, alice_);
  EXPECT_EQ(CodeOf(status_.Execute(ticket->token)), ErrorCode::kQueueTokenNotFound);
}

TEST_F(QueueTest, LeaveGivesUpThePlace) {
  auto ticket = issue_.Execute({alice_, show_.concert});
  EXPECT_TRUE(leave_.Execute(ticket->token).ok());
  EXPECT_FALSE(room_.HasPlace(show_.concert, alice_));
  EXPECT_EQ(CodeOf(leave_.Execute(ticket->token)), ErrorCode::kQueueTokenNotFound);
  EXPECT_EQ(CodeOf(leave_.Execute("nonsense")), ErrorCode::kInvalidToken);
}

TEST_F(QueueTest, StaleTokenCannotEvictItsOwner) {
  auto old_ticket = issue_.Execute({alice_, show_.concert});
  ASSERT_TRUE(issue_.Execute({alice_, show_.concert}).ok());
  EXPECT_EQ(CodeOf(leave_.Execute(old_ticket->token)), ErrorCode::kInvalidToken);
  EXPECT_TRUE(room_.HasPlace(show_.concert, alice_));
}

TEST_F(QueueTest, QueueStatsForKnownConcertsOnly) {
  GetQueueStats stats(db_, room_, clock_);
  room_.SetStats(show_.concert, {7, 3, 10, 1.5});
  auto s = stats.Execute(show_.concert);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->waiting, 7);
  EXPECT_EQ(s->active, 3);
  EXPECT_EQ(CodeOf(stats.Execute(domain::ConcertId{8888})), ErrorCode::kConcertNotFound);
}

TEST_F(QueueTest, AdmissionTicksOncePerIntervalPerConcert) {
  RunAdmission admission(db_, room_, policies_, lease_, "instance-a", clock_);
  room_.Join(show_.concert, alice_, clock_.Now(), clock_.Now(), domain::Policies{});
  room_.SetAdmitResult({5, 0, 0});
  EXPECT_EQ(admission.Execute(), 5);
  EXPECT_EQ(admission.Execute(), 0);  // same instant: not due
  clock_.Advance(9999ms);
  EXPECT_EQ(admission.Execute(), 0);
  clock_.Advance(1ms);
  EXPECT_EQ(admission.Execute(), 5);
  EXPECT_EQ(room_.Admits().size(), 2u);
  EXPECT_EQ(room_.SoldOutFlag(show_.concert), false);

  Show second = NewShow();
  room_.Join(second.concert, alice_, clock_.Now(), clock_.Now(), domain::Policies{});
  EXPECT_EQ(admission.Execute(), 5);  // only the new concert is due
  EXPECT_EQ(room_.Admits().back().concert, second.concert);
}

TEST_F(QueueTest, OnlyTheInstanceHoldingAConcertsLeaseAdmitsIt) {
  RunAdmission a(db_, room_, policies_, lease_, "instance-a", clock_);
  RunAdmission b(db_, room_, policies_, lease_, "instance-b", clock_);
  room_.Join(show_.concert, alice_, clock_.Now(), clock_.Now(), domain::Policies{});
  room_.SetAdmitResult({5, 0, 0});
  EXPECT_EQ(a.Execute(), 5);
  EXPECT_EQ(b.Execute(), 0) << "a holds the lease";
  clock_.Advance(10s);
  EXPECT_EQ(b.Execute(), 0);
  EXPECT_EQ(a.Execute(), 5);
  lease_.GiveTo("admission:c" + std::to_string(show_.concert.value), "instance-b");
  clock_.Advance(10s);
  EXPECT_EQ(a.Execute(), 0);
  EXPECT_EQ(b.Execute(), 5);
  EXPECT_EQ(room_.Admits().size(), 3u);
}

// The room refuses a tick whose token is older than the newest it has seen (a ticker that lost
// its lease while paused); that only works if RunAdmission hands it the lease's token.
TEST_F(QueueTest, AdmissionPassesTheLeasesFencingToken) {
  RunAdmission a(db_, room_, policies_, lease_, "instance-a", clock_);
  RunAdmission b(db_, room_, policies_, lease_, "instance-b", clock_);
  room_.Join(show_.concert, alice_, clock_.Now(), clock_.Now(), domain::Policies{});
  a.Execute();
  ASSERT_EQ(room_.Admits().size(), 1u);
  const std::int64_t first = room_.Admits().back().fencing_token;
  EXPECT_GT(first, 0);
  clock_.Advance(10s);
  a.Execute();
  EXPECT_EQ(room_.Admits().back().fencing_token, first) << "a renewal keeps the token";
  lease_.GiveTo("admission:c" + std::to_string(show_.concert.value), "instance-b");
  clock_.Advance(10s);
  b.Execute();
  ASSERT_EQ(room_.Admits().size(), 3u);
  EXPECT_GT(room_.Admits().back().fencing_token, first);
}

TEST_F(QueueTest, AdmissionFlagsSoldOutConcerts) {
  Show tiny = NewShow(1);
  RunAdmission admission(db_, room_, policies_, lease_, "instance-a", clock_);
  room_.Join(tiny.concert, alice_, clock_.Now(), clock_.Now(), domain::Policies{});
  Seed([&](domain::Store& s) {
    s.Seats().Hold(tiny.event, {tiny.seats[0]}, domain::HoldId{1}, clock_.Now() + 60s,
                   clock_.Now());
    s.Seats().Confirm(domain::HoldId{1}, clock_.Now());
  });
  admission.Execute();
  EXPECT_EQ(room_.SoldOutFlag(tiny.concert), true);
}

TEST_F(QueueTest, AdmissionUsesCurrentPolicies) {
  domain::PolicyPatch patch;
  patch.admit_interval_ms = 100;
  patch.admit_batch = 3;
  ASSERT_TRUE(policies_.Update(patch).ok());
  RunAdmission admission(db_, room_, policies_, lease_, "instance-a", clock_);
  room_.Join(show_.concert, alice_, clock_.Now(), clock_.Now(), domain::Policies{});
  admission.Execute();
  clock_.Advance(100ms);
  admission.Execute();
  ASSERT_EQ(room_.Admits().size(), 2u);
  EXPECT_EQ(room_.Admits()[0].policies.admit_batch, 3);
}

// The non-blocking forms, over a room that holds each call until the test ends it.
class AsyncQueueTest : public QueueTest {
 protected:
  AsyncQueueTest() { room_.SetAsync(true); }

  // Policies cached for a second, as in a server (the fixture's refresh 0 never counts as fresh).
  PolicyService cached_policies_{db_, clock_, 1s};
  IssueQueueToken async_issue_{db_, cache_, room_, tokens_, cached_policies_, clock_};
  GetQueueStatus async_status_{room_, tokens_, cached_policies_, clock_};
};

// What a completion received; `calls` counts the calls, which must be one.
template <class T>
struct Received {
  int calls = 0;
  std::exception_ptr error;
  std::optional<domain::Result<T>> result;
  domain::Completion<domain::Result<T>> Done() {
    return [this](std::exception_ptr e, domain::Result<T> r) {
      ++calls;
      error = e;
      result.emplace(std::move(r));
    };
  }
};

TEST_F(AsyncQueueTest, IssueDeclinesUntilTheDatesAndPoliciesAreInMemory) {
  Received<QueueTicket> got;
  // Nothing cached: a database read is due, so nothing starts.
  EXPECT_FALSE(async_issue_.TryExecuteAsync({alice_, show_.concert}, got.Done()));
  ASSERT_TRUE(cached_policies_.Current() == domain::Policies{});
  EXPECT_FALSE(async_issue_.TryExecuteAsync({alice_, show_.concert}, got.Done()));
  EXPECT_EQ(room_.Held(), 0u);
  // The blocking form fills the cache; the next one goes without blocking.
  room_.SetAsync(false);
  ASSERT_TRUE(async_issue_.Execute({alice_, show_.concert}).ok());
  room_.SetAsync(true);
  EXPECT_TRUE(async_issue_.TryExecuteAsync({alice_, show_.concert}, got.Done()));
  EXPECT_EQ(got.calls, 0);  // answered when the room answers, not before
  EXPECT_EQ(room_.Held(), 1u);
  room_.CompleteHeld();
  ASSERT_EQ(got.calls, 1);
  ASSERT_FALSE(got.error);
  ASSERT_TRUE(got.result->ok());
  const auto claims = tokens_.VerifyQueue((*got.result)->token, clock_.Now());
  ASSERT_TRUE(claims.has_value());
  EXPECT_EQ(claims->user_id, alice_);
  EXPECT_EQ(claims->generation, 1);  // the second join of alice: a re-issue
  EXPECT_EQ((*got.result)->status.state, QueueState::kWaiting);
  EXPECT_EQ(room_.LastOpensAt(), clock_.Now() - 1h);

  // Policies due for a refresh need the database again.
  clock_.Advance(1s);
  EXPECT_FALSE(async_issue_.TryExecuteAsync({alice_, show_.concert}, got.Done()));
  EXPECT_EQ(room_.Held(), 0u);
}

TEST_F(AsyncQueueTest, RequireActiveAnswersWhenTheRoomDoesAndDeclinesOtherwise) {
  QueueAccess async_access{tokens_, room_, cached_policies_, clock_};
  auto place = room_.Admitted(show_.concert, alice_, clock_.Now() + 600s);
  const auto token = TokenFor(alice_, show_.concert, place);
  Received<ActiveUser> got;
  EXPECT_FALSE(async_access.RequireActiveAsync(token, got.Done())) << "no policies in memory";
  ASSERT_TRUE(cached_policies_.Current() == domain::Policies{});

  ASSERT_TRUE(async_access.RequireActiveAsync(token, got.Done()));
  EXPECT_EQ(got.calls, 0);  // answered when the room answers, not before
  room_.CompleteHeld();
  ASSERT_EQ(got.calls, 1);
  ASSERT_TRUE(got.result->ok());
  EXPECT_EQ((*got.result)->user_id, alice_);

  room_.SetView(show_.concert, alice_, {QueueState::kWaiting, 3, std::nullopt});
  Received<ActiveUser> waiting;
  ASSERT_TRUE(async_access.RequireActiveAsync(token, waiting.Done()));
  room_.CompleteHeld();
  EXPECT_EQ(CodeOf(*waiting.result), ErrorCode::kTokenNotProcessable);

  Received<ActiveUser> forged;  // refused before the room is asked
  ASSERT_TRUE(async_access.RequireActiveAsync("garbage", forged.Done()));
  EXPECT_EQ(forged.calls, 1);
  EXPECT_EQ(CodeOf(*forged.result), ErrorCode::kInvalidToken);
  EXPECT_EQ(room_.Held(), 0u);

  Received<ActiveUser> failed;
  ASSERT_TRUE(async_access.RequireActiveAsync(token, failed.Done()));
  room_.FailHeld(std::make_exception_ptr(domain::UnavailableError("redis: down")));
  EXPECT_TRUE(failed.error);

  room_.SetAsync(false);  // a room that would block: nothing starts
  Received<ActiveUser> blocked;
  EXPECT_FALSE(async_access.RequireActiveAsync(token, blocked.Done()));
  EXPECT_EQ(blocked.calls, 0);
}

TEST_F(AsyncQueueTest, IssueDeclinesWhenTheRoomWouldBlock) {
  room_.SetAsync(false);
  ASSERT_TRUE(async_issue_.Execute({alice_, show_.concert}).ok());
  Received<QueueTicket> got;
  EXPECT_FALSE(async_issue_.TryExecuteAsync({alice_, show_.concert}, got.Done()));
  EXPECT_EQ(got.calls, 0);
}

TEST_F(AsyncQueueTest, IssuePassesOnTheRoomsFailureAndRulesAnswerAtOnce) {
  room_.SetAsync(false);
  ASSERT_TRUE(async_issue_.Execute({alice_, show_.concert}).ok());
  room_.SetAsync(true);
  Received<QueueTicket> failed;
  ASSERT_TRUE(async_issue_.TryExecuteAsync({alice_, show_.concert}, failed.Done()));
  room_.FailHeld(std::make_exception_ptr(domain::UnavailableError("redis down")));
  ASSERT_EQ(failed.calls, 1);
  EXPECT_TRUE(failed.error);
  EXPECT_THROW(std::rethrow_exception(failed.error), domain::UnavailableError);

  // A concert whose sale has ended, its dates cached: answered in place, the room untouched.
  Show over = NewShow(5, domain::Money{100}, 48h, -1h);
  room_.SetAsync(false);
  ASSERT_EQ(CodeOf(async_issue_.Execute({alice_, over.concert})), ErrorCode::kReservationNotOpened);
  room_.SetAsync(true);
  Received<QueueTicket> closed;
  ASSERT_TRUE(async_issue_.TryExecuteAsync({alice_, over.concert}, closed.Done()));
  ASSERT_EQ(closed.calls, 1);
  EXPECT_EQ(CodeOf(*closed.result), ErrorCode::kReservationNotOpened);
  EXPECT_EQ(room_.Held(), 0u);
}

TEST_F(AsyncQueueTest, StatusAnswersAsTheBlockingFormDoes) {
  room_.SetAsync(false);
  auto first = async_issue_.Execute({alice_, show_.concert});
  auto second = async_issue_.Execute({alice_, show_.concert});
  room_.SetAsync(true);
  const auto check = [&](const std::string& token) {
    Received<QueueStatusView> got;
    EXPECT_TRUE(async_status_.TryExecuteAsync(token, got.Done()));
    room_.CompleteHeld();
    EXPECT_EQ(got.calls, 1);
    return got;
  };
  auto waiting = check(second->token);
  ASSERT_TRUE(waiting.result->ok());
  EXPECT_EQ((*waiting.result)->state, QueueState::kWaiting);
  EXPECT_EQ(CodeOf(*check(first->token).result), ErrorCode::kInvalidToken);  // superseded
  room_.SetView(show_.concert, alice_, {QueueState::kActive, 0, clock_.Now() + 600s});
  auto active = check(second->token);
  EXPECT_EQ((*active.result)->state, QueueState::kActive);
  EXPECT_EQ((*active.result)->active_until, clock_.Now() + 600s);
  room_.Leave(show_.concert, alice_);
  EXPECT_EQ(CodeOf(*check(second->token).result), ErrorCode::kQueueTokenNotFound);

  // A forged token is refused in place, without the room.
  Received<QueueStatusView> forged;
  EXPECT_TRUE(async_status_.TryExecuteAsync("queue:1:2", forged.Done()));
  EXPECT_EQ(forged.calls, 1);
  EXPECT_EQ(CodeOf(*forged.result), ErrorCode::kInvalidToken);
  EXPECT_EQ(room_.Held(), 0u);

  // The room's failure is passed on; policies due for a refresh decline.
  Received<QueueStatusView> failed;
  ASSERT_TRUE(async_status_.TryExecuteAsync(second->token, failed.Done()));
  room_.FailHeld(std::make_exception_ptr(domain::UnavailableError("redis down")));
  EXPECT_EQ(failed.calls, 1);
  EXPECT_TRUE(failed.error);
  clock_.Advance(1s);
  Received<QueueStatusView> due;
  EXPECT_FALSE(async_status_.TryExecuteAsync(second->token, due.Done()));
  EXPECT_EQ(due.calls, 0);
}

}  // namespace
}  // namespace boxoffice::application
