#include "application/pay_reservation.hpp"

namespace boxoffice::application {

using domain::ErrorCode;
using domain::Fail;
using domain::Payment;
using domain::ReservationStatus;
using domain::Result;

namespace {

domain::Error NotPayable(const domain::Reservation& r) {
  if (r.status == ReservationStatus::kConfirmed) {
    return Fail(ErrorCode::kReservationAlreadyConfirmed, "reservation already confirmed");
  }
  return Fail(ErrorCode::kReservationExpired, "reservation expired or cancelled");
}

}  // namespace

PayReservation::PayReservation(domain::Database& db, const domain::Clock& clock)
    : db_(db), clock_(clock) {}

Result<PaidReservation> PayReservation::Execute(const PayReservationCommand& cmd,
                                                const TransactionHooks<PaidReservation>& hooks) {
  // The hooks' statements come first and last, so the fixed order below still holds.
  return db_.Write([&](domain::Store& store) -> Result<PaidReservation> {
    if (hooks.at_start) {
      if (auto started = hooks.at_start(store); !started) return started.error();
    }
    auto paid = Pay(store, cmd);
    if (!paid || !hooks.before_commit) return paid;
    if (auto hooked = hooks.before_commit(store, *paid); !hooked) return hooked.error();
    return paid;
  });
}

// Every step is conditional on the state it expects, and any failure returns an error, which
// rolls back everything before it: no money moves unless the seats are sold and the payment
// row exists. The statement order is fixed so concurrent payments cannot deadlock.
Result<PaidReservation> PayReservation::Pay(domain::Store& store,
                                            const PayReservationCommand& cmd) {
  // Read inside the transaction: waiting for the write lock must not leave `now` stale.
  const auto now = clock_.Now();
  auto reservation = store.Reservations().FindWithoutSeats(cmd.reservation_id);
  if (!reservation || reservation->user_id != cmd.who.user_id) {
    return Fail(ErrorCode::kReservationNotFound, "reservation not found");
  }
  if (reservation->concert_id != cmd.who.concert_id) {
    return Fail(ErrorCode::kTokenNotProcessable, "queue token is for another concert");
  }
  if (!reservation->IsPayableAt(now)) return NotPayable(*reservation);
  if (!store.Reservations().Transition(reservation->id, ReservationStatus::kPending,
                                       ReservationStatus::kConfirmed, now)) {
    // Another transaction moved it first (a payment, a cancel, the sweeper): report its state.
    auto current = store.Reservations().FindWithoutSeats(reservation->id);
    return current ? NotPayable(*current)
                   : Fail(ErrorCode::kReservationNotFound, "reservation not found");
  }

  if (!store.Seats().ConfirmAll(reservation->hold_id, reservation->total_seats, now)) {
    return Fail(ErrorCode::kReservationExpired, "the hold on the seats has lapsed");
  }

  const auto amount = reservation->total_amount;
  if (!store.Wallets().Debit(cmd.who.user_id, amount, now)) {
    return Fail(ErrorCode::kInsufficientBalance, "insufficient balance");
  }
  auto entry_id = store.Wallets().AppendEntry(
      domain::WalletEntry{0, cmd.who.user_id, domain::WalletEntryType::kUse,
                          domain::Money{-amount.won}, std::nullopt, now});
  if (!entry_id) {
    // Only keyed entries can be refused; reaching here means the adapter broke its contract.
    return Fail(ErrorCode::kInternal, "ledger entry refused");
  }

  auto payment = store.Payments().Create(Payment{{},
                                                 cmd.who.user_id,
                                                 reservation->id,
                                                 *entry_id,
                                                 amount,
                                                 domain::PaymentStatus::kSuccess,
                                                 now},
                                         now);
  if (!payment) {
    return Fail(ErrorCode::kReservationAlreadyConfirmed, "reservation already paid");
  }

  store.Outbox().Append(
      domain::PaymentCompleted{payment->id, reservation->id, reservation->user_id,
                               reservation->concert_id, reservation->event_id, amount,
                               reservation->total_seats, now, cmd.who.generation},
      now);
  return PaidReservation{*std::move(payment), reservation->total_seats};
}

}  // namespace boxoffice::application
