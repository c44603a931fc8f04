#pragma once

#include "domain/model/events.hpp"

namespace boxoffice::domain {

// Sends a notification about a domain event to the configured webhook (Slack-compatible
// payload). The adapter decides the wording and the format.
class WebhookSender {
 public:
  virtual ~WebhookSender() = default;
  // True when the receiver answered 2xx; false means "retry later".
  virtual bool Notify(const OutboxRecord& record) = 0;
};

}  // namespace boxoffice::domain
