#pragma once

#include <chrono>
#include <string>

#include "domain/ports/webhook_sender.hpp"

namespace boxoffice::infra {

// POSTs a Slack-compatible JSON payload ({"text": "..."} plus structured fields) to an http://
// URL with a timeout. Any 2xx is success; anything else, or a network error, is a failure the
// relay retries with backoff.
class HttpWebhookSender : public domain::WebhookSender {
 public:
  HttpWebhookSender(std::string url, std::chrono::milliseconds timeout);
  bool Notify(const domain::OutboxRecord& record) override;

 private:
  std::string url_;
  std::chrono::milliseconds timeout_;
};

}  // namespace boxoffice::infra
