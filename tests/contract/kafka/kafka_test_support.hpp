#pragma once

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "domain/model/events.hpp"
#include "infrastructure/kafka/kafka_settings.hpp"

namespace boxoffice::contract {

using namespace std::chrono_literals;

// BOXOFFICE_TEST_KAFKA_BROKERS names the broker (scripts/test-kafka-contract starts one); unset,
// the Kafka tests skip.
inline std::optional<std::string> TestKafkaBrokers() {
  const char* brokers = std::getenv("BOXOFFICE_TEST_KAFKA_BROKERS");
  if (brokers == nullptr || *brokers == '\0') return std::nullopt;
  return std::string(brokers);
}

// A topic and group nobody else uses, so tests (and earlier runs) never see each other's
// messages or offsets.
inline std::string UniqueName(const std::string& what) {
  static std::atomic<int> counter{0};
  std::random_device rd;
  return "test." + what + "." + std::to_string(::getpid()) + "." + std::to_string(++counter) + "." +
         std::to_string(rd() % 1'000'000);
}

inline infra::KafkaSettings TestSettings(const std::string& brokers, const std::string& what) {
  infra::KafkaSettings s;
  s.brokers = brokers;
  s.topic = UniqueName(what);
  s.group = UniqueName(what + "-group");
  s.partitions = 3;
  s.client_id = "contract-test";
  s.publish_timeout = 5s;
  s.retry_backoff = 50ms;
  s.retry_backoff_max = 400ms;
  return s;
}

// Polls `done` until it holds or `limit` passes: the broker and the consumer threads are real,
// so the test can only wait for them, bounded.
inline bool WaitUntil(const std::function<bool()>& done, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

// A consumer handler that records every call and answers from a script (true after it).
class Recorder {
 public:
  enum class Answer { kOk, kFail, kThrow };

  void Script(std::initializer_list<Answer> answers) {
    std::lock_guard lock(mu_);
    script_.insert(script_.end(), answers);
  }
  std::function<bool(const domain::OutboxRecord&)> Handler() {
    return [this](const domain::OutboxRecord& record) {
      Answer answer = Answer::kOk;
      {
        std::lock_guard lock(mu_);
        calls_.push_back(record);
        if (!script_.empty()) {
          answer = script_.front();
          script_.pop_front();
        }
        if (answer == Answer::kOk) handled_.push_back(record);
      }
      if (answer == Answer::kThrow) throw std::runtime_error("handler exploded");
      return answer == Answer::kOk;
    };
  }
  std::vector<domain::OutboxRecord> Calls() {
    std::lock_guard lock(mu_);
    return calls_;
  }
  std::vector<domain::OutboxRecord> Handled() {
    std::lock_guard lock(mu_);
    return handled_;
  }
  std::vector<std::int64_t> HandledIds() {
    std::vector<std::int64_t> ids;
    for (const auto& r : Handled()) ids.push_back(r.id);
    return ids;
  }
  bool HasHandled(std::int64_t id) {
    const auto ids = HandledIds();
    return std::find(ids.begin(), ids.end(), id) != ids.end();
  }

 private:
  std::mutex mu_;
  std::deque<Answer> script_;
  std::vector<domain::OutboxRecord> calls_;
  std::vector<domain::OutboxRecord> handled_;
};

// A PaymentCompleted outbox record whose every field differs, so a codec that drops or swaps
// one shows.
inline domain::OutboxRecord PaidRecord(std::int64_t outbox_id, std::int64_t reservation) {
  domain::PaymentCompleted paid;
  paid.payment_id = domain::PaymentId{reservation + 1000};
  paid.reservation_id = domain::ReservationId{reservation};
  paid.user_id = domain::UserId{reservation + 2000};
  paid.concert_id = domain::ConcertId{7};
  paid.event_id = domain::EventId{reservation + 3000};
  paid.amount = domain::Money{99'000 * 2};
  paid.seat_count = 2;
  paid.paid_at = domain::Instant{std::chrono::milliseconds(1'795'000'000'123 + reservation)};
  domain::OutboxRecord record;
  record.id = outbox_id;
  record.event = paid;
  record.created_at = domain::Instant{std::chrono::milliseconds(1'795'000'000'456 + outbox_id)};
  return record;
}

}  // namespace boxoffice::contract
