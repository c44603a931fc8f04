#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include "domain/ports/event_publisher.hpp"
#include "infrastructure/kafka/kafka_settings.hpp"

namespace RdKafka {
class Producer;
}

namespace boxoffice::infra {

class KafkaLogger;
class KafkaDeliveryReports;

// domain::EventPublisher over a Kafka topic (the cluster profile's event bus). Each outbox
// record becomes one message: key = domain::EventKey (the reservation, so one reservation's
// events stay in order on one partition), value = the event's JSON (EncodeEventPayload),
// headers event-type, outbox-id (the consumers' dedupe id) and created-at (ms). The producer is
// idempotent with acks=all, so the broker's retries neither lose nor duplicate a message within
// one producer session. A record counts as handed over only once the broker acknowledged it;
// a broker that is down or slow makes Publish return false after settings.publish_timeout.
// Thread-safe (calls are serialised). The topic is created on first use if missing.
class KafkaEventPublisher : public domain::EventPublisher {
 public:
  explicit KafkaEventPublisher(KafkaSettings settings);
  // Waits up to publish_timeout for messages still in flight, then drops them (their outbox
  // rows were not marked published, so another pass sends them again).
  ~KafkaEventPublisher() override;
  KafkaEventPublisher(const KafkaEventPublisher&) = delete;
  KafkaEventPublisher& operator=(const KafkaEventPublisher&) = delete;

  bool Publish(const domain::OutboxRecord& record) override;
  // Produces every record, then waits once for all acknowledgements (bounded by
  // publish_timeout).
  std::vector<bool> PublishAll(std::span<const domain::OutboxRecord> records) override;
  // Waits up to `timeout` for messages in flight; returns how many are still unacknowledged.
  int Flush(std::chrono::milliseconds timeout);

 private:
  // Creates the producer, or replaces one that librdkafka declared unusable (fatal error).
  void ConnectIfNeeded();
  void Disconnect();

  KafkaSettings settings_;
  std::mutex mu_;
  std::unique_ptr<KafkaLogger> logger_;
  std::unique_ptr<KafkaDeliveryReports> reports_;
  std::unique_ptr<RdKafka::Producer> producer_;
  bool topic_ensured_ = false;
};

}  // namespace boxoffice::infra
