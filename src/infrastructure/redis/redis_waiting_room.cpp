#include "infrastructure/redis/redis_waiting_room.hpp"

#include <algorithm>
#include <iterator>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "domain/errors.hpp"
#include "infrastructure/redis/redis_pool.hpp"

namespace boxoffice::infra {
namespace {

using domain::AdmissionResult;
using domain::ConcertId;
using domain::Instant;
using domain::QueuePlace;
using domain::QueueState;
using domain::QueueStats;
using domain::QueueView;
using domain::UserId;

// Every script gets the same KEYS, and ARGV[1] is the prefix of the per-user hashes (same hash
// tag, so the keys it names stay in the concert's slot).
constexpr const char* kPrelude = R"lua(
local waiting, seen, pre, active = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local opens_key, soldout_key, total_key, ticks_key = KEYS[5], KEYS[6], KEYS[7], KEYS[8]
local user_prefix = ARGV[1]

local function remove(user, stage)
  if stage == 'pre' then
    redis.call('SREM', pre, user)
    redis.call('ZREM', seen, user)
  elseif stage == 'wait' then
    redis.call('ZREM', waiting, user)
    redis.call('ZREM', seen, user)
  elseif stage == 'active' then
    redis.call('ZREM', active, user)
  end
  redis.call('HSET', user_prefix .. user, 'stage', 'gone')
end

-- Moves the pre-queue into the line in random order once the sale has opened. The pre-queue
-- users take their own sequences, sorted, as line positions: still ahead of later arrivals.
-- Redis seeds math.random identically every time, so the seed comes from the caller.
local function flush(now, seed)
  if redis.call('SCARD', pre) == 0 then return end
  local opens = redis.call('GET', opens_key)
  if not opens or now < tonumber(opens) then return end
  local users = redis.call('SMEMBERS', pre)
  table.sort(users)
  local seqs = {}
  for i, user in ipairs(users) do
    seqs[i] = tonumber(redis.call('HGET', user_prefix .. user, 'seq'))
  end
  table.sort(seqs)
  local state = seed
  for i = #users, 2, -1 do
    state = (state * 48271) % 2147483647  -- Park-Miller; exact in doubles
    local j = (state % i) + 1
    users[i], users[j] = users[j], users[i]
  end
  for i, user in ipairs(users) do
    redis.call('ZADD', waiting, seqs[i], user)
    redis.call('HSET', user_prefix .. user, 'stage', 'wait')
  end
  redis.call('DEL', pre)
end

local function prune_ticks(now)
  for _ = 1, redis.call('LLEN', ticks_key) do
    local head = redis.call('LINDEX', ticks_key, 0)
    local at = tonumber(string.match(head, '^(%d+):'))
    if at >= now - 60000 then break end
    redis.call('LPOP', ticks_key)
  end
end
)lua";

// ARGV: user_prefix, user, now, opens_at, grace_ms, new_sequence, seed -> {sequence, generation}
constexpr const char* kJoin = R"lua(
local user, now, opens_at = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
redis.call('SET', opens_key, ARGV[4])
flush(now, tonumber(ARGV[7]))
local key = user_prefix .. user
local f = redis.call('HMGET', key, 'stage', 'last_seen', 'until')
local stage = f[1] or 'gone'
if stage == 'active' then
  if now >= tonumber(f[3]) then remove(user, stage); stage = 'gone' end
elseif stage == 'pre' or stage == 'wait' then
  if now - tonumber(f[2]) > tonumber(ARGV[5]) then remove(user, stage); stage = 'gone' end
end
local gen = redis.call('HINCRBY', key, 'gen', 1)
if stage == 'active' then
  local deadline = now + tonumber(redis.call('HGET', key, 'idle_ttl'))
  redis.call('HSET', key, 'until', deadline)
  redis.call('ZADD', active, deadline, user)
  return {tonumber(redis.call('HGET', key, 'seq')), gen}
elseif stage ~= 'gone' then
  redis.call('HSET', key, 'last_seen', ARGV[3])
  redis.call('ZADD', seen, ARGV[3], user)
  return {tonumber(redis.call('HGET', key, 'seq')), gen}
end
if now < opens_at then
  redis.call('SADD', pre, user)
  redis.call('HSET', key, 'seq', ARGV[6], 'stage', 'pre', 'last_seen', ARGV[3])
else
  redis.call('ZADD', waiting, ARGV[6], user)
  redis.call('HSET', key, 'seq', ARGV[6], 'stage', 'wait', 'last_seen', ARGV[3])
end
redis.call('ZADD', seen, ARGV[3], user)
return {tonumber(ARGV[6]), gen}
)lua";

