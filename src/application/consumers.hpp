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

// Frees the payer's waiting-room slot once their payment completes.
class FreeQueueSlot {
 public:
  static constexpr const char* kName = "free-queue-slot";
  FreeQueueSlot(domain::WaitingRoom& room);
  bool Handle(const domain::OutboxRecord& record);

 private:
  domain::WaitingRoom& room_;
};

// Sends a webhook notification for each completed payment, once.
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
