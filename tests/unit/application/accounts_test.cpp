#include "app_test.hpp"
#include "application/authenticate.hpp"
#include "application/charge_wallet.hpp"
#include "application/create_user.hpp"
#include "application/policy_service.hpp"
#include "application/user_queries.hpp"

namespace boxoffice::application {
namespace {

using domain::ErrorCode;
using domain::Money;

class AccountsTest : public AppTest {};

TEST_F(AccountsTest, AuthenticateMapsTokens) {
  Authenticate auth(tokens_, clock_);
  EXPECT_EQ(CodeOf(auth.Execute("")), ErrorCode::kUnauthenticated);
  EXPECT_EQ(CodeOf(auth.Execute("access:x")), ErrorCode::kInvalidToken);
  EXPECT_EQ(CodeOf(auth.Execute("queue:1:1:1:0")), ErrorCode::kInvalidToken);
  EXPECT_EQ(*auth.Execute("access:42"), domain::UserId{42});
}

TEST_F(AccountsTest, CreateUserTrimsNameAndOpensAnEmptyWallet) {
  CreateUser create(db_, tokens_, clock_);
  auto created = create.Execute({"  Kim Minji \t"});
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(created->user.name, "Kim Minji");
  EXPECT_EQ(tokens_.VerifyAccess(created->access_token, clock_.Now()), created->user.id);
  EXPECT_EQ(Balance(created->user.id), Money{0});
}

TEST_F(AccountsTest, CreateUserNameLength) {
  CreateUser create(db_, tokens_, clock_);
  EXPECT_EQ(CodeOf(create.Execute({""})), ErrorCode::kInvalidRequest);
  EXPECT_EQ(CodeOf(create.Execute({"   "})), ErrorCode::kInvalidRequest);
  EXPECT_TRUE(create.Execute({std::string(domain::kMaxNameLength, 'a')}).ok());
  EXPECT_EQ(CodeOf(create.Execute({std::string(domain::kMaxNameLength + 1, 'a')})),
            ErrorCode::kInvalidRequest);
  std::string hangul;
  for (std::size_t i = 0; i < domain::kMaxNameLength; ++i) hangul += "\xEA\xB0\x80";  // 가
  EXPECT_TRUE(create.Execute({hangul}).ok()) << "the limit counts characters, not bytes";
  EXPECT_TRUE(db_.Snapshot().users.size() == 2u);
}

TEST_F(AccountsTest, SignUpsTogetherCommitOnceEachWithItsUserWalletAndToken) {
  CreateUser create(db_, tokens_, clock_);
  const int commits = db_.Commits();
  const std::vector<CreateUserCommand> commands{{" Ann "}, {"Bo"}, {"Cy"}};
  auto created = create.ExecuteTogether(commands);
  ASSERT_TRUE(created.has_value());
  EXPECT_EQ(db_.Commits(), commits + 1);
  ASSERT_EQ(created->size(), 3u);
  const std::vector<std::string> names{"Ann", "Bo", "Cy"};
  for (std::size_t i = 0; i < 3; ++i) {
    const auto& user = (*created)[i];
    EXPECT_EQ(user.user.name, names[i]);
    EXPECT_EQ(tokens_.VerifyAccess(user.access_token, clock_.Now()), user.user.id);
    EXPECT_EQ(Balance(user.user.id), Money{0});
  }
  EXPECT_NE((*created)[0].user.id, (*created)[1].user.id);
}

TEST_F(AccountsTest, SignUpsTogetherWithANameExecuteWouldRefuseWriteNothing) {
  CreateUser create(db_, tokens_, clock_);
  const int commits = db_.Commits();
  const std::vector<CreateUserCommand> commands{{"Ann"}, {"  "}};
  EXPECT_FALSE(create.ExecuteTogether(commands).has_value());
  const std::vector<CreateUserCommand> too_long{{"Ann"},
                                                {std::string(domain::kMaxNameLength + 1, 'a')}};
  EXPECT_FALSE(create.ExecuteTogether(too_long).has_value());
  EXPECT_EQ(db_.Commits(), commits);
  EXPECT_TRUE(db_.Snapshot().users.empty());
}

TEST_F(AccountsTest, PolicyServiceDefaultsCachesAndRefreshes) {
  PolicyService service(db_, clock_, std::chrono::seconds(1));
  EXPECT_EQ(service.Current(), domain::Policies{});
  domain::Policies elsewhere;
  elsewhere.hold_ttl_seconds = 90;
  SetPolicies(elsewhere);  // saved by another instance
  clock_.Advance(999ms);
  EXPECT_EQ(service.Current().hold_ttl_seconds, 300);
  clock_.Advance(1ms);
  EXPECT_EQ(service.Current().hold_ttl_seconds, 90);
}

TEST_F(AccountsTest, PolicyServiceSaysWhenItsCopyIsFresh) {
  PolicyService service(db_, clock_, std::chrono::seconds(1));
  EXPECT_FALSE(service.CurrentIfFresh().has_value());  // nothing loaded yet
  domain::Policies stored;
  stored.hold_ttl_seconds = 90;
  SetPolicies(stored);
  EXPECT_EQ(service.Current().hold_ttl_seconds, 90);
  ASSERT_TRUE(service.CurrentIfFresh().has_value());
  EXPECT_EQ(service.CurrentIfFresh()->hold_ttl_seconds, 90);
  clock_.Advance(999ms);
  EXPECT_TRUE(service.CurrentIfFresh().has_value());
  clock_.Advance(1ms);
  EXPECT_FALSE(service.CurrentIfFresh().has_value());  // due: Current must read the database
  EXPECT_EQ(service.Current().hold_ttl_seconds, 90);
  EXPECT_TRUE(service.CurrentIfFresh().has_value());
}

TEST_F(AccountsTest, PolicyUpdateValidatesAndAppliesAtOnce) {
  PolicyService service(db_, clock_, std::chrono::hours(1));
  (void)service.Current();
  domain::PolicyPatch bad;
  bad.max_seats_per_hold = 0;
  auto refused = service.Update(bad);
  EXPECT_EQ(CodeOf(refused), ErrorCode::kInvalidRequest);
  EXPECT_NE(refused.error().message.find("maxSeatsPerHold"), std::string::npos);

  domain::PolicyPatch patch;
  patch.admit_batch = 10;
  auto updated = service.Update(patch);
  ASSERT_TRUE(updated.ok());
  EXPECT_EQ(updated->admit_batch, 10);
  EXPECT_EQ(service.Current().admit_batch, 10);
  EXPECT_EQ(
      Query<domain::Policies>([](domain::Store& s) { return *s.Policy().Load(); }).admit_batch, 10);
}

TEST_F(AccountsTest, PolicyUpdatePatchesWhatIsStored) {
  PolicyService service(db_, clock_, std::chrono::hours(1));
  (void)service.Current();
  domain::Policies elsewhere;
  elsewhere.hold_ttl_seconds = 90;
  SetPolicies(elsewhere);
  domain::PolicyPatch patch;
  patch.admit_batch = 10;
  auto updated = service.Update(patch);
  EXPECT_EQ(updated->hold_ttl_seconds, 90) << "another operator's change must survive";
}

TEST_F(AccountsTest, UserQueries) {
  UserQueries queries(db_);
  ChargeWallet charge(db_, clock_);
  auto user = NewUser();
  for (int i = 1; i <= 5; ++i) ASSERT_TRUE(charge.Execute({user, Money{i}, std::nullopt}).ok());
  EXPECT_EQ(*queries.Balance(user), Money{15});
  auto entries = queries.WalletEntries(user, 2);
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ(entries->front().amount, Money{5});  // newest first
  EXPECT_EQ(queries.WalletEntries(user, 0)->size(), 1u);
  EXPECT_EQ(queries.WalletEntries(user, 1'000'000)->size(), 5u);
  EXPECT_TRUE(queries.Payments(user)->empty());
  EXPECT_TRUE(queries.Reservations(user)->empty());

  const domain::UserId ghost{987654};
  EXPECT_EQ(CodeOf(queries.Balance(ghost)), ErrorCode::kUserNotFound);
  EXPECT_EQ(CodeOf(queries.WalletEntries(ghost, 10)), ErrorCode::kUserNotFound);
  EXPECT_EQ(CodeOf(queries.Payments(ghost)), ErrorCode::kUserNotFound);
  EXPECT_EQ(CodeOf(queries.Reservations(ghost)), ErrorCode::kUserNotFound);
}

// Makes FindEntryByKey miss once, as when a concurrent charge with the same key commits between
// the lookup and the insert on a real database.
class RacingKeyDatabase : public domain::Database {
 public:
  explicit RacingKeyDatabase(fakes::MemoryDatabase& inner) : inner_(inner) {}

