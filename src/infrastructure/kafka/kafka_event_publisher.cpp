#include "infrastructure/kafka/kafka_event_publisher.hpp"

#include <librdkafka/rdkafkacpp.h>

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>

#include "infrastructure/events/event_codec.hpp"
#include "infrastructure/kafka/kafka_log.hpp"
#include "infrastructure/kafka/kafka_topic.hpp"

namespace boxoffice::infra {

namespace {

using Clock = std::chrono::steady_clock;

constexpr auto kTopicTimeout = std::chrono::milliseconds(5000);
// librdkafka scans for timed-out messages about once a second, so their failed delivery reports
// arrive up to that long after message.timeout.ms.
constexpr auto kReportMargin = std::chrono::milliseconds(2000);

// The outcomes of one PublishAll call. Reports can arrive after the call gave up waiting (the
// broker answered late); they then land here unread, which is why a batch is shared.
struct Batch {
  explicit Batch(std::size_t size) : outcome(size, kPending), pending(size) {}
  static constexpr std::int8_t kPending = -1;
  std::vector<std::int8_t> outcome;  // kPending, 0 failed, 1 acknowledged
  std::size_t pending;
  std::string first_error;
};

// Passed to librdkafka as the message's opaque and freed by the delivery report.
struct Ticket {
  std::shared_ptr<Batch> batch;
  std::size_t index;
};

std::int64_t ToMs(domain::Instant t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

void Set(RdKafka::Conf& conf, const std::string& name, const std::string& value) {
  std::string error;
  if (conf.set(name, value, error) != RdKafka::Conf::CONF_OK) {
    throw std::invalid_argument("kafka producer setting " + name + ": " + error);
  }
}

}  // namespace

// Records each message's outcome in its batch. librdkafka calls it from poll() and flush(), on
// the thread of the caller, which holds the publisher's mutex.
class KafkaDeliveryReports : public RdKafka::DeliveryReportCb {
 public:
  void dr_cb(RdKafka::Message& message) override {
    std::unique_ptr<Ticket> ticket(static_cast<Ticket*>(message.msg_opaque()));
    if (!ticket) return;
    Batch& batch = *ticket->batch;
    const bool ok = message.err() == RdKafka::ERR_NO_ERROR;
    batch.outcome[ticket->index] = ok ? 1 : 0;
    if (!ok && batch.first_error.empty()) batch.first_error = message.errstr();
    --batch.pending;
  }
};

KafkaEventPublisher::KafkaEventPublisher(KafkaSettings settings) : settings_(std::move(settings)) {
  std::lock_guard lock(mu_);
  ConnectIfNeeded();
}

KafkaEventPublisher::~KafkaEventPublisher() {
  std::lock_guard lock(mu_);
  if (!producer_) return;
  producer_->flush(static_cast<int>(settings_.publish_timeout.count()));
  const int left = producer_->outq_len();
  if (left > 0) {
    LogKafka(spdlog::level::warn, "kafka producer closed with messages unacknowledged",
             {{"messages", left}});
  }
  Disconnect();
}

void KafkaEventPublisher::ConnectIfNeeded() {
  if (producer_ && !logger_->Fatal()) return;
  if (producer_) {
    LogKafka(spdlog::level::warn, "kafka producer replaced after a fatal error");
    Disconnect();
  }
  logger_ = std::make_unique<KafkaLogger>("producer");
  reports_ = std::make_unique<KafkaDeliveryReports>();
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  const std::string timeout_ms = std::to_string(settings_.publish_timeout.count());
  Set(*conf, "bootstrap.servers", settings_.brokers);
  Set(*conf, "client.id", settings_.client_id);
  Set(*conf, "enable.idempotence", "true");
  Set(*conf, "acks", "all");
  // A message not acknowledged by then gets a failed delivery report: Publish's bound.
  Set(*conf, "message.timeout.ms", timeout_ms);
  Set(*conf, "request.timeout.ms", timeout_ms);
  Set(*conf, "linger.ms", "5");
  // The Java client's partitioner, so a key lands on the same partition whoever produces it.
  Set(*conf, "partitioner", "murmur2_random");
  Set(*conf, "log.connection.close", "false");
  std::string error;
  if (conf->set("event_cb", static_cast<RdKafka::EventCb*>(logger_.get()), error) !=
          RdKafka::Conf::CONF_OK ||
      conf->set("dr_cb", static_cast<RdKafka::DeliveryReportCb*>(reports_.get()), error) !=
          RdKafka::Conf::CONF_OK) {
    throw std::invalid_argument("kafka producer callbacks: " + error);
  }
  producer_.reset(RdKafka::Producer::create(conf.get(), error));
  if (!producer_) throw std::runtime_error("kafka producer: " + error);
  topic_ensured_ = false;
}

void KafkaEventPublisher::Disconnect() {
  // Purged messages get delivery reports too; serving them frees their tickets.
  producer_->purge(RdKafka::Producer::PURGE_QUEUE | RdKafka::Producer::PURGE_INFLIGHT);
  producer_->flush(1000);
  producer_.reset();
}

bool KafkaEventPublisher::Publish(const domain::OutboxRecord& record) {
  return PublishAll(std::span<const domain::OutboxRecord>(&record, 1)).front();
}

std::vector<bool> KafkaEventPublisher::PublishAll(std::span<const domain::OutboxRecord> records) {
  std::lock_guard lock(mu_);
  std::vector<bool> acknowledged(records.size(), false);
  if (records.empty()) return acknowledged;
  ConnectIfNeeded();
  if (!topic_ensured_) {
    topic_ensured_ =
        EnsureKafkaTopic(*producer_, settings_, std::min(settings_.publish_timeout, kTopicTimeout));
  }

  auto batch = std::make_shared<Batch>(records.size());
  const auto fail_now = [&](std::size_t i, RdKafka::ErrorCode err) {
    batch->outcome[i] = 0;
    --batch->pending;
    if (batch->first_error.empty()) batch->first_error = RdKafka::err2str(err);
  };
  for (std::size_t i = 0; i < records.size(); ++i) {
    const domain::OutboxRecord& record = records[i];
    std::string value = EncodeEventPayload(record.event);
    const std::string key = domain::EventKey(record.event);
    RdKafka::ErrorCode err = RdKafka::ERR_NO_ERROR;
    // A full local queue drains as the broker acknowledges; one short wait, then give up.
    for (int attempt = 0; attempt < 2; ++attempt) {
      std::unique_ptr<RdKafka::Headers> headers(RdKafka::Headers::create());
      headers->add(kEventTypeHeader, domain::EventType(record.event));
      headers->add(kOutboxIdHeader, std::to_string(record.id));
      headers->add(kCreatedAtHeader, std::to_string(ToMs(record.created_at)));
      auto ticket = std::make_unique<Ticket>(Ticket{batch, i});
      err = producer_->produce(settings_.topic, RdKafka::Topic::PARTITION_UA,
                               RdKafka::Producer::RK_MSG_COPY, value.data(), value.size(),
                               key.data(), key.size(), 0, headers.get(), ticket.get());
      if (err == RdKafka::ERR_NO_ERROR) {
        // librdkafka owns both now.
        (void)headers.release();
        (void)ticket.release();
        break;
      }
      if (err != RdKafka::ERR__QUEUE_FULL) break;
      producer_->poll(100);
    }
    if (err != RdKafka::ERR_NO_ERROR) fail_now(i, err);
  }

  const auto deadline = Clock::now() + settings_.publish_timeout + kReportMargin;
  while (batch->pending > 0) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) break;
    producer_->poll(static_cast<int>(std::min<std::int64_t>(left.count(), 100)));
  }

  std::size_t failed = 0;
  for (std::size_t i = 0; i < records.size(); ++i) {
    acknowledged[i] = batch->outcome[i] == 1;
    if (!acknowledged[i]) ++failed;
  }
  if (failed > 0) {
    LogKafka(spdlog::level::warn, "kafka publish failed",
             {{"topic", settings_.topic},
              {"failed", static_cast<std::int64_t>(failed)},
              {"of", static_cast<std::int64_t>(records.size())},
              {"error",
               batch->first_error.empty() ? "no acknowledgement in time" : batch->first_error}});
  }
  return acknowledged;
}

int KafkaEventPublisher::Flush(std::chrono::milliseconds timeout) {
  std::lock_guard lock(mu_);
  if (!producer_) return 0;
  producer_->flush(static_cast<int>(timeout.count()));
  return producer_->outq_len();
}

}  // namespace boxoffice::infra
