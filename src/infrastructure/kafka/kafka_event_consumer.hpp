#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "domain/model/events.hpp"
#include "infrastructure/kafka/kafka_settings.hpp"

namespace RdKafka {
class KafkaConsumer;
class Message;
}  // namespace RdKafka

namespace boxoffice::infra {

class KafkaLogger;
class KafkaRebalance;

// A member of the consumer group settings.group on settings.topic, on a thread of its own.
// Each message is decoded back into the outbox record it came from (id from the outbox-id
// header) and given to the handler; its offset is committed only after the handler succeeded,
// so delivery is at least once and handlers must be idempotent (the consumers dedupe on the
// outbox id). A handler that fails or throws gets the same message again after a pause that
// doubles from settings.retry_backoff up to settings.retry_backoff_max; meanwhile the
// consumer does not move past it. A message that cannot be decoded is logged, counted and
// committed: no retry can make it readable. The topic is created if missing before subscribing;
// a broker that is down is retried until Stop.
class KafkaEventConsumer {
 public:
  using Handler = std::function<bool(const domain::OutboxRecord&)>;
  // Creates the client (throws std::invalid_argument on bad settings); Start begins consuming.
  KafkaEventConsumer(KafkaSettings settings, Handler handler);
  ~KafkaEventConsumer();  // Stop()
  KafkaEventConsumer(const KafkaEventConsumer&) = delete;
  KafkaEventConsumer& operator=(const KafkaEventConsumer&) = delete;

  void Start();
  // Leaves the group (so its partitions move to the other members at once) and joins the
  // thread. Idempotent. A handler call in progress finishes first.
  void Stop();

  std::int64_t Handled() const { return handled_.load(); }           // committed after success
  std::int64_t HandlerFailures() const { return failures_.load(); }  // each failed attempt
  std::int64_t Undecodable() const { return undecodable_.load(); }   // skipped messages
  int AssignedPartitions() const;

 private:
  void Run();
  void Process(RdKafka::Message& message);
  void Commit(RdKafka::Message& message);
  // Waits `pause` or until Stop; false when stopping.
  bool Pause(std::chrono::milliseconds pause);

  KafkaSettings settings_;
  Handler handler_;
  std::unique_ptr<KafkaLogger> logger_;
  std::unique_ptr<KafkaRebalance> rebalance_;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool closed_ = false;
  int consecutive_failures_ = 0;
  std::atomic<std::int64_t> handled_{0};
  std::atomic<std::int64_t> failures_{0};
  std::atomic<std::int64_t> undecodable_{0};
};

}  // namespace boxoffice::infra
