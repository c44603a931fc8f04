#include "application/pay_reservation.hpp"

#include <unordered_set>

#include "application/together.hpp"
#include "domain/errors.hpp"

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

Result<void> PayReservation::Payable(const std::optional<domain::Reservation>& reservation,
                                     const PayReservationCommand& cmd, domain::Instant now) {
  if (!reservation || reservation->user_id != cmd.who.user_id) {
    return Fail(ErrorCode::kReservationNotFound, "reservation not found");
  }
  if (reservation->concert_id != cmd.who.concert_id) {
    return Fail(ErrorCode::kTokenNotProcessable, "queue token is for another concert");
  }
  if (!reservation->IsPayableAt(now)) return NotPayable(*reservation);
  return {};
}

domain::PaymentCompleted PayReservation::Completed(const Payment& payment,
                                                   const domain::Reservation& reservation,
                                                   const PayReservationCommand& cmd,
                                                   domain::Instant now) {
  return domain::PaymentCompleted{payment.id,
                                  reservation.id,
                                  reservation.user_id,
                                  reservation.concert_id,
                                  reservation.event_id,
                                  reservation.total_amount,
                                  reservation.total_seats,
                                  now,
                                  cmd.who.generation};
}

// Every step is conditional on the state it expects, and any failure returns an error, which
// rolls back everything before it: no money moves unless the seats are sold and the payment
// row exists. The statement order is fixed so concurrent payments cannot deadlock.
Result<PaidReservation> PayReservation::Pay(domain::Store& store,
                                            const PayReservationCommand& cmd) {
  // Read inside the transaction: waiting for the write lock must not leave `now` stale.
  const auto now = clock_.Now();
  auto reservation = store.Reservations().FindWithoutSeats(cmd.reservation_id);
  if (auto payable = Payable(reservation, cmd, now); !payable) return payable.error();
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

  store.Outbox().Append(Completed(*payment, *reservation, cmd, now), now);
  return PaidReservation{*std::move(payment), reservation->total_seats};
}

std::optional<std::vector<PayReservation::PaidTogether>> PayReservation::ExecuteTogether(
    std::span<const Together> payments,
    const std::function<StoredResponse(const PaidReservation&)>& respond) {
  std::unordered_set<std::int64_t> users;
  std::unordered_set<std::int64_t> reservations;
  std::vector<domain::ReservationId> ids;
  for (const auto& p : payments) {
    if (!IdempotencyGuard::ValidKey(p.request.key) ||
        !users.insert(p.command.who.user_id.value).second ||
        !reservations.insert(p.command.reservation_id.value).second) {
      return std::nullopt;  // answered alone
    }
    ids.push_back(p.command.reservation_id);
  }
  std::vector<PaidTogether> out;
  const bool committed = CommitTogether(db_, [&](domain::Store& store) -> Result<bool> {
    out.clear();
    const auto now = clock_.Now();  // as in Pay
    // The same statements as Pay's, in the same order, each for every payment.
    const auto found = store.Reservations().FindAllWithoutSeats(ids);
    std::vector<domain::SeatRepository::HoldSeats> holds;
    std::vector<domain::WalletAmount> debits;
    std::vector<domain::WalletEntry> entries;
    for (std::size_t i = 0; i < payments.size(); ++i) {
      const auto& cmd = payments[i].command;
      if (auto payable = Payable(found[i], cmd, now); !payable) return payable.error();
      holds.push_back({found[i]->hold_id, found[i]->total_seats});
      debits.push_back({cmd.who.user_id, found[i]->total_amount});
      entries.push_back({0, cmd.who.user_id, domain::WalletEntryType::kUse,
                         domain::Money{-found[i]->total_amount.won}, std::nullopt, now});
    }
    // Any refusal below is told apart by each payment alone.
    const auto refused = Fail(ErrorCode::kReservationExpired, "a payment of the batch failed");
    if (!store.Reservations().TransitionAll(ids, ReservationStatus::kPending,
                                            ReservationStatus::kConfirmed, now) ||
        !store.Seats().ConfirmEvery(holds, now) || !store.Wallets().DebitAll(debits, now)) {
      return refused;
    }
    auto entry_ids = store.Wallets().AppendEntries(entries);
    if (!entry_ids) return refused;
    std::vector<Payment> drafts;
    for (std::size_t i = 0; i < payments.size(); ++i) {
      drafts.push_back(Payment{{},
                               payments[i].command.who.user_id,
                               found[i]->id,
                               (*entry_ids)[i],
                               found[i]->total_amount,
                               domain::PaymentStatus::kSuccess,
                               now});
    }
    auto created = store.Payments().CreateAll(drafts, now);
    if (!created) return refused;
    std::vector<domain::DomainEvent> events;
    for (std::size_t i = 0; i < payments.size(); ++i) {
      events.push_back(Completed((*created)[i], *found[i], payments[i].command, now));
    }
    store.Outbox().AppendAll(events, now);
    for (std::size_t i = 0; i < payments.size(); ++i) {
      PaidReservation paid{(*created)[i], found[i]->total_seats};
      StoredResponse response = respond(paid);
      IdempotencyGuard::RecordLast(store, payments[i].request, response, now);
      out.push_back({std::move(paid), std::move(response)});
    }
    return true;
  });
  if (!committed) return std::nullopt;
  return out;
}

}  // namespace boxoffice::application
