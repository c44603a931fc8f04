#include "memory_database.hpp"

#include <algorithm>

#include "domain/errors.hpp"

namespace boxoffice::fakes {
namespace {

using namespace boxoffice::domain;  // NOLINT(google-build-using-namespace): test fake

using Tables = MemoryTables;

SeatState EffectiveState(const Tables::SeatRow& row, Instant now) {
  if (row.seat.state == SeatState::kHeld && row.held_until <= now) return SeatState::kAvailable;
  return row.seat.state;
}

Seat ReadSeat(const Tables::SeatRow& row, Instant now) {
  Seat s = row.seat;
  s.state = EffectiveState(row, now);
  return s;
}

class Users : public UserRepository {
 public:
  explicit Users(Tables& t) : t_(t) {}
  User Create(const std::string& name, Instant) override {
    User u{{++t_.next_id}, name};
    t_.users[u.id.value] = u;
    return u;
  }
  std::optional<User> Find(UserId id) override {
    auto it = t_.users.find(id.value);
    if (it == t_.users.end()) return std::nullopt;
    return it->second;
  }

 private:
  Tables& t_;
};

class Catalogue : public CatalogueRepository {
 public:
  explicit Catalogue(Tables& t) : t_(t) {}
  Concert CreateConcert(const NewConcert& c, Instant) override {
    Concert out{{++t_.next_id}, c.title, c.singer, c.description};
    t_.concerts[out.id.value] = out;
    return out;
  }
  std::vector<Concert> ListConcerts() override {
    std::vector<Concert> out;
    for (const auto& [id, c] : t_.concerts) out.push_back(c);
    return out;
  }
  std::optional<Concert> FindConcert(ConcertId id) override {
    auto it = t_.concerts.find(id.value);
    if (it == t_.concerts.end()) return std::nullopt;
    return it->second;
  }
  ConcertEvent CreateEvent(const NewConcertEvent& e, Instant) override {
    ConcertEvent out;
    out.id = {++t_.next_id};
    out.concert_id = e.concert_id;
    out.venue = e.venue;
    out.start_at = e.start_at;
    out.duration_minutes = e.duration_minutes;
    out.reservation_start_at = e.reservation_start_at;
    out.reservation_end_at = e.reservation_end_at;
    out.max_seat_count = e.seat_count;
    t_.events[out.id.value] = out;
    for (std::int32_t n = 1; n <= e.seat_count; ++n) {
      Tables::SeatRow row;
      row.seat = Seat{{++t_.next_id}, out.id, n, e.price, SeatState::kAvailable};
      t_.seats[row.seat.id.value] = row;
    }
    out.available_seat_count = e.seat_count;
    return out;
  }
  std::optional<ConcertEvent> FindEvent(EventId id, Instant now) override {
    auto it = t_.events.find(id.value);
    if (it == t_.events.end()) return std::nullopt;
    return WithCount(it->second, now);
  }
  std::optional<ConcertEvent> FindEventUncounted(EventId id) override {
    auto it = t_.events.find(id.value);
    if (it == t_.events.end()) return std::nullopt;
    ConcertEvent out = it->second;
    out.available_seat_count = 0;
    return out;
  }
  std::vector<ConcertEvent> ListEvents(ConcertId concert, Instant now) override {
    std::vector<ConcertEvent> out;
    for (const auto& [id, e] : t_.events) {
      if (e.concert_id == concert) out.push_back(WithCount(e, now));
    }
    std::stable_sort(out.begin(), out.end(),
                     [](const auto& a, const auto& b) { return a.start_at < b.start_at; });
    return out;
  }
  std::vector<Seat> ListSeats(EventId event, Instant now) override {
    std::vector<Seat> out;
    for (const auto& [id, row] : t_.seats) {
      if (row.seat.event_id == event) out.push_back(ReadSeat(row, now));
    }
    std::sort(out.begin(), out.end(),
              [](const auto& a, const auto& b) { return a.seat_number < b.seat_number; });
    return out;
  }
  std::vector<Seat> ListFreeSeats(EventId event, Instant now) override {
    auto seats = ListSeats(event, now);
    std::erase_if(seats, [](const Seat& s) { return s.state != domain::SeatState::kAvailable; });
    return seats;
  }
  bool HasBuyableSeats(ConcertId concert, Instant now) override {
    for (const auto& [id, row] : t_.seats) {
      const auto& e = t_.events.at(row.seat.event_id.value);
      if (e.concert_id == concert && e.reservation_end_at > now &&
          row.seat.state != SeatState::kReserved) {
        return true;
      }
    }
    return false;
  }

