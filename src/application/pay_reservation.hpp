#pragma once

#include "application/idempotency_guard.hpp"
#include "application/queue_access.hpp"
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

 private:
  domain::Result<PaidReservation> Pay(domain::Store& store, const PayReservationCommand& cmd);

  domain::Database& db_;
  const domain::Clock& clock_;
};

}  // namespace boxoffice::application
