#include <span>
#include <stdexcept>
#include <vector>

#include "app_test.hpp"
#include "application/consumers.hpp"
#include "application/idempotency_guard.hpp"
#include "application/relay_outbox.hpp"
#include "fakes/fake_publishers.hpp"

namespace boxoffice::application {
namespace {

using domain::ErrorCode;
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

class IdempotencyTest : public AppTest {
 protected:
  IdempotencyGuard guard_{db_, clock_};
  domain::UserId user_{1};
};

TEST_F(IdempotencyTest, KeyLength) {
  EXPECT_EQ(CodeOf(guard_.Begin(user_, "pay", "", "h")), ErrorCode::kInvalidRequest);
  EXPECT_EQ(CodeOf(guard_.Begin(user_, "pay", std::string(256, 'k'), "h")),
            ErrorCode::kInvalidRequest);
  EXPECT_TRUE(guard_.Begin(user_, "pay", std::string(255, 'k'), "h").ok());
}

TEST_F(IdempotencyTest, Outcomes) {
  auto first = guard_.Begin(user_, "pay", "k", "h1");
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(std::holds_alternative<Proceed>(*first));

  EXPECT_EQ(CodeOf(guard_.Begin(user_, "pay", "k", "h1")), ErrorCode::kIdempotencyInProgress);
  EXPECT_EQ(CodeOf(guard_.Begin(user_, "pay", "k", "h2")), ErrorCode::kIdempotencyKeyReused);

  guard_.Complete(user_, "pay", "k", {201, "{\"data\":{}}"});
  auto replay = guard_.Begin(user_, "pay", "k", "h1");
  ASSERT_TRUE(replay.ok());
  const auto* stored = std::get_if<StoredResponse>(&*replay);
  ASSERT_NE(stored, nullptr);
  EXPECT_EQ(stored->status, 201);
  EXPECT_EQ(stored->body, "{\"data\":{}}");
  EXPECT_EQ(CodeOf(guard_.Begin(user_, "pay", "k", "h2")), ErrorCode::kIdempotencyKeyReused);

  // Scopes and users are separate key spaces.
  EXPECT_TRUE(std::holds_alternative<Proceed>(*guard_.Begin(user_, "charge", "k", "h2")));
  EXPECT_TRUE(std::holds_alternative<Proceed>(*guard_.Begin({2}, "pay", "k", "h2")));
}

TEST_F(IdempotencyTest, ForgetAllowsARetry) {
  ASSERT_TRUE(guard_.Begin(user_, "pay", "k", "h").ok());
  guard_.Forget(user_, "pay", "k");
  EXPECT_TRUE(std::holds_alternative<Proceed>(*guard_.Begin(user_, "pay", "k", "h")));
}

TEST_F(IdempotencyTest, AbandonedInFlightRecordIsTakenOver) {
  ASSERT_TRUE(guard_.Begin(user_, "pay", "k", "h").ok());
  clock_.Advance(60s);
  EXPECT_EQ(CodeOf(guard_.Begin(user_, "pay", "k", "h")), ErrorCode::kIdempotencyInProgress);
  clock_.Advance(1ms);
  auto retried = guard_.Begin(user_, "pay", "k", "h");
  ASSERT_TRUE(retried.ok());
  EXPECT_TRUE(std::holds_alternative<Proceed>(*retried));
  EXPECT_EQ(CodeOf(guard_.Begin(user_, "pay", "k", "h")), ErrorCode::kIdempotencyInProgress)
      << "the takeover starts a fresh in-flight record";
}

}  // namespace
}  // namespace boxoffice::application
