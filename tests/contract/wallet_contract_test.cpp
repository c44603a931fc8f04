#include <atomic>
#include <thread>

#include "contract/sql_contract_test.hpp"

namespace boxoffice::contract {
namespace {

using domain::Money;
using domain::Store;
using domain::WalletEntryType;

class WalletRepositoryContract : public SqlContractTest {
 protected:
  void SetUp() override {
    SqlContractTest::SetUp();
    if (IsSkipped()) return;
    user_ = NewUser();
  }
  Money Balance() {
    return *Query(db(), [&](Store& s) { return s.Wallets().Balance(user_); });
  }
  bool Credit(std::int64_t amount, std::int64_t max = domain::kMaxWalletBalance.won) {
    return Commit(
        db(), [&](Store& s) { return s.Wallets().Credit(user_, Money{amount}, Money{max}, T(0)); });
  }
  bool Debit(std::int64_t amount) {
    return Commit(db(), [&](Store& s) { return s.Wallets().Debit(user_, Money{amount}, T(0)); });
  }
  std::optional<std::int64_t> Append(WalletEntryType type, std::int64_t amount,
                                     std::optional<std::string> key, std::int64_t at = 0) {
    return Commit(db(), [&](Store& s) {
      return s.Wallets().AppendEntry({.user_id = user_,
                                      .type = type,
                                      .amount = Money{amount},
                                      .idempotency_key = key,
                                      .created_at = T(at)});
    });
  }

  domain::UserId user_;
};
BOXOFFICE_SQL_CONTRACT(WalletRepositoryContract);

TEST_P(WalletRepositoryContract, NewWalletIsEmptyAndCreateIsIdempotent) {
  EXPECT_EQ(Balance(), Money{0});
  ASSERT_TRUE(Credit(500));
  Commit(db(), [&](Store& s) { s.Wallets().Create(user_, T(1)); });
  EXPECT_EQ(Balance(), Money{500});
  EXPECT_FALSE(
      Query(db(), [](Store& s) { return s.Wallets().Balance(domain::UserId{999}); }).has_value());
}

// Creating a wallet tolerates only an existing wallet. A wallet for a user that does not exist
// breaks a foreign key and must fail, not be skipped as MySQL's INSERT IGNORE would.
TEST_P(WalletRepositoryContract, CreateForAnUnknownUserFailsInsteadOfDoingNothing) {
  EXPECT_ANY_THROW(Commit(db(), [](Store& s) { s.Wallets().Create(domain::UserId{999}, T(1)); }));
  EXPECT_FALSE(
      Query(db(), [](Store& s) { return s.Wallets().Balance(domain::UserId{999}); }).has_value());
}

TEST_P(WalletRepositoryContract, DebitNeverTakesTheBalanceBelowZero) {
  ASSERT_TRUE(Credit(1000));
  EXPECT_FALSE(Debit(1001));
  EXPECT_EQ(Balance(), Money{1000});
  EXPECT_TRUE(Debit(400));
  EXPECT_TRUE(Debit(600));
  EXPECT_EQ(Balance(), Money{0});
  EXPECT_FALSE(Debit(1));
  EXPECT_FALSE(Commit(
      db(), [](Store& s) { return s.Wallets().Debit(domain::UserId{999}, Money{1}, T(0)); }));
}

TEST_P(WalletRepositoryContract, CreditIsCappedAtTheMaximumBalance) {
  EXPECT_TRUE(Credit(900, 1000));
  EXPECT_FALSE(Credit(101, 1000));
  EXPECT_TRUE(Credit(100, 1000));
  EXPECT_EQ(Balance(), Money{1000});
  EXPECT_FALSE(Credit(1, 1000));
  EXPECT_TRUE(Credit(domain::kMaxChargeAmount.won));
}

TEST_P(WalletRepositoryContract, DuplicateIdempotencyKeyIsRefusedPerUser) {
  auto first = Append(WalletEntryType::kCharge, 1000, "key-1");
  ASSERT_TRUE(first.has_value());
  EXPECT_FALSE(Append(WalletEntryType::kCharge, 1000, "key-1").has_value());
  EXPECT_TRUE(Append(WalletEntryType::kCharge, 1000, "key-2").has_value());
  // Entries without a key never collide.
  EXPECT_TRUE(Append(WalletEntryType::kUse, -100, std::nullopt).has_value());
  EXPECT_TRUE(Append(WalletEntryType::kUse, -100, std::nullopt).has_value());
  // Another user may use the same key.
  auto other = NewUser("lee");
  EXPECT_TRUE(Commit(db(), [&](Store& s) {
                return s.Wallets().AppendEntry({.user_id = other,
                                                .type = WalletEntryType::kCharge,
                                                .amount = Money{5},
                                                .idempotency_key = "key-1",
                                                .created_at = T(0)});
              }).has_value());

  auto found = Query(db(), [&](Store& s) { return s.Wallets().FindEntryByKey(user_, "key-1"); });
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->id, *first);
  EXPECT_EQ(found->type, WalletEntryType::kCharge);
  EXPECT_EQ(found->amount, Money{1000});
  EXPECT_EQ(found->user_id, user_);
  EXPECT_FALSE(
      Query(db(), [&](Store& s) { return s.Wallets().FindEntryByKey(user_, "nope"); }).has_value());
}

TEST_P(WalletRepositoryContract, EntriesAreListedNewestFirstAndSummed) {
  Append(WalletEntryType::kCharge, 1000, "a", 1);
  Append(WalletEntryType::kUse, -300, std::nullopt, 2);
  Append(WalletEntryType::kRefund, 300, "r", 3);
  auto entries = Query(db(), [&](Store& s) { return s.Wallets().ListEntries(user_, 2); });
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].type, WalletEntryType::kRefund);
  EXPECT_EQ(entries[0].idempotency_key, std::optional<std::string>("r"));
  EXPECT_EQ(entries[0].created_at, T(3));
  EXPECT_EQ(entries[1].type, WalletEntryType::kUse);
  EXPECT_EQ(entries[1].amount, Money{-300});
  EXPECT_FALSE(entries[1].idempotency_key.has_value());
  EXPECT_EQ(Query(db(), [&](Store& s) { return s.Wallets().ListEntries(user_, 10); }).size(), 3u);
  EXPECT_EQ(Query(db(), [&](Store& s) { return s.Wallets().LedgerSum(user_); }), Money{1000});
  EXPECT_EQ(Query(db(), [](Store& s) { return s.Wallets().LedgerSum(domain::UserId{999}); }),
            Money{0});
}

