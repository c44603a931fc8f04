#pragma once

#include <exception>
#include <functional>
#include <utility>
#include <vector>

#include "domain/model/policies.hpp"
#include "domain/model/queue.hpp"
#include "domain/types.hpp"

namespace boxoffice::domain {

struct PlaceWithStats {
  QueuePlace place;
  QueueStats stats;
};

struct ViewWithStats {
  QueueView view;
  QueueStats stats;
};

// How an asynchronous call ends, called exactly once: with the value, or with the exception the
// synchronous form would have thrown (the value is then default-made and means nothing).
template <class T>
using Completion = std::function<void(std::exception_ptr error, T value)>;

// Ends `done` in place with what `call` returns, or with the exception it throws.
template <class T, class F>
void CompleteInPlace(const Completion<T>& done, F&& call) {
  T result;
  try {
    result = call();
  } catch (...) {
    done(std::current_exception(), {});
    return;
  }
  done(nullptr, std::move(result));
}

// The waiting room of every concert. Implementations: MemoryWaitingRoom (embedded profile) and
// RedisWaitingRoom (cluster). Both must pass the same contract suite.
// All methods are safe to call from many threads at once.
class WaitingRoom {
 public:
  virtual ~WaitingRoom() = default;

  // Gives `user` a place in `concert`'s line, or keeps the place they already hold (waiting or
  // active) and bumps its generation so older tokens stop working. Arrivals before `opens_at`
  // join the pre-queue, which is shuffled into random order at the first Admit or Join at or
  // after `opens_at`; later arrivals are strictly FIFO behind them. A user whose place expired
  // gets a new place at the back: that includes a waiting user silent for longer than
  // waiting_grace and an admitted user past the idle deadline, even if no Admit has removed
  // them yet. Counts as a sign of life. The returned place carries its view (state, position)
  // taken atomically with the join, so a caller need not Touch, and cannot race a concurrent
  // re-issue between the two.
  virtual QueuePlace Join(ConcertId concert, UserId user, Instant now, Instant opens_at,
                          const Policies& policies) = 0;

  // The state of the place named by (user, generation), counted as a sign of life: renews a
  // waiting user's grace period and an admitted user's idle deadline (now + active_idle_ttl).
  // A waiting user silent for longer than waiting_grace, or an admitted user idle past the
  // deadline, reads kExpired even before any Admit has run. A stale generation reads kSuperseded.
  // Waiting users of a concert marked sold out read kSoldOut (position kept). A place that reads
  // kExpired is removed, so joining again gives a place at the back.
  virtual QueueView Touch(ConcertId concert, UserId user, std::int32_t generation, Instant now,
                          const Policies& policies) = 0;

  // Removes the user's place, waiting or active (leave, payment done). Idempotent.
  virtual void Leave(ConcertId concert, UserId user) = 0;
  // Leave, for the place of `generation` only (QueueClaims::generation, counted per join): a user
  // who joined again since keeps the newer place. Safe to repeat, so a consumer of an event that
  // may come twice needs no record of having done it.
  virtual void LeavePlace(ConcertId concert, UserId user, std::int32_t generation) = 0;

  // One admission tick for `concert`: evicts waiting users past the grace period and admitted
  // users past their idle deadline, flushes the pre-queue if the sale has opened, then admits
  // up to policies.admit_batch users from the front, never letting the admitted count exceed
  // policies.max_active. admit_batch == 0 admits no one. Admitted users get the idle deadline
  // now + active_idle_ttl. Admits no one while the concert is marked sold out. The opening
  // time is the one given to the latest Join. Does not check the interval: the caller decides
  // when a tick is due.
  // `fencing_token` is the caller's admission lease token (Lease::Hold). The room remembers the
  // highest token any Admit of the concert has passed; a call with a lower one comes from a
  // ticker that has lost the lease to a newer holder: it changes nothing and returns zeros.
  virtual AdmissionResult Admit(ConcertId concert, const Policies& policies, Instant now,
                                std::int64_t fencing_token) = 0;

  // Marks the concert sold out (or not): waiting users then read kSoldOut.
  virtual void SetSoldOut(ConcertId concert, bool sold_out) = 0;

  // Counts and the admission rate measured over the last minute.
  virtual QueueStats Stats(ConcertId concert, Instant now) = 0;
  // Join (Touch), then Stats of the same concert: what a token issue (status poll) answers. An
  // adapter over the network does both in one round trip; the counts are read right after the
  // join, not atomically with it, as two calls would.
  virtual PlaceWithStats JoinWithStats(ConcertId concert, UserId user, Instant now,
                                       Instant opens_at, const Policies& policies) {
    QueuePlace place = Join(concert, user, now, opens_at, policies);
    return {std::move(place), Stats(concert, now)};
  }
  virtual ViewWithStats TouchWithStats(ConcertId concert, UserId user, std::int32_t generation,
                                       Instant now, const Policies& policies) {
    QueueView view = Touch(concert, user, generation, now, policies);
    return {std::move(view), Stats(concert, now)};
  }

  // JoinWithStats, Touch and TouchWithStats ending through `done` instead of returning. When
  // AnswersWithoutBlocking() is true the caller is never blocked: a room in memory answers in
  // place (calling `done` before returning), an adapter over the network sends the request and
  // returns, and `done` runs on the thread that reads the reply. These defaults run the
  // synchronous form in place.
  virtual bool AnswersWithoutBlocking() const { return false; }
  virtual void JoinWithStatsAsync(ConcertId concert, UserId user, Instant now, Instant opens_at,
                                  const Policies& policies, Completion<PlaceWithStats> done) {
    CompleteInPlace(done, [&] { return JoinWithStats(concert, user, now, opens_at, policies); });
  }
  virtual void TouchAsync(ConcertId concert, UserId user, std::int32_t generation, Instant now,
                          const Policies& policies, Completion<QueueView> done) {
    CompleteInPlace(done, [&] { return Touch(concert, user, generation, now, policies); });
  }
  virtual void TouchWithStatsAsync(ConcertId concert, UserId user, std::int32_t generation,
                                   Instant now, const Policies& policies,
                                   Completion<ViewWithStats> done) {
    CompleteInPlace(done, [&] { return TouchWithStats(concert, user, generation, now, policies); });
  }

  // Concerts that have anyone waiting or admitted (for the admission scheduler).
  virtual std::vector<ConcertId> ConcertsWithQueues() = 0;
};

}  // namespace boxoffice::domain
