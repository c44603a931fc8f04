#include "infrastructure/kafka/kafka_event_consumer.hpp"

#include <librdkafka/rdkafkacpp.h>

#include <algorithm>
#include <charconv>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "infrastructure/events/event_codec.hpp"
#include "infrastructure/kafka/kafka_log.hpp"
#include "infrastructure/kafka/kafka_topic.hpp"

namespace boxoffice::infra {

namespace {

constexpr int kPollMs = 200;  // also the longest Stop waits for a poll to return
constexpr auto kTopicTimeout = std::chrono::milliseconds(5000);
constexpr int kSeekTimeoutMs = 5000;

void Set(RdKafka::Conf& conf, const std::string& name, const std::string& value) {
  std::string error;
  if (conf.set(name, value, error) != RdKafka::Conf::CONF_OK) {
    throw std::invalid_argument("kafka consumer setting " + name + ": " + error);
  }
}

std::optional<std::string> Header(RdKafka::Message& message, const char* name) {
  RdKafka::Headers* headers = message.headers();
  if (headers == nullptr) return std::nullopt;
  const RdKafka::Headers::Header header = headers->get_last(name);
  if (header.err() != RdKafka::ERR_NO_ERROR || header.value() == nullptr) return std::nullopt;
  return std::string(static_cast<const char*>(header.value()), header.value_size());
}

std::optional<std::int64_t> ParseInt(const std::optional<std::string>& text) {
  if (!text) return std::nullopt;
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (text->empty() || ec != std::errc() || end != text->data() + text->size()) {
    return std::nullopt;
  }
  return value;
}

// The outbox record a message carries, or why it cannot be read.
struct Decoded {
  std::optional<domain::OutboxRecord> record;
  std::string problem;
};

Decoded Decode(RdKafka::Message& message) {
  const auto type = Header(message, kEventTypeHeader);
  if (!type) return {std::nullopt, "no event-type header"};
  const auto id = ParseInt(Header(message, kOutboxIdHeader));
  if (!id || *id <= 0) return {std::nullopt, "no valid outbox-id header"};
  const auto created_ms = ParseInt(Header(message, kCreatedAtHeader));
  if (!created_ms) return {std::nullopt, "no valid created-at header"};
  const std::string_view payload(static_cast<const char*>(message.payload()), message.len());
  auto event = DecodeEventPayload(*type, payload);
  if (!event) return {std::nullopt, "unknown event type or bad payload"};
  domain::OutboxRecord record;
  record.id = *id;
  record.event = std::move(*event);
  record.created_at = domain::Instant{std::chrono::milliseconds(*created_ms)};
  return {std::move(record), {}};
}

}  // namespace

// Takes the partitions the group coordinator hands out (the eager protocol: every rebalance
// revokes all, then assigns anew) and counts them.
class KafkaRebalance : public RdKafka::RebalanceCb {
 public:
  explicit KafkaRebalance(std::string topic) : topic_(std::move(topic)) {}
  void rebalance_cb(RdKafka::KafkaConsumer* consumer, RdKafka::ErrorCode err,
                    std::vector<RdKafka::TopicPartition*>& partitions) override {
    boost::json::array numbers;
    for (const auto* p : partitions) numbers.push_back(p->partition());
    if (err == RdKafka::ERR__ASSIGN_PARTITIONS) {
      consumer->assign(partitions);
      assigned_ = static_cast<int>(partitions.size());
      LogKafka(spdlog::level::info, "kafka partitions assigned",
               {{"topic", topic_}, {"partitions", std::move(numbers)}});
    } else {
      consumer->unassign();
      assigned_ = 0;
      LogKafka(spdlog::level::info, "kafka partitions revoked",
               {{"topic", topic_}, {"partitions", std::move(numbers)}});
    }
  }
  int Assigned() const { return assigned_.load(); }

 private:
  std::string topic_;
  std::atomic<int> assigned_{0};
};

KafkaEventConsumer::KafkaEventConsumer(KafkaSettings settings, Handler handler)
    : settings_(std::move(settings)),
      handler_(std::move(handler)),
      logger_(std::make_unique<KafkaLogger>("consumer")),
      rebalance_(std::make_unique<KafkaRebalance>(settings_.topic)) {
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  Set(*conf, "bootstrap.servers", settings_.brokers);
  Set(*conf, "group.id", settings_.group);
  Set(*conf, "client.id", settings_.client_id);
  // Offsets are committed by hand, after the handler succeeded.
  Set(*conf, "enable.auto.commit", "false");
  Set(*conf, "enable.auto.offset.store", "false");
  // A group that has never committed starts from the oldest message: events published before
  // the first instance joined must still be handled.
  Set(*conf, "auto.offset.reset", "earliest");
  Set(*conf, "partition.assignment.strategy", "range,roundrobin");
  // An instance that dies without leaving the group holds its partitions this long; librdkafka's
  // 45 s default would also stall the group that long after a broker restart.
  Set(*conf, "session.timeout.ms", "10000");
  Set(*conf, "heartbeat.interval.ms", "3000");
  Set(*conf, "log.connection.close", "false");
  std::string error;
  if (conf->set("event_cb", static_cast<RdKafka::EventCb*>(logger_.get()), error) !=
          RdKafka::Conf::CONF_OK ||
      conf->set("rebalance_cb", static_cast<RdKafka::RebalanceCb*>(rebalance_.get()), error) !=
          RdKafka::Conf::CONF_OK) {
    throw std::invalid_argument("kafka consumer callbacks: " + error);
  }
  consumer_.reset(RdKafka::KafkaConsumer::create(conf.get(), error));
  if (!consumer_) throw std::runtime_error("kafka consumer: " + error);
}

KafkaEventConsumer::~KafkaEventConsumer() { Stop(); }

void KafkaEventConsumer::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] { Run(); });
}

