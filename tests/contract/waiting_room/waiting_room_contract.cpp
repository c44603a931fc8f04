#include "waiting_room_contract.hpp"

#include <gmock/gmock.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <numeric>
#include <random>
#include <set>
#include <thread>
#include <vector>

namespace boxoffice::contract {
namespace {

using namespace std::chrono_literals;
using domain::ConcertId;
using domain::QueuePlace;
using domain::QueueState;
using domain::UserId;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

constexpr ConcertId kConcert{1};

domain::Policies MakePolicies(int admit_batch, int max_active) {
  domain::Policies p;
  p.admit_batch = admit_batch;
  p.max_active = max_active;
  p.active_idle_ttl_seconds = 600;
  p.waiting_grace_seconds = 120;
  return p;
}

const domain::Policies kNoAdmission = MakePolicies(0, 5000);

std::vector<QueuePlace> JoinUsers(domain::WaitingRoom& room, std::int64_t first, std::int64_t count,
                                  domain::Instant now, domain::Instant opens_at) {
  std::vector<QueuePlace> places;
  for (std::int64_t u = first; u < first + count; ++u) {
    places.push_back(room.Join(kConcert, UserId{u}, now, opens_at, kNoAdmission));
  }
  return places;
}

domain::QueueView TouchPlace(domain::WaitingRoom& room, const QueuePlace& place,
                             domain::Instant now, const domain::Policies& policies = kNoAdmission) {
  return room.Touch(place.concert_id, place.user_id, place.generation, now, policies);
}

// Two instances overlapping around a lease hand-over: the new holder (token 6) has admitted,
// then the old one (token 5), paused past its lease, runs its tick. It must change nothing:
// no admission and no eviction.
TEST_P(WaitingRoomContract, AStaleFencingTokenAdmitsAndEvictsNobody) {
  const auto policies = MakePolicies(1, 100);
  auto places = JoinUsers(room(), 1, 4, T0(), T0());
  ASSERT_EQ(room().Admit(kConcert, policies, T0() + 1s, 6).admitted, 1);
  const auto stale = room().Admit(kConcert, policies, T0() + 2s, 5);
  EXPECT_EQ(stale.admitted, 0);
  // Waiting users silent past the grace period are left for the current holder to evict.
  const auto stale_late = room().Admit(kConcert, policies, T0() + 200s, 5);
  EXPECT_EQ(stale_late.admitted + stale_late.evicted_waiting + stale_late.evicted_active, 0);
  EXPECT_EQ(room().Stats(kConcert, T0() + 2s).active, 1);
  EXPECT_EQ(TouchPlace(room(), places[1], T0() + 3s).state, QueueState::kWaiting);
  // The holder's own token, renewed, and a newer holder's still admit.
  EXPECT_EQ(room().Admit(kConcert, policies, T0() + 4s, 6).admitted, 1);
  EXPECT_EQ(room().Admit(kConcert, policies, T0() + 5s, 7).admitted, 1);
  EXPECT_EQ(room().Admit(kConcert, policies, T0() + 6s, 6).admitted, 0);
}

TEST_P(WaitingRoomContract, FencingIsPerConcert) {
  const auto policies = MakePolicies(1, 100);
  room().Join(kConcert, UserId{1}, T0(), T0(), policies);
  room().Join(ConcertId{2}, UserId{1}, T0(), T0(), policies);
  ASSERT_EQ(room().Admit(kConcert, policies, T0() + 1s, 9).admitted, 1);
  EXPECT_EQ(room().Admit(ConcertId{2}, policies, T0() + 1s, 3).admitted, 1);
}

TEST_P(WaitingRoomContract, KeepsStrictArrivalOrderOverAThousandJoins) {
  std::vector<QueuePlace> places;
  for (std::int64_t u = 1; u <= 1000; ++u) {
    places.push_back(room().Join(kConcert, UserId{u}, T0() + u * 1ms, T0(), kNoAdmission));
  }
  for (std::size_t i = 0; i < places.size(); ++i) {
    auto view = TouchPlace(room(), places[i], T0() + 2s);
    ASSERT_EQ(view.state, QueueState::kWaiting) << "user " << i + 1;
    ASSERT_EQ(view.position, static_cast<std::int64_t>(i) + 1);
    if (i > 0) {
      ASSERT_GT(places[i].sequence, places[i - 1].sequence);
    }
  }

  auto result = room().Admit(kConcert, MakePolicies(10, 5000), T0() + 3s, kFencingToken);
  EXPECT_EQ(result.admitted, 10);
  for (std::size_t i = 0; i < 10; ++i) {
    EXPECT_EQ(TouchPlace(room(), places[i], T0() + 4s).state, QueueState::kActive);
  }
  EXPECT_EQ(TouchPlace(room(), places[10], T0() + 4s).position, 1);
}

TEST_P(WaitingRoomContract, UnknownPlaceReadsExpired) {
  EXPECT_EQ(room().Touch(kConcert, UserId{7}, 1, T0(), kNoAdmission).state, QueueState::kExpired);
  room().Join(kConcert, UserId{1}, T0(), T0(), kNoAdmission);
  EXPECT_EQ(room().Touch(kConcert, UserId{7}, 1, T0(), kNoAdmission).state, QueueState::kExpired);
}

TEST_P(WaitingRoomContract, RejoinKeepsThePlaceAndSupersedesTheOldToken) {
  auto places = JoinUsers(room(), 1, 3, T0(), T0());
  auto again = room().Join(kConcert, UserId{2}, T0() + 1s, T0(), kNoAdmission);

  EXPECT_EQ(again.sequence, places[1].sequence);
  EXPECT_GT(again.generation, places[1].generation);
  EXPECT_EQ(TouchPlace(room(), places[1], T0() + 2s).state, QueueState::kSuperseded);
  auto view = TouchPlace(room(), again, T0() + 2s);
  EXPECT_EQ(view.state, QueueState::kWaiting);
  EXPECT_EQ(view.position, 2);
  EXPECT_EQ(TouchPlace(room(), places[2], T0() + 2s).position, 3);
}

TEST_P(WaitingRoomContract, RejoinWhileAdmittedStaysAdmitted) {
  auto places = JoinUsers(room(), 1, 3, T0(), T0());
  ASSERT_EQ(room().Admit(kConcert, MakePolicies(1, 10), T0(), kFencingToken).admitted, 1);

  auto again = room().Join(kConcert, UserId{1}, T0() + 1s, T0(), kNoAdmission);
  EXPECT_EQ(again.sequence, places[0].sequence);
  EXPECT_EQ(TouchPlace(room(), places[0], T0() + 2s).state, QueueState::kSuperseded);
  EXPECT_EQ(TouchPlace(room(), again, T0() + 2s).state, QueueState::kActive);
  auto stats = room().Stats(kConcert, T0() + 2s);
  EXPECT_EQ(stats.active, 1);
  EXPECT_EQ(stats.waiting, 2);
}

TEST_P(WaitingRoomContract, PositionsShiftWhenSomeoneAheadLeaves) {
  auto places = JoinUsers(room(), 1, 5, T0(), T0());
  room().Leave(kConcert, UserId{2});
  room().Leave(kConcert, UserId{2});  // idempotent

  EXPECT_EQ(TouchPlace(room(), places[1], T0() + 1s).state, QueueState::kExpired);
  EXPECT_EQ(TouchPlace(room(), places[0], T0() + 1s).position, 1);
  EXPECT_EQ(TouchPlace(room(), places[2], T0() + 1s).position, 2);
  EXPECT_EQ(TouchPlace(room(), places[4], T0() + 1s).position, 4);
  EXPECT_EQ(room().Stats(kConcert, T0() + 1s).waiting, 4);
}

TEST_P(WaitingRoomContract, LeavingWhileAdmittedFreesTheSlot) {
  auto places = JoinUsers(room(), 1, 3, T0(), T0());
  auto policies = MakePolicies(5, 1);
  ASSERT_EQ(room().Admit(kConcert, policies, T0(), kFencingToken).admitted, 1);
  ASSERT_EQ(room().Admit(kConcert, policies, T0() + 1s, kFencingToken).admitted, 0);

  room().Leave(kConcert, UserId{1});
  EXPECT_EQ(room().Admit(kConcert, policies, T0() + 2s, kFencingToken).admitted, 1);
  EXPECT_EQ(TouchPlace(room(), places[1], T0() + 3s).state, QueueState::kActive);
  EXPECT_EQ(TouchPlace(room(), places[2], T0() + 3s).position, 1);
}

// A payment frees the place it was paid from (its generation); the event may come twice, and
// the user may have joined again in between: the newer place stays.
TEST_P(WaitingRoomContract, LeavingAPlaceLeavesOnlyThatPlace) {
  auto places = JoinUsers(room(), 1, 3, T0(), T0());
  auto policies = MakePolicies(5, 1);
  ASSERT_EQ(room().Admit(kConcert, policies, T0(), kFencingToken).admitted, 1);

  room().LeavePlace(kConcert, UserId{1}, places[0].generation + 1);  // not its place
  EXPECT_EQ(TouchPlace(room(), places[0], T0() + 1s).state, QueueState::kActive);
  room().LeavePlace(kConcert, UserId{1}, places[0].generation);
  EXPECT_EQ(TouchPlace(room(), places[0], T0() + 1s).state, QueueState::kExpired);
  EXPECT_EQ(room().Admit(kConcert, policies, T0() + 2s, kFencingToken).admitted, 1)
      << "the slot is free";

  // Joined again, then the same event once more: the new place is kept.
  auto rejoined = room().Join(kConcert, UserId{1}, T0() + 3s, T0(), kNoAdmission);
  ASSERT_GT(rejoined.generation, places[0].generation);
  room().LeavePlace(kConcert, UserId{1}, places[0].generation);
  EXPECT_EQ(TouchPlace(room(), rejoined, T0() + 4s).state, QueueState::kWaiting);
  EXPECT_EQ(room().Stats(kConcert, T0() + 4s).waiting, 2);
}

TEST_P(WaitingRoomContract, AdmitsInBatchesUpToMaxActive) {
  auto places = JoinUsers(room(), 1, 10, T0(), T0());
  auto policies = MakePolicies(3, 5);

  EXPECT_EQ(room().Admit(kConcert, policies, T0() + 1s, kFencingToken).admitted, 3);
  EXPECT_EQ(room().Admit(kConcert, policies, T0() + 2s, kFencingToken).admitted, 2);
  EXPECT_EQ(room().Admit(kConcert, policies, T0() + 3s, kFencingToken).admitted, 0);

  for (std::size_t i = 0; i < 5; ++i) {
    auto view = TouchPlace(room(), places[i], T0() + 4s, policies);
    EXPECT_EQ(view.state, QueueState::kActive);
    EXPECT_EQ(view.position, 0);
    EXPECT_EQ(view.active_until, T0() + 4s + 600s);
  }
  EXPECT_EQ(TouchPlace(room(), places[5], T0() + 4s).position, 1);
  EXPECT_EQ(TouchPlace(room(), places[9], T0() + 4s).position, 5);
  auto stats = room().Stats(kConcert, T0() + 4s);
  EXPECT_EQ(stats.active, 5);
  EXPECT_EQ(stats.waiting, 5);
  EXPECT_EQ(stats.admitted_total, 5);
}

TEST_P(WaitingRoomContract, AdmittedUsersGetTheIdleDeadline) {
  auto places = JoinUsers(room(), 1, 1, T0(), T0());
  auto policies = MakePolicies(1, 10);
  policies.active_idle_ttl_seconds = 60;
  room().Admit(kConcert, policies, T0() + 5s, kFencingToken);
  auto view = TouchPlace(room(), places[0], T0() + 5s, policies);
  EXPECT_EQ(view.active_until, T0() + 65s);
}

TEST_P(WaitingRoomContract, ZeroBatchPausesAdmission) {
  auto places = JoinUsers(room(), 1, 3, T0(), T0());
  EXPECT_EQ(room().Admit(kConcert, kNoAdmission, T0() + 1s, kFencingToken).admitted, 0);
  EXPECT_EQ(TouchPlace(room(), places[0], T0() + 2s).position, 1);
  EXPECT_EQ(room().Stats(kConcert, T0() + 2s).active, 0);
}

TEST_P(WaitingRoomContract, IdleAdmittedUsersAreEvictedAndFreeTheirSlots) {
  auto places = JoinUsers(room(), 1, 4, T0(), T0());
  auto policies = MakePolicies(10, 2);
  policies.active_idle_ttl_seconds = 60;
  ASSERT_EQ(room().Admit(kConcert, policies, T0(), kFencingToken).admitted, 2);

  // User 1 shows signs of life, user 2 does not.
  EXPECT_EQ(TouchPlace(room(), places[0], T0() + 30s, policies).state, QueueState::kActive);
  auto result = room().Admit(kConcert, policies, T0() + 61s, kFencingToken);
  EXPECT_EQ(result.evicted_active, 1);
  EXPECT_EQ(result.admitted, 1);

  EXPECT_EQ(TouchPlace(room(), places[1], T0() + 62s, policies).state, QueueState::kExpired);
  EXPECT_EQ(TouchPlace(room(), places[0], T0() + 62s, policies).state, QueueState::kActive);
  EXPECT_EQ(TouchPlace(room(), places[2], T0() + 62s, policies).state, QueueState::kActive);
  EXPECT_EQ(TouchPlace(room(), places[3], T0() + 62s, policies).position, 1);
}

TEST_P(WaitingRoomContract, IdleAdmittedUserReadsExpiredBeforeAnyAdmit) {
  auto places = JoinUsers(room(), 1, 1, T0(), T0());
  auto policies = MakePolicies(1, 10);
  policies.active_idle_ttl_seconds = 60;
  room().Admit(kConcert, policies, T0(), kFencingToken);

  EXPECT_EQ(TouchPlace(room(), places[0], T0() + 59s, policies).state, QueueState::kActive);
  EXPECT_EQ(TouchPlace(room(), places[0], T0() + 120s, policies).state, QueueState::kExpired);

  auto again = room().Join(kConcert, UserId{1}, T0() + 121s, T0(), kNoAdmission);
  EXPECT_GT(again.generation, places[0].generation);
  EXPECT_GT(again.sequence, places[0].sequence);
  EXPECT_EQ(TouchPlace(room(), again, T0() + 122s, policies).state, QueueState::kWaiting);
}

TEST_P(WaitingRoomContract, SilentWaitingUsersLoseTheirPlace) {
  auto places = JoinUsers(room(), 1, 3, T0(), T0());
  EXPECT_EQ(TouchPlace(room(), places[1], T0() + 100s).position, 2);

  auto result = room().Admit(kConcert, kNoAdmission, T0() + 121s, kFencingToken);
  EXPECT_EQ(result.evicted_waiting, 2);
  EXPECT_EQ(TouchPlace(room(), places[1], T0() + 121s).position, 1);
  EXPECT_EQ(TouchPlace(room(), places[0], T0() + 121s).state, QueueState::kExpired);

  // Coming back after eviction means a new place at the back; the old token stays dead.
  auto again = room().Join(kConcert, UserId{1}, T0() + 122s, T0(), kNoAdmission);
  EXPECT_GT(again.sequence, places[1].sequence);
  EXPECT_GT(again.generation, places[0].generation);
  auto old_view = TouchPlace(room(), places[0], T0() + 123s);
  EXPECT_TRUE(old_view.state == QueueState::kExpired || old_view.state == QueueState::kSuperseded);
  EXPECT_EQ(TouchPlace(room(), again, T0() + 123s).position, 2);
}

TEST_P(WaitingRoomContract, SilentWaitingUserReadsExpiredBeforeAnyAdmit) {
  auto places = JoinUsers(room(), 1, 2, T0(), T0());
  EXPECT_EQ(TouchPlace(room(), places[0], T0() + 119s).state, QueueState::kWaiting);
  EXPECT_EQ(TouchPlace(room(), places[1], T0() + 121s).state, QueueState::kExpired);
  // Each touch renewed user 1's grace period.
  EXPECT_EQ(TouchPlace(room(), places[0], T0() + 230s).state, QueueState::kWaiting);
}

TEST_P(WaitingRoomContract, JoinReportsTheViewATouchWouldGive) {
  const auto opens_at = T0() + 1min;
  auto early = room().Join(kConcert, UserId{1}, T0(), opens_at, kNoAdmission);
  EXPECT_EQ(early.view.state, QueueState::kWaiting);
  EXPECT_EQ(early.view.position, 1);
  auto first = room().Join(kConcert, UserId{2}, opens_at, opens_at, kNoAdmission);
  auto second = room().Join(kConcert, UserId{3}, opens_at + 1s, opens_at, kNoAdmission);
  EXPECT_EQ(first.view.position, 2);
  EXPECT_EQ(second.view.position, 3);
  auto again = room().Join(kConcert, UserId{2}, opens_at + 2s, opens_at, kNoAdmission);
  EXPECT_EQ(again.view.state, QueueState::kWaiting);
  EXPECT_EQ(again.view.position, 2) << "re-issue keeps the place";
  EXPECT_EQ(TouchPlace(room(), again, opens_at + 2s).position, again.view.position);

  auto policies = MakePolicies(1, 10);
  room().Admit(kConcert, policies, opens_at + 3s, kFencingToken);
  auto admitted = room().Join(kConcert, UserId{1}, opens_at + 4s, opens_at, policies);
  EXPECT_EQ(admitted.view.state, QueueState::kActive);
  EXPECT_EQ(admitted.view.position, 0);
  ASSERT_TRUE(admitted.view.active_until.has_value());
  EXPECT_GT(*admitted.view.active_until, opens_at + 4s);
}

// What a token issue and a status poll answer in one call: the place (view) and the counts as
// Stats reads them right after, the caller included.
TEST_P(WaitingRoomContract, JoinAndTouchWithStatsReportTheCountsAfterTheCall) {
  const auto opens_at = T0();
  JoinUsers(room(), 1, 3, T0(), opens_at);
  auto policies = MakePolicies(2, 10);
  room().Admit(kConcert, policies, T0() + 1s, kFencingToken);
  room().Admit(kConcert, MakePolicies(1, 10), T0() + 3s, kFencingToken);

  const auto joined = room().JoinWithStats(kConcert, UserId{4}, T0() + 4s, opens_at, policies);
  EXPECT_EQ(joined.place.view.state, QueueState::kWaiting);
  EXPECT_EQ(joined.place.view.position, 1);
  EXPECT_EQ(joined.stats.waiting, 1);
  EXPECT_EQ(joined.stats.active, 3);
  EXPECT_EQ(joined.stats.admitted_total, 3);
  const auto stats = room().Stats(kConcert, T0() + 4s);
  EXPECT_EQ(joined.stats.admission_rate_per_second, stats.admission_rate_per_second);
  EXPECT_GT(stats.admission_rate_per_second, 0.0);

  const auto touched =
      room().TouchWithStats(kConcert, UserId{4}, joined.place.generation, T0() + 5s, policies);
  EXPECT_EQ(touched.view.state, QueueState::kWaiting);
  EXPECT_EQ(touched.view.position, 1);
  EXPECT_EQ(touched.stats.waiting, 1);
  EXPECT_EQ(touched.stats.active, 3);
  const auto stale =
      room().TouchWithStats(kConcert, UserId{4}, joined.place.generation - 1, T0() + 5s, policies);
  EXPECT_EQ(stale.view.state, QueueState::kSuperseded);
  EXPECT_EQ(stale.stats.waiting, 1);
}

TEST_P(WaitingRoomContract, SilentWaitingUserWhoJoinsAgainGoesToTheBack) {
  auto places = JoinUsers(room(), 1, 2, T0(), T0());
  TouchPlace(room(), places[1], T0() + 100s);
  // User 1 went quiet past the grace period; no Admit has run to evict them.
  auto again = room().Join(kConcert, UserId{1}, T0() + 121s, T0(), kNoAdmission);
  EXPECT_GT(again.sequence, places[1].sequence);
  EXPECT_EQ(TouchPlace(room(), again, T0() + 122s).position, 2);
  EXPECT_EQ(TouchPlace(room(), places[1], T0() + 122s).position, 1);
}

TEST_P(WaitingRoomContract, PreQueueIsShuffledAheadOfLaterArrivals) {
  constexpr std::int64_t kEarly = 200;
  const auto opens_at = T0() + 1min;
  auto early = JoinUsers(room(), 1, kEarly, T0(), opens_at);
  EXPECT_EQ(TouchPlace(room(), early[0], T0() + 30s).position, kEarly);
  EXPECT_EQ(room().Stats(kConcert, T0() + 30s).waiting, kEarly);

  auto late = room().Join(kConcert, UserId{1000}, opens_at + 1s, opens_at, kNoAdmission);

  std::vector<std::int64_t> positions;
  for (const auto& place : early) {
    auto view = TouchPlace(room(), place, opens_at + 2s);
    ASSERT_EQ(view.state, QueueState::kWaiting);
    positions.push_back(view.position);
  }
  std::vector<std::int64_t> identity(kEarly);
  std::iota(identity.begin(), identity.end(), 1);
  EXPECT_NE(positions, identity) << "pre-queue kept arrival order";
  std::sort(positions.begin(), positions.end());
  EXPECT_EQ(positions, identity);
  EXPECT_EQ(TouchPlace(room(), late, opens_at + 2s).position, kEarly + 1);
}

TEST_P(WaitingRoomContract, AdmitFlushesThePreQueueAtOpening) {
  const auto opens_at = T0() + 1min;
  auto early = JoinUsers(room(), 1, 5, T0(), opens_at);
  room().Leave(kConcert, UserId{3});
  EXPECT_EQ(TouchPlace(room(), early[0], T0() + 1s).position, 4);

  auto policies = MakePolicies(10, 100);
  EXPECT_EQ(room().Admit(kConcert, policies, T0() + 30s, kFencingToken).admitted, 0);
  EXPECT_EQ(room().Admit(kConcert, kNoAdmission, opens_at, kFencingToken).admitted, 0);
  auto late = room().Join(kConcert, UserId{100}, opens_at + 1s, opens_at, kNoAdmission);
  EXPECT_EQ(room().Admit(kConcert, MakePolicies(4, 100), opens_at + 2s, kFencingToken).admitted, 4);

  for (std::size_t i : {0, 1, 3, 4}) {
    EXPECT_EQ(TouchPlace(room(), early[i], opens_at + 3s).state, QueueState::kActive);
  }
  EXPECT_EQ(TouchPlace(room(), early[2], opens_at + 3s).state, QueueState::kExpired);
  EXPECT_EQ(TouchPlace(room(), late, opens_at + 3s).position, 1);
}

TEST_P(WaitingRoomContract, SoldOutTellsWaitingUsersButNotAdmittedOnes) {
  auto places = JoinUsers(room(), 1, 3, T0(), T0());
  auto policies = MakePolicies(1, 10);
  ASSERT_EQ(room().Admit(kConcert, policies, T0(), kFencingToken).admitted, 1);
  room().SetSoldOut(kConcert, true);

  auto view = TouchPlace(room(), places[2], T0() + 1s);
  EXPECT_EQ(view.state, QueueState::kSoldOut);
  EXPECT_EQ(view.position, 2);
  EXPECT_EQ(TouchPlace(room(), places[0], T0() + 1s, policies).state, QueueState::kActive);
  EXPECT_EQ(room().Admit(kConcert, policies, T0() + 2s, kFencingToken).admitted, 0);

  room().SetSoldOut(kConcert, false);
  view = TouchPlace(room(), places[1], T0() + 3s);
  EXPECT_EQ(view.state, QueueState::kWaiting);
  EXPECT_EQ(view.position, 1);
}

TEST_P(WaitingRoomContract, StatsMeasureTheAdmissionRateOverTheLastMinute) {
  JoinUsers(room(), 1, 30, T0(), T0());
  auto policies = MakePolicies(3, 1000);
  EXPECT_EQ(room().Stats(kConcert, T0()).admission_rate_per_second, 0);

  room().Admit(kConcert, policies, T0(), kFencingToken);
  EXPECT_EQ(room().Stats(kConcert, T0()).admission_rate_per_second, 0) << "one tick is no rate";
  room().Admit(kConcert, policies, T0() + 10s, kFencingToken);
  room().Admit(kConcert, policies, T0() + 20s, kFencingToken);

  auto stats = room().Stats(kConcert, T0() + 20s);
  EXPECT_DOUBLE_EQ(stats.admission_rate_per_second, 6.0 / 20.0);
  EXPECT_EQ(stats.admitted_total, 9);
  EXPECT_EQ(stats.active, 9);
  EXPECT_EQ(stats.waiting, 21);

  // The ticks at 0 s and 10 s fall out of the window [15 s, 75 s].
  room().Admit(kConcert, policies, T0() + 75s, kFencingToken);
  stats = room().Stats(kConcert, T0() + 75s);
  EXPECT_NEAR(stats.admission_rate_per_second, 3.0 / 55.0, 1e-9);
  EXPECT_EQ(stats.admitted_total, 12);
}

TEST_P(WaitingRoomContract, ListsConcertsWithAnyoneWaitingOrAdmitted) {
  EXPECT_THAT(room().ConcertsWithQueues(), IsEmpty());
  room().Join(ConcertId{1}, UserId{1}, T0(), T0(), kNoAdmission);
  auto pre = room().Join(ConcertId{2}, UserId{1}, T0(), T0() + 1h, kNoAdmission);
  room().Join(ConcertId{3}, UserId{1}, T0(), T0(), kNoAdmission);
  room().Admit(ConcertId{3}, MakePolicies(1, 1), T0(), kFencingToken);
  EXPECT_THAT(room().ConcertsWithQueues(),
              UnorderedElementsAre(ConcertId{1}, ConcertId{2}, ConcertId{3}));
  EXPECT_EQ(TouchPlace(room(), pre, T0() + 1s).position, 1);

  room().Leave(ConcertId{1}, UserId{1});
  room().Leave(ConcertId{2}, UserId{1});
  EXPECT_THAT(room().ConcertsWithQueues(), UnorderedElementsAre(ConcertId{3}));
  room().Leave(ConcertId{3}, UserId{1});
  EXPECT_THAT(room().ConcertsWithQueues(), IsEmpty());
}

// Random joins, re-joins, leaves and admissions checked against a plain list. Enough churn
// that an adapter reclaiming vacated slots does so many times along the way.
TEST_P(WaitingRoomContract, MatchesASimpleModelUnderRandomChurn) {
  // Few users and many operations: most joins are returns after leaving, at the back.
  constexpr std::int64_t kUsers = 400;
  constexpr int kOperations = 20'000;
  const auto policies = MakePolicies(0, 200);
  std::mt19937 rng(20261126);
  std::vector<std::int64_t> line;  // the model: waiting users in order
  std::set<std::int64_t> active;
  std::map<std::int64_t, std::int32_t> generation;

  for (int op = 0; op < kOperations; ++op) {
    const auto now = T0() + std::chrono::milliseconds(op);
    const std::int64_t user = std::uniform_int_distribution<std::int64_t>(1, kUsers)(rng);
    const int kind = std::uniform_int_distribution<int>(0, 99)(rng);
    if (kind < 45) {
      generation[user] = room().Join(kConcert, UserId{user}, now, T0(), kNoAdmission).generation;
      if (!active.contains(user) && std::find(line.begin(), line.end(), user) == line.end()) {
        line.push_back(user);
      }
    } else if (kind < 70) {
      room().Leave(kConcert, UserId{user});
      active.erase(user);
      std::erase(line, user);
    } else if (kind < 75) {
      auto batch = std::uniform_int_distribution<int>(0, 40)(rng);
      auto admit = policies;
      admit.admit_batch = batch;
      auto admitted = room().Admit(kConcert, admit, now, kFencingToken).admitted;
      auto expected = std::min<std::size_t>(
          {static_cast<std::size_t>(batch), line.size(), policies.max_active - active.size()});
      ASSERT_EQ(admitted, static_cast<int>(expected)) << "op " << op;
      active.insert(line.begin(), line.begin() + admitted);
      line.erase(line.begin(), line.begin() + admitted);
    } else {
      auto found = generation.find(user);
      if (found == generation.end()) continue;
      auto view = room().Touch(kConcert, UserId{user}, found->second, now, policies);
      auto at = std::find(line.begin(), line.end(), user);
      if (active.contains(user)) {
        ASSERT_EQ(view.state, QueueState::kActive) << "op " << op;
      } else if (at != line.end()) {
        ASSERT_EQ(view.state, QueueState::kWaiting) << "op " << op;
        ASSERT_EQ(view.position, at - line.begin() + 1) << "op " << op;
      } else {
        ASSERT_EQ(view.state, QueueState::kExpired) << "op " << op;
      }
    }
  }
  auto stats = room().Stats(kConcert, T0() + std::chrono::milliseconds(kOperations));
  EXPECT_EQ(stats.waiting, static_cast<std::int64_t>(line.size()));
  EXPECT_EQ(stats.active, static_cast<std::int64_t>(active.size()));
}

TEST_P(WaitingRoomContract, ConcurrentJoinsGetDistinctGapFreePositions) {
  constexpr int kThreads = 8;
  constexpr std::int64_t kPerThread = 250;
  std::vector<std::vector<QueuePlace>> joined(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (std::int64_t i = 0; i < kPerThread; ++i) {
        UserId user{1 + t * kPerThread + i};
        joined[t].push_back(room().Join(kConcert, user, T0(), T0(), kNoAdmission));
        // Another user's poll races the joins; it must not disturb them.
        room().Touch(kConcert, UserId{1}, 1, T0(), kNoAdmission);
      }
    });
  }
  for (auto& thread : threads) thread.join();

