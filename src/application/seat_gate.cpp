#include "application/seat_gate.hpp"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <utility>

namespace boxoffice::application {

namespace {

// Waiting sleeps in the kernel at once (Linux futex). std::atomic::wait would do, but libstdc++
// first spins with sched_yield, and in a race thousands of waiters yielding to each other cost
// more than the database does (perf, 5,000 callers on one seat: ~15% of the samples in
// sched_yield); a condition variable was slower still, each woken waiter queueing for its mutex.
void SleepWhileZero(const std::atomic<std::uint32_t>& word) {
  static_assert(sizeof(word) == sizeof(std::uint32_t) &&
                std::atomic<std::uint32_t>::is_always_lock_free);
  syscall(SYS_futex, reinterpret_cast<const std::uint32_t*>(&word), FUTEX_WAIT_PRIVATE, 0, nullptr,
          nullptr, 0);
}

void WakeAll(std::atomic<std::uint32_t>& word) {
  syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAKE_PRIVATE, INT_MAX, nullptr,
          nullptr, 0);
}

}  // namespace

// One attempt in flight. Waiters keep it alive through their shared_ptr after it left the map.
class SeatGate::Attempt {
 public:
  Attempt(domain::EventId event, std::vector<domain::SeatId> seats)
      : event_(event), seats_(std::move(seats)) {}

  // Publishes the outcome and wakes the waiters, if any: a waiter registers under the shard lock
  // before Finish removes the attempt from the map, so one counted after that sees `done_`.
  void Publish(Outcome outcome) {
    outcome_ = std::move(outcome);
    done_.store(1, std::memory_order_release);
    if (waiters() > 0) WakeAll(done_);
  }
  // The outcome is never written again once published.
  const Outcome& Wait() const {
    while (done_.load(std::memory_order_acquire) == 0) SleepWhileZero(done_);
    return outcome_;
  }

  void AddWaiter() { waiters_.fetch_add(1, std::memory_order_relaxed); }
  std::size_t waiters() const { return waiters_.load(std::memory_order_relaxed); }
  domain::EventId event() const { return event_; }
  const std::vector<domain::SeatId>& seats() const { return seats_; }
  std::uint64_t start() const { return start_; }

  // Guarded by the shard's mutex (read without it only after Wait returned).
  std::uint64_t start_ = 0;  // the shard's start count when it began; 0 while queued
  // The attempt queued to run after this one, led by the first caller that came while this one
  // was in flight; later callers wait for it, so each of them wakes once.
  std::shared_ptr<Attempt> next;

 private:
  const domain::EventId event_;
  const std::vector<domain::SeatId> seats_;
  Outcome outcome_;
  std::atomic<std::uint32_t> done_{0};
  std::atomic<std::size_t> waiters_{0};
};

namespace {

bool Contains(const std::vector<domain::SeatId>& seats, domain::SeatId seat) {
  return std::find(seats.begin(), seats.end(), seat) != seats.end();
}

bool Meets(const std::vector<domain::SeatId>& a, const std::vector<domain::SeatId>& b) {
  return std::any_of(a.begin(), a.end(), [&](domain::SeatId s) { return Contains(b, s); });
}

bool Within(const std::vector<domain::SeatId>& inner, const std::vector<domain::SeatId>& outer) {
  return std::all_of(inner.begin(), inner.end(),
                     [&](domain::SeatId s) { return Contains(outer, s); });
}

}  // namespace

std::size_t SeatGate::KeyHash::operator()(const Key& k) const noexcept {
  // Seat ids are unique across dates; the event only separates bogus (date, seat) pairs.
  return std::hash<std::int64_t>{}(k.seat) ^ (std::hash<std::int64_t>{}(k.event) << 1);
}

SeatGate::SeatGate() = default;
SeatGate::~SeatGate() = default;

SeatGate::Shard& SeatGate::ShardOf(domain::EventId event) {
  return shards_[std::hash<std::int64_t>{}(event.value) % kShards];
}

