#include <span>
#include <stdexcept>
#include <vector>

#include "app_test.hpp"
#include "application/charge_wallet.hpp"
#include "application/consumers.hpp"
#include "application/idempotency_guard.hpp"
#include "application/relay_outbox.hpp"
#include "fakes/fake_publishers.hpp"

namespace boxoffice::application {
namespace {

using domain::ErrorCode;
using domain::Result;
using fakes::Delivery;

class EventsTest : public AppTest {
 protected:
  void AppendPaid(domain::UserId user, domain::ConcertId concert) {
    Seed([&](domain::Store& s) {
      domain::PaymentCompleted paid;
      paid.reservation_id = {++next_reservation_};
      paid.user_id = user;
      paid.concert_id = concert;
      s.Outbox().Append(paid, clock_.Now());
    });
  }
  fakes::MemoryTables::OutboxRow Row(std::size_t index) {
    auto rows = db_.Snapshot().outbox;
    auto it = rows.begin();
    std::advance(it, index);
    return it->second;
  }

  std::int64_t next_reservation_ = 0;
  fakes::FakeEventPublisher publisher_;
  RelayOutbox relay_{db_, publisher_, clock_};
};

TEST_F(EventsTest, RelayPublishesDueRowsInOrder) {
  AppendPaid(domain::UserId{1}, domain::ConcertId{1});
  AppendPaid(domain::UserId{2}, domain::ConcertId{1});
  EXPECT_EQ(relay_.Execute(), 2);
  auto delivered = publisher_.Delivered();
  ASSERT_EQ(delivered.size(), 2u);
  EXPECT_LT(delivered[0].id, delivered[1].id);
  EXPECT_TRUE(Row(0).published);
  EXPECT_EQ(relay_.Execute(), 0);
  EXPECT_EQ(publisher_.Attempts().size(), 2u);
}

TEST_F(EventsTest, RelayHonoursTheBatchSize) {
  RelayOutbox small(db_, publisher_, clock_, 1);
  AppendPaid(domain::UserId{1}, domain::ConcertId{1});
  AppendPaid(domain::UserId{2}, domain::ConcertId{1});
  EXPECT_EQ(small.Execute(), 1);
  EXPECT_EQ(small.Execute(), 1);
  EXPECT_EQ(small.Execute(), 0);
}

TEST_F(EventsTest, RelayBacksOffExponentiallyAndCountsThrowsAsFailures) {
  AppendPaid(domain::UserId{1}, domain::ConcertId{1});
  publisher_.Script({Delivery::kFail, Delivery::kThrow, Delivery::kFail});
  EXPECT_EQ(relay_.Execute(), 0);
  EXPECT_EQ(Row(0).record.attempts, 1);
  EXPECT_EQ(Row(0).next_attempt_at, clock_.Now() + 1s);

  clock_.Advance(999ms);
  relay_.Execute();
  EXPECT_EQ(publisher_.Attempts().size(), 1u) << "not due yet";
  clock_.Advance(1ms);
  EXPECT_EQ(relay_.Execute(), 0);  // throws
  EXPECT_EQ(Row(0).record.attempts, 2);
  EXPECT_EQ(Row(0).next_attempt_at, clock_.Now() + 2s);
  clock_.Advance(2s);
  relay_.Execute();
  EXPECT_EQ(Row(0).next_attempt_at, clock_.Now() + 4s);
  clock_.Advance(4s);
  EXPECT_EQ(relay_.Execute(), 1);
  EXPECT_TRUE(Row(0).published);
}

TEST_F(EventsTest, RelayCapsBackoffAndDeadLetters) {
  AppendPaid(domain::UserId{1}, domain::ConcertId{1});
  publisher_.SetDefault(Delivery::kFail);
  std::vector<std::int64_t> gaps;
  for (int attempt = 1; attempt < RelayOutbox::kMaxAttempts; ++attempt) {
    relay_.Execute();
    const auto row = Row(0);
    ASSERT_EQ(row.record.attempts, attempt);
    EXPECT_FALSE(row.dead);
    gaps.push_back(
        std::chrono::duration_cast<std::chrono::seconds>(row.next_attempt_at - clock_.Now())
            .count());
    clock_.Set(row.next_attempt_at);
  }
  EXPECT_EQ(gaps, (std::vector<std::int64_t>{1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300}));
  relay_.Execute();
  EXPECT_EQ(Row(0).record.attempts, RelayOutbox::kMaxAttempts);
  EXPECT_TRUE(Row(0).dead);
  clock_.Advance(24h);
  relay_.Execute();
  EXPECT_EQ(publisher_.Attempts().size(), static_cast<std::size_t>(RelayOutbox::kMaxAttempts));
}

TEST_F(EventsTest, OneRecordThatThrowsDoesNotCostTheOthersTheirAttempt) {
  AppendPaid(domain::UserId{1}, domain::ConcertId{1});
  AppendPaid(domain::UserId{2}, domain::ConcertId{1});
  AppendPaid(domain::UserId{3}, domain::ConcertId{1});
  publisher_.Script({Delivery::kOk, Delivery::kThrow, Delivery::kOk});
  EXPECT_EQ(relay_.Execute(), 2);
  EXPECT_EQ(publisher_.Attempts().size(), 3u);
  EXPECT_TRUE(Row(0).published);
  EXPECT_FALSE(Row(1).published);
  EXPECT_EQ(Row(1).record.attempts, 1);
  EXPECT_EQ(Row(1).next_attempt_at, clock_.Now() + 1s);
  EXPECT_TRUE(Row(2).published);
}

// A publisher that takes a pass's rows in one call, as the Kafka adapter does, answering from a
// scripted vector (or throwing).
class BatchPublisher : public domain::EventPublisher {
 public:
  bool Publish(const domain::OutboxRecord&) override {
    ADD_FAILURE() << "the relay must hand over a pass's rows in one PublishAll call";
    return false;
  }
  std::vector<bool> PublishAll(std::span<const domain::OutboxRecord> records) override {
    calls.emplace_back(records.begin(), records.end());
    if (throw_next) {
      throw_next = false;
      throw std::runtime_error("broker exploded");
    }
    return answer;
  }
  std::vector<std::vector<domain::OutboxRecord>> calls;
  std::vector<bool> answer;
  bool throw_next = false;
};

TEST_F(EventsTest, RelayHandsAPassOverInOneCallAndMarksEachRowByItsOutcome) {
  for (std::int64_t user = 1; user <= 3; ++user) {
    AppendPaid(domain::UserId{user}, domain::ConcertId{1});
  }
  BatchPublisher batch;
  batch.answer = {true, false, true};
  RelayOutbox relay(db_, batch, clock_);
  EXPECT_EQ(relay.Execute(), 2);
  ASSERT_EQ(batch.calls.size(), 1u);
  ASSERT_EQ(batch.calls[0].size(), 3u);
  EXPECT_LT(batch.calls[0][0].id, batch.calls[0][1].id);
  EXPECT_LT(batch.calls[0][1].id, batch.calls[0][2].id);
  EXPECT_TRUE(Row(0).published);
  EXPECT_FALSE(Row(1).published);
  EXPECT_EQ(Row(1).record.attempts, 1);
  EXPECT_EQ(Row(1).next_attempt_at, clock_.Now() + 1s);
  EXPECT_TRUE(Row(2).published);

  // Only the failed row comes back, once due.
  batch.answer = {true};
  EXPECT_EQ(relay.Execute(), 0);
  EXPECT_EQ(batch.calls.size(), 1u) << "not due yet";
  clock_.Advance(1s);
  EXPECT_EQ(relay.Execute(), 1);
  ASSERT_EQ(batch.calls.size(), 2u);
  ASSERT_EQ(batch.calls[1].size(), 1u);
  EXPECT_EQ(batch.calls[1][0].id, Row(1).record.id);
  EXPECT_TRUE(Row(1).published);
}

TEST_F(EventsTest, RelayCountsAThrowingOrShortBatchAsFailedDeliveries) {
  AppendPaid(domain::UserId{1}, domain::ConcertId{1});
  AppendPaid(domain::UserId{2}, domain::ConcertId{1});
  BatchPublisher batch;
  batch.throw_next = true;
  RelayOutbox relay(db_, batch, clock_);
  EXPECT_EQ(relay.Execute(), 0);
  EXPECT_EQ(Row(0).record.attempts, 1);
  EXPECT_EQ(Row(1).record.attempts, 1);
  clock_.Advance(1s);
  // An answer shorter than the batch: the rows it does not cover were not handed over.
  batch.answer = {true};
  EXPECT_EQ(relay.Execute(), 1);
  EXPECT_TRUE(Row(0).published);
  EXPECT_FALSE(Row(1).published);
  EXPECT_EQ(Row(1).record.attempts, 2);
  EXPECT_EQ(Row(1).next_attempt_at, clock_.Now() + 2s);
}

TEST_F(EventsTest, FreeQueueSlotLeavesOnPaymentOnly) {
  FreeQueueSlot consumer(db_, room_, clock_);
  room_.Admitted(domain::ConcertId{7}, domain::UserId{3}, clock_.Now() + 60s);
  domain::OutboxRecord cancelled{1, domain::ReservationCancelled{{1}, {3}, {7}, clock_.Now()},
                                 clock_.Now(), 0};
  EXPECT_TRUE(consumer.Handle(cancelled));
  EXPECT_TRUE(room_.HasPlace(domain::ConcertId{7}, domain::UserId{3}));
  domain::PaymentCompleted paid;
  paid.user_id = {3};
  paid.concert_id = {7};
  domain::OutboxRecord record{2, paid, clock_.Now(), 0};
  EXPECT_TRUE(consumer.Handle(record));
  EXPECT_FALSE(room_.HasPlace(domain::ConcertId{7}, domain::UserId{3}));
  // The user comes back for more seats and is admitted again; a redelivery of the old event
  // must not evict the new place.
  room_.Admitted(domain::ConcertId{7}, domain::UserId{3}, clock_.Now() + 60s);
  EXPECT_TRUE(consumer.Handle(record));
  EXPECT_TRUE(room_.HasPlace(domain::ConcertId{7}, domain::UserId{3}));
}

// A payment that names its queue place frees that place and nothing else, without a record:
// a redelivery finds it gone, or finds a newer place, which it leaves alone.
TEST_F(EventsTest, FreeQueueSlotLeavesThePaidPlaceWithoutARecord) {
  FreeQueueSlot consumer(db_, room_, clock_);
  const domain::ConcertId concert{7};
  const domain::UserId user{3};
  const auto place = room_.Admitted(concert, user, clock_.Now() + 60s);
  domain::PaymentCompleted paid;
  paid.user_id = user;
  paid.concert_id = concert;
  paid.queue_generation = place.generation;
  domain::OutboxRecord record{2, paid, clock_.Now(), 0};
  EXPECT_TRUE(consumer.Handle(record));
  EXPECT_FALSE(room_.HasPlace(concert, user));
  EXPECT_FALSE(db_.Snapshot().processed.contains({FreeQueueSlot::kName, 2}))
      << "no write for a place that can be left twice";
  EXPECT_TRUE(consumer.Handle(record));  // again: nothing to leave

  room_.Admitted(concert, user, clock_.Now() + 60s);
  const auto newer = room_.Join(concert, user, clock_.Now(), clock_.Now(), domain::Policies{});
  ASSERT_NE(newer.generation, place.generation);
  EXPECT_TRUE(consumer.Handle(record));
  EXPECT_TRUE(room_.HasPlace(concert, user)) << "the newer place was left";
}

TEST_F(EventsTest, NotifyWebhookSendsEachEventOnce) {
  fakes::FakeWebhookSender sender;
  NotifyWebhook consumer(db_, sender, clock_);
  domain::OutboxRecord record{9, domain::PaymentCompleted{}, clock_.Now(), 0};
  sender.Script({Delivery::kFail});
  EXPECT_FALSE(consumer.Handle(record));
  EXPECT_FALSE(db_.Snapshot().processed.contains({NotifyWebhook::kName, 9}));
  EXPECT_TRUE(consumer.Handle(record));
  EXPECT_TRUE(consumer.Handle(record));
  EXPECT_EQ(sender.Attempts().size(), 2u);
  EXPECT_EQ(sender.Delivered().size(), 1u);
  EXPECT_TRUE(db_.Snapshot().processed.contains({NotifyWebhook::kName, 9}));
}

TEST_F(EventsTest, RelayThroughConsumersEndToEnd) {
  FreeQueueSlot free_slot(db_, room_, clock_);
  room_.Admitted(domain::ConcertId{4}, domain::UserId{8}, clock_.Now() + 60s);
  AppendPaid(domain::UserId{8}, domain::ConcertId{4});
  class Bus : public domain::EventPublisher {
   public:
    explicit Bus(FreeQueueSlot& c) : c_(c) {}
    bool Publish(const domain::OutboxRecord& r) override { return c_.Handle(r); }

   private:
    FreeQueueSlot& c_;
  } bus(free_slot);
  RelayOutbox relay(db_, bus, clock_);
  EXPECT_EQ(relay.Execute(), 1);
  EXPECT_FALSE(room_.HasPlace(domain::ConcertId{4}, domain::UserId{8}));
}

// IdempotencyGuard::Run around a real use case (a charge without a ledger key, so that every
// run that reaches the database credits the wallet again: the balance shows how often the
// business effect committed).
class IdempotencyTest : public AppTest {
 protected:
  void SetUp() override { user_ = NewUser(); }

