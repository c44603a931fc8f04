#include "contract/sql_contract_test.hpp"

namespace boxoffice::contract {
namespace {

using domain::Store;

domain::PaymentCompleted Paid(std::int64_t reservation) {
  return domain::PaymentCompleted{.payment_id = domain::PaymentId{7},
                                  .reservation_id = domain::ReservationId{reservation},
                                  .user_id = domain::UserId{3},
                                  .concert_id = domain::ConcertId{4},
                                  .event_id = domain::EventId{5},
                                  .amount = domain::Money{12'000},
                                  .seat_count = 2,
                                  .paid_at = At(1'700'000'000'123),
                                  .queue_generation = 4};
}

class OutboxRepositoryContract : public SqlContractTest {
 protected:
  std::vector<domain::OutboxRecord> Claim(std::int64_t now, std::int64_t until, int limit = 10) {
    return Commit(db(), [&](Store& s) { return s.Outbox().Claim(T(now), T(until), limit); });
  }
  std::int64_t Unpublished() {
    return Query(db(), [](Store& s) { return s.Outbox().CountUnpublished(); });
  }
};
BOXOFFICE_SQL_CONTRACT(OutboxRepositoryContract);

TEST_P(OutboxRepositoryContract, AppendedEventsAreClaimedOldestFirstWithTheirPayload) {
  Commit(db(), [](Store& s) {
    s.Outbox().Append(Paid(1), T(0));
    s.Outbox().Append(domain::ReservationCancelled{.reservation_id = domain::ReservationId{2},
                                                   .user_id = domain::UserId{3},
                                                   .concert_id = domain::ConcertId{4},
                                                   .cancelled_at = T(9)},
                      T(1));
  });
  EXPECT_EQ(Unpublished(), 2);
  auto claimed = Claim(1, 1000);
  ASSERT_EQ(claimed.size(), 2u);
  EXPECT_LT(claimed[0].id, claimed[1].id);
  EXPECT_EQ(claimed[0].attempts, 0);
  EXPECT_EQ(claimed[0].created_at, T(0));
  ASSERT_TRUE(std::holds_alternative<domain::PaymentCompleted>(claimed[0].event));
  const auto& paid = std::get<domain::PaymentCompleted>(claimed[0].event);
  const auto expected = Paid(1);
  EXPECT_EQ(paid.payment_id, expected.payment_id);
  EXPECT_EQ(paid.reservation_id, expected.reservation_id);
  EXPECT_EQ(paid.user_id, expected.user_id);
  EXPECT_EQ(paid.concert_id, expected.concert_id);
  EXPECT_EQ(paid.event_id, expected.event_id);
  EXPECT_EQ(paid.amount, expected.amount);
  EXPECT_EQ(paid.seat_count, expected.seat_count);
  EXPECT_EQ(paid.paid_at, expected.paid_at);
  EXPECT_EQ(paid.queue_generation, expected.queue_generation);
  ASSERT_TRUE(std::holds_alternative<domain::ReservationCancelled>(claimed[1].event));
  const auto& cancelled = std::get<domain::ReservationCancelled>(claimed[1].event);
  EXPECT_EQ(cancelled.reservation_id, domain::ReservationId{2});
  EXPECT_EQ(cancelled.cancelled_at, T(9));
}

TEST_P(OutboxRepositoryContract, AClaimHidesRowsUntilItLapsesAndRespectsTheLimit) {
  Commit(db(), [](Store& s) {
    for (int i = 1; i <= 3; ++i) s.Outbox().Append(Paid(i), T(0));
  });
  auto first = Claim(0, 1000, 2);
  ASSERT_EQ(first.size(), 2u);
  auto second = Claim(500, 1500, 10);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_GT(second[0].id, first[1].id);
  EXPECT_TRUE(Claim(999, 2000).empty());
  auto reclaimed = Claim(1000, 2000);  // the first relay died: its claim lapsed
  ASSERT_EQ(reclaimed.size(), 2u);
  EXPECT_EQ(reclaimed[0].id, first[0].id);
  EXPECT_TRUE(Claim(0, 1000, 0).empty());
}

TEST_P(OutboxRepositoryContract, PublishedRowsAreNeverClaimedAgain) {
  Commit(db(), [](Store& s) { s.Outbox().Append(Paid(1), T(0)); });
  auto claimed = Claim(0, 1000);
  ASSERT_EQ(claimed.size(), 1u);
  Commit(db(), [&](Store& s) { s.Outbox().MarkPublished({claimed[0].id}, T(5)); });
  EXPECT_EQ(Unpublished(), 0);
  EXPECT_TRUE(Claim(100'000, 200'000).empty());
}

TEST_P(OutboxRepositoryContract, OneCallMarksTheRowsItNamesAndNoOther) {
  Commit(db(), [](Store& s) {
    for (int i = 1; i <= 4; ++i) s.Outbox().Append(Paid(i), T(0));
  });
  auto claimed = Claim(0, 1000);
  ASSERT_EQ(claimed.size(), 4u);
  const std::int64_t gone = claimed[3].id + 1000;  // no such row: skipped
  Commit(db(), [&](Store& s) {
    s.Outbox().MarkPublished({claimed[0].id, claimed[2].id, gone}, T(5));
    s.Outbox().MarkPublished({}, T(5));
  });
  EXPECT_EQ(Unpublished(), 2);
  auto left = Claim(1000, 2000);
  ASSERT_EQ(left.size(), 2u);
  EXPECT_EQ(left[0].id, claimed[1].id);
  EXPECT_EQ(left[1].id, claimed[3].id);
}

TEST_P(OutboxRepositoryContract, FailedRowsBackOffCountAttemptsAndDeadRowsStop) {
  Commit(db(), [](Store& s) { s.Outbox().Append(Paid(1), T(0)); });
  auto claimed = Claim(0, 1000);
  ASSERT_EQ(claimed.size(), 1u);
  const auto id = claimed[0].id;
  Commit(db(), [&](Store& s) { s.Outbox().MarkFailed(id, T(5000), false); });
  EXPECT_TRUE(Claim(4999, 10'000).empty());  // the claim was released but the row is not due
  auto retried = Claim(5000, 6000);
  ASSERT_EQ(retried.size(), 1u);
  EXPECT_EQ(retried[0].attempts, 1);
  Commit(db(), [&](Store& s) { s.Outbox().MarkFailed(id, T(7000), true); });
  EXPECT_TRUE(Claim(1'000'000, 2'000'000).empty());
  EXPECT_EQ(Unpublished(), 0);
}

TEST_P(OutboxRepositoryContract, RolledBackAppendLeavesNoRow) {
  auto r = db().Write([](Store& s) -> domain::Result<bool> {
    s.Outbox().Append(Paid(1), T(0));
    return domain::Fail(domain::ErrorCode::kInsufficientBalance, "rolled back");
  });
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(Unpublished(), 0);
}

// A payment written before events kept the queue place's generation reads back without one.
TEST_P(OutboxRepositoryContract, APaymentWithoutAQueueGenerationReadsBackWithout) {
  auto older = Paid(1);
  older.queue_generation.reset();
  Commit(db(), [&](Store& s) { s.Outbox().Append(older, T(0)); });
  auto claimed = Claim(1, 1000);
  ASSERT_EQ(claimed.size(), 1u);
  ASSERT_TRUE(std::holds_alternative<domain::PaymentCompleted>(claimed[0].event));
  EXPECT_FALSE(std::get<domain::PaymentCompleted>(claimed[0].event).queue_generation.has_value());
}

class ProcessedEventRepositoryContract : public SqlContractTest {};
BOXOFFICE_SQL_CONTRACT(ProcessedEventRepositoryContract);

TEST_P(ProcessedEventRepositoryContract, EachConsumerRecordsAnEventOnce) {
  auto mark = [&](const std::string& consumer, std::int64_t id) {
    return Commit(db(),
                  [&](Store& s) { return s.ProcessedEvents().MarkProcessed(consumer, id, T(0)); });
  };
  auto seen = [&](const std::string& consumer, std::int64_t id) {
    return Query(db(), [&](Store& s) { return s.ProcessedEvents().IsProcessed(consumer, id); });
  };
  EXPECT_FALSE(seen("queue", 1));
  EXPECT_TRUE(mark("queue", 1));
  EXPECT_FALSE(mark("queue", 1));
  EXPECT_TRUE(seen("queue", 1));
  EXPECT_FALSE(seen("webhook", 1));
  EXPECT_TRUE(mark("webhook", 1));
  EXPECT_FALSE(seen("queue", 2));
}

// Housekeeping: rows published before the cutoff go, in batches, oldest first; unpublished and
// dead rows stay, whatever their age.
TEST_P(OutboxRepositoryContract, PurgePublishedDropsOnlyRowsPublishedBeforeTheCutoff) {
  Commit(db(), [](Store& s) {
    for (int i = 1; i <= 5; ++i) s.Outbox().Append(Paid(i), T(0));
  });
  auto claimed = Claim(0, 1000);
  ASSERT_EQ(claimed.size(), 5u);
  Commit(db(), [&](Store& s) {
    s.Outbox().MarkPublished({claimed[0].id}, T(100));
    s.Outbox().MarkPublished({claimed[1].id}, T(200));
    s.Outbox().MarkPublished({claimed[2].id}, T(5000));
    s.Outbox().MarkFailed(claimed[3].id, T(10), /*dead=*/true);
  });
  auto purge = [&](std::int64_t cutoff, int limit) {
    return Commit(db(), [&](Store& s) { return s.Outbox().PurgePublished(T(cutoff), limit); });
  };
  EXPECT_EQ(purge(200, 10), 1);  // published at 100; the one at 200 is not older than 200
  EXPECT_EQ(purge(1'000'000, 1), 1);
  EXPECT_EQ(purge(1'000'000, 10), 1);
  EXPECT_EQ(purge(1'000'000, 10), 0);
  EXPECT_EQ(Unpublished(), 1);  // the row never published
  // The dead and the unpublished rows are still there to be claimed or inspected.
  EXPECT_EQ(Claim(20'000, 30'000).size(), 1u);
}

}  // namespace
}  // namespace boxoffice::contract
