#include "infrastructure/memory/memory_lease.hpp"

namespace boxoffice::infra {

std::optional<std::int64_t> MemoryLease::Hold(const std::string& name, const std::string& owner,
                                              domain::Instant now, domain::Duration ttl) {
  std::lock_guard lock(mu_);
  auto [it, inserted] = leases_.try_emplace(name, Holder{owner, now + ttl, 1});
  if (inserted) return it->second.token;
  Holder& holder = it->second;
  const bool live = now < holder.until;
  if (live && holder.owner != owner) return std::nullopt;
  if (!live) ++holder.token;  // a new acquisition, even by the previous owner
  holder.owner = owner;
  holder.until = now + ttl;
  return holder.token;
}

}  // namespace boxoffice::infra