  // A charge of `amount` under `key`; `status` is the status of a successful run's response.
  Result<IdempotentReply> Charge(const std::string& key, const std::string& hash,
                                 std::int64_t amount = 100, domain::UserId user = {},
                                 const std::string& scope = "wallet.charge", int status = 200) {
    const domain::UserId who = user.value != 0 ? user : user_;
    return guard_.Run<domain::Money>(
        {who, scope, key, hash},
        [&](const TransactionHooks<domain::Money>& hooks) {
          ++runs_;
          return charge_.Execute({who, domain::Money{amount}, std::nullopt}, hooks);
        },
        [&](const Result<domain::Money>& result) -> StoredResponse {
          if (!result) return {409, result.error().message};
          return {status, std::to_string(result->won)};
        });
  }
  // Fills the wallet to its limit, so that a charge fails inside its transaction.
  void Fill() {
    Seed([&](domain::Store& s) {
      const auto room = domain::kMaxWalletBalance - *s.Wallets().Balance(user_);
      ASSERT_TRUE(s.Wallets().Credit(user_, room, domain::kMaxWalletBalance, clock_.Now()));
    });
  }
  domain::Money Balance(domain::UserId user = {}) {
    return db_.Snapshot().wallets.at(user.value != 0 ? user.value : user_.value);
  }
  // A record as the two-phase form of an older version left it while its request ran.
  void InFlight(const std::string& key, const std::string& hash) {
    Seed([&](domain::Store& s) {
      ASSERT_TRUE(s.Idempotency().TryStore(user_, "wallet.charge", key,
                                           {hash, false, 0, "", clock_.Now()}));
    });
  }
  std::optional<domain::IdempotencyRecord> Record(const std::string& key,
                                                  const std::string& scope = "wallet.charge") {
    auto tables = db_.Snapshot();
    auto it = tables.idempotency.find({user_.value, scope, key});
    if (it == tables.idempotency.end()) return std::nullopt;
    return it->second;
  }

