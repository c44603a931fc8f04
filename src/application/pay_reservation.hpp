#pragma once

#include <functional>
#include <optional>
#include <span>
#include <vector>

#include "application/idempotency_guard.hpp"
#include "application/queue_access.hpp"
#include "domain/model/events.hpp"
#include "domain/model/reservation.hpp"
#include "domain/ports/clock.hpp"
#include "domain/ports/store.hpp"
#include "domain/result.hpp"

namespace boxoffice::application {

struct PayReservationCommand {
  ActiveUser who;
  domain::ReservationId reservation_id;
};

struct PaidReservation {
  domain::Payment payment;
  std::int32_t seat_count = 0;  // seats sold by this payment
};

// Pays a PENDING reservation from the wallet in one transaction, statements in a fixed order:
// reservation -> seats -> wallet (+ ledger) -> payment -> outbox (PaymentCompleted).
// reservation_not_found (also another user's); reservation_already_confirmed;
// reservation_expired (deadline passed, cancelled or expired); insufficient_balance.
// `hooks` run inside the same transaction (the Idempotency-Key record, IdempotencyGuard::Run).
class PayReservation {
 public:
  PayReservation(domain::Database& db, const domain::Clock& clock);
  domain::Result<PaidReservation> Execute(const PayReservationCommand& cmd,
                                          const TransactionHooks<PaidReservation>& hooks = {});

  // One payment of ExecuteTogether: its command and its Idempotency-Key request.
  struct Together {
    PayReservationCommand command;
    IdempotentRequest request;
  };
  // What ExecuteTogether made of one payment: the payment and the response stored for its key.
  struct PaidTogether {
    PaidReservation paid;
    StoredResponse response;
  };
  // Several first payments, of distinct users, in ONE transaction: the statements in the same
  // order as Execute's, each shared by all of them (ADR 0021), and each payment's
  // Idempotency-Key record holding `respond` of it. Returns each one's payment and response,
  // in order, when the transaction committed; nullopt when it did not (any refusal Execute
  // would answer, a user or a reservation twice, a key seen before, the database unavailable):
  // nothing is then written, and each must run alone (Execute through IdempotencyGuard::Run),
  // which answers it as it would have been answered had it never been tried here.
  std::optional<std::vector<PaidTogether>> ExecuteTogether(
      std::span<const Together> payments,
      const std::function<StoredResponse(const PaidReservation&)>& respond);

 private:
  // Whether `cmd` may pay `reservation` (read in the transaction) at `now`, or why not.
  static domain::Result<void> Payable(const std::optional<domain::Reservation>& reservation,
                                      const PayReservationCommand& cmd, domain::Instant now);
  // The event a payment publishes.
  static domain::PaymentCompleted Completed(const domain::Payment& payment,
                                            const domain::Reservation& reservation,
                                            const PayReservationCommand& cmd, domain::Instant now);
  domain::Result<PaidReservation> Pay(domain::Store& store, const PayReservationCommand& cmd);

  domain::Database& db_;
  const domain::Clock& clock_;
};

}  // namespace boxoffice::application