 private:
  ConcertEvent WithCount(ConcertEvent e, Instant now) {
    e.available_seat_count = 0;
    for (const auto& [id, row] : t_.seats) {
      if (row.seat.event_id == e.id && EffectiveState(row, now) == SeatState::kAvailable) {
        ++e.available_seat_count;
      }
    }
    return e;
  }
  Tables& t_;
};

class Seats : public SeatRepository {
 public:
  explicit Seats(Tables& t) : t_(t) {}
  std::vector<Seat> Find(EventId event, const std::vector<SeatId>& ids, Instant now) override {
    std::vector<Seat> out;
    std::set<std::int64_t> seen;
    for (auto id : ids) {
      auto it = t_.seats.find(id.value);
      if (it == t_.seats.end() || it->second.seat.event_id != event) continue;
      if (seen.insert(id.value).second) out.push_back(ReadSeat(it->second, now));
    }
    return out;
  }
  // One writer at a time here: nothing to lock.
  std::vector<Seat> FindForHold(EventId event, const std::vector<SeatId>& ids, UserId,
                                Instant now) override {
    return Find(event, ids, now);
  }
  int Hold(EventId event, const std::vector<SeatId>& ids, HoldId hold, Instant until,
           Instant now) override {
    int n = 0;
    for (auto id : std::set<SeatId>(ids.begin(), ids.end())) {
      auto it = t_.seats.find(id.value);
      if (it == t_.seats.end() || it->second.seat.event_id != event) continue;
      auto& row = it->second;
      if (EffectiveState(row, now) != SeatState::kAvailable) continue;
      row.seat.state = SeatState::kHeld;
      row.hold_id = hold;
      row.held_until = until;
      ++n;
    }
    return n;
  }
  int Release(HoldId hold) override {
    int n = 0;
    for (auto& [id, row] : t_.seats) {
      if (row.seat.state == SeatState::kHeld && row.hold_id == hold) {
        row.seat.state = SeatState::kAvailable;
        row.hold_id.reset();
        ++n;
      }
    }
    return n;
  }
  int Confirm(HoldId hold, Instant now) override {
    int n = 0;
    for (auto& [id, row] : t_.seats) {
      if (row.seat.state == SeatState::kHeld && row.hold_id == hold && row.held_until > now) {
        row.seat.state = SeatState::kReserved;
        ++n;
      }
    }
    return n;
  }
  int ReleaseLapsed(Instant now, int limit) override {
    int n = 0;
    for (auto& [id, row] : t_.seats) {
      if (n >= limit) break;
      if (row.seat.state == SeatState::kHeld && row.held_until <= now) {
        row.seat.state = SeatState::kAvailable;
        row.hold_id.reset();
        ++n;
      }
    }
    return n;
  }

 private:
  Tables& t_;
};

class Holds : public HoldRepository {
 public:
  explicit Holds(Tables& t) : t_(t) {}
  domain::Hold Create(UserId user, EventId event, const std::vector<HeldSeat>& seats,
                      Instant expires_at, Instant now) override {
    domain::Hold h{{++t_.next_id}, user, event, HoldStatus::kActive, now, expires_at, seats};
    t_.holds[h.id.value] = h;
    return h;
  }
  std::optional<domain::Hold> CreateWithinLimit(UserId user, EventId event,
                                                const std::vector<HeldSeat>& seats,
                                                Instant expires_at, Instant now,
                                                int max_live_seats) override {
    if (CountLiveSeats(user, event, now) + static_cast<int>(seats.size()) > max_live_seats) {
      return std::nullopt;
    }
    return Create(user, event, seats, expires_at, now);
  }
  std::optional<domain::Hold> Find(HoldId id) override {
    auto it = t_.holds.find(id.value);
    if (it == t_.holds.end()) return std::nullopt;
    return it->second;
  }
  bool Transition(HoldId id, HoldStatus from, HoldStatus to, Instant) override {
    auto it = t_.holds.find(id.value);
    if (it == t_.holds.end() || it->second.status != from) return false;
    it->second.status = to;
    return true;
  }
  int CountLiveSeats(UserId user, EventId event, Instant now) override {
    int n = 0;
    for (const auto& [id, row] : t_.seats) {
      if (row.seat.event_id != event || row.seat.state != SeatState::kHeld || !row.hold_id ||
          row.held_until <= now) {
        continue;
      }
      auto hold = t_.holds.find(row.hold_id->value);
      if (hold != t_.holds.end() && hold->second.user_id == user &&
          (hold->second.status == HoldStatus::kActive ||
           hold->second.status == HoldStatus::kReserved)) {
        ++n;
      }
    }
    return n;
  }
  int ExpireLapsed(Instant now, int limit) override {
    int n = 0;
    for (auto& [id, h] : t_.holds) {
      if (n >= limit) break;
      if (h.status == HoldStatus::kActive && h.expires_at <= now) {
        h.status = HoldStatus::kExpired;
        ++n;
      }
    }
    return n;
  }