// Charges and payments as the use cases do them: the conditional update plus its ledger row in
// one transaction, rolled back when the update matched nothing.
TEST_P(WalletRepositoryContract, ConcurrentDebitsAndCreditsKeepBalanceNonNegativeAndEqualToLedger) {
  constexpr int kThreads = 32;
  constexpr int kOpsPerThread = 20;
  constexpr std::int64_t kAmount = 700;
  std::atomic<int> debits{0};
  std::atomic<int> refused{0};
  std::atomic<bool> negative_seen{false};
  std::atomic<int> exceptions{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kOpsPerThread; ++i) {
        const bool credit = (t + i) % 3 == 0;
        auto write = [&](Store& s) -> domain::Result<bool> {
          const bool changed =
              credit ? s.Wallets().Credit(user_, Money{kAmount}, domain::kMaxWalletBalance, T(0))
                     : s.Wallets().Debit(user_, Money{kAmount}, T(0));
          if (!changed) return domain::Fail(domain::ErrorCode::kInsufficientBalance, "no");
          s.Wallets().AppendEntry(
              {.user_id = user_,
               .type = credit ? WalletEntryType::kCharge : WalletEntryType::kUse,
               .amount = Money{credit ? kAmount : -kAmount},
               .created_at = T(0)});
          if (*s.Wallets().Balance(user_) < Money{0}) negative_seen = true;
          return true;
        };
        try {
          auto r = db().Write(write);
          if (r.ok() && !credit) ++debits;
          if (!r.ok()) ++refused;
        } catch (const std::exception&) {
          ++exceptions;  // e.g. the CHECK (balance >= 0) backstop firing
        }
      }
    });
  }
  for (auto& t : threads) t.join();

  EXPECT_EQ(exceptions.load(), 0);
  EXPECT_FALSE(negative_seen.load());
  const Money balance = Balance();
  EXPECT_GE(balance, Money{0});
  EXPECT_EQ(balance, Query(db(), [&](Store& s) { return s.Wallets().LedgerSum(user_); }));
  EXPECT_GT(debits.load(), 0);
  EXPECT_GT(refused.load(), 0);  // the race really hit an empty wallet
}

}  // namespace
}  // namespace boxoffice::contract
