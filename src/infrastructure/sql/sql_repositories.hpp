#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <vector>

#include "domain/ports/store.hpp"
#include "infrastructure/sql/deferred_writes.hpp"
#include "infrastructure/sql/dialect.hpp"
#include "infrastructure/sql/sql_util.hpp"
#include "infrastructure/sql/statement_cache.hpp"

namespace soci {
class session;
}

namespace boxoffice::infra {

// The connection of one transaction as the repositories see it.
struct SqlConnection {
  soci::session& session;
  sql::StatementCache* statements;  // the connection's prepared statements, or null
  sql::DeferredWrites* deferred;    // a MySQL write transaction's held writes, or null
};

// Every repository is bound to the session of one transaction and lives only as long as it.
class SqlRepository {
 public:
  SqlRepository(const SqlConnection& connection, const Dialect& dialect)
      : session_(connection.session),
        dialect_(dialect),
        statements_(connection.statements),
        deferred_(connection.deferred) {}

 protected:
  // `sql`, prepared once per connection where the connection keeps a cache. The
  // transaction's held writes are sent first, so the statement comes after them.
  sql::Statement Prepare(const std::string& sql) {
    if (deferred_) deferred_->Send(/*commit=*/false);
    return {session_, statements_, sql};
  }
  // `sql` for this run only, never kept in the connection's cache (SOCI's statement: on MySQL
  // sent as text, on SQLite prepared for the run).
  sql::Statement PrepareOnce(const std::string& sql) {
    if (deferred_) deferred_->Send(/*commit=*/false);
    return {session_, nullptr, sql};
  }
  // `sql`, built around `list` (sql::WithInList): kept prepared when the list is short, since its
  // text recurs; for this run only (PrepareOnce) when it is a batch's length, so that texts seen
  // once do not fill the cache (MySQL closes the statements it lent least recently to make room).
  sql::Statement PrepareInList(const std::string& sql, const sql::InList& list) {
    return list.size() <= sql::InList::kKeptLength ? Prepare(sql) : PrepareOnce(sql);
  }
  // Runs `sql` with its use and into elements; true when it returned a row.
  template <class... Elements>
  bool Run(const std::string& sql, Elements&&... elements) {
    sql::Statement st = Prepare(sql);
    st.Bind(std::forward<Elements>(elements)...);
    return st.Execute(true);
  }
  // Runs a write whose outcome the caller does not look at, or holds it to be sent with the
  // next statement or the commit where the transaction can (DeferredWrites).
  void RunOrDefer(
      const std::string& sql, const sql::Params& params,
      sql::DeferredWrites::OnDuplicate on_duplicate = sql::DeferredWrites::OnDuplicate::kFail) {
    if (deferred_) {
      deferred_->Add(sql, params, on_duplicate);
      return;
    }
    RunNow(sql, params);
  }

  // Runs a write whose only answer is the number of rows it matched; held writes go in the
  // same round trip.
  long long RunCounted(const std::string& sql, const sql::Params& params) {
    if (deferred_ && !deferred_->empty()) return deferred_->SendWith(sql, params);
    return RunNow(sql, params);
  }

  // Runs a conditional write that must match exactly `rows` rows for the transaction to go on;
  // the rows it matched. While the transaction may assume (ADR 0018), the write is held instead
  // and `rows` returned: it is checked when the held writes are next sent, always before the
  // COMMIT, and a miss runs the transaction again without assuming.
  long long RunExpecting(const std::string& sql, const sql::Params& params, long long rows) {
    if (deferred_ && deferred_->assuming()) {
      deferred_->Expect(sql, params, rows);
      return rows;
    }
    return RunCounted(sql, params);
  }

  // Holds an insert whose only possible refusal is a duplicate key, assuming the key is new,
  // while the transaction may assume (ADR 0018): true. A duplicate then fails the next send and
  // the run without assuming sees it. False, holding nothing, otherwise: run the insert now.
  bool HoldAssumingNew(const std::string& sql, const sql::Params& params) {
    if (!deferred_ || !deferred_->assuming()) return false;
    deferred_->Add(sql, params, sql::DeferredWrites::OnDuplicate::kAssumed);
    return true;
  }

