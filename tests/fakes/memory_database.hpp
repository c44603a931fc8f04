#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "domain/model/catalogue.hpp"
#include "domain/model/events.hpp"
#include "domain/model/hold.hpp"
#include "domain/model/policies.hpp"
#include "domain/model/reservation.hpp"
#include "domain/model/user.hpp"
#include "domain/model/wallet.hpp"
#include "domain/ports/idempotency_repository.hpp"
#include "domain/ports/store.hpp"

namespace boxoffice::fakes {

// Every table of the service, in memory.
struct MemoryTables {
  struct SeatRow {
    domain::Seat seat;  // seat.state is the stored state; lapsed holds are derived at read time
    std::optional<domain::HoldId> hold_id;
    domain::Instant held_until{};
  };
  struct OutboxRow {
    domain::OutboxRecord record;
    bool published = false;
    domain::Instant published_at{};
    bool dead = false;
    domain::Instant next_attempt_at{};
    domain::Instant claimed_until{};
  };
  using IdempotencyKey = std::tuple<std::int64_t, std::string, std::string>;

  std::int64_t next_id = 0;
  std::map<std::int64_t, domain::User> users;
  std::map<std::int64_t, domain::Money> wallets;
  std::vector<domain::WalletEntry> entries;
  std::map<std::int64_t, domain::Concert> concerts;
  std::map<std::int64_t, domain::ConcertEvent> events;
  std::map<std::int64_t, SeatRow> seats;
  std::map<std::int64_t, domain::Hold> holds;
  std::map<std::int64_t, domain::Reservation> reservations;
  std::map<std::int64_t, domain::Payment> payments;
  std::map<std::int64_t, OutboxRow> outbox;
  std::set<std::pair<std::string, std::int64_t>> processed;
  std::map<IdempotencyKey, domain::IdempotencyRecord> idempotency;
  std::optional<domain::Policies> policies;
};

// domain::Database over MemoryTables. Transactions are serialized by one mutex; each snapshots
// all tables and restores them when the work fails or throws, so rollback is real. Read
// transactions always restore, so a write made in one is lost (and a test notices).
class MemoryDatabase : public domain::Database {
 public:
  // A copy of the tables as committed, for assertions.
  MemoryTables Snapshot() const;
  int Commits() const;
  int Rollbacks() const;
  // Lookups of an idempotency key (IdempotencyRepository::Find), in any transaction.
  int IdempotencyFinds() const;
  // Lookups of a ledger key (WalletRepository::FindEntryByKey), in any transaction.
  int LedgerKeyFinds() const;
  // The next `count` transactions throw UnavailableError before running their work.
  void FailNextTransactions(int count);

 protected:
  void Execute(domain::TxMode mode, const std::function<bool(domain::Store&)>& work) override;

 private:
  mutable std::mutex mu_;
  MemoryTables tables_;
  int commits_ = 0;
  int rollbacks_ = 0;
  int idempotency_finds_ = 0;
  int ledger_key_finds_ = 0;
  int fail_next_ = 0;
};

}  // namespace boxoffice::fakes
