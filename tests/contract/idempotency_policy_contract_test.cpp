#include <atomic>
#include <latch>
#include <thread>
#include <vector>

#include "contract/sql_contract_test.hpp"

namespace boxoffice::contract {
namespace {

using domain::Store;
using domain::UserId;

class IdempotencyRepositoryContract : public SqlContractTest {
 protected:
  // Stores a completed record, as IdempotencyGuard does.
  bool Put(UserId user, const std::string& scope, const std::string& key, std::int64_t at = 0,
           const std::string& hash = "h1", int status = 200, const std::string& body = "{}") {
    return Commit(db(), [&](Store& s) {
      return s.Idempotency().TryStore(user, scope, key, {hash, true, status, body, T(at)});
    });
  }
  // Stores an in-flight record, as the two-phase form of an older version did.
  bool InFlight(UserId user, const std::string& scope, const std::string& key, std::int64_t at = 0,
                const std::string& hash = "h1") {
    return Commit(db(), [&](Store& s) {
      return s.Idempotency().TryStore(user, scope, key, {hash, false, 0, "", T(at)});
    });
  }
  bool DropAbandoned(UserId user, const std::string& scope, const std::string& key,
                     std::int64_t started_before) {
    return Commit(db(), [&](Store& s) {
      return s.Idempotency().DropAbandoned(user, scope, key, T(started_before));
    });
  }
  std::optional<domain::IdempotencyRecord> Find(UserId user, const std::string& scope,
                                                const std::string& key) {
    return Query(db(), [&](Store& s) { return s.Idempotency().Find(user, scope, key); });
  }
};
BOXOFFICE_SQL_CONTRACT(IdempotencyRepositoryContract);

TEST_P(IdempotencyRepositoryContract, DuplicateKeyIsRefusedWithinUserAndScope) {
  EXPECT_TRUE(Put(UserId{1}, "pay", "k"));
  EXPECT_FALSE(Put(UserId{1}, "pay", "k", 5, "other"));
  EXPECT_FALSE(InFlight(UserId{1}, "pay", "k", 5, "other"));
  EXPECT_TRUE(Put(UserId{1}, "charge", "k"));
  EXPECT_TRUE(Put(UserId{2}, "pay", "k"));
  auto record = Find(UserId{1}, "pay", "k");
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->request_hash, "h1");  // the refused attempts changed nothing
  EXPECT_TRUE(record->completed);
  EXPECT_EQ(record->created_at, T(0));
  EXPECT_FALSE(Find(UserId{1}, "pay", "missing").has_value());
}

TEST_P(IdempotencyRepositoryContract, KeysCompareExactly) {
  EXPECT_TRUE(Put(UserId{1}, "pay", "Key"));
  EXPECT_TRUE(Put(UserId{1}, "pay", "key", 0, "h2"));
  EXPECT_TRUE(Put(UserId{1}, "pay", "key "));
  EXPECT_TRUE(Put(UserId{1}, "pay", "k\u00e9y"));
  EXPECT_TRUE(Put(UserId{1}, "pay", "key-e"));
  EXPECT_EQ(Find(UserId{1}, "pay", "key ")->request_hash, "h1");
  EXPECT_EQ(Find(UserId{1}, "pay", "key")->request_hash, "h2");
  EXPECT_FALSE(Find(UserId{1}, "pay", "KEY").has_value());
  // The longest key IdempotencyGuard takes.
  EXPECT_TRUE(Put(UserId{1}, "pay", std::string(255, 'k')));
  EXPECT_TRUE(Find(UserId{1}, "pay", std::string(255, 'k')).has_value());
}

TEST_P(IdempotencyRepositoryContract, TheStoredResponseIsReadBackExactly) {
  const std::string body = R"({"data":{"id":1,"note":"it's \"quoted\", caf)"
                           "\u00e9"
                           R"( \\ 100%"}})";
  ASSERT_TRUE(Put(UserId{1}, "pay", "k", 3, "h1", 201, body));
  auto record = Find(UserId{1}, "pay", "k");
  ASSERT_TRUE(record.has_value());
  EXPECT_TRUE(record->completed);
  EXPECT_EQ(record->status, 201);
  EXPECT_EQ(record->body, body);
  EXPECT_EQ(record->created_at, T(3));
  ASSERT_TRUE(InFlight(UserId{1}, "pay", "running", 4));
  auto running = Find(UserId{1}, "pay", "running");
  ASSERT_TRUE(running.has_value());
  EXPECT_FALSE(running->completed);
  EXPECT_EQ(running->created_at, T(4));
}

