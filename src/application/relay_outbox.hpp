#pragma once

#include "domain/ports/clock.hpp"
#include "domain/ports/event_publisher.hpp"
#include "domain/ports/store.hpp"

namespace boxoffice::application {

// Publishes due outbox rows, oldest first, a pass's rows in one PublishAll call (a broker adapter
// then waits for one round of acknowledgements). A row whose publication fails is retried with
// exponential backoff (1 s, 2 s, 4 s ... capped at 5 min) and given up after kMaxAttempts;
// later rows do not wait for it, so consumers must not rely on order across events.
class RelayOutbox {
 public:
  static constexpr int kMaxAttempts = 12;
  RelayOutbox(domain::Database& db, domain::EventPublisher& publisher, const domain::Clock& clock,
              int batch_size = 100);
  // Returns how many rows were published in this pass.
  int Execute();

 private:
  domain::Database& db_;
  domain::EventPublisher& publisher_;
  const domain::Clock& clock_;
  int batch_size_;
};

}  // namespace boxoffice::application