  IdempotencyGuard guard_{db_, clock_};
  ChargeWallet charge_{db_, clock_};
  domain::UserId user_;
  int runs_ = 0;
};

TEST_F(IdempotencyTest, KeyLength) {
  EXPECT_EQ(CodeOf(Charge("", "h")), ErrorCode::kInvalidRequest);
  EXPECT_EQ(CodeOf(Charge(std::string(256, 'k'), "h")), ErrorCode::kInvalidRequest);
  EXPECT_EQ(runs_, 0) << "a refused key runs nothing";
  auto longest = Charge(std::string(255, 'k'), "h");
  ASSERT_TRUE(longest.ok()) << longest.error().message;
  EXPECT_FALSE(longest->replay);
  EXPECT_EQ(Balance(), domain::Money{100});
  EXPECT_TRUE(Record(std::string(255, 'k')).has_value());
}

TEST_F(IdempotencyTest, Outcomes) {
  auto first = Charge("k", "h1", 100, {}, "wallet.charge", 201);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_FALSE(first->replay);
  EXPECT_EQ(first->response.status, 201);
  EXPECT_EQ(first->response.body, "100");
  EXPECT_EQ(runs_, 1);

  EXPECT_EQ(CodeOf(Charge("k", "h2")), ErrorCode::kIdempotencyKeyReused);
  auto replay = Charge("k", "h1");
  ASSERT_TRUE(replay.ok()) << replay.error().message;
  EXPECT_TRUE(replay->replay);
  EXPECT_EQ(replay->response.status, 201);
  EXPECT_EQ(replay->response.body, "100");
  EXPECT_EQ(Balance(), domain::Money{100}) << "a replay charges nothing";
  EXPECT_EQ(CodeOf(Charge("k", "h2")), ErrorCode::kIdempotencyKeyReused);
  EXPECT_EQ(Record("k")->request_hash, "h1");

  // Scopes and users are separate key spaces.
  auto other_scope = Charge("k", "h2", 100, {}, "pay");
  ASSERT_TRUE(other_scope.ok()) << other_scope.error().message;
  EXPECT_FALSE(other_scope->replay);
  EXPECT_EQ(Balance(), domain::Money{200});
  const domain::UserId other_user = NewUser();
  auto other = Charge("k", "h2", 100, other_user);
  ASSERT_TRUE(other.ok()) << other.error().message;
  EXPECT_FALSE(other->replay);
  EXPECT_EQ(Balance(other_user), domain::Money{100});
}

// A new key is not looked up: the record's insert would find it. A repeat's insert finds it, and
// the run that follows looks it up and answers from the record.
TEST_F(IdempotencyTest, AFirstRequestIsOneTransactionThatDoesNotLookTheKeyUp) {
  const int commits = db_.Commits();
  auto first = Charge("k", "h");
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_FALSE(first->replay);
  EXPECT_EQ(db_.Commits(), commits + 1);
  EXPECT_EQ(db_.Rollbacks(), 0);
  EXPECT_EQ(db_.IdempotencyFinds(), 0);

  auto repeat = Charge("k", "h");
  ASSERT_TRUE(repeat.ok()) << repeat.error().message;
  EXPECT_TRUE(repeat->replay);
  EXPECT_EQ(repeat->response.body, "100");
  EXPECT_EQ(runs_, 3) << "the repeat's transaction runs twice: its insert finds the key";
  EXPECT_EQ(db_.Commits(), commits + 1) << "the repeat committed nothing";
  EXPECT_EQ(db_.IdempotencyFinds(), 1);
  EXPECT_EQ(Balance(), domain::Money{100});
}

TEST_F(IdempotencyTest, KeysCompareExactly) {
  ASSERT_TRUE(Charge("Key", "h").ok());
  for (const std::string key : {"key", "key ", "k\u00e9y", "KEY"}) {
    auto reply = Charge(key, "h");
    ASSERT_TRUE(reply.ok()) << key << ": " << reply.error().message;
    EXPECT_FALSE(reply->replay) << key;
  }
  EXPECT_EQ(Balance(), domain::Money{500});
  EXPECT_TRUE(Charge("Key", "h")->replay);
}

TEST_F(IdempotencyTest, ABusinessErrorIsStoredAndReplayed) {
  // The use case's error (the wallet is full) rolls its transaction back; its response is
  // stored all the same.
  Fill();
  auto refused = Charge("k", "h");
  ASSERT_TRUE(refused.ok()) << refused.error().message;
  EXPECT_FALSE(refused->replay);
  EXPECT_EQ(refused->response.status, 409);
  EXPECT_TRUE(Record("k")->completed);
  auto again = Charge("k", "h");
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->replay);
  EXPECT_EQ(again->response.status, 409);
  EXPECT_EQ(again->response.body, refused->response.body);
  EXPECT_EQ(Balance(), domain::kMaxWalletBalance);
}

TEST_F(IdempotencyTest, A5xxIsNotStoredSoTheRequestMayBeRetried) {
  auto failed = Charge("k", "h", 100, {}, "wallet.charge", 503);
  ASSERT_TRUE(failed.ok()) << failed.error().message;
  EXPECT_FALSE(failed->replay);
  EXPECT_EQ(failed->response.status, 503);
  EXPECT_FALSE(Record("k").has_value());
  auto retried = Charge("k", "h");
  ASSERT_TRUE(retried.ok()) << retried.error().message;
  EXPECT_FALSE(retried->replay);
  EXPECT_EQ(retried->response.status, 200);
  EXPECT_EQ(runs_, 2);
  EXPECT_TRUE(Record("k")->completed);
}

// Records written in flight by the two-phase form of an older version, during a rolling upgrade.
TEST_F(IdempotencyTest, AnInFlightRecordOfAnOlderVersionIsAnsweredThenTakenOverWhenAbandoned) {
  InFlight("k", "h");
  EXPECT_EQ(CodeOf(Charge("k", "h")), ErrorCode::kIdempotencyInProgress);
  EXPECT_EQ(CodeOf(Charge("k", "other")), ErrorCode::kIdempotencyKeyReused);
  clock_.Advance(60s);
  EXPECT_EQ(CodeOf(Charge("k", "h")), ErrorCode::kIdempotencyInProgress);
  EXPECT_EQ(Balance(), domain::Money{0}) << "nothing is charged while the first may be running";
  EXPECT_FALSE(Record("k")->completed);

  clock_.Advance(1ms);  // abandoned: its process died mid-request
  auto taken = Charge("k", "h");
  ASSERT_TRUE(taken.ok()) << taken.error().message;
  EXPECT_FALSE(taken->replay);
  EXPECT_EQ(Balance(), domain::Money{100});
  auto record = Record("k");
  ASSERT_TRUE(record.has_value());
  EXPECT_TRUE(record->completed) << "the takeover stores its response with its charge";
  EXPECT_EQ(record->created_at, clock_.Now());
  auto again = Charge("k", "h");
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->replay);
  EXPECT_EQ(again->response.body, taken->response.body);
  EXPECT_EQ(Balance(), domain::Money{100});
}

