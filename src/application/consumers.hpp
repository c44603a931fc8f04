#pragma once

#include <string>

#include "domain/model/events.hpp"
#include "domain/ports/clock.hpp"
#include "domain/ports/store.hpp"
#include "domain/ports/waiting_room.hpp"
#include "domain/ports/webhook_sender.hpp"

namespace boxoffice::application {

// Idempotent consumers of domain events. Each returns true when the event is handled (or was
// handled before) and false when it should be delivered again later.

// Frees the payer's waiting-room slot once their payment completes, once per event: a
// redelivery (the relay retries an event until every consumer has it) must not evict a place
// the user took again after paying.
class FreeQueueSlot {
 public:
  static constexpr const char* kName = "free-queue-slot";
  FreeQueueSlot(domain::Database& db, domain::WaitingRoom& room, const domain::Clock& clock);
  bool Handle(const domain::OutboxRecord& record);

 private:
  domain::Database& db_;
  domain::WaitingRoom& room_;
  const domain::Clock& clock_;
};

// Sends a webhook notification for each event (payments, cancellations), once.
class NotifyWebhook {
 public:
  static constexpr const char* kName = "notify-webhook";
  NotifyWebhook(domain::Database& db, domain::WebhookSender& sender, const domain::Clock& clock);
  bool Handle(const domain::OutboxRecord& record);

 private:
  domain::Database& db_;
  domain::WebhookSender& sender_;
  const domain::Clock& clock_;
};

}  // namespace boxoffice::application