void KafkaEventConsumer::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (!closed_) {
    closed_ = true;
    consumer_->close();
  }
}

int KafkaEventConsumer::AssignedPartitions() const { return rebalance_->Assigned(); }

bool KafkaEventConsumer::Pause(std::chrono::milliseconds pause) {
  std::unique_lock lock(mu_);
  return !wake_.wait_for(lock, pause, [this] { return stopping_; });
}

void KafkaEventConsumer::Run() {
  const auto stopping = [this] {
    std::lock_guard lock(mu_);
    return stopping_;
  };
  auto backoff = settings_.retry_backoff;
  bool subscribed = false;
  while (!stopping()) {
    if (!subscribed) {
      // Subscribing to a missing topic would only log errors until someone creates it.
      if (!EnsureKafkaTopic(*consumer_, settings_, kTopicTimeout)) {
        if (!Pause(backoff)) break;
        backoff = std::min(backoff * 2, settings_.retry_backoff_max);
        continue;
      }
      const RdKafka::ErrorCode err = consumer_->subscribe({settings_.topic});
      if (err != RdKafka::ERR_NO_ERROR) {
        LogKafka(spdlog::level::warn, "kafka subscribe failed",
                 {{"topic", settings_.topic}, {"error", RdKafka::err2str(err)}});
        if (!Pause(backoff)) break;
        continue;
      }
      subscribed = true;
      LogKafka(spdlog::level::info, "kafka consumer subscribed",
               {{"topic", settings_.topic}, {"group", settings_.group}});
    }
    std::unique_ptr<RdKafka::Message> message(consumer_->consume(kPollMs));
    switch (message->err()) {
      case RdKafka::ERR_NO_ERROR:
        Process(*message);
        break;
      case RdKafka::ERR__TIMED_OUT:
      case RdKafka::ERR__PARTITION_EOF:
        break;
      default:
        // Transport errors also reach the event callback, which logs them; these are the
        // consumer-side ones (a partition that vanished, an offset out of range).
        LogKafka(spdlog::level::warn, "kafka consume error",
                 {{"topic", settings_.topic}, {"error", message->errstr()}});
        break;
    }
  }
  closed_ = true;
  const RdKafka::ErrorCode err = consumer_->close();
  if (err != RdKafka::ERR_NO_ERROR) {
    LogKafka(spdlog::level::warn, "kafka consumer close failed",
             {{"error", RdKafka::err2str(err)}});
  }
}

void KafkaEventConsumer::Process(RdKafka::Message& message) {
  const Decoded decoded = Decode(message);
  if (!decoded.record) {
    ++undecodable_;
    LogKafka(spdlog::level::err, "kafka message skipped: cannot decode",
             {{"topic", message.topic_name()},
              {"partition", message.partition()},
              {"offset", message.offset()},
              {"problem", decoded.problem}});
    Commit(message);
    return;
  }
  bool ok = false;
  std::string error;
  try {
    ok = handler_(*decoded.record);
  } catch (const std::exception& e) {
    error = e.what();
  }
  if (ok) {
    ++handled_;
    consecutive_failures_ = 0;
    Commit(message);
    return;
  }
  ++failures_;
  // Back to this message, so it is the next one read from its partition (the ones after it,
  // fetched already, are dropped and fetched again).
  std::unique_ptr<RdKafka::TopicPartition> position(
      RdKafka::TopicPartition::create(message.topic_name(), message.partition(), message.offset()));
  const RdKafka::ErrorCode seek = consumer_->seek(*position, kSeekTimeoutMs);
  auto pause = settings_.retry_backoff;
  for (int i = 0; i < consecutive_failures_ && pause < settings_.retry_backoff_max; ++i) {
    pause *= 2;
  }
  pause = std::min(pause, settings_.retry_backoff_max);
  ++consecutive_failures_;
  LogKafka(spdlog::level::warn, "kafka event handling failed; will retry",
           {{"outbox_id", decoded.record->id},
            {"partition", message.partition()},
            {"offset", message.offset()},
            {"retry_in_ms", pause.count()},
            {"error", error.empty() ? "handler returned false" : error},
            {"seek", RdKafka::err2str(seek)}});
  (void)Pause(pause);
}

void KafkaEventConsumer::Commit(RdKafka::Message& message) {
  // Synchronous: once Process returns, a consumer that takes over the partition starts after
  // this message. Events are payments, a rate a round trip per message easily serves.
  const RdKafka::ErrorCode err = consumer_->commitSync(&message);
  if (err != RdKafka::ERR_NO_ERROR) {
    // Typically a rebalance took the partition: its new owner redelivers the message, which the
    // idempotent handlers absorb.
    LogKafka(spdlog::level::warn, "kafka offset commit failed",
             {{"partition", message.partition()},
              {"offset", message.offset()},
              {"error", RdKafka::err2str(err)}});
  }
}

}  // namespace boxoffice::infra