  // Moves row `id` from status `from` to `to` with `sql` (its placeholders :to, :now, :id,
  // :from); whether it moved. Assumed while the transaction may assume.
  template <class Status>
  bool RunTransition(const std::string& sql, std::int64_t id, Status from, Status to,
                     domain::Instant now) {
    return RunExpecting(sql,
                        {{"to", sql::ToText(to)},
                         {"now", sql::ToMs(now)},
                         {"id", id},
                         {"from", sql::ToText(from)}},
                        1) > 0;
  }

  // RunCounted for a statement whose text is built for one batch (its length varies): it is
  // sent as text, never kept prepared, so such texts do not crowd the connection's cache.
  long long RunCountedOnce(const std::string& sql, const sql::Params& params) {
    if (deferred_ && !deferred_->empty()) return deferred_->SendWith(sql, params);
    sql::Statement st = PrepareOnce(sql);
    sql::BindParams(st, params);
    st.Execute();
    return st.AffectedRows();
  }

  // RunExpecting for a batch's statement (RunCountedOnce's texts): whether it matched exactly
  // `rows` rows, or, while the transaction may assume, held to be checked later (true).
  bool RunExpectingOnce(const std::string& sql, const sql::Params& params, long long rows) {
    if (deferred_ && deferred_->assuming()) {
      deferred_->Expect(sql, params, rows);
      return true;
    }
    return RunCountedOnce(sql, params) == rows;
  }

  // Runs an insert and returns the new row's id; held writes go in the same round trip.
  std::int64_t InsertForId(const std::string& sql, const sql::Params& params) {
    RunCounted(sql, params);
    return dialect_.LastInsertId(session_);
  }

  soci::session& session_;
  const Dialect& dialect_;
  sql::StatementCache* statements_;
  sql::DeferredWrites* deferred_;

 private:
  // Runs a write at once (after any held writes); the rows it matched.
  long long RunNow(const std::string& sql, const sql::Params& params) {
    sql::Statement st = Prepare(sql);
    sql::BindParams(st, params);
    st.Execute();
    return st.AffectedRows();
  }
};

// Rows the current transaction has locked for update (MySQL), so that a repository does not
// ask the database for a lock this transaction already holds: a hold reads and locks its seats
// and its user first (SeatRepository::FindForHold), and its later statements need those locks.
// Locks last until the transaction ends, so entries are never removed.
struct TransactionLocks {
  std::vector<std::int64_t> seats;
  std::vector<std::int64_t> users;

