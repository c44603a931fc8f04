#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "domain/types.hpp"

namespace boxoffice::application {

// Coalesces concurrent hold attempts per seat within this process (ADR 0011). At most one attempt
// per (date, seat) is in flight against the database at a time; a later attempt on the same seat
// waits for it instead of queueing for a pooled connection and a row lock, and adopts its outcome
// where that outcome is also the right answer for the waiter:
//   - the attempt held the seats: every waiter sharing a seat with it is refused (the seat was
//     held by another user at the commit, or from then until the waiter arrived);
//   - the attempt found seats taken, and it started after the waiter arrived: a waiter asking for
//     a seat known to be taken (or, when the taken seat is unknown, for every seat of the
//     attempt) is refused; the database read that decided it lies inside the waiter's interval;
//   - the database was unavailable to an attempt that started after the waiter arrived: the
//     waiter is told so too, instead of queueing a timeout behind each timeout.
// Any other outcome (a user's own limit, another concert, a failure that started before the
// waiter came) sends the waiter back to enter again: it runs its own attempt or waits for the
// next one. The first caller that comes while an attempt is in flight queues the next attempt
// (its own request) to start when that one ends; later callers wait for the queued attempt
// directly, so each wakes once: its refusal is theirs, since it starts after they came. The
// database stays the only judge of who holds a seat; the gate only saves it from being asked the
// same question thousands of times at once.
class SeatGate {
 public:
  // How an attempt ended, as far as its waiters care.
  struct Outcome {
    enum class Kind {
      kHeld,         // the attempt holds all its seats
      kSeatsTaken,   // refused: seats held or sold by others
      kUnavailable,  // the database could not answer (timeout, lost connection)
      kOther,        // anything about the attempt's own user or request
    };
    Kind kind = Kind::kOther;
    // kSeatsTaken: the seats seen taken; empty when the database did not say which. kHeld: the
    // gate fills in the attempt's seats.
    std::vector<domain::SeatId> taken;
    std::string message;  // kUnavailable: the database's message, repeated to waiters
  };

  // What a waiter was told instead of running its own attempt.
  enum class Verdict { kSeatTaken, kUnavailable };

  class Attempt;

  // The right to run an attempt on some seats now. Finish publishes the outcome to the waiters;
  // a Pass destroyed unfinished (an exception) publishes kOther, so waiters run their own.
  class Pass {
   public:
    Pass(Pass&& other) noexcept;
    Pass& operator=(Pass&&) = delete;
    Pass(const Pass&) = delete;
    ~Pass();
    void Finish(Outcome outcome);

   private:
    friend class SeatGate;
    Pass(SeatGate& gate, std::shared_ptr<Attempt> attempt);
    SeatGate* gate_;
    std::shared_ptr<Attempt> attempt_;
  };

  // The outcome of Enter: either the caller runs (pass) or it already has its answer (verdict,
  // with the message of an unavailable database).
  struct Entry {
    std::optional<Pass> pass;
    Verdict verdict = Verdict::kSeatTaken;
    std::string message;
  };

  SeatGate();
  ~SeatGate();
  SeatGate(const SeatGate&) = delete;
  SeatGate& operator=(const SeatGate&) = delete;

  // Blocks while another attempt on any of `seats` (of `event`) is in flight, then either
  // returns a Pass or the verdict adopted from another attempt. `seats` must not repeat.
  Entry Enter(domain::EventId event, const std::vector<domain::SeatId>& seats);

  // Seats with an attempt in flight, and callers waiting for one; for tests and metrics.
  std::size_t InFlight() const;
  std::size_t Waiting() const;
  // Callers that have waited for the attempt now in flight on `seat` (0 when none is).
  std::size_t WaitersOn(domain::EventId event, domain::SeatId seat) const;

 private:
  struct Key {
    std::int64_t event;
    std::int64_t seat;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    std::size_t operator()(const Key& k) const noexcept;
  };
  // All seats of one date live in one shard, so an attempt registers under one lock.
  struct Shard {
    mutable std::mutex mu;
    std::unordered_map<Key, std::shared_ptr<Attempt>, KeyHash> running;
    std::uint64_t started = 0;  // attempts started here so far: orders arrivals and starts
  };
  static constexpr std::size_t kShards = 64;

  Shard& ShardOf(domain::EventId event);
  void Finish(Attempt& attempt, Outcome outcome);

  std::array<Shard, kShards> shards_;
  std::atomic<std::size_t> waiting_{0};
};

}  // namespace boxoffice::application