TEST_F(IdempotencyTest, AnAbandonedInFlightRecordIsTakenOverByABusinessErrorToo) {
  InFlight("k", "h");
  Fill();
  clock_.Advance(61s);
  // The drop rolls back with the failed charge and is done again where the 409 is stored.
  auto refused = Charge("k", "h");
  ASSERT_TRUE(refused.ok()) << refused.error().message;
  EXPECT_FALSE(refused->replay);
  EXPECT_EQ(refused->response.status, 409);
  auto record = Record("k");
  ASSERT_TRUE(record.has_value());
  EXPECT_TRUE(record->completed);
  EXPECT_EQ(record->status, 409);
  auto again = Charge("k", "h");
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->replay);
  EXPECT_EQ(again->response.body, refused->response.body);
}

// ChargeWallet::ExecuteTogether: several first requests in one transaction, each with its ledger
// entry and its Idempotency-Key record; anything else commits nothing and leaves each to run
// alone.
class ChargeTogetherTest : public IdempotencyTest {
 protected:
  static ChargeWallet::Together Of(domain::UserId user, std::int64_t amount, const std::string& key,
                                   const std::string& hash = "h") {
    return {.command = {user, domain::Money{amount}, key},
            .request = {user, "wallet.charge", key, hash}};
  }
  std::optional<std::vector<StoredResponse>> Together(
      const std::vector<ChargeWallet::Together>& charges) {
    return charge_.ExecuteTogether(charges, [](domain::Money balance) -> StoredResponse {
      return {200, std::to_string(balance.won)};
    });
  }
  domain::Money LedgerOf(domain::UserId user) {
    return Query<domain::Money>([&](domain::Store& s) { return s.Wallets().LedgerSum(user); });
  }
};

