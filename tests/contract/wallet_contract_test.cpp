#include <atomic>
#include <set>
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

// Sign-ups together (CreateUser::ExecuteTogether): each name gets its own id, in order, and an
// empty wallet; a wallet created again is left as it is.
TEST_P(WalletRepositoryContract, CreateAllGivesEachNameItsOwnUserAndEachUserAWallet) {
  ASSERT_TRUE(Credit(70));
  const std::vector<std::string> names{"ann", "bo", "it's \\ cy", "dee"};
  auto users = Commit(db(), [&](Store& s) {
    auto created = s.Users().CreateAll(names, T(0));
    std::vector<domain::UserId> ids;
    for (const auto& user : created) ids.push_back(user.id);
    ids.push_back(user_);  // has a wallet already
    s.Wallets().CreateAll(ids, T(0));
    return created;
  });
  ASSERT_EQ(users.size(), names.size());
  std::set<std::int64_t> distinct;
  for (std::size_t i = 0; i < names.size(); ++i) {
    distinct.insert(users[i].id.value);
    EXPECT_EQ(users[i].name, names[i]);
    auto found = Query(db(), [&](Store& s) { return s.Users().Find(users[i].id); });
    ASSERT_TRUE(found.has_value()) << names[i];
    EXPECT_EQ(found->name, names[i]) << "the id of row " << i;
    EXPECT_EQ(Query(db(), [&](Store& s) { return s.Wallets().Balance(users[i].id); }),
              std::optional<Money>(Money{0}));
  }
  EXPECT_EQ(distinct.size(), names.size());
  EXPECT_EQ(Balance(), Money{70});
}

// Batches of sign-ups racing on many connections: every row keeps the id it was given.
TEST_P(WalletRepositoryContract, CreateAllRacingOnManyConnectionsGivesEveryNameItsOwnId) {
  constexpr int kThreads = 8;
  constexpr int kBatches = 15;
  constexpr int kPerBatch = 5;
  std::vector<std::vector<domain::User>> created(kThreads);
  std::atomic<int> exceptions{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int b = 0; b < kBatches; ++b) {
        std::vector<std::string> names;
        for (int i = 0; i < kPerBatch; ++i) {
          names.push_back(std::to_string(t) + "/" + std::to_string(b) + "/" + std::to_string(i));
        }
        try {
          auto users = Commit(db(), [&](Store& s) { return s.Users().CreateAll(names, T(0)); });
          created[static_cast<std::size_t>(t)].insert(created[static_cast<std::size_t>(t)].end(),
                                                      users.begin(), users.end());
        } catch (const std::exception&) {
          ++exceptions;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(exceptions.load(), 0);
  std::set<std::int64_t> ids;
  for (const auto& users : created) {
    ASSERT_EQ(users.size(), static_cast<std::size_t>(kBatches * kPerBatch));
    for (const auto& user : users) {
      ids.insert(user.id.value);
      auto found = Query(db(), [&](Store& s) { return s.Users().Find(user.id); });
      ASSERT_TRUE(found.has_value()) << user.name;
      ASSERT_EQ(found->name, user.name);
    }
  }
  EXPECT_EQ(ids.size(), static_cast<std::size_t>(kThreads * kBatches * kPerBatch));
}

// The batch forms (ChargeWallet::ExecuteTogether): several wallets in one statement each, and
// an all-or-nothing answer the caller rolls back on.
TEST_P(WalletRepositoryContract, CreditAllGivesEachWalletItsOwnAmountAndBalancesReadThemInOrder) {
  const auto other = NewUser("lee");
  const std::vector<domain::WalletAmount> credits{{user_, Money{100}}, {other, Money{250}}};
  auto balances = Commit(db(), [&](Store& s) -> std::vector<std::optional<Money>> {
    EXPECT_TRUE(s.Wallets().CreditAll(credits, domain::kMaxWalletBalance, T(0)));
    // Read in the same transaction, after the credits: they are seen.
    const std::vector<domain::UserId> users{other, domain::UserId{999}, user_};
    return s.Wallets().Balances(users);
  });
  ASSERT_EQ(balances.size(), 3u);
  EXPECT_EQ(balances[0], std::optional<Money>(Money{250}));
  EXPECT_FALSE(balances[1].has_value());
  EXPECT_EQ(balances[2], std::optional<Money>(Money{100}));
  EXPECT_EQ(Balance(), Money{100});
}

TEST_P(WalletRepositoryContract, CreditAllIsRefusedWhenAnyWalletWouldPassTheLimitOrIsMissing) {
  const auto other = NewUser("lee");
  ASSERT_TRUE(Credit(900));
  auto try_all = [&](const std::vector<domain::WalletAmount>& credits) {
    return db().Write([&](Store& s) -> domain::Result<void> {
      if (!s.Wallets().CreditAll(credits, Money{1000}, T(0))) {
        return domain::Fail(domain::ErrorCode::kWalletLimitExceeded, "refused");
      }
      return {};
    });
  };
  // The refused wallet is the second: the first's credit is rolled back with it.
  EXPECT_FALSE(try_all({{other, Money{10}}, {user_, Money{101}}}).ok());
  EXPECT_FALSE(try_all({{user_, Money{1}}, {domain::UserId{999}, Money{1}}}).ok());
  EXPECT_EQ(Balance(), Money{900});
  EXPECT_EQ(*Query(db(), [&](Store& s) { return s.Wallets().Balance(other); }), Money{0});
  EXPECT_TRUE(try_all({{other, Money{10}}, {user_, Money{100}}}).ok());
  EXPECT_EQ(Balance(), Money{1000});
}

TEST_P(WalletRepositoryContract, AddEntriesWritesEveryEntryOrIsRefusedForAKeyOnTheLedger) {
  const auto other = NewUser("lee");
  ASSERT_TRUE(Append(WalletEntryType::kCharge, 5, "taken").has_value());
  auto add_all = [&](const std::vector<domain::WalletEntry>& entries) {
    return db().Write([&](Store& s) -> domain::Result<void> {
      if (!s.Wallets().AddEntries(entries)) {
        return domain::Fail(domain::ErrorCode::kIdempotencyInProgress, "refused");
      }
      return {};
    });
  };
  auto entry = [](domain::UserId user, std::int64_t amount, std::optional<std::string> key) {
    return domain::WalletEntry{.user_id = user,
                               .type = WalletEntryType::kCharge,
                               .amount = Money{amount},
                               .idempotency_key = std::move(key),
                               .created_at = T(0)};
  };
  EXPECT_FALSE(add_all({entry(other, 7, "new"), entry(user_, 9, "taken")}).ok());
  EXPECT_EQ(Query(db(), [&](Store& s) { return s.Wallets().LedgerSum(other); }), Money{0});
  // Values with quotes and a keyless entry beside keyed ones.
  EXPECT_TRUE(add_all({entry(other, 7, "it's \\ new"), entry(user_, 9, std::nullopt),
                       entry(user_, 11, "b")})
                  .ok());
  EXPECT_EQ(Query(db(), [&](Store& s) { return s.Wallets().LedgerSum(other); }), Money{7});
  EXPECT_EQ(Query(db(), [&](Store& s) { return s.Wallets().LedgerSum(user_); }), Money{25});
  EXPECT_TRUE(Query(db(), [&](Store& s) {
                return s.Wallets().FindEntryByKey(other, "it's \\ new");
              }).has_value());
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
