#pragma once

#include <functional>
#include <optional>
#include <type_traits>
#include <utility>

#include "domain/ports/catalogue_repository.hpp"
#include "domain/ports/hold_repository.hpp"
#include "domain/ports/idempotency_repository.hpp"
#include "domain/ports/outbox_repository.hpp"
#include "domain/ports/payment_repository.hpp"
#include "domain/ports/policy_repository.hpp"
#include "domain/ports/processed_event_repository.hpp"
#include "domain/ports/reservation_repository.hpp"
#include "domain/ports/seat_repository.hpp"
#include "domain/ports/user_repository.hpp"
#include "domain/ports/wallet_repository.hpp"

namespace boxoffice::domain {

// The repositories of one transaction. Valid only inside the callback given to Database.
class Store {
 public:
  virtual ~Store() = default;
  virtual UserRepository& Users() = 0;
  virtual CatalogueRepository& Catalogue() = 0;
  virtual SeatRepository& Seats() = 0;
  virtual HoldRepository& Holds() = 0;
  virtual ReservationRepository& Reservations() = 0;
  virtual PaymentRepository& Payments() = 0;
  virtual WalletRepository& Wallets() = 0;
  virtual OutboxRepository& Outbox() = 0;
  virtual ProcessedEventRepository& ProcessedEvents() = 0;
  virtual IdempotencyRepository& Idempotency() = 0;
  virtual PolicyRepository& Policy() = 0;
};

enum class TxMode {
  kRead,  // a consistent snapshot; no writes
  // No writes, and no snapshot across statements: each statement reads the rows committed when
  // it runs. For a read of one statement, or of statements that need not agree (rows that never
  // change); it costs fewer round trips than a snapshot where the database has sessions (MySQL).
  kReadLatest,
  kWrite,  // takes the write lock up front where the database has one (SQLite BEGIN IMMEDIATE)
};

// Runs work in a database transaction. The callback's result decides the outcome: a Result that
// is ok commits, an error rolls back. An exception rolls back and propagates; adapters throw
// UnavailableError when the database cannot be reached or stays busy past its timeout.
// The callback may run more than once: an adapter runs a write transaction again from the start
// when the database aborted it as a deadlock victim or its lock wait timed out (MySQL). So it
// must change nothing outside the Store except values it sets afresh on every run; Run keeps
// only the result of the run that finished.
class Database {
 public:
  virtual ~Database() = default;

  template <class F>
  auto Read(F&& work) {
    return Run(TxMode::kRead, std::forward<F>(work));
  }
  template <class F>
  auto ReadLatest(F&& work) {
    return Run(TxMode::kReadLatest, std::forward<F>(work));
  }
  template <class F>
  auto Write(F&& work) {
    return Run(TxMode::kWrite, std::forward<F>(work));
  }

  template <class F>
  auto Run(TxMode mode, F&& work) {
    using R = std::invoke_result_t<F&, Store&>;
    std::optional<R> out;
    Execute(mode, [&](Store& store) {
      out.emplace(work(store));
      return out->ok();
    });
    return std::move(*out);
  }

 protected:
  // Begins a transaction, calls `work`, commits when it returns true and rolls back otherwise.
  virtual void Execute(TxMode mode, const std::function<bool(Store&)>& work) = 0;
};

}  // namespace boxoffice::domain
