#pragma once

#include <optional>
#include <string>
#include <variant>

#include "domain/ports/clock.hpp"
#include "domain/ports/store.hpp"
#include "domain/result.hpp"

namespace boxoffice::application {

// Idempotency-Key handling, independent of the transport: the caller passes a hash of the
// request and stores the response it produced.
struct StoredResponse {
  int status = 0;
  std::string body;
};
struct Proceed {};  // first time: run the request, then Complete (or Forget on 5xx)

using IdempotencyDecision = std::variant<Proceed, StoredResponse>;

class IdempotencyGuard {
 public:
  IdempotencyGuard(domain::Database& db, const domain::Clock& clock);
  // Proceed for a new key; the stored response for a completed one with the same request hash;
  // idempotency_key_reused for another hash; idempotency_in_progress while the first is running.
  // invalid_request for a key that is empty or longer than 255 characters.
  domain::Result<IdempotencyDecision> Begin(domain::UserId user, const std::string& scope,
                                            const std::string& key,
                                            const std::string& request_hash);
  // The stored response of a completed request with this key and hash, if there is one. Read
  // only: for a repeat that can no longer pass its other checks (the payer's queue slot is freed
  // once the payment completes) but must still get the first answer.
  std::optional<StoredResponse> Replay(domain::UserId user, const std::string& scope,
                                       const std::string& key, const std::string& request_hash);
  void Complete(domain::UserId user, const std::string& scope, const std::string& key,
                const StoredResponse& response);
  void Forget(domain::UserId user, const std::string& scope, const std::string& key);

 private:
  domain::Database& db_;
  const domain::Clock& clock_;
};

}  // namespace boxoffice::application