 private:
  Tables& t_;
};

class Reservations : public ReservationRepository {
 public:
  explicit Reservations(Tables& t) : t_(t) {}
  Reservation Create(const Reservation& r, Instant) override {
    Reservation out = r;
    out.id = {++t_.next_id};
    t_.reservations[out.id.value] = out;
    return out;
  }
  std::optional<Reservation> Find(ReservationId id) override {
    auto it = t_.reservations.find(id.value);
    if (it == t_.reservations.end()) return std::nullopt;
    return it->second;
  }
  std::optional<Reservation> FindWithoutSeats(ReservationId id) override {
    auto found = Find(id);
    if (found) found->seats.clear();
    return found;
  }
  std::optional<Reservation> FindPendingByHold(HoldId hold) override {
    for (const auto& [id, r] : t_.reservations) {
      if (r.hold_id == hold && r.status == ReservationStatus::kPending) return r;
    }
    return std::nullopt;
  }
  std::vector<Reservation> ListByUser(UserId user) override {
    std::vector<Reservation> out;
    for (auto it = t_.reservations.rbegin(); it != t_.reservations.rend(); ++it) {
      if (it->second.user_id == user) out.push_back(it->second);
    }
    return out;
  }
  bool Transition(ReservationId id, ReservationStatus from, ReservationStatus to,
                  Instant) override {
    auto it = t_.reservations.find(id.value);
    if (it == t_.reservations.end() || it->second.status != from) return false;
    it->second.status = to;
    return true;
  }
  int ExpireLapsed(Instant now, int limit) override {
    int n = 0;
    for (auto& [id, r] : t_.reservations) {
      if (n >= limit) break;
      if (r.status != ReservationStatus::kPending || r.expires_at > now) continue;
      r.status = ReservationStatus::kExpired;
      ++n;
      auto h = t_.holds.find(r.hold_id.value);
      if (h != t_.holds.end() &&
          (h->second.status == HoldStatus::kReserved || h->second.status == HoldStatus::kActive)) {
        h->second.status = HoldStatus::kExpired;
      }
    }
    return n;
  }

 private:
  Tables& t_;
};

class Payments : public PaymentRepository {
 public:
  explicit Payments(Tables& t) : t_(t) {}
  std::optional<Payment> Create(const Payment& p, Instant) override {
    if (p.status == PaymentStatus::kSuccess) {
      for (const auto& [id, existing] : t_.payments) {
        if (existing.reservation_id == p.reservation_id &&
            existing.status == PaymentStatus::kSuccess) {
          return std::nullopt;
        }
      }
    }
    Payment out = p;
    out.id = {++t_.next_id};
    t_.payments[out.id.value] = out;
    return out;
  }
  std::optional<Payment> FindByReservation(ReservationId id) override {
    for (const auto& [pid, p] : t_.payments) {
      if (p.reservation_id == id) return p;
    }
    return std::nullopt;
  }
  std::vector<Payment> ListByUser(UserId user) override {
    std::vector<Payment> out;
    for (auto it = t_.payments.rbegin(); it != t_.payments.rend(); ++it) {
      if (it->second.user_id == user) out.push_back(it->second);
    }
    return out;
  }