SeatGate::Entry SeatGate::Enter(domain::EventId event, const std::vector<domain::SeatId>& seats) {
  Shard& shard = ShardOf(event);
  std::optional<std::uint64_t> arrival;  // attempts with a later start began after we came
  while (true) {
    std::shared_ptr<Attempt> ahead;   // the attempt whose outcome we wait for
    std::shared_ptr<Attempt> queued;  // the attempt we lead once `ahead` ends, if we created it
    {
      std::lock_guard lock(shard.mu);
      if (!arrival) arrival = shard.started;
      std::shared_ptr<Attempt> running;
      for (auto seat : seats) {
        auto it = shard.running.find(Key{event.value, seat.value});
        if (it != shard.running.end()) {
          running = it->second;
          break;
        }
      }
      if (!running) {
        auto attempt = std::make_shared<Attempt>(event, seats);
        attempt->start_ = ++shard.started;
        for (auto seat : seats) shard.running.emplace(Key{event.value, seat.value}, attempt);
        return Entry{.pass = Pass(*this, std::move(attempt))};
      }
      if (running->next) {
        ahead = running->next;  // not started yet: it will start after we came
      } else {
        queued = std::make_shared<Attempt>(event, seats);
        running->next = queued;
        ahead = running;
      }
      ahead->AddWaiter();
    }

    waiting_.fetch_add(1, std::memory_order_relaxed);
    const Outcome* outcome = &ahead->Wait();
    if (queued) {
      // Finish(ahead) decided, before publishing, whether our queued attempt runs now.
      if (queued->start() != 0) {
        waiting_.fetch_sub(1, std::memory_order_relaxed);
        return Entry{.pass = Pass(*this, std::move(queued))};
      }
      ahead = queued;  // it will not run; its outcome says why
      outcome = &ahead->Wait();
    }
    waiting_.fetch_sub(1, std::memory_order_relaxed);

    const bool started_after_us = ahead->start() > *arrival;
    switch (outcome->kind) {
      case Outcome::Kind::kHeld:
        // We came while it was in flight, so at its commit, or from then until we came, a seat
        // we ask for was held by someone else.
        if (Meets(outcome->taken, seats)) return Entry{.verdict = Verdict::kSeatTaken};
        break;
      case Outcome::Kind::kSeatsTaken:
        if (started_after_us && (outcome->taken.empty() ? Within(ahead->seats(), seats)
                                                        : Meets(outcome->taken, seats))) {
          return Entry{.verdict = Verdict::kSeatTaken};
        }
        break;
      case Outcome::Kind::kUnavailable:
        if (started_after_us) {
          return Entry{.verdict = Verdict::kUnavailable, .message = outcome->message};
        }
        break;
      case Outcome::Kind::kOther:
        break;
    }
  }
}

void SeatGate::Finish(Attempt& attempt, Outcome outcome) {
  if (outcome.kind == Outcome::Kind::kHeld) outcome.taken = attempt.seats();
  std::shared_ptr<Attempt> next;
  std::optional<Outcome> next_outcome;  // when the queued attempt will not run
  {
    // Leave the map before waking anyone: a waiter that enters again must not find us.
    Shard& shard = ShardOf(attempt.event());
    std::lock_guard lock(shard.mu);
    for (auto seat : attempt.seats()) {
      auto it = shard.running.find(Key{attempt.event().value, seat.value});
      if (it != shard.running.end() && it->second.get() == &attempt) shard.running.erase(it);
    }
    next = std::move(attempt.next);
    if (next) {
      const bool free = std::none_of(next->seats().begin(), next->seats().end(), [&](auto seat) {
        return shard.running.count(Key{attempt.event().value, seat.value}) > 0;
      });
      if (outcome.kind == Outcome::Kind::kHeld) {
        // Everyone queued behind us came while we were in flight and shares a seat with us.
        next_outcome = outcome;
      } else if (!free) {
        next_outcome = Outcome{};  // another attempt took one of its seats: all enter again
      } else {
        next->start_ = ++shard.started;
        for (auto seat : next->seats()) {
          shard.running.emplace(Key{attempt.event().value, seat.value}, next);
        }
      }
    }
  }
  // The queued attempt's leader waits for us and then, if its attempt is not to run, for it:
  // publish that first, so the leader never waits for a wake-up that was already sent.
  if (next_outcome) next->Publish(std::move(*next_outcome));
  attempt.Publish(std::move(outcome));
}

std::size_t SeatGate::InFlight() const {
  std::size_t total = 0;
  for (const auto& shard : shards_) {
    std::lock_guard lock(shard.mu);
    total += shard.running.size();
  }
  return total;
}

std::size_t SeatGate::WaitersOn(domain::EventId event, domain::SeatId seat) const {
  const Shard& shard = shards_[std::hash<std::int64_t>{}(event.value) % kShards];
  std::lock_guard lock(shard.mu);
  auto it = shard.running.find(Key{event.value, seat.value});
  if (it == shard.running.end()) return 0;
  const auto& running = it->second;
  return running->waiters() + (running->next ? running->next->waiters() : 0);
}

std::size_t SeatGate::Waiting() const { return waiting_.load(std::memory_order_relaxed); }

SeatGate::Pass::Pass(SeatGate& gate, std::shared_ptr<Attempt> attempt)
    : gate_(&gate), attempt_(std::move(attempt)) {}

SeatGate::Pass::Pass(Pass&& other) noexcept
    : gate_(other.gate_), attempt_(std::move(other.attempt_)) {}

SeatGate::Pass::~Pass() {
  if (attempt_) gate_->Finish(*attempt_, Outcome{});
}

void SeatGate::Pass::Finish(Outcome outcome) {
  if (!attempt_) return;
  auto attempt = std::move(attempt_);
  gate_->Finish(*attempt, std::move(outcome));
}

}  // namespace boxoffice::application