// ARGV: user_prefix, user, generation, now, grace_ms, idle_ttl_ms -> {state, position, until}
// States: 0 waiting, 1 active, 2 sold out, 3 expired, 4 superseded.
constexpr const char* kTouch = R"lua(
local user, now = ARGV[2], tonumber(ARGV[4])
local key = user_prefix .. user
local f = redis.call('HMGET', key, 'stage', 'gen', 'last_seen', 'until')
local stage = f[1] or 'gone'
if stage == 'gone' then return {3, 0, 0} end
if f[2] ~= ARGV[3] then return {4, 0, 0} end
if stage == 'active' then
  if now >= tonumber(f[4]) then remove(user, stage); return {3, 0, 0} end
  local deadline = now + tonumber(ARGV[6])
  redis.call('HSET', key, 'idle_ttl', ARGV[6], 'until', deadline)
  redis.call('ZADD', active, deadline, user)
  return {1, 0, deadline}
end
if now - tonumber(f[3]) > tonumber(ARGV[5]) then remove(user, stage); return {3, 0, 0} end
redis.call('HSET', key, 'last_seen', ARGV[4])
redis.call('ZADD', seen, ARGV[4], user)
local position
if stage == 'pre' then
  -- Before opening any pre-queue user may end up last after the shuffle: the worst case.
  position = redis.call('SCARD', pre)
else
  position = redis.call('ZRANK', waiting, user) + 1
end
if redis.call('EXISTS', soldout_key) == 1 then return {2, position, 0} end
return {0, position, 0}
)lua";

// ARGV: user_prefix, user
constexpr const char* kLeave = R"lua(
local stage = redis.call('HGET', user_prefix .. ARGV[2], 'stage')
if stage and stage ~= 'gone' then remove(ARGV[2], stage) end
return 0
)lua";

// ARGV: user_prefix, now, grace_ms, idle_ttl_ms, admit_batch, max_active, seed
//   -> {admitted, evicted_waiting, evicted_active}
constexpr const char* kAdmit = R"lua(
local now = tonumber(ARGV[2])
local evicted_waiting, evicted_active, admitted = 0, 0, 0
local silent = redis.call('ZRANGEBYSCORE', seen, '-inf',
                          string.format('(%d', now - tonumber(ARGV[3])))
for _, user in ipairs(silent) do
  remove(user, redis.call('HGET', user_prefix .. user, 'stage'))
  evicted_waiting = evicted_waiting + 1
end
for _, user in ipairs(redis.call('ZRANGEBYSCORE', active, '-inf', ARGV[2])) do
  remove(user, 'active')
  evicted_active = evicted_active + 1
end
flush(now, tonumber(ARGV[7]))
if redis.call('EXISTS', soldout_key) == 0 then
  local free = tonumber(ARGV[6]) - redis.call('ZCARD', active)
  local quota = math.min(math.max(0, tonumber(ARGV[5])), free)
  if quota > 0 then
    local deadline = now + tonumber(ARGV[4])
    for _, user in ipairs(redis.call('ZRANGE', waiting, 0, quota - 1)) do
      redis.call('ZREM', waiting, user)
      redis.call('ZREM', seen, user)
      redis.call('HSET', user_prefix .. user, 'stage', 'active', 'idle_ttl', ARGV[4],
                 'until', deadline)
      redis.call('ZADD', active, deadline, user)
      admitted = admitted + 1
    end
  end
end
redis.call('INCRBY', total_key, admitted)
redis.call('RPUSH', ticks_key, ARGV[2] .. ':' .. admitted)
prune_ticks(now)
return {admitted, evicted_waiting, evicted_active}
)lua";