  bool HasSeats(const std::vector<std::int64_t>& ids) const {
    return std::all_of(ids.begin(), ids.end(), [&](std::int64_t id) {
      return std::find(seats.begin(), seats.end(), id) != seats.end();
    });
  }
  bool HasUser(std::int64_t id) const {
    return std::find(users.begin(), users.end(), id) != users.end();
  }
};

class SqlUserRepository final : public domain::UserRepository, SqlRepository {
 public:
  using SqlRepository::SqlRepository;
  domain::User Create(const std::string& name, domain::Instant now) override;
  std::vector<domain::User> CreateAll(std::span<const std::string> names,
                                      domain::Instant now) override;
  std::optional<domain::User> Find(domain::UserId id) override;
};

class SqlCatalogueRepository final : public domain::CatalogueRepository, SqlRepository {
 public:
  using SqlRepository::SqlRepository;
  domain::Concert CreateConcert(const domain::NewConcert& concert, domain::Instant now) override;
  std::vector<domain::Concert> ListConcerts() override;
  std::optional<domain::Concert> FindConcert(domain::ConcertId id) override;
  domain::ConcertEvent CreateEvent(const domain::NewConcertEvent& event,
                                   domain::Instant now) override;
  std::optional<domain::ConcertEvent> FindEvent(domain::EventId id, domain::Instant now) override;
  std::optional<domain::ConcertEvent> FindEventUncounted(domain::EventId id) override;
  std::vector<domain::ConcertEvent> ListEvents(domain::ConcertId concert,
                                               domain::Instant now) override;
  std::vector<domain::Seat> ListSeats(domain::EventId event, domain::Instant now) override;
  std::vector<domain::Seat> ListFreeSeats(domain::EventId event, domain::Instant now) override;
  bool HasBuyableSeats(domain::ConcertId concert, domain::Instant now) override;
};

class SqlSeatRepository final : public domain::SeatRepository, SqlRepository {
 public:
  SqlSeatRepository(const SqlConnection& connection, const Dialect& dialect,
                    TransactionLocks& locks)
      : SqlRepository(connection, dialect), locks_(locks) {}
  std::vector<domain::Seat> Find(domain::EventId event, const std::vector<domain::SeatId>& ids,
                                 domain::Instant now) override;
  std::vector<domain::Seat> FindForHold(domain::EventId event,
                                        const std::vector<domain::SeatId>& ids,
                                        domain::UserId holder, domain::Instant now) override;
  int Hold(domain::EventId event, const std::vector<domain::SeatId>& ids, domain::HoldId hold,
           domain::Instant until, domain::Instant now) override;
  int Release(domain::HoldId hold) override;
  int Confirm(domain::HoldId hold, domain::Instant now) override;
  bool ConfirmAll(domain::HoldId hold, int seats, domain::Instant now) override;
  bool ConfirmEvery(std::span<const HoldSeats> holds, domain::Instant now) override;
  int ReleaseLapsed(domain::Instant now, int limit) override;

 private:
  enum class Locking { kNone, kWait, kNowait };
  // The seats among `ids` by primary key (in id order), with `holder`'s user row joined when
  // given; with locking, the rows read are locked in the same statement. std::nullopt when
  // kNowait met a row locked by another transaction.
  std::optional<std::vector<domain::Seat>> Read(const std::vector<domain::SeatId>& ids,
                                                std::optional<domain::UserId> holder,
                                                domain::Instant now, Locking locking);
  // Find and FindForHold (with the holder): the seats of `event` among `ids`, locked on MySQL.
  std::vector<domain::Seat> FindSeats(domain::EventId event, const std::vector<domain::SeatId>& ids,
                                      std::optional<domain::UserId> holder, domain::Instant now);

  TransactionLocks& locks_;
};

class SqlHoldRepository final : public domain::HoldRepository, SqlRepository {
 public:
  SqlHoldRepository(const SqlConnection& connection, const Dialect& dialect,
                    TransactionLocks& locks)
      : SqlRepository(connection, dialect), locks_(locks) {}
  domain::Hold Create(domain::UserId user, domain::EventId event,
                      const std::vector<domain::HeldSeat>& seats, domain::Instant expires_at,
                      domain::Instant now) override;
  std::optional<domain::Hold> CreateWithinLimit(domain::UserId user, domain::EventId event,
                                                const std::vector<domain::HeldSeat>& seats,
                                                domain::Instant expires_at, domain::Instant now,
                                                int max_live_seats) override;
  std::optional<domain::Hold> Find(domain::HoldId id) override;
  bool Transition(domain::HoldId id, domain::HoldStatus from, domain::HoldStatus to,
                  domain::Instant now) override;
  std::vector<std::optional<domain::Hold>> FindAll(std::span<const domain::HoldId> ids) override;
  bool TransitionAll(std::span<const domain::HoldId> ids, domain::HoldStatus from,
                     domain::HoldStatus to, domain::Instant now) override;
  int CountLiveSeats(domain::UserId user, domain::EventId event, domain::Instant now) override;
  int ExpireLapsed(domain::Instant now, int limit) override;

 private:
  // MySQL: locks what a hold's inserts need locked first, unless this transaction already did.
  void LockSeats(const std::vector<domain::HeldSeat>& seats);
  void LockUser(domain::UserId user);
  // The occupation row (when `max_live_seats` allows it) and its seats; nullopt when refused.
  std::optional<domain::Hold> Insert(domain::UserId user, domain::EventId event,
                                     const std::vector<domain::HeldSeat>& seats,
                                     domain::Instant expires_at, domain::Instant now,
                                     std::optional<int> max_live_seats);

