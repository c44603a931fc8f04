#include "infrastructure/memory/memory_lease.hpp"

namespace boxoffice::infra {

bool MemoryLease::Hold(const std::string& name, const std::string& owner, domain::Instant now,
                       domain::Duration ttl) {
  std::lock_guard lock(mu_);
  auto [it, inserted] = leases_.try_emplace(name, Holder{owner, now + ttl});
  if (inserted) return true;
  Holder& holder = it->second;
  if (holder.owner != owner && now < holder.until) return false;
  holder = Holder{owner, now + ttl};
  return true;
}

}  // namespace boxoffice::infra
