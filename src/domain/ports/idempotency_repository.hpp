#pragma once

#include <optional>
#include <string>

#include "domain/types.hpp"

namespace boxoffice::domain {

// A stored response for an Idempotency-Key, scoped to a user and an operation. A record that is
// not completed was written in flight by an older version of the service (ADR 0003).
struct IdempotencyRecord {
  std::string request_hash;
  bool completed = false;
  int status = 0;
  std::string body;
  Instant created_at;
};

class IdempotencyRepository {
 public:
  virtual ~IdempotencyRepository() = default;
  // Inserts `record` (normally completed, with its response) unless (user, scope, key) exists;
  // returns false when it does and changes nothing then. On MySQL a concurrent transaction that
  // inserted the same key and has not ended yet makes this wait for it.
  virtual bool TryStore(UserId user, const std::string& scope, const std::string& key,
                        const IdempotencyRecord& record) = 0;
  // Inserts an in-flight record, as the two-phase IdempotencyGuard::Begin does. Returns false
  // when (user, scope, key) already exists.
  virtual bool TryBegin(UserId user, const std::string& scope, const std::string& key,
                        const std::string& request_hash, Instant now) = 0;
  virtual std::optional<IdempotencyRecord> Find(UserId user, const std::string& scope,
                                                const std::string& key) = 0;
  virtual void Complete(UserId user, const std::string& scope, const std::string& key, int status,
                        const std::string& body) = 0;
  // Deletes the record so the request can be retried (after a 5xx).
  virtual void Forget(UserId user, const std::string& scope, const std::string& key) = 0;
  // Deletes records created before `cutoff`. Returns how many.
  virtual int Purge(Instant cutoff) = 0;
};

}  // namespace boxoffice::domain
