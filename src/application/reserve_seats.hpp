#pragma once

#include <optional>
#include <span>
#include <vector>

#include "application/known_dates.hpp"
#include "application/queue_access.hpp"
#include "domain/model/reservation.hpp"
#include "domain/ports/clock.hpp"
#include "domain/ports/store.hpp"
#include "domain/result.hpp"

namespace boxoffice::application {

struct ReserveSeatsCommand {
  ActiveUser who;
  domain::EventId event_id;
  domain::HoldId hold_id;
};

// Turns the user's live hold into a PENDING reservation due by the hold's deadline.
// occupation_not_found; occupation_invalid (another user's hold, or another date);
// occupation_already_released (released or already reserved); occupation_already_expired.
class ReserveSeats {
 public:
  ReserveSeats(domain::Database& db, const domain::Clock& clock);
  domain::Result<domain::Reservation> Execute(const ReserveSeatsCommand& cmd);
  // Several reservations of distinct holds in ONE transaction, with statements the adapter may
  // share between them (ADR 0021). Returns each one's reservation, in order, when the
  // transaction committed; nullopt when it did not (any refusal Execute would answer, a hold
  // twice, the database unavailable): nothing is then written, and each must run alone
  // (Execute), which answers it as it would have been answered had it never been tried here.
  std::optional<std::vector<domain::Reservation>> ExecuteTogether(
      std::span<const ReserveSeatsCommand> commands);

 private:
  // The reservation `cmd` would make of `hold` (read in `store`'s transaction), or why not.
  domain::Result<domain::Reservation> Draft(domain::Store& store, const ReserveSeatsCommand& cmd,
                                            const std::optional<domain::Hold>& hold,
                                            domain::Instant now);

  domain::Database& db_;
  const domain::Clock& clock_;
  KnownDates dates_;
};

}  // namespace boxoffice::application