 private:
  Tables& t_;
};

class Wallets : public WalletRepository {
 public:
  Wallets(Tables& t, int& finds) : t_(t), finds_(finds) {}
  void Create(UserId user, Instant) override { t_.wallets.try_emplace(user.value, Money{0}); }
  std::optional<Money> Balance(UserId user) override {
    auto it = t_.wallets.find(user.value);
    if (it == t_.wallets.end()) return std::nullopt;
    return it->second;
  }
  bool Credit(UserId user, Money amount, Money max_balance, Instant) override {
    auto it = t_.wallets.find(user.value);
    if (it == t_.wallets.end() || it->second + amount > max_balance) return false;
    it->second = it->second + amount;
    return true;
  }
  bool Debit(UserId user, Money amount, Instant) override {
    auto it = t_.wallets.find(user.value);
    if (it == t_.wallets.end() || it->second < amount) return false;
    it->second = it->second - amount;
    return true;
  }
  std::optional<std::int64_t> AppendEntry(const WalletEntry& entry) override {
    if (entry.idempotency_key && EntryWithKey(entry.user_id, *entry.idempotency_key)) {
      return std::nullopt;
    }
    WalletEntry out = entry;
    out.id = ++t_.next_id;
    t_.entries.push_back(out);
    return out.id;
  }
  std::optional<WalletEntry> FindEntryByKey(UserId user, const std::string& key) override {
    ++finds_;
    return EntryWithKey(user, key);
  }
  std::vector<WalletEntry> ListEntries(UserId user, int limit) override {
    std::vector<WalletEntry> out;
    for (auto it = t_.entries.rbegin();
         it != t_.entries.rend() && static_cast<int>(out.size()) < limit; ++it) {
      if (it->user_id == user) out.push_back(*it);
    }
    return out;
  }
  Money LedgerSum(UserId user) override {
    Money sum{0};
    for (const auto& e : t_.entries) {
      if (e.user_id == user) sum = sum + e.amount;
    }
    return sum;
  }

 private:
  std::optional<WalletEntry> EntryWithKey(UserId user, const std::string& key) const {
    for (const auto& e : t_.entries) {
      if (e.user_id == user && e.idempotency_key == key) return e;
    }
    return std::nullopt;
  }

  Tables& t_;
  int& finds_;
};

class Outbox : public OutboxRepository {
 public:
  explicit Outbox(Tables& t) : t_(t) {}
  void Append(const DomainEvent& event, Instant now) override {
    Tables::OutboxRow row;
    row.record = OutboxRecord{++t_.next_id, event, now, 0};
    row.next_attempt_at = now;
    t_.outbox[row.record.id] = row;
  }
  std::vector<OutboxRecord> Claim(Instant now, Instant claim_until, int limit) override {
    std::vector<OutboxRecord> out;
    for (auto& [id, row] : t_.outbox) {
      if (static_cast<int>(out.size()) >= limit) break;
      if (row.published || row.dead || row.next_attempt_at > now || row.claimed_until > now) {
        continue;
      }
      row.claimed_until = claim_until;
      out.push_back(row.record);
    }
    return out;
  }
  void MarkPublished(const std::vector<std::int64_t>& ids, Instant now) override {
    for (std::int64_t id : ids) {
      auto it = t_.outbox.find(id);
      if (it == t_.outbox.end()) continue;
      it->second.published = true;
      it->second.published_at = now;
    }
  }
  void MarkFailed(std::int64_t id, Instant next_attempt_at, bool dead) override {
    auto it = t_.outbox.find(id);
    if (it == t_.outbox.end()) return;
    auto& row = it->second;
    ++row.record.attempts;
    row.next_attempt_at = next_attempt_at;
    row.claimed_until = Instant{};
    row.dead = dead;
  }
  std::int64_t CountUnpublished() override {
    std::int64_t n = 0;
    for (const auto& [id, row] : t_.outbox) n += row.published ? 0 : 1;
    return n;
  }
  int PurgePublished(Instant cutoff, int limit) override {
    int n = 0;
    for (auto it = t_.outbox.begin(); it != t_.outbox.end() && n < limit;) {
      if (it->second.published && it->second.published_at < cutoff) {
        it = t_.outbox.erase(it);
        ++n;
      } else {
        ++it;
      }
    }
    return n;
  }

 private:
  Tables& t_;
};

class ProcessedEvents : public ProcessedEventRepository {
 public:
  explicit ProcessedEvents(Tables& t) : t_(t) {}
  bool MarkProcessed(const std::string& consumer, std::int64_t event_id, Instant) override {
    return t_.processed.insert({consumer, event_id}).second;
  }
  bool IsProcessed(const std::string& consumer, std::int64_t event_id) override {
    return t_.processed.contains({consumer, event_id});
  }