TEST_F(ChargeTogetherTest, EachChargeCommitsWithItsEntryAndRecordInOneTransaction) {
  const auto other = NewUser();
  const int commits = db_.Commits();
  auto responses = Together({Of(user_, 100, "a"), Of(other, 250, "b")});
  ASSERT_TRUE(responses.has_value());
  ASSERT_EQ(responses->size(), 2u);
  EXPECT_EQ((*responses)[0].body, "100");
  EXPECT_EQ((*responses)[1].body, "250");
  EXPECT_EQ(db_.Commits(), commits + 1);
  EXPECT_EQ(Balance(), domain::Money{100});
  EXPECT_EQ(Balance(other), domain::Money{250});
  EXPECT_EQ(LedgerOf(user_), domain::Money{100});
  EXPECT_EQ(LedgerOf(other), domain::Money{250});
  ASSERT_TRUE(Record("a").has_value());
  EXPECT_TRUE(Record("a")->completed);
  EXPECT_EQ(Record("a")->body, "100");
  EXPECT_EQ(db_.Snapshot().idempotency.count({other.value, "wallet.charge", "b"}), 1u);

  // A repeat is answered from the record the batch stored, and charges nothing.
  auto repeat = Charge("a", "h");
  ASSERT_TRUE(repeat.ok()) << repeat.error().message;
  EXPECT_TRUE(repeat->replay);
  EXPECT_EQ(repeat->response.body, "100");
  EXPECT_EQ(Balance(), domain::Money{100});
}

