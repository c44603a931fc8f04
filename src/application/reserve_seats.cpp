#include "application/reserve_seats.hpp"

#include <unordered_set>

#include "application/together.hpp"
#include "domain/errors.hpp"

namespace boxoffice::application {

using domain::ErrorCode;
using domain::Fail;
using domain::HoldStatus;
using domain::Reservation;
using domain::Result;

ReserveSeats::ReserveSeats(domain::Database& db, const domain::Clock& clock)
    : db_(db), clock_(clock) {}

Result<Reservation> ReserveSeats::Draft(domain::Store& store, const ReserveSeatsCommand& cmd,
                                        const std::optional<domain::Hold>& hold,
                                        domain::Instant now) {
  if (!hold) return Fail(ErrorCode::kOccupationNotFound, "occupation not found");
  if (hold->user_id != cmd.who.user_id || hold->event_id != cmd.event_id) {
    return Fail(ErrorCode::kOccupationInvalid, "occupation belongs to another user or date");
  }
  if (hold->status == HoldStatus::kReleased || hold->status == HoldStatus::kReserved) {
    return Fail(ErrorCode::kOccupationAlreadyReleased, "occupation already released");
  }
  if (hold->status == HoldStatus::kExpired || now >= hold->expires_at) {
    return Fail(ErrorCode::kOccupationAlreadyExpired, "occupation already expired");
  }
  auto date = dates_.Find(store, cmd.event_id);
  if (!date) return Fail(ErrorCode::kEventNotFound, "concert event not found");
  if (date->concert_id != cmd.who.concert_id) {
    return Fail(ErrorCode::kTokenNotProcessable, "queue token is for another concert");
  }
  Reservation draft;
  draft.user_id = cmd.who.user_id;
  draft.concert_id = date->concert_id;
  draft.event_id = cmd.event_id;
  draft.hold_id = hold->id;
  draft.status = domain::ReservationStatus::kPending;
  draft.total_seats = static_cast<std::int32_t>(hold->seats.size());
  draft.total_amount = hold->TotalAmount();
  draft.expires_at = hold->expires_at;
  draft.concert_start_at = date->start_at;
  draft.created_at = now;
  draft.seats = hold->seats;
  return draft;
}

Result<Reservation> ReserveSeats::Execute(const ReserveSeatsCommand& cmd) {
  return db_.Write([&](domain::Store& store) -> Result<Reservation> {
    // Read inside the transaction: waiting for the write lock must not leave `now` stale. A hold
    // whose deadline is after this `now` still owns its seats, since reclaiming them needs a
    // later time.
    const auto now = clock_.Now();
    auto draft = Draft(store, cmd, store.Holds().Find(cmd.hold_id), now);
    if (!draft) return draft.error();
    if (!store.Holds().Transition(cmd.hold_id, HoldStatus::kActive, HoldStatus::kReserved, now)) {
      auto current = store.Holds().Find(cmd.hold_id);
      if (current && current->status == HoldStatus::kExpired) {
        return Fail(ErrorCode::kOccupationAlreadyExpired, "occupation already expired");
      }
      return Fail(ErrorCode::kOccupationAlreadyReleased, "occupation already released");
    }
    return store.Reservations().Create(*draft, now);
  });
}

std::optional<std::vector<Reservation>> ReserveSeats::ExecuteTogether(
    std::span<const ReserveSeatsCommand> commands) {
  std::vector<domain::HoldId> holds;
  std::unordered_set<std::int64_t> distinct;
  for (const auto& cmd : commands) {
    if (!distinct.insert(cmd.hold_id.value).second) return std::nullopt;
    holds.push_back(cmd.hold_id);
  }
  std::vector<Reservation> created;
  const bool committed = CommitTogether(db_, [&](domain::Store& store) -> Result<bool> {
    const auto now = clock_.Now();  // as in Execute
    const auto found = store.Holds().FindAll(holds);
    std::vector<Reservation> drafts;
    drafts.reserve(commands.size());
    for (std::size_t i = 0; i < commands.size(); ++i) {
      auto draft = Draft(store, commands[i], found[i], now);
      if (!draft) return draft.error();  // answered by Execute, alone
      drafts.push_back(*std::move(draft));
    }
    if (!store.Holds().TransitionAll(holds, HoldStatus::kActive, HoldStatus::kReserved, now)) {
      return Fail(ErrorCode::kOccupationAlreadyReleased, "a hold of the batch has moved");
    }
    created = store.Reservations().CreateAll(drafts, now);
    return true;
  });
  if (!committed) return std::nullopt;
  return created;
}

}  // namespace boxoffice::application