  TransactionLocks& locks_;
};

class SqlReservationRepository final : public domain::ReservationRepository, SqlRepository {
 public:
  using SqlRepository::SqlRepository;
  domain::Reservation Create(const domain::Reservation& reservation, domain::Instant now) override;
  std::vector<domain::Reservation> CreateAll(std::span<const domain::Reservation> reservations,
                                             domain::Instant now) override;
  std::optional<domain::Reservation> Find(domain::ReservationId id) override;
  std::optional<domain::Reservation> FindWithoutSeats(domain::ReservationId id) override;
  std::optional<domain::Reservation> FindPendingByHold(domain::HoldId hold) override;
  std::vector<std::optional<domain::Reservation>> FindAllWithoutSeats(
      std::span<const domain::ReservationId> ids) override;
  bool TransitionAll(std::span<const domain::ReservationId> ids, domain::ReservationStatus from,
                     domain::ReservationStatus to, domain::Instant now) override;
  std::vector<domain::Reservation> ListByUser(domain::UserId user) override;
  bool Transition(domain::ReservationId id, domain::ReservationStatus from,
                  domain::ReservationStatus to, domain::Instant now) override;
  int ExpireLapsed(domain::Instant now, int limit) override;

 private:
  std::vector<domain::Reservation> Query(const char* sql, std::int64_t key, bool with_seats = true);
  // The reservations `st` returns (its parameters bound), with their seats when `with_seats`.
  std::vector<domain::Reservation> Fetch(sql::Statement& st, bool with_seats);
};

class SqlPaymentRepository final : public domain::PaymentRepository, SqlRepository {
 public:
  using SqlRepository::SqlRepository;
  std::optional<domain::Payment> Create(const domain::Payment& payment,
                                        domain::Instant now) override;
  std::optional<std::vector<domain::Payment>> CreateAll(std::span<const domain::Payment> payments,
                                                        domain::Instant now) override;
  std::optional<domain::Payment> FindByReservation(domain::ReservationId id) override;
  std::vector<domain::Payment> ListByUser(domain::UserId user) override;

 private:
  std::vector<domain::Payment> Query(const char* sql, std::int64_t key);
};

class SqlWalletRepository final : public domain::WalletRepository, SqlRepository {
 public:
  using SqlRepository::SqlRepository;
  void Create(domain::UserId user, domain::Instant now) override;
  void CreateAll(std::span<const domain::UserId> users, domain::Instant now) override;
  std::optional<domain::Money> Balance(domain::UserId user) override;
  bool Credit(domain::UserId user, domain::Money amount, domain::Money max_balance,
              domain::Instant now) override;
  bool Debit(domain::UserId user, domain::Money amount, domain::Instant now) override;
  std::optional<std::int64_t> AppendEntry(const domain::WalletEntry& entry) override;
  bool AddEntry(const domain::WalletEntry& entry) override;
  bool CreditAll(std::span<const domain::WalletAmount> credits, domain::Money max_balance,
                 domain::Instant now) override;
  bool DebitAll(std::span<const domain::WalletAmount> debits, domain::Instant now) override;
  std::optional<std::vector<std::int64_t>> AppendEntries(
      std::span<const domain::WalletEntry> entries) override;
  bool AddEntries(std::span<const domain::WalletEntry> entries) override;
  std::vector<std::optional<domain::Money>> Balances(
      std::span<const domain::UserId> users) override;
  std::optional<domain::WalletEntry> FindEntryByKey(domain::UserId user,
                                                    const std::string& key) override;
  std::vector<domain::WalletEntry> ListEntries(domain::UserId user, int limit) override;
  domain::Money LedgerSum(domain::UserId user) override;