 protected:
  void Execute(domain::TxMode mode, const std::function<bool(domain::Store&)>& work) override {
    (void)inner_.Run(mode, [&](domain::Store& store) -> domain::Result<void> {
      Store wrapped(store, miss_next_);
      if (work(wrapped)) return {};
      return domain::Fail(ErrorCode::kInternal, "rolled back");
    });
  }

 private:
  class RacingWallets : public domain::WalletRepository {
   public:
    RacingWallets(domain::WalletRepository& w, bool& miss) : w_(w), miss_(miss) {}
    void Create(domain::UserId u, domain::Instant n) override { w_.Create(u, n); }
    std::optional<Money> Balance(domain::UserId u) override { return w_.Balance(u); }
    bool Credit(domain::UserId u, Money a, Money m, domain::Instant n) override {
      return w_.Credit(u, a, m, n);
    }
    bool Debit(domain::UserId u, Money a, domain::Instant n) override { return w_.Debit(u, a, n); }
    std::optional<std::int64_t> AppendEntry(const domain::WalletEntry& e) override {
      return w_.AppendEntry(e);
    }
    std::optional<domain::WalletEntry> FindEntryByKey(domain::UserId u,
                                                      const std::string& k) override {
      if (miss_) {
        miss_ = false;
        return std::nullopt;
      }
      return w_.FindEntryByKey(u, k);
    }
    std::vector<domain::WalletEntry> ListEntries(domain::UserId u, int l) override {
      return w_.ListEntries(u, l);
    }
    Money LedgerSum(domain::UserId u) override { return w_.LedgerSum(u); }