 private:
  Tables& t_;
};

class Idempotency : public IdempotencyRepository {
 public:
  Idempotency(Tables& t, int& finds) : t_(t), finds_(finds) {}
  bool TryStore(UserId user, const std::string& scope, const std::string& key,
                const IdempotencyRecord& record) override {
    return t_.idempotency.try_emplace({user.value, scope, key}, record).second;
  }
  void StoreLast(UserId user, const std::string& scope, const std::string& key,
                 const IdempotencyRecord& record) override {
    if (!TryStore(user, scope, key, record)) {
      throw DuplicateRecordError("idempotency key already has a record");
    }
  }
  std::optional<IdempotencyRecord> Find(UserId user, const std::string& scope,
                                        const std::string& key) override {
    ++finds_;
    auto it = t_.idempotency.find({user.value, scope, key});
    if (it == t_.idempotency.end()) return std::nullopt;
    return it->second;
  }
  bool DropAbandoned(UserId user, const std::string& scope, const std::string& key,
                     Instant started_before) override {
    auto it = t_.idempotency.find({user.value, scope, key});
    if (it == t_.idempotency.end() || it->second.completed ||
        it->second.created_at >= started_before) {
      return false;
    }
    t_.idempotency.erase(it);
    return true;
  }
  int Purge(Instant cutoff) override {
    return static_cast<int>(std::erase_if(
        t_.idempotency, [&](const auto& kv) { return kv.second.created_at < cutoff; }));
  }

 private:
  Tables& t_;
  int& finds_;
};

class Policy : public PolicyRepository {
 public:
  explicit Policy(Tables& t) : t_(t) {}
  std::optional<Policies> Load() override { return t_.policies; }
  void Save(const Policies& p, Instant) override { t_.policies = p; }

 private:
  Tables& t_;
};

class MemoryStore : public Store {
 public:
  MemoryStore(Tables& t, int& idempotency_finds, int& ledger_key_finds)
      : users_(t),
        catalogue_(t),
        seats_(t),
        holds_(t),
        reservations_(t),
        payments_(t),
        wallets_(t, ledger_key_finds),
        outbox_(t),
        processed_(t),
        idempotency_(t, idempotency_finds),
        policy_(t) {}
  UserRepository& Users() override { return users_; }
  CatalogueRepository& Catalogue() override { return catalogue_; }
  SeatRepository& Seats() override { return seats_; }
  HoldRepository& Holds() override { return holds_; }
  ReservationRepository& Reservations() override { return reservations_; }
  PaymentRepository& Payments() override { return payments_; }
  WalletRepository& Wallets() override { return wallets_; }
  OutboxRepository& Outbox() override { return outbox_; }
  ProcessedEventRepository& ProcessedEvents() override { return processed_; }
  IdempotencyRepository& Idempotency() override { return idempotency_; }
  PolicyRepository& Policy() override { return policy_; }

 private:
  class Users users_;
  class Catalogue catalogue_;
  class Seats seats_;
  class Holds holds_;
  class Reservations reservations_;
  class Payments payments_;
  class Wallets wallets_;
  class Outbox outbox_;
  class ProcessedEvents processed_;
  class Idempotency idempotency_;
  class Policy policy_;
};

}  // namespace

MemoryTables MemoryDatabase::Snapshot() const {
  std::lock_guard lock(mu_);
  return tables_;
}

int MemoryDatabase::Commits() const {
  std::lock_guard lock(mu_);
  return commits_;
}

int MemoryDatabase::Rollbacks() const {
  std::lock_guard lock(mu_);
  return rollbacks_;
}

int MemoryDatabase::IdempotencyFinds() const {
  std::lock_guard lock(mu_);
  return idempotency_finds_;
}

int MemoryDatabase::LedgerKeyFinds() const {
  std::lock_guard lock(mu_);
  return ledger_key_finds_;
}

void MemoryDatabase::FailNextTransactions(int count) {
  std::lock_guard lock(mu_);
  fail_next_ = count;
}

void MemoryDatabase::Execute(TxMode mode, const std::function<bool(Store&)>& work) {
  std::lock_guard lock(mu_);
  if (fail_next_ > 0) {
    --fail_next_;
    throw UnavailableError("memory database: injected failure");
  }
  MemoryTables before = tables_;
  MemoryStore store(tables_, idempotency_finds_, ledger_key_finds_);
  bool commit = false;
  try {
    commit = work(store);
  } catch (...) {
    tables_ = std::move(before);
    ++rollbacks_;
    throw;
  }
  if (!commit || mode != TxMode::kWrite) {
    tables_ = std::move(before);
    if (!commit) ++rollbacks_;
    return;
  }
  ++commits_;
}

}  // namespace boxoffice::fakes