 private:
  // Inserts a ledger row with `sql` (EntryInsert); its id, or nullopt for a key on the ledger.
  std::optional<std::int64_t> InsertEntry(const char* sql, const sql::Params& params);
};

class SqlOutboxRepository final : public domain::OutboxRepository, SqlRepository {
 public:
  using SqlRepository::SqlRepository;
  void Append(const domain::DomainEvent& event, domain::Instant now) override;
  void AppendAll(std::span<const domain::DomainEvent> events, domain::Instant now) override;
  std::vector<domain::OutboxRecord> Claim(domain::Instant now, domain::Instant claim_until,
                                          int limit) override;
  void MarkPublished(const std::vector<std::int64_t>& ids, domain::Instant now) override;
  void MarkFailed(std::int64_t id, domain::Instant next_attempt_at, bool dead) override;
  std::int64_t CountUnpublished() override;
  int PurgePublished(domain::Instant cutoff, int limit) override;
};

class SqlProcessedEventRepository final : public domain::ProcessedEventRepository, SqlRepository {
 public:
  using SqlRepository::SqlRepository;
  bool MarkProcessed(const std::string& consumer, std::int64_t event_id,
                     domain::Instant now) override;
  bool IsProcessed(const std::string& consumer, std::int64_t event_id) override;
};

class SqlIdempotencyRepository final : public domain::IdempotencyRepository, SqlRepository {
 public:
  using SqlRepository::SqlRepository;
  bool TryStore(domain::UserId user, const std::string& scope, const std::string& key,
                const domain::IdempotencyRecord& record) override;
  void StoreLast(domain::UserId user, const std::string& scope, const std::string& key,
                 const domain::IdempotencyRecord& record) override;
  std::optional<domain::IdempotencyRecord> Find(domain::UserId user, const std::string& scope,
                                                const std::string& key) override;
  bool DropAbandoned(domain::UserId user, const std::string& scope, const std::string& key,
                     domain::Instant started_before) override;
  int Purge(domain::Instant cutoff) override;
};

class SqlPolicyRepository final : public domain::PolicyRepository, SqlRepository {
 public:
  using SqlRepository::SqlRepository;
  std::optional<domain::Policies> Load() override;
  void Save(const domain::Policies& policies, domain::Instant now) override;
};

// The repositories of one transaction.
class SqlStore final : public domain::Store {
 public:
  SqlStore(const SqlConnection& connection, const Dialect& dialect)
      : users_(connection, dialect),
        catalogue_(connection, dialect),
        seats_(connection, dialect, locks_),
        holds_(connection, dialect, locks_),
        reservations_(connection, dialect),
        payments_(connection, dialect),
        wallets_(connection, dialect),
        outbox_(connection, dialect),
        processed_(connection, dialect),
        idempotency_(connection, dialect),
        policy_(connection, dialect) {}

  domain::UserRepository& Users() override { return users_; }
  domain::CatalogueRepository& Catalogue() override { return catalogue_; }
  domain::SeatRepository& Seats() override { return seats_; }
  domain::HoldRepository& Holds() override { return holds_; }
  domain::ReservationRepository& Reservations() override { return reservations_; }
  domain::PaymentRepository& Payments() override { return payments_; }
  domain::WalletRepository& Wallets() override { return wallets_; }
  domain::OutboxRepository& Outbox() override { return outbox_; }
  domain::ProcessedEventRepository& ProcessedEvents() override { return processed_; }
  domain::IdempotencyRepository& Idempotency() override { return idempotency_; }
  domain::PolicyRepository& Policy() override { return policy_; }

 private:
  TransactionLocks locks_;  // declared first: the repositories below keep a reference
  SqlUserRepository users_;
  SqlCatalogueRepository catalogue_;
  SqlSeatRepository seats_;
  SqlHoldRepository holds_;
  SqlReservationRepository reservations_;
  SqlPaymentRepository payments_;
  SqlWalletRepository wallets_;
  SqlOutboxRepository outbox_;
  SqlProcessedEventRepository processed_;
  SqlIdempotencyRepository idempotency_;
  SqlPolicyRepository policy_;
};

}  // namespace boxoffice::infra