   private:
    domain::WalletRepository& w_;
    bool& miss_;
  };
  class Store : public domain::Store {
   public:
    Store(domain::Store& s, bool& miss) : s_(s), wallets_(s.Wallets(), miss) {}
    domain::UserRepository& Users() override { return s_.Users(); }
    domain::CatalogueRepository& Catalogue() override { return s_.Catalogue(); }
    domain::SeatRepository& Seats() override { return s_.Seats(); }
    domain::HoldRepository& Holds() override { return s_.Holds(); }
    domain::ReservationRepository& Reservations() override { return s_.Reservations(); }
    domain::PaymentRepository& Payments() override { return s_.Payments(); }
    domain::WalletRepository& Wallets() override { return wallets_; }
    domain::OutboxRepository& Outbox() override { return s_.Outbox(); }
    domain::ProcessedEventRepository& ProcessedEvents() override { return s_.ProcessedEvents(); }
    domain::IdempotencyRepository& Idempotency() override { return s_.Idempotency(); }
    domain::PolicyRepository& Policy() override { return s_.Policy(); }

   private:
    domain::Store& s_;
    RacingWallets wallets_;
  };

 public:
  bool miss_next_ = false;

 private:
  fakes::MemoryDatabase& inner_;
};

TEST_F(AccountsTest, ChargeThatLosesAKeyRaceRollsBackAndReportsTheBalance) {
  auto user = NewUser(Money{1000});
  ChargeWallet direct(db_, clock_);
  ASSERT_TRUE(direct.Execute({user, Money{50}, std::string("same")}).ok());

  RacingKeyDatabase racing(db_);
  racing.miss_next_ = true;
  ChargeWallet charge(racing, clock_);
  auto balance = charge.Execute({user, Money{50}, std::string("same")});
  ASSERT_TRUE(balance.ok()) << balance.error().message;
  EXPECT_EQ(*balance, Money{1050});
  EXPECT_EQ(Balance(user), Money{1050});
  EXPECT_EQ(LedgerSum(user), Money{1050});
}

}  // namespace
}  // namespace boxoffice::application