  std::vector<std::int64_t> positions;
  std::vector<std::int64_t> sequences;
  for (const auto& places : joined) {
    for (const auto& place : places) {
      auto view = TouchPlace(room(), place, T0() + 1s);
      ASSERT_EQ(view.state, QueueState::kWaiting);
      positions.push_back(view.position);
      sequences.push_back(place.sequence);
    }
  }
  std::sort(positions.begin(), positions.end());
  std::vector<std::int64_t> expected(kThreads * kPerThread);
  std::iota(expected.begin(), expected.end(), 1);
  EXPECT_EQ(positions, expected);
  std::sort(sequences.begin(), sequences.end());
  EXPECT_EQ(std::adjacent_find(sequences.begin(), sequences.end()), sequences.end());
}

TEST_P(WaitingRoomContract, ConcurrentAdmitsNeverExceedMaxActive) {
  constexpr int kMaxActive = 100;
  constexpr std::int64_t kUsers = 1000;
  JoinUsers(room(), 1, kUsers, T0(), T0());
  const auto policies = MakePolicies(7, kMaxActive);

  std::atomic<int> admitted{0};
  std::atomic<int> left{0};
  std::atomic<bool> over_cap{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 60; ++i) {
        auto now = T0() + std::chrono::milliseconds(t * 100 + i);
        admitted += room().Admit(kConcert, policies, now, kFencingToken).admitted;
        if (room().Stats(kConcert, now).active > kMaxActive) over_cap = true;
      }
    });
  }
  // Leaving frees slots while the admissions race.
  threads.emplace_back([&] {
    for (std::int64_t u = 1; u <= 50; ++u) {
      room().Leave(kConcert, UserId{u});
      ++left;
    }
  });
  for (auto& thread : threads) thread.join();
  admitted += room()
                  .Admit(kConcert, MakePolicies(kMaxActive, kMaxActive), T0() + 1s, kFencingToken)
                  .admitted;

  EXPECT_FALSE(over_cap);
  auto stats = room().Stats(kConcert, T0() + 1s);
  EXPECT_EQ(stats.active, kMaxActive);
  EXPECT_EQ(stats.admitted_total, admitted.load());
  EXPECT_EQ(stats.waiting + stats.active, kUsers - left.load());
  EXPECT_LE(admitted.load(), kMaxActive + 50);
}

}  // namespace
}  // namespace boxoffice::contract
