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
  // Inserts `record` (completed, with its response; tests also write in-flight ones as an older
  // version did) unless (user, scope, key) exists; returns false when it does and changes nothing
  // then. On MySQL a concurrent transaction that inserted the same key and has not ended yet
  // makes this wait for it.
  virtual bool TryStore(UserId user, const std::string& scope, const std::string& key,
                        const IdempotencyRecord& record) = 0;
  // Stores `record` as the transaction's last write: nothing may read it before the commit. An
  // adapter may send it with the commit (MySQL, ADR 0016). When (user, scope, key) exists
  // already, the transaction writes nothing and Database::Write throws DuplicateRecordError
  // (at once or at its commit: the caller cannot tell, and need not).
  virtual void StoreLast(UserId user, const std::string& scope, const std::string& key,
                         const IdempotencyRecord& record) = 0;
  virtual std::optional<IdempotencyRecord> Find(UserId user, const std::string& scope,
                                                const std::string& key) = 0;
  // Deletes the record of (user, scope, key) if it is in flight (not completed) and was created
  // before `started_before`: one left by an older version whose request died with its process,
  // which the next repeat takes over (ADR 0003). Returns false, changing nothing, for any other
  // record, such as the completed one of a concurrent repeat that took it over first.
  virtual bool DropAbandoned(UserId user, const std::string& scope, const std::string& key,
                             Instant started_before) = 0;
  // Deletes records created before `cutoff`. Returns how many.
  virtual int Purge(Instant cutoff) = 0;
};

}  // namespace boxoffice::domain
