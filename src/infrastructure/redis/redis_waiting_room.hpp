#pragma once

#include <cstdint>
#include <memory>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "domain/ports/waiting_room.hpp"

namespace boxoffice::infra {

class RedisMultiplexer;
class RedisPool;
struct RedisValue;

// The waiting room of the cluster profile, shared by every instance through Redis. Each
// concert's keys carry the hash tag {c:ID} so a Redis Cluster keeps them in one slot, and every
// change of several keys is one Lua script. Time comes only from the `now` arguments.
//
// Keys, under `key_prefix` (so several rooms can share one database); every key a script
// touches is one of the concert's and is passed in KEYS:
//   concerts                 SET of concert ids that ever had a queue (filtered when listed);
//                            each process adds a concert at its first join, again at most once
//                            a second (kListAgainAfter), and whenever a join finds the concert's
//                            keys gone (its arrival counter made anew), rather than on every join
//   {c:ID}:seq               INCR: the concert's arrival sequence (reseeded above the line if lost)
//   {c:ID}:waiting           ZSET user -> line order (the arrival sequence)
//   {c:ID}:seen              ZSET user -> last sign of life (ms), waiting and pre-queue users
//   {c:ID}:prequeue          ZSET user -> arrival sequence, users who arrived before the opening
//   {c:ID}:active            ZSET user -> idle deadline (ms)
//   {c:ID}:gens              HASH user -> generation; kept after the place is gone so
//                            generations keep growing
//   {c:ID}:seqs, :idle       HASH user -> sequence, idle ttl (ms) while the place exists
//   {c:ID}:opens, :soldout, :total, :ticks (LIST "ms:admitted", trimmed to the last minute by
//   Admit), :ticksum (sum of admitted over :ticks), :fence (the highest admission lease token
//   an Admit has passed; lower ones are refused, docs/adr/0009-admission-fencing.md)
// A user's stage is the set they are in. Each call does at most `work_limit` evictions, pre-queue
// moves and admissions, so no script runs long however large the line.
class RedisWaitingRoom : public domain::WaitingRoom {
 public:
  explicit RedisWaitingRoom(std::shared_ptr<RedisPool> pool, std::string key_prefix = "boxoffice",
                            std::int64_t work_limit = 1000);
  ~RedisWaitingRoom() override;

  domain::QueuePlace Join(domain::ConcertId concert, domain::UserId user, domain::Instant now,
                          domain::Instant opens_at, const domain::Policies& policies) override;
  domain::QueueView Touch(domain::ConcertId concert, domain::UserId user, std::int32_t generation,
                          domain::Instant now, const domain::Policies& policies) override;
  // One script call each: the counts come back with the place.
  domain::PlaceWithStats JoinWithStats(domain::ConcertId concert, domain::UserId user,
                                       domain::Instant now, domain::Instant opens_at,
                                       const domain::Policies& policies) override;
  domain::ViewWithStats TouchWithStats(domain::ConcertId concert, domain::UserId user,
                                       std::int32_t generation, domain::Instant now,
                                       const domain::Policies& policies) override;
  // Through the multiplexer when one is in use, else the synchronous forms in place.
  bool AnswersWithoutBlocking() const override { return multiplexer_ != nullptr; }
  void JoinWithStatsAsync(domain::ConcertId concert, domain::UserId user, domain::Instant now,
                          domain::Instant opens_at, const domain::Policies& policies,
                          domain::Completion<domain::PlaceWithStats> done) override;
  void TouchAsync(domain::ConcertId concert, domain::UserId user, std::int32_t generation,
                  domain::Instant now, const domain::Policies& policies,
                  domain::Completion<domain::QueueView> done) override;
  void TouchWithStatsAsync(domain::ConcertId concert, domain::UserId user, std::int32_t generation,
                           domain::Instant now, const domain::Policies& policies,
                           domain::Completion<domain::ViewWithStats> done) override;
  void Leave(domain::ConcertId concert, domain::UserId user) override;
  void LeavePlace(domain::ConcertId concert, domain::UserId user, std::int32_t generation) override;
  domain::AdmissionResult Admit(domain::ConcertId concert, const domain::Policies& policies,
                                domain::Instant now, std::int64_t fencing_token) override;
  void SetSoldOut(domain::ConcertId concert, bool sold_out) override;
  domain::QueueStats Stats(domain::ConcertId concert, domain::Instant now) override;
  std::vector<domain::ConcertId> ConcertsWithQueues() override;

  // Sends token issues and status checks (the async forms) through `multiplexer`; nullptr
  // stops that. Not thread-safe: set it before those calls start and clear it after they end,
  // and keep the room alive until the multiplexer's I/O context has stopped (a pending call
  // refers to the room's scripts). main wires it around the HTTP server's life.
  void UseMultiplexer(std::shared_ptr<RedisMultiplexer> multiplexer);

 private:
  struct Scripts;
  struct Concert;
  struct JoinCall;
  JoinCall StartJoin(domain::ConcertId concert, domain::UserId user, domain::Instant now,
                     domain::Instant opens_at, const domain::Policies& policies);
  // The touch script's arguments; `with_stats` asks for the line's counts after the view.
  std::vector<std::string> TouchArgs(domain::UserId user, std::int32_t generation,
                                     domain::Instant now, const domain::Policies& policies,
                                     bool with_stats) const;
  // The concert's keys and listing state, made once and kept (a few hundred bytes a concert).
  std::shared_ptr<Concert> ConcertOf(domain::ConcertId concert);

  std::shared_ptr<RedisPool> pool_;
  std::shared_ptr<RedisMultiplexer> multiplexer_;
  std::string prefix_;
  std::string concerts_key_;
  std::string work_limit_;
  std::unique_ptr<Scripts> scripts_;
  std::shared_mutex concerts_mu_;
  std::unordered_map<std::int64_t, std::shared_ptr<Concert>> concerts_;
};

}  // namespace boxoffice::infra
