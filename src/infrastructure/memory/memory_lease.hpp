#pragma once

#include <map>
#include <mutex>
#include <string>

#include "domain/ports/lease.hpp"

namespace boxoffice::infra {

// Leases within one process (embedded profile: one instance holds them all).
class MemoryLease : public domain::Lease {
 public:
  std::optional<std::int64_t> Hold(const std::string& name, const std::string& owner,
                                   domain::Instant now, domain::Duration ttl) override;

 private:
  struct Holder {
    std::string owner;
    domain::Instant until;
    std::int64_t token = 0;  // kept after the lease lapses, so the next holder's is larger
  };
  std::mutex mu_;
  std::map<std::string, Holder> leases_;
};

}  // namespace boxoffice::infra
