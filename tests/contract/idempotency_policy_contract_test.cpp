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
  bool Begin(UserId user, const std::string& scope, const std::string& key, std::int64_t at = 0,
             const std::string& hash = "h1") {
    return Commit(
        db(), [&](Store& s) { return s.Idempotency().TryBegin(user, scope, key, hash, T(at)); });
  }
  std::optional<domain::IdempotencyRecord> Find(UserId user, const std::string& scope,
                                                const std::string& key) {
    return Query(db(), [&](Store& s) { return s.Idempotency().Find(user, scope, key); });
  }
};
BOXOFFICE_SQL_CONTRACT(IdempotencyRepositoryContract);

TEST_P(IdempotencyRepositoryContract, DuplicateKeyIsRefusedWithinUserAndScope) {
  EXPECT_TRUE(Begin(UserId{1}, "pay", "k"));
  EXPECT_FALSE(Begin(UserId{1}, "pay", "k", 5, "other"));
  EXPECT_TRUE(Begin(UserId{1}, "charge", "k"));
  EXPECT_TRUE(Begin(UserId{2}, "pay", "k"));
  auto record = Find(UserId{1}, "pay", "k");
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->request_hash, "h1");  // the refused attempt changed nothing
  EXPECT_FALSE(record->completed);
  EXPECT_EQ(record->created_at, T(0));
  EXPECT_FALSE(Find(UserId{1}, "pay", "missing").has_value());
}

TEST_P(IdempotencyRepositoryContract, KeysCompareExactly) {
  EXPECT_TRUE(Begin(UserId{1}, "pay", "Key"));
  EXPECT_TRUE(Begin(UserId{1}, "pay", "key"));
  EXPECT_TRUE(Begin(UserId{1}, "pay", "key "));
  EXPECT_TRUE(Begin(UserId{1}, "pay", "k\u00e9y"));
  EXPECT_TRUE(Begin(UserId{1}, "pay", "key-e"));
  EXPECT_EQ(Find(UserId{1}, "pay", "key ")->request_hash, "h1");
}

TEST_P(IdempotencyRepositoryContract, CompleteStoresTheResponse) {
  ASSERT_TRUE(Begin(UserId{1}, "pay", "k"));
  const std::string body = R"({"data":{"id":1,"note":"it's \"quoted\""}})";
  Commit(db(), [&](Store& s) { s.Idempotency().Complete(UserId{1}, "pay", "k", 201, body); });
  auto record = Find(UserId{1}, "pay", "k");
  ASSERT_TRUE(record.has_value());
  EXPECT_TRUE(record->completed);
  EXPECT_EQ(record->status, 201);
  EXPECT_EQ(record->body, body);
}

TEST_P(IdempotencyRepositoryContract, ForgetAllowsARetryAndPurgeDropsOldRecords) {
  ASSERT_TRUE(Begin(UserId{1}, "pay", "k"));
  Commit(db(), [&](Store& s) { s.Idempotency().Forget(UserId{1}, "pay", "k"); });
  EXPECT_FALSE(Find(UserId{1}, "pay", "k").has_value());
  EXPECT_TRUE(Begin(UserId{1}, "pay", "k", 100));
  ASSERT_TRUE(Begin(UserId{1}, "pay", "old", 10));
  EXPECT_EQ(Commit(db(), [](Store& s) { return s.Idempotency().Purge(T(100)); }), 1);
  EXPECT_FALSE(Find(UserId{1}, "pay", "old").has_value());
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
  ASSERT_TRUE(Begin(UserId{1}, "wallet.charge", "in-flight"));
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
