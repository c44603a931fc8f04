#include "application/run_admission.hpp"

#include <chrono>
#include <string>
#include <utility>

namespace boxoffice::application {

using domain::Result;

RunAdmission::RunAdmission(domain::Database& db, domain::WaitingRoom& room, PolicyService& policies,
                           domain::Lease& lease, std::string instance_id,
                           const domain::Clock& clock)
    : db_(db),
      room_(room),
      policies_(policies),
      lease_(lease),
      instance_id_(std::move(instance_id)),
      clock_(clock) {}

int RunAdmission::Execute() {
  // One pass at a time: two overlapping passes could both find a tick due and admit twice.
  std::lock_guard lock(mu_);
  const auto now = clock_.Now();
  const auto policies = policies_.Current();
  const auto interval = std::chrono::milliseconds(policies.admit_interval_ms);
  int admitted = 0;
  for (auto concert : room_.ConcertsWithQueues()) {
    // Renewed on every pass, so the holder keeps it while it runs.
    const std::string lease = "admission:c" + std::to_string(concert.value);
    const auto token = lease_.Hold(lease, instance_id_, now, kLeaseTtl);
    if (!token) continue;
    auto last = last_tick_.find(concert);
    if (last != last_tick_.end() && now - last->second < interval) continue;
    // The token lets the room refuse this tick should the lease have passed to another instance
    // since Hold answered (this one paused past the ttl): two tickers never both admit.
    admitted += room_.Admit(concert, policies, now, *token).admitted;
    last_tick_[concert] = now;
    auto buyable = db_.Read([&](domain::Store& store) -> Result<bool> {
      return store.Catalogue().HasBuyableSeats(concert, now);
    });
    room_.SetSoldOut(concert, !buyable.value());
  }
  return admitted;
}

}  // namespace boxoffice::application
