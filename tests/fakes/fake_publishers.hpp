#pragma once

#include <deque>
#include <mutex>
#include <stdexcept>
#include <vector>

#include "domain/ports/event_publisher.hpp"
#include "domain/ports/webhook_sender.hpp"

namespace boxoffice::fakes {

// Scripted outcome of one delivery attempt.
enum class Delivery { kOk, kFail, kThrow };

// Delivers according to a script (then the default), and records every attempt.
class ScriptedDelivery {
 public:
  void Script(std::initializer_list<Delivery> outcomes) {
    std::lock_guard lock(mu_);
    script_.insert(script_.end(), outcomes);
  }
  void SetDefault(Delivery d) {
    std::lock_guard lock(mu_);
    default_ = d;
  }
  std::vector<domain::OutboxRecord> Attempts() {
    std::lock_guard lock(mu_);
    return attempts_;
  }
  std::vector<domain::OutboxRecord> Delivered() {
    std::lock_guard lock(mu_);
    return delivered_;
  }

 protected:
  bool Deliver(const domain::OutboxRecord& record) {
    std::lock_guard lock(mu_);
    attempts_.push_back(record);
    Delivery outcome = default_;
    if (!script_.empty()) {
      outcome = script_.front();
      script_.pop_front();
    }
    if (outcome == Delivery::kThrow) throw std::runtime_error("delivery exploded");
    if (outcome == Delivery::kOk) delivered_.push_back(record);
    return outcome == Delivery::kOk;
  }

 private:
  std::mutex mu_;
  std::deque<Delivery> script_;
  Delivery default_ = Delivery::kOk;
  std::vector<domain::OutboxRecord> attempts_;
  std::vector<domain::OutboxRecord> delivered_;
};

class FakeEventPublisher : public domain::EventPublisher, public ScriptedDelivery {
 public:
  bool Publish(const domain::OutboxRecord& record) override { return Deliver(record); }
};

class FakeWebhookSender : public domain::WebhookSender, public ScriptedDelivery {
 public:
  bool Notify(const domain::OutboxRecord& record) override { return Deliver(record); }
};

}  // namespace boxoffice::fakes
