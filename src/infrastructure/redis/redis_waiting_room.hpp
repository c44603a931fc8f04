#pragma once

#include <memory>
#include <string>

#include "domain/ports/waiting_room.hpp"

namespace boxoffice::infra {

class RedisPool;

// The waiting room of the cluster profile, shared by every instance through Redis. Each
// concert's keys carry the hash tag {c:ID} so a Redis Cluster keeps them in one slot, and every
// change of several keys is one Lua script. Time comes only from the `now` arguments.
//
// Keys, under `key_prefix` (so several rooms can share one database):
//   seq                      INCR: the global arrival sequence
//   concerts                 SET of concert ids that ever had a queue (filtered when listed)
//   {c:ID}:waiting           ZSET user -> line order (the arrival sequence)
//   {c:ID}:seen              ZSET user -> last sign of life (ms), waiting and pre-queue users
//   {c:ID}:pre               SET of users who arrived before the opening
//   {c:ID}:active            ZSET user -> idle deadline (ms)
//   {c:ID}:u:USER            HASH seq, gen, stage (pre|wait|active|gone), last_seen, until,
//                            idle_ttl; kept after the place is gone so generations keep growing
//   {c:ID}:opens, :soldout, :total, :ticks (LIST "ms:admitted", pruned to the last minute)
class RedisWaitingRoom : public domain::WaitingRoom {
 public:
  explicit RedisWaitingRoom(std::shared_ptr<RedisPool> pool, std::string key_prefix = "boxoffice");
  ~RedisWaitingRoom() override;

  domain::QueuePlace Join(domain::ConcertId concert, domain::UserId user, domain::Instant now,
                          domain::Instant opens_at, const domain::Policies& policies) override;
  domain::QueueView Touch(domain::ConcertId concert, domain::UserId user, std::int32_t generation,
                          domain::Instant now, const domain::Policies& policies) override;
  void Leave(domain::ConcertId concert, domain::UserId user) override;
  domain::AdmissionResult Admit(domain::ConcertId concert, const domain::Policies& policies,
                                domain::Instant now) override;
  void SetSoldOut(domain::ConcertId concert, bool sold_out) override;
  domain::QueueStats Stats(domain::ConcertId concert, domain::Instant now) override;
  std::vector<domain::ConcertId> ConcertsWithQueues() override;

 private:
  struct Scripts;
  std::vector<std::string> Keys(domain::ConcertId concert) const;
  std::string UserPrefix(domain::ConcertId concert) const;

  std::shared_ptr<RedisPool> pool_;
  std::string prefix_;
  std::unique_ptr<Scripts> scripts_;
};

}  // namespace boxoffice::infra