TEST_F(ChargeTogetherTest, ARepeatInTheBatchCommitsNothing) {
  const auto other = NewUser();
  ASSERT_TRUE(Together({Of(user_, 100, "a")}).has_value());
  const int commits = db_.Commits();
  // The ledger has the key (and the guard a record for it): the batch rolls back whole.
  EXPECT_FALSE(Together({Of(other, 250, "b"), Of(user_, 100, "a")}).has_value());
  EXPECT_EQ(db_.Commits(), commits);
  EXPECT_EQ(Balance(other), domain::Money{0});
  EXPECT_EQ(LedgerOf(other), domain::Money{0});
  EXPECT_EQ(db_.Snapshot().idempotency.count({other.value, "wallet.charge", "b"}), 0u);
  EXPECT_EQ(Balance(), domain::Money{100});
}

TEST_F(ChargeTogetherTest, AnIdempotencyRecordWithoutItsLedgerKeyCommitsNothing) {
  const auto other = NewUser();
  // A record under the key, its charge made without a ledger key: only the record's insert
  // finds it, as the transaction's last write.
  ASSERT_TRUE(Charge("a", "h").ok());
  const int commits = db_.Commits();
  EXPECT_FALSE(Together({Of(other, 250, "b"), Of(user_, 100, "a")}).has_value());
  EXPECT_EQ(db_.Commits(), commits);
  EXPECT_EQ(Balance(other), domain::Money{0});
  EXPECT_EQ(Balance(), domain::Money{100});
}