// ARGV: user_prefix, now
//   -> {waiting, active, admitted_total, ticks, admitted after the first tick, span ms}
constexpr const char* kStats = R"lua(
local now = tonumber(ARGV[2])
prune_ticks(now)
local ticks = redis.call('LRANGE', ticks_key, 0, -1)
local sum, first_count, first_at, last_at = 0, 0, 0, 0
for i, tick in ipairs(ticks) do
  local at, count = string.match(tick, '^(%d+):(%d+)$')
  at, count = tonumber(at), tonumber(count)
  if i == 1 then first_count, first_at = count, at end
  last_at = at
  sum = sum + count
end
return {redis.call('ZCARD', waiting) + redis.call('SCARD', pre), redis.call('ZCARD', active),
        tonumber(redis.call('GET', total_key) or '0'), #ticks, sum - first_count, last_at - first_at}
)lua";

// -> number of users waiting, in the pre-queue or admitted
constexpr const char* kCount = R"lua(
return redis.call('ZCARD', waiting) + redis.call('SCARD', pre) + redis.call('ZCARD', active)
)lua";

std::string Ms(Instant t) { return std::to_string(t.time_since_epoch().count()); }

std::string Ms(std::int64_t seconds) { return std::to_string(seconds * 1000); }

// A seed for the pre-queue shuffle, in the Park-Miller range [1, 2^31 - 2].
std::string ShuffleSeed() {
  thread_local std::mt19937 rng{std::random_device{}()};
  return std::to_string(std::uniform_int_distribution<std::int64_t>(1, 2147483646)(rng));
}

const RedisValue& At(const RedisValue& reply, std::size_t i) {
  if (reply.type != RedisValue::Type::kArray || reply.elements.size() <= i) {
    throw domain::UnavailableError("redis: unexpected script reply");
  }
  return reply.elements[i];
}

}  // namespace

struct RedisWaitingRoom::Scripts {
  static std::string WithPrelude(const char* body) { return std::string(kPrelude) + body; }
  RedisScript join{WithPrelude(kJoin)};
  RedisScript touch{WithPrelude(kTouch)};
  RedisScript leave{WithPrelude(kLeave)};
  RedisScript admit{WithPrelude(kAdmit)};
  RedisScript stats{WithPrelude(kStats)};
  RedisScript count{WithPrelude(kCount)};
};

RedisWaitingRoom::RedisWaitingRoom(std::shared_ptr<RedisPool> pool, std::string key_prefix)
    : pool_(std::move(pool)),
      prefix_(std::move(key_prefix)),
      scripts_(std::make_unique<Scripts>()) {}

RedisWaitingRoom::~RedisWaitingRoom() = default;

std::vector<std::string> RedisWaitingRoom::Keys(ConcertId concert) const {
  const std::string base = prefix_ + ":{c:" + std::to_string(concert.value) + "}:";
  return {base + "waiting", base + "seen",    base + "pre",   base + "active",
          base + "opens",   base + "soldout", base + "total", base + "ticks"};
}

std::string RedisWaitingRoom::UserPrefix(ConcertId concert) const {
  return prefix_ + ":{c:" + std::to_string(concert.value) + "}:u:";
}

QueuePlace RedisWaitingRoom::Join(ConcertId concert, UserId user, Instant now, Instant opens_at,
                                  const domain::Policies& policies) {
  // The sequence key lies outside the concert's hash slot, so a script may not touch it in a
  // cluster: it is taken first. A user who keeps their place just leaves a gap in the sequence.
  const std::int64_t sequence = pool_->Command({"INCR", prefix_ + ":seq"}).AsInteger();
  pool_->Command({"SADD", prefix_ + ":concerts", std::to_string(concert.value)});
  const RedisValue reply =
      pool_->Eval(scripts_->join, Keys(concert),
                  {UserPrefix(concert), std::to_string(user.value), Ms(now), Ms(opens_at),
                   Ms(policies.waiting_grace_seconds), std::to_string(sequence), ShuffleSeed()});
  return QueuePlace{concert, user, At(reply, 0).AsInteger(),
                    static_cast<std::int32_t>(At(reply, 1).AsInteger())};
}

