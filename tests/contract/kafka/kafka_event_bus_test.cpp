// The Kafka event bus against a real broker: KafkaEventPublisher and KafkaEventConsumer, each
// test on a topic and consumer group of its own.
#include <gtest/gtest.h>
#include <librdkafka/rdkafkacpp.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "infrastructure/events/event_codec.hpp"
#include "infrastructure/kafka/kafka_event_consumer.hpp"
#include "infrastructure/kafka/kafka_event_publisher.hpp"
#include "kafka_test_support.hpp"

namespace boxoffice::contract {
namespace {

using infra::KafkaEventConsumer;
using infra::KafkaEventPublisher;
using infra::KafkaSettings;
using Answer = Recorder::Answer;

constexpr auto kDeliveryLimit = 60s;

// Keeps librdkafka's own messages off the test output.
class QuietEvents : public RdKafka::EventCb {
 public:
  void event_cb(RdKafka::Event&) override {}
};

struct RawMessage {
  std::string key;
  std::string value;
  std::map<std::string, std::string> headers;
  int partition = 0;
};

std::unique_ptr<RdKafka::Conf> BaseConf(const KafkaSettings& s, QuietEvents& quiet) {
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  std::string error;
  conf->set("bootstrap.servers", s.brokers, error);
  conf->set("event_cb", static_cast<RdKafka::EventCb*>(&quiet), error);
  return conf;
}

// Reads `count` messages of the topic with a plain librdkafka consumer in a group of its own:
// what is on the wire, independent of the adapter's decoding.
std::vector<RawMessage> ReadRaw(const KafkaSettings& s, std::size_t count) {
  QuietEvents quiet;
  auto conf = BaseConf(s, quiet);
  std::string error;
  conf->set("group.id", UniqueName("raw-reader"), error);
  conf->set("auto.offset.reset", "earliest", error);
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(
      RdKafka::KafkaConsumer::create(conf.get(), error));
  EXPECT_TRUE(consumer) << error;
  std::vector<RawMessage> out;
  if (!consumer) return out;
  consumer->subscribe({s.topic});
  const auto deadline = std::chrono::steady_clock::now() + kDeliveryLimit;
  while (out.size() < count && std::chrono::steady_clock::now() < deadline) {
    std::unique_ptr<RdKafka::Message> m(consumer->consume(200));
    if (m->err() != RdKafka::ERR_NO_ERROR) continue;
    RawMessage raw;
    if (m->key() != nullptr) raw.key = *m->key();
    raw.value.assign(static_cast<const char*>(m->payload()), m->len());
    raw.partition = m->partition();
    if (RdKafka::Headers* headers = m->headers()) {
      for (const auto& h : headers->get_all()) {
        raw.headers[h.key()] = std::string(static_cast<const char*>(h.value()), h.value_size());
      }
    }
    out.push_back(std::move(raw));
  }
  consumer->close();
  return out;
}

// Writes a message no adapter wrote: no headers, a body that is not an event.
void ProduceGarbage(const KafkaSettings& s, const std::string& key) {
  QuietEvents quiet;
  auto conf = BaseConf(s, quiet);
  std::string error;
  // The publisher's partitioner: the garbage lands on the same partition as the events with the
  // same key, between them, so the consumer meets it before the event published after it.
  ASSERT_EQ(conf->set("partitioner", "murmur2_random", error), RdKafka::Conf::CONF_OK) << error;
  std::unique_ptr<RdKafka::Producer> producer(RdKafka::Producer::create(conf.get(), error));
  ASSERT_TRUE(producer) << error;
  std::string body = "not an event";
  ASSERT_EQ(producer->produce(s.topic, RdKafka::Topic::PARTITION_UA, RdKafka::Producer::RK_MSG_COPY,
                              body.data(), body.size(), key.data(), key.size(), 0, nullptr),
            RdKafka::ERR_NO_ERROR);
  ASSERT_EQ(producer->flush(10'000), RdKafka::ERR_NO_ERROR);
}

void ExpectSamePayment(const domain::OutboxRecord& got, const domain::OutboxRecord& sent) {
  EXPECT_EQ(got.id, sent.id);
  EXPECT_EQ(got.created_at, sent.created_at);
  const auto* a = std::get_if<domain::PaymentCompleted>(&got.event);
  const auto* b = std::get_if<domain::PaymentCompleted>(&sent.event);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(a->payment_id, b->payment_id);
  EXPECT_EQ(a->reservation_id, b->reservation_id);
  EXPECT_EQ(a->user_id, b->user_id);
  EXPECT_EQ(a->concert_id, b->concert_id);
  EXPECT_EQ(a->event_id, b->event_id);
  EXPECT_EQ(a->amount, b->amount);
  EXPECT_EQ(a->seat_count, b->seat_count);
  EXPECT_EQ(a->paid_at, b->paid_at);
}

class KafkaEventBusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto brokers = TestKafkaBrokers();
    if (!brokers) GTEST_SKIP() << "BOXOFFICE_TEST_KAFKA_BROKERS is not set";
    settings_ =
        TestSettings(*brokers, ::testing::UnitTest::GetInstance()->current_test_info()->name());
  }
  KafkaSettings settings_;
};

TEST_F(KafkaEventBusTest, PublishedRecordArrivesWithKeyHeadersAndTheSameEvent) {
  KafkaEventPublisher publisher(settings_);
  const domain::OutboxRecord paid = PaidRecord(41, 501);
  const domain::OutboxRecord cancelled{
      42, domain::ReservationCancelled{{502}, {77}, {7}, domain::Instant{1'795'000'000'999ms}},
      domain::Instant{1'795'000'001'000ms}, 3};
  const std::vector<domain::OutboxRecord> sent{paid, cancelled};
  EXPECT_EQ(publisher.PublishAll(sent), (std::vector<bool>{true, true}));

  auto raw = ReadRaw(settings_, 2);
  ASSERT_EQ(raw.size(), 2u);
  std::sort(raw.begin(), raw.end(),
            [](const RawMessage& a, const RawMessage& b) { return a.key < b.key; });
  EXPECT_EQ(raw[0].key, "501");
  EXPECT_EQ(raw[0].value, infra::EncodeEventPayload(paid.event));
  EXPECT_EQ(raw[0].headers, (std::map<std::string, std::string>{{"event-type", "PaymentCompleted"},
                                                                {"outbox-id", "41"},
                                                                {"created-at", "1795000000497"}}));
  EXPECT_EQ(raw[1].key, "502");
  EXPECT_EQ(raw[1].headers,
            (std::map<std::string, std::string>{{"event-type", "ReservationCancelled"},
                                                {"outbox-id", "42"},
                                                {"created-at", "1795000001000"}}));

  Recorder recorder;
  KafkaEventConsumer consumer(settings_, recorder.Handler());
  consumer.Start();
  ASSERT_TRUE(WaitUntil([&] { return recorder.Handled().size() >= 2; }, kDeliveryLimit));
  auto handled = recorder.Handled();
  std::sort(handled.begin(), handled.end(),
            [](const auto& a, const auto& b) { return a.id < b.id; });
  ExpectSamePayment(handled[0], paid);
  EXPECT_EQ(handled[1].id, 42);
  EXPECT_EQ(handled[1].created_at, cancelled.created_at);
  const auto* c = std::get_if<domain::ReservationCancelled>(&handled[1].event);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->reservation_id, domain::ReservationId{502});
  EXPECT_EQ(c->user_id, domain::UserId{77});
  EXPECT_EQ(c->concert_id, domain::ConcertId{7});
  EXPECT_EQ(c->cancelled_at, domain::Instant{1'795'000'000'999ms});
  EXPECT_EQ(consumer.Handled(), 2);
  EXPECT_EQ(consumer.Undecodable(), 0);
}

TEST_F(KafkaEventBusTest, ACommittedMessageIsNotDeliveredAgainToTheGroup) {
  KafkaEventPublisher publisher(settings_);
  // One reservation: one partition, so a redelivered first message would come before the second.
  ASSERT_TRUE(publisher.Publish(PaidRecord(1, 900)));
  {
    Recorder first;
    KafkaEventConsumer consumer(settings_, first.Handler());
    consumer.Start();
    ASSERT_TRUE(WaitUntil([&] { return first.HasHandled(1); }, kDeliveryLimit));
    consumer.Stop();
    EXPECT_EQ(first.HandledIds(), (std::vector<std::int64_t>{1}));
  }
  ASSERT_TRUE(publisher.Publish(PaidRecord(2, 900)));
  Recorder second;
  KafkaEventConsumer consumer(settings_, second.Handler());
  consumer.Start();
  ASSERT_TRUE(WaitUntil([&] { return second.HasHandled(2); }, kDeliveryLimit));
  EXPECT_EQ(second.HandledIds(), (std::vector<std::int64_t>{2}));
}

TEST_F(KafkaEventBusTest, AFailedHandlerGetsTheSameMessageAgainAndLaterOnesWait) {
  KafkaEventPublisher publisher(settings_);
  ASSERT_TRUE(publisher.Publish(PaidRecord(1, 700)));
  ASSERT_TRUE(publisher.Publish(PaidRecord(2, 700)));
  Recorder recorder;
  recorder.Script({Answer::kFail, Answer::kThrow});
  {
    KafkaEventConsumer consumer(settings_, recorder.Handler());
    consumer.Start();
    ASSERT_TRUE(WaitUntil([&] { return recorder.HasHandled(2); }, kDeliveryLimit));
    consumer.Stop();
    EXPECT_EQ(consumer.HandlerFailures(), 2);
    EXPECT_EQ(consumer.Handled(), 2);
  }
  std::vector<std::int64_t> calls;
  for (const auto& r : recorder.Calls()) calls.push_back(r.id);
  EXPECT_EQ(calls, (std::vector<std::int64_t>{1, 1, 1, 2}));

  // Both were committed once handled: the group's next member starts after them.
  ASSERT_TRUE(publisher.Publish(PaidRecord(3, 700)));
  Recorder next;
  KafkaEventConsumer consumer(settings_, next.Handler());
  consumer.Start();
  ASSERT_TRUE(WaitUntil([&] { return next.HasHandled(3); }, kDeliveryLimit));
  EXPECT_EQ(next.HandledIds(), (std::vector<std::int64_t>{3}));
}

TEST_F(KafkaEventBusTest, AnUndecodableMessageIsCountedAndSkipped) {
  KafkaEventPublisher publisher(settings_);
  ASSERT_TRUE(publisher.Publish(PaidRecord(1, 300)));  // creates the topic
  ProduceGarbage(settings_, "300");
  ASSERT_TRUE(publisher.Publish(PaidRecord(2, 300)));
  Recorder recorder;
  {
    KafkaEventConsumer consumer(settings_, recorder.Handler());
    consumer.Start();
    ASSERT_TRUE(WaitUntil([&] { return recorder.HasHandled(2); }, kDeliveryLimit));
    consumer.Stop();
    EXPECT_EQ(consumer.Undecodable(), 1);
    EXPECT_EQ(consumer.HandlerFailures(), 0);
  }
  EXPECT_EQ(recorder.HandledIds(), (std::vector<std::int64_t>{1, 2}));
  // The skipped message was committed with the others.
  ASSERT_TRUE(publisher.Publish(PaidRecord(3, 300)));
  Recorder next;
  KafkaEventConsumer consumer(settings_, next.Handler());
  consumer.Start();
  ASSERT_TRUE(WaitUntil([&] { return next.HasHandled(3); }, kDeliveryLimit));
  EXPECT_EQ(next.HandledIds(), (std::vector<std::int64_t>{3}));
  EXPECT_EQ(consumer.Undecodable(), 0);
}

TEST_F(KafkaEventBusTest, TwoMembersOfAGroupSplitThePartitionsAndHandleEachMessageOnce) {
  settings_.partitions = 6;
  Recorder a;
  Recorder b;
  KafkaEventConsumer first(settings_, a.Handler());
  KafkaEventConsumer second(settings_, b.Handler());
  first.Start();
  second.Start();
  ASSERT_TRUE(WaitUntil(
      [&] {
        return first.AssignedPartitions() > 0 && second.AssignedPartitions() > 0 &&
               first.AssignedPartitions() + second.AssignedPartitions() == 6;
      },
      kDeliveryLimit))
      << first.AssignedPartitions() << " + " << second.AssignedPartitions();

  constexpr int kMessages = 60;
  std::vector<domain::OutboxRecord> records;
  for (int i = 1; i <= kMessages; ++i) records.push_back(PaidRecord(i, 5000 + i));
  KafkaEventPublisher publisher(settings_);
  const auto acknowledged = publisher.PublishAll(records);
  EXPECT_EQ(std::count(acknowledged.begin(), acknowledged.end(), true), kMessages);

  const auto all_handled = [&] {
    std::set<std::int64_t> ids;
    for (auto id : a.HandledIds()) ids.insert(id);
    for (auto id : b.HandledIds()) ids.insert(id);
    return ids;
  };
  ASSERT_TRUE(WaitUntil([&] { return all_handled().size() == kMessages; }, kDeliveryLimit))
      << all_handled().size();
  first.Stop();
  second.Stop();
  EXPECT_GT(a.Handled().size(), 0u);
  EXPECT_GT(b.Handled().size(), 0u);
  EXPECT_EQ(a.Handled().size() + b.Handled().size(), static_cast<std::size_t>(kMessages))
      << "a message was handled twice";
}

}  // namespace
}  // namespace boxoffice::contract