// An in-flight record left by an older version is dropped for a takeover only while it is in
// flight and older than the cutoff; the key can then be stored again.
TEST_P(IdempotencyRepositoryContract, DropAbandonedDropsOnlyAnOldInFlightRecord) {
  ASSERT_TRUE(InFlight(UserId{1}, "pay", "k", 100));
  EXPECT_FALSE(DropAbandoned(UserId{1}, "pay", "k", 100)) << "not older than the cutoff";
  EXPECT_TRUE(Find(UserId{1}, "pay", "k").has_value());
  EXPECT_FALSE(DropAbandoned(UserId{2}, "pay", "k", 101));
  EXPECT_FALSE(DropAbandoned(UserId{1}, "charge", "k", 101));
  EXPECT_TRUE(Find(UserId{1}, "pay", "k").has_value());
  EXPECT_TRUE(DropAbandoned(UserId{1}, "pay", "k", 101));
  EXPECT_FALSE(Find(UserId{1}, "pay", "k").has_value());
  EXPECT_FALSE(DropAbandoned(UserId{1}, "pay", "k", 101)) << "nothing left to drop";
  EXPECT_TRUE(Put(UserId{1}, "pay", "k", 200));  // the takeover's record

  // A completed record is never dropped, however old.
  EXPECT_FALSE(DropAbandoned(UserId{1}, "pay", "k", 10'000));
  ASSERT_TRUE(Find(UserId{1}, "pay", "k").has_value());
  EXPECT_TRUE(Find(UserId{1}, "pay", "k")->completed);

  // Rolled back with the transaction it ran in.
  ASSERT_TRUE(InFlight(UserId{1}, "pay", "undone", 0));
  auto rolled_back = db().Write([&](Store& s) -> domain::Result<bool> {
    EXPECT_TRUE(s.Idempotency().DropAbandoned(UserId{1}, "pay", "undone", T(1)));
    return domain::Fail(domain::ErrorCode::kInsufficientBalance, "business error");
  });
  EXPECT_FALSE(rolled_back.ok());
  EXPECT_TRUE(Find(UserId{1}, "pay", "undone").has_value());
}

// On MySQL a repeat reads an abandoned record without locking it. If a concurrent repeat takes it
// over and commits in between, the first one's drop must leave the completed record alone (it
// then asks again and replays that record). SQLite runs one write transaction at a time, so the
// interleaving cannot happen there.
TEST_P(IdempotencyRepositoryContract, ALateDropLeavesTheRecordOfAConcurrentTakeover) {
  if (GetParam().name != "Mysql") GTEST_SKIP() << "write transactions do not interleave";
  ASSERT_TRUE(InFlight(UserId{1}, "pay", "k", 0));
  const domain::IdempotencyRecord taken_over{"h1", true, 201, R"({"data":"first"})", T(61'000)};
  std::latch read(1);
  std::latch committed(1);
  std::atomic<bool> dropped{true};
  std::thread late([&] {
    bool waited = false;  // the transaction may run again: meet the other thread once
    auto result = db().Write([&](Store& s) -> domain::Result<bool> {
      auto seen = s.Idempotency().Find(UserId{1}, "pay", "k");
      if (!waited) {
        EXPECT_TRUE(seen.has_value() && !seen->completed);
        waited = true;
        read.count_down();
        committed.wait();
      }
      dropped = s.Idempotency().DropAbandoned(UserId{1}, "pay", "k", T(1'000));
      return true;
    });
    EXPECT_TRUE(result.ok());
  });
  read.wait();
  EXPECT_TRUE(Commit(db(), [&](Store& s) {
    return s.Idempotency().DropAbandoned(UserId{1}, "pay", "k", T(1'000)) &&
           s.Idempotency().TryStore(UserId{1}, "pay", "k", taken_over);
  }));
  committed.count_down();
  late.join();
  EXPECT_FALSE(dropped.load());
  auto record = Find(UserId{1}, "pay", "k");
  ASSERT_TRUE(record.has_value()) << "the takeover's record was deleted";
  EXPECT_TRUE(record->completed);
  EXPECT_EQ(record->body, taken_over.body);
}

TEST_P(IdempotencyRepositoryContract, PurgeDropsOldRecords) {
  ASSERT_TRUE(Put(UserId{1}, "pay", "k", 100));
  ASSERT_TRUE(Put(UserId{1}, "pay", "old", 10));
  ASSERT_TRUE(InFlight(UserId{1}, "pay", "old-in-flight", 99));
  EXPECT_EQ(Commit(db(), [](Store& s) { return s.Idempotency().Purge(T(100)); }), 2);
  EXPECT_FALSE(Find(UserId{1}, "pay", "old").has_value());
  EXPECT_FALSE(Find(UserId{1}, "pay", "old-in-flight").has_value());
  EXPECT_TRUE(Find(UserId{1}, "pay", "k").has_value());
  EXPECT_EQ(Commit(db(), [](Store& s) { return s.Idempotency().Purge(T(100)); }), 0);
}

TEST_P(IdempotencyRepositoryContract, TryStoreInsertsACompletedRecordUnlessTheKeyExists) {
  const std::string body = R"({"data":{"balance":1000}})";
  auto store = [&](const std::string& key, const domain::IdempotencyRecord& record) {
    return Commit(db(), [&](Store& s) {
      return s.Idempotency().TryStore(UserId{1}, "wallet.charge", key, record);
    });
  };
  EXPECT_TRUE(store("k", {"h1", true, 200, body, T(5)}));
  EXPECT_FALSE(store("k", {"h2", true, 409, "{}", T(6)}));
  ASSERT_TRUE(InFlight(UserId{1}, "wallet.charge", "in-flight"));
  EXPECT_FALSE(store("in-flight", {"h1", true, 200, body, T(6)}));
  auto record = Find(UserId{1}, "wallet.charge", "k");
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->request_hash, "h1");  // the refused insert changed nothing
  EXPECT_TRUE(record->completed);
  EXPECT_EQ(record->status, 200);
  EXPECT_EQ(record->body, body);
  EXPECT_EQ(record->created_at, T(5));
  EXPECT_FALSE(Find(UserId{1}, "wallet.charge", "in-flight")->completed);

  // Rolled back with the transaction it was written in.
  auto rolled_back = db().Write([&](Store& s) -> domain::Result<bool> {
    EXPECT_TRUE(s.Idempotency().TryStore(UserId{1}, "wallet.charge", "undone",
                                         {"h1", true, 200, body, T(7)}));
    return domain::Fail(domain::ErrorCode::kInsufficientBalance, "business error");
  });
  EXPECT_FALSE(rolled_back.ok());
  EXPECT_FALSE(Find(UserId{1}, "wallet.charge", "undone").has_value());
}

// IdempotencyGuard writes the record in the business transaction and relies on its unique key
// to let only one of several concurrent transactions with the same key commit: the others'
// inserts wait for it (MySQL) or run after it (SQLite) and find the key taken.
TEST_P(IdempotencyRepositoryContract, ConcurrentTransactionsWithOneKeyCommitOnce) {
  const UserId user = NewUser();
  constexpr int kThreads = 8;
  std::atomic<int> stored{0};
  std::vector<int> won(kThreads, 0);
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      auto result = db().Write([&](Store& s) -> domain::Result<bool> {
        won[i] = 0;
        // The key first, so that the others' inserts meet it before it is committed.
        const domain::IdempotencyRecord record{"h", true, 200, std::to_string(i), T(1)};
        if (!s.Idempotency().TryStore(user, "wallet.charge", "same", record)) {
          return domain::Fail(domain::ErrorCode::kIdempotencyInProgress, "key taken");
        }
        if (!s.Wallets().Credit(user, domain::Money{1}, domain::Money{1'000'000}, T(1))) {
          return domain::Fail(domain::ErrorCode::kWalletLimitExceeded, "limit");
        }
        won[i] = 1;
        return true;
      });
      if (result.ok()) ++stored;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(stored.load(), 1);
  EXPECT_EQ(Query(db(), [&](Store& s) { return *s.Wallets().Balance(user); }), domain::Money{1})
      << "the credits of the transactions that found the key taken rolled back";
  auto record = Find(user, "wallet.charge", "same");
  ASSERT_TRUE(record.has_value());
  const int winner = std::stoi(record->body);
  EXPECT_EQ(won[winner], 1);
}

// StoreLast: the record as the transaction's last write, which MySQL sends with the COMMIT
// (ADR 0016). A stored key fails the whole transaction with DuplicateRecordError, whenever the
// adapter finds out; the record and the transaction's other writes land together otherwise.
TEST_P(IdempotencyRepositoryContract, StoreLastCommitsTheRecordWithTheTransactionsWrites) {
  const UserId user = NewUser();
  const std::string body = R"({"note":"it's \"quoted\"; caf)"
                           "\u00e9"
                           R"( \\ 100% :now"})";
  EXPECT_TRUE(Commit(db(), [&](Store& s) {
    s.Wallets().Credit(user, domain::Money{5}, domain::Money{1'000'000}, T(1));
    s.Idempotency().StoreLast(user, "wallet.charge", "k'1", {"h", true, 201, body, T(2)});
    return true;
  }));
  auto record = Find(user, "wallet.charge", "k'1");
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->body, body);
  EXPECT_EQ(record->status, 201);
  EXPECT_TRUE(record->completed);
  EXPECT_EQ(record->created_at, T(2));
  EXPECT_EQ(Query(db(), [&](Store& s) { return *s.Wallets().Balance(user); }), domain::Money{5});
}

TEST_P(IdempotencyRepositoryContract, StoreLastOfAStoredKeyThrowsAndWritesNothing) {
  const UserId user = NewUser();
  ASSERT_TRUE(Put(user, "pay", "k", 0, "first"));
  EXPECT_THROW(db().Write([&](Store& s) -> domain::Result<bool> {
    s.Wallets().Credit(user, domain::Money{5}, domain::Money{1'000'000}, T(1));
    s.Outbox().Append(domain::PaymentCompleted{domain::PaymentId{1}, domain::ReservationId{2}, user,
                                               domain::ConcertId{3}, domain::EventId{4},
                                               domain::Money{5}, 1, T(1)},
                      T(1));
    s.Idempotency().StoreLast(user, "pay", "k", {"second", true, 200, "{}", T(1)});
    return true;
  }),
               domain::DuplicateRecordError);
  EXPECT_EQ(Query(db(), [&](Store& s) { return *s.Wallets().Balance(user); }), domain::Money{0});
  EXPECT_EQ(Query(db(), [&](Store& s) { return s.Outbox().CountUnpublished(); }), 0);
  EXPECT_EQ(Find(user, "pay", "k")->request_hash, "first");
  // The connection is sound afterwards.
  EXPECT_TRUE(Put(user, "pay", "k2"));
}

class PolicyRepositoryContract : public SqlContractTest {};
BOXOFFICE_SQL_CONTRACT(PolicyRepositoryContract);

TEST_P(PolicyRepositoryContract, NothingUntilSavedThenTheLastSavedPolicies) {
  EXPECT_FALSE(Query(db(), [](Store& s) { return s.Policy().Load(); }).has_value());
  domain::Policies first;
  first.hold_ttl_seconds = 120;
  first.admit_batch = 10;
  first.admit_interval_ms = 2000;
  first.max_active = 50;
  first.active_idle_ttl_seconds = 60;
  first.waiting_grace_seconds = 30;
  first.max_seats_per_hold = 2;
  Commit(db(), [&](Store& s) { s.Policy().Save(first, T(0)); });
  EXPECT_EQ(Query(db(), [](Store& s) { return s.Policy().Load(); }), first);
  domain::Policies second = first;
  second.hold_ttl_seconds = 600;
  second.admit_batch = 0;
  Commit(db(), [&](Store& s) { s.Policy().Save(second, T(1)); });
  EXPECT_EQ(Query(db(), [](Store& s) { return s.Policy().Load(); }), second);
}

}  // namespace
}  // namespace boxoffice::contract
