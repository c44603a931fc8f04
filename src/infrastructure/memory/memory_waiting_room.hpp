#pragma once

#include <memory>

#include "domain/ports/waiting_room.hpp"

namespace boxoffice::infra {

// The waiting room of the embedded profile: all state in this process.
class MemoryWaitingRoom : public domain::WaitingRoom {
 public:
  MemoryWaitingRoom();
  ~MemoryWaitingRoom() override;

  domain::QueuePlace Join(domain::ConcertId concert, domain::UserId user, domain::Instant now,
                          domain::Instant opens_at, const domain::Policies& policies) override;
  domain::QueueView Touch(domain::ConcertId concert, domain::UserId user, std::int32_t generation,
                          domain::Instant now, const domain::Policies& policies) override;
  void Leave(domain::ConcertId concert, domain::UserId user) override;
  void LeavePlace(domain::ConcertId concert, domain::UserId user, std::int32_t generation) override;
  domain::AdmissionResult Admit(domain::ConcertId concert, const domain::Policies& policies,
                                domain::Instant now, std::int64_t fencing_token) override;
  void SetSoldOut(domain::ConcertId concert, bool sold_out) override;
  domain::QueueStats Stats(domain::ConcertId concert, domain::Instant now) override;
  std::vector<domain::ConcertId> ConcertsWithQueues() override;
  // Every call takes one lock and does in-memory work only: the async forms answer in place.
  bool AnswersWithoutBlocking() const override { return true; }

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace boxoffice::infra
