#pragma once

#include <memory>
#include <string>

#include "domain/ports/lease.hpp"

namespace boxoffice::infra {

class RedisPool;
class RedisScript;

// Leases shared by every instance: one key per lease holding its fencing token and owner, with a
// Redis expiry (SET NX PX), taken or renewed by one script; a counter key beside it (same hash
// slot) numbers the acquisitions (INCR). Expiry runs on the Redis server's clock.
class RedisLease : public domain::Lease {
 public:
  explicit RedisLease(std::shared_ptr<RedisPool> pool, std::string key_prefix = "boxoffice");
  ~RedisLease() override;
  std::optional<std::int64_t> Hold(const std::string& name, const std::string& owner,
                                   domain::Instant now, domain::Duration ttl) override;

 private:
  std::shared_ptr<RedisPool> pool_;
  std::string prefix_;
  std::unique_ptr<RedisScript> hold_;
};

}  // namespace boxoffice::infra
