#include "application/occupy_seats.hpp"

#include <chrono>
#include <optional>
#include <unordered_set>
#include <utility>

namespace boxoffice::application {

using domain::ErrorCode;
using domain::Fail;
using domain::Hold;
using domain::Result;

namespace {

constexpr const char* kSeatTakenMessage = "seat is already held or sold";

SeatGate::Outcome OutcomeOf(const Result<Hold>& hold, std::vector<domain::SeatId> taken) {
  using Kind = SeatGate::Outcome::Kind;
  if (hold.ok()) return {.kind = Kind::kHeld};
  if (hold.error().code == ErrorCode::kSeatUnavailable) {
    return {.kind = Kind::kSeatsTaken, .taken = std::move(taken)};
  }
  return {.kind = Kind::kOther};
}

}  // namespace

OccupySeats::OccupySeats(domain::Database& db, PolicyService& policies, const domain::Clock& clock)
    : db_(db),
      policies_(policies),
      clock_(clock),
      own_gate_(std::make_unique<SeatGate>()),
      gate_(*own_gate_) {}

OccupySeats::OccupySeats(domain::Database& db, PolicyService& policies, const domain::Clock& clock,
                         SeatGate& gate)
    : db_(db), policies_(policies), clock_(clock), gate_(gate) {}

Result<Hold> OccupySeats::Execute(const OccupySeatsCommand& cmd) {
  const auto& ids = cmd.seat_ids;
  if (ids.empty()) return Fail(ErrorCode::kInvalidRequest, "seatIds must not be empty");
  std::unordered_set<domain::SeatId> unique;
  for (auto id : ids) {
    if (id.value <= 0) return Fail(ErrorCode::kInvalidRequest, "seat ids must be positive");
    if (!unique.insert(id).second) {
      return Fail(ErrorCode::kInvalidRequest, "seat ids must not repeat");
    }
  }
  const auto policies = policies_.Current();
  if (ids.size() > static_cast<std::size_t>(policies.max_seats_per_hold)) {
    return Fail(ErrorCode::kTooManySeats,
                "at most " + std::to_string(policies.max_seats_per_hold) + " seats per hold");
  }

  auto entry = gate_.Enter(cmd.event_id, ids);
  if (!entry.pass) {
    if (entry.verdict == SeatGate::Verdict::kUnavailable) {
      throw domain::UnavailableError(entry.message);
    }
    return Fail(ErrorCode::kSeatUnavailable, kSeatTakenMessage);
  }
  std::optional<Attempted> attempted;
  try {
    attempted.emplace(Attempt(cmd, policies));
  } catch (const domain::UnavailableError& e) {
    entry.pass->Finish({.kind = SeatGate::Outcome::Kind::kUnavailable, .message = e.what()});
    throw;
  }
  // Any other exception leaves the pass unfinished; its destructor lets the waiters run.
  entry.pass->Finish(OutcomeOf(attempted->hold, std::move(attempted->taken)));
  return std::move(attempted->hold);
}

OccupySeats::Attempted OccupySeats::Attempt(const OccupySeatsCommand& cmd,
                                            const domain::Policies& policies) {
  const auto& ids = cmd.seat_ids;
  std::vector<domain::SeatId> taken;
  auto hold = db_.Write([&](domain::Store& store) -> Result<Hold> {
    taken.clear();                  // the adapter may run the work again after a deadlock
    const auto now = clock_.Now();  // inside the transaction, after the write lock
    auto date = dates_.Find(store, cmd.event_id);
    if (!date) return Fail(ErrorCode::kEventNotFound, "concert event not found");
    if (date->concert_id != cmd.who.concert_id) {
      return Fail(ErrorCode::kTokenNotProcessable, "queue token is for another concert");
    }
    if (now < date->reservation_start_at || now >= date->reservation_end_at) {
      return Fail(ErrorCode::kReservationNotOpened, "reservation window is not open");
    }
    // One statement on MySQL: it reads the seats and locks them and the user's row (which the
    // per-user limit below needs), so the hold's later statements ask for no lock.
    auto seats = store.Seats().FindForHold(cmd.event_id, ids, cmd.who.user_id, now);
    if (seats.size() != ids.size()) return Fail(ErrorCode::kSeatNotFound, "seat not found");
    // Rejecting here spares a write for the common case of a seat already taken, and tells the
    // gate which seats were taken; the conditional update below is what actually decides races.
    // It comes before the per-user limit, so a refusal costs one read: in a race for one seat
    // nearly every attempt is one.
    for (const auto& s : seats) {
      if (s.state != domain::SeatState::kAvailable) taken.push_back(s.id);
    }
    if (!taken.empty()) return Fail(ErrorCode::kSeatUnavailable, kSeatTakenMessage);
    std::vector<domain::HeldSeat> held;
    held.reserve(seats.size());
    for (const auto& s : seats) held.push_back({s.id, s.seat_number, s.price});
    const auto expires_at = now + std::chrono::seconds(policies.hold_ttl_seconds);
    // The per-user limit is counted by the insert itself (one statement, not a count and then
    // an insert); only a refusal counts again, for the message.
    auto hold = store.Holds().CreateWithinLimit(cmd.who.user_id, cmd.event_id, held, expires_at,
                                                now, policies.max_seats_per_hold);
    if (!hold) {
      const int already = store.Holds().CountLiveSeats(cmd.who.user_id, cmd.event_id, now);
      return Fail(ErrorCode::kTooManySeats, "at most " +
                                                std::to_string(policies.max_seats_per_hold) +
                                                " seats of a date held at once per user; " +
                                                std::to_string(already) + " already held");
    }
    const int changed = store.Seats().Hold(cmd.event_id, ids, hold->id, expires_at, now);
    if (changed != static_cast<int>(ids.size())) {
      return Fail(ErrorCode::kSeatUnavailable, kSeatTakenMessage);
    }
    return std::move(*hold);
  });
  return {std::move(hold), std::move(taken)};
}

}  // namespace boxoffice::application