QueueView RedisWaitingRoom::Touch(ConcertId concert, UserId user, std::int32_t generation,
                                  Instant now, const domain::Policies& policies) {
  const RedisValue reply = pool_->Eval(
      scripts_->touch, Keys(concert),
      {UserPrefix(concert), std::to_string(user.value), std::to_string(generation), Ms(now),
       Ms(policies.waiting_grace_seconds), Ms(policies.active_idle_ttl_seconds)});
  constexpr QueueState kStates[] = {QueueState::kWaiting, QueueState::kActive, QueueState::kSoldOut,
                                    QueueState::kExpired, QueueState::kSuperseded};
  const std::int64_t state = At(reply, 0).AsInteger();
  if (state < 0 || state >= static_cast<std::int64_t>(std::size(kStates))) {
    throw domain::UnavailableError("redis: unexpected queue state");
  }
  QueueView view{kStates[state], At(reply, 1).AsInteger(), std::nullopt};
  if (view.state == QueueState::kActive) {
    view.active_until = Instant{domain::Duration{At(reply, 2).AsInteger()}};
  }
  return view;
}

void RedisWaitingRoom::Leave(ConcertId concert, UserId user) {
  pool_->Eval(scripts_->leave, Keys(concert), {UserPrefix(concert), std::to_string(user.value)});
}

AdmissionResult RedisWaitingRoom::Admit(ConcertId concert, const domain::Policies& policies,
                                        Instant now) {
  const RedisValue reply =
      pool_->Eval(scripts_->admit, Keys(concert),
                  {UserPrefix(concert), Ms(now), Ms(policies.waiting_grace_seconds),
                   Ms(policies.active_idle_ttl_seconds), std::to_string(policies.admit_batch),
                   std::to_string(policies.max_active), ShuffleSeed()});
  return AdmissionResult{static_cast<std::int32_t>(At(reply, 0).AsInteger()),
                         static_cast<std::int32_t>(At(reply, 1).AsInteger()),
                         static_cast<std::int32_t>(At(reply, 2).AsInteger())};
}

void RedisWaitingRoom::SetSoldOut(ConcertId concert, bool sold_out) {
  const std::string key = Keys(concert)[5];
  if (sold_out) {
    pool_->Command({"SET", key, "1"});
  } else {
    pool_->Command({"DEL", key});
  }
}

QueueStats RedisWaitingRoom::Stats(ConcertId concert, Instant now) {
  const RedisValue reply =
      pool_->Eval(scripts_->stats, Keys(concert), {UserPrefix(concert), Ms(now)});
  QueueStats stats;
  stats.waiting = At(reply, 0).AsInteger();
  stats.active = At(reply, 1).AsInteger();
  stats.admitted_total = At(reply, 2).AsInteger();
  // The first tick only opens the window: what it admitted happened before the span measured.
  const std::int64_t ticks = At(reply, 3).AsInteger();
  const std::int64_t span_ms = At(reply, 5).AsInteger();
  if (ticks >= 2 && span_ms > 0) {
    stats.admission_rate_per_second =
        static_cast<double>(At(reply, 4).AsInteger()) / (static_cast<double>(span_ms) / 1000.0);
  }
  return stats;
}

std::vector<ConcertId> RedisWaitingRoom::ConcertsWithQueues() {
  // The set is never pruned: removing a concert that just emptied would race with a Join, and a
  // script cannot check and remove atomically across hash slots. Concerts are few.
  const RedisValue members = pool_->Command({"SMEMBERS", prefix_ + ":concerts"});
  std::vector<ConcertId> result;
  for (const RedisValue& member : members.elements) {
    const ConcertId concert{member.AsInteger()};
    if (pool_->Eval(scripts_->count, Keys(concert), {UserPrefix(concert)}).AsInteger() > 0) {
      result.push_back(concert);
    }
  }
  std::sort(result.begin(), result.end());
  return result;
}

}  // namespace boxoffice::infra