TEST_F(ChargeTogetherTest, AWalletPastItsLimitCommitsNothing) {
  const auto other = NewUser();
  Fill();
  EXPECT_FALSE(Together({Of(other, 250, "b"), Of(user_, 1, "a")}).has_value());
  EXPECT_EQ(Balance(other), domain::Money{0});
  EXPECT_EQ(LedgerOf(other), domain::Money{0});
  EXPECT_FALSE(Record("a").has_value());
  EXPECT_EQ(Balance(), domain::kMaxWalletBalance);
}

TEST_F(ChargeTogetherTest, InputTheChargeAloneMustAnswerRunsNothing) {
  const auto other = NewUser();
  const int commits = db_.Commits();
  const int rollbacks = db_.Rollbacks();
  EXPECT_FALSE(Together({Of(user_, 100, "a"), Of(user_, 100, "b")}).has_value()) << "one user";
  EXPECT_FALSE(Together({Of(other, 100, "b"), Of(user_, 0, "a")}).has_value()) << "amount";
  EXPECT_FALSE(Together({Of(other, 100, "b"), Of(user_, 100, std::string(256, 'k'))}).has_value())
      << "key length";
  EXPECT_FALSE(Together({Of(other, 100, "b"), Of(domain::UserId{999}, 100, "a")}).has_value())
      << "no such wallet";
  EXPECT_EQ(db_.Commits(), commits);
  EXPECT_EQ(db_.Rollbacks(), rollbacks + 1) << "only the missing wallet reached the database";
  EXPECT_EQ(Balance(other), domain::Money{0});
}

}  // namespace
}  // namespace boxoffice::application
