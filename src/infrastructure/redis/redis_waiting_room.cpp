#include "infrastructure/redis/redis_waiting_room.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <iterator>
#include <limits>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "domain/errors.hpp"
#include "infrastructure/redis/redis_multiplexer.hpp"
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

// Every script gets the same KEYS (RedisWaitingRoom::Keys): every key a script touches is
// declared, so a Redis Cluster can route and check it. Per-user state lives in per-concert hashes
// whose fields are user ids. A user's stage follows from the set they are in.
constexpr const char* kPrelude = R"lua(
local waiting, seen, pre, active = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local opens_key, soldout_key, total_key, ticks_key = KEYS[5], KEYS[6], KEYS[7], KEYS[8]
local ticksum_key, seq_key, gens, seqs, idle = KEYS[9], KEYS[10], KEYS[11], KEYS[12], KEYS[13]
local fence_key, rate_key = KEYS[14], KEYS[15]

-- The user's stage, and their score in that stage's set (an active user's idle deadline, a
-- waiting or pre-queue user's arrival sequence). A user is in one set at most: every script that
-- moves a user removes them from one set and adds them to the other. So the order of the lookups
-- decides only how many it takes; `waiting_first` suits callers that mostly see waiting users.
local function stage_of(user, waiting_first)
  local score
  if waiting_first then
    score = redis.call('ZSCORE', waiting, user)
    if score then return 'wait', score end
  end
  score = redis.call('ZSCORE', active, user)
  if score then return 'active', score end
  if not waiting_first then
    score = redis.call('ZSCORE', waiting, user)
    if score then return 'wait', score end
  end
  score = redis.call('ZSCORE', pre, user)
  if score then return 'pre', score end
  return 'gone'
end

-- Removes the user from every set of the concert, whatever stage they seem to be in.
local function remove(user)
  redis.call('ZREM', waiting, user)
  redis.call('ZREM', seen, user)
  redis.call('ZREM', pre, user)
  redis.call('ZREM', active, user)
  redis.call('HDEL', seqs, user)
  redis.call('HDEL', idle, user)
end

-- The state of a live place: {state, position, idle deadline}; states 0 waiting, 1 active,
-- 2 sold out. nil when a waiting user is missing from the line (damaged state). A caller that
-- already read them passes the waiting user's sequence and the pre-queue's size (saving
-- round trips inside the script; both are read here when nil).
local function view_of(user, stage, score, pre_count)
  if stage == 'active' then return {1, 0, tonumber(redis.call('ZSCORE', active, user))} end
  local position
  if stage == 'pre' then
    -- Any pre-queue user may end up last after the shuffle: the worst case, behind everyone
    -- already moved into the line ahead of the pre-queue.
    local top = redis.call('ZRANGE', pre, -1, -1, 'WITHSCORES')
    position = redis.call('ZCOUNT', waiting, '-inf', '(' .. top[2]) + redis.call('ZCARD', pre)
  else
    local rank = redis.call('ZRANK', waiting, user)
    if not rank then return nil end
    position = rank + 1
    if pre_count ~= 0 then
      -- Pre-queue users not yet moved into the line are ahead of later arrivals.
      score = score or redis.call('ZSCORE', waiting, user)
      position = position + redis.call('ZCOUNT', pre, '-inf', '(' .. score)
    end
  end
  if redis.call('EXISTS', soldout_key) == 1 then return {2, position, 0} end
  return {0, position, 0}
end

-- The concert's counts, O(1): {waiting, active, admitted_total, ticks, first tick, last tick,
-- admitted over the ticks}. Join and Touch append them to their reply, so a caller learns its
-- place and the line's numbers in one round trip. The admission figures come from the summary
-- Admit writes after each tick (one read); the keys it summarises are read only when there is
-- no summary yet (data written before the summary existed). `pre_count`: as in view_of.
local function stats(pre_count)
  local counts = {redis.call('ZCARD', waiting) + (pre_count or redis.call('ZCARD', pre)),
                  redis.call('ZCARD', active)}
  local rate = redis.call('HMGET', rate_key, 'total', 'ticks', 'first', 'last', 'sum')
  if rate[1] then
    return {counts[1], counts[2], tonumber(rate[1]), tonumber(rate[2]), rate[3], rate[4],
            tonumber(rate[5])}
  end
  return {counts[1], counts[2], tonumber(redis.call('GET', total_key) or '0'),
          redis.call('LLEN', ticks_key), redis.call('LINDEX', ticks_key, 0) or '',
          redis.call('LINDEX', ticks_key, -1) or '', tonumber(redis.call('GET', ticksum_key) or '0')}
end

local function with_stats(reply, pre_count)
  for _, v in ipairs(stats(pre_count)) do table.insert(reply, v) end
  return reply
end

-- The concert's next arrival number. If the counter was lost, it restarts above everyone still
-- waiting, so new arrivals never jump ahead of them. `fresh` tells whether the counter was made
-- here: the concert's first arrival, or the first after its keys were lost.
local fresh = 0
local function next_seq()
  if redis.call('EXISTS', seq_key) == 0 then
    fresh = 1
    local high = 0
    for _, set in ipairs({waiting, pre}) do
      local top = redis.call('ZRANGE', set, -1, -1, 'WITHSCORES')
      if top[2] then high = math.max(high, tonumber(top[2])) end
    end
    redis.call('SET', seq_key, string.format('%d', high))
  end
  return redis.call('INCR', seq_key)
end

-- Moves up to `limit` pre-queue users into the line once the sale has opened. The pre-queue
-- users' own sequences are the slots they fill: all below any later arrival's sequence. The
-- lowest free slot goes to a user drawn uniformly from those left (an incremental Fisher-Yates
-- shuffle); the slot's owner takes the drawn user's sequence. Users still in the pre-queue thus
-- stay behind those moved and ahead of everyone who arrived after the opening.
-- Redis seeds math.random identically every time, so the seed comes from the caller.
-- Returns the pre-queue's size afterwards.
local function flush(now, seed, limit)
  local n = redis.call('ZCARD', pre)
  if n == 0 then return 0 end
  local opens = redis.call('GET', opens_key)
  if not opens or now < tonumber(opens) then return n end
  local state = seed
  for _ = 1, limit do
    n = redis.call('ZCARD', pre)
    if n == 0 then return 0 end
    local slot = redis.call('ZRANGE', pre, 0, 0, 'WITHSCORES')
    state = (state * 48271) % 2147483647  -- Park-Miller; exact in doubles
    local r = state % n
    local pick = redis.call('ZRANGE', pre, r, r, 'WITHSCORES')
    redis.call('ZREM', pre, pick[1])
    if pick[1] ~= slot[1] then
      redis.call('ZADD', pre, pick[2], slot[1])
      redis.call('HSET', seqs, slot[1], pick[2])
    end
    redis.call('ZADD', waiting, slot[2], pick[1])
    redis.call('HSET', seqs, pick[1], slot[2])
  end
  return redis.call('ZCARD', pre)
end
)lua";

// ARGV: user, now, opens_at, grace_ms, seed, limit
//   -> {sequence, generation, state, position, idle deadline (the view as in Touch), stats...,
//       fresh (1 when this join made the concert's arrival counter, see next_seq)}
constexpr const char* kJoin = R"lua(
-- pre_count: the pre-queue's size when unchanged since flush, else nil.
local function joined(seq, gen, stage, pre_count)
  local score = stage == 'wait' and seq or nil
  local v = view_of(ARGV[1], stage, score, pre_count) or {0, 0, 0}
  local reply = with_stats({tonumber(seq), gen, v[1], v[2], v[3]}, pre_count)
  table.insert(reply, fresh)
  return reply
end
local user, now, opens_at = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('SET', opens_key, ARGV[3])
local pre_count = flush(now, tonumber(ARGV[5]), tonumber(ARGV[6]))
-- Most joins are re-issues to users still waiting (asking again keeps the place).
local stage, score = stage_of(user, true)
if stage == 'active' then
  if now >= tonumber(score) then remove(user); stage = 'gone' end
elseif stage ~= 'gone' then
  local last = redis.call('ZSCORE', seen, user)
  if not last or now - tonumber(last) > tonumber(ARGV[4]) then remove(user); stage = 'gone' end
end
local gen = redis.call('HINCRBY', gens, user, 1)
if stage == 'active' then
  local ttl = redis.call('HGET', idle, user)
  if ttl then redis.call('ZADD', active, now + tonumber(ttl), user) end
  return joined(redis.call('HGET', seqs, user) or '0', gen, stage, pre_count)
elseif stage == 'wait' then
  -- A waiting user's score is their arrival sequence (flush keeps the two equal).
  redis.call('ZADD', seen, ARGV[2], user)
  return joined(score, gen, stage, pre_count)
elseif stage == 'pre' then
  redis.call('ZADD', seen, ARGV[2], user)
  return joined(redis.call('HGET', seqs, user) or score, gen, stage, pre_count)
end
local seq = next_seq()
if now < opens_at then
  redis.call('ZADD', pre, seq, user)
  stage = 'pre'
else
  redis.call('ZADD', waiting, seq, user)
  stage = 'wait'
end
redis.call('HSET', seqs, user, seq)
redis.call('ZADD', seen, ARGV[2], user)
return joined(seq, gen, stage, nil)
)lua";

// ARGV: user, generation, now, grace_ms, idle_ttl_ms, with_stats ('1' or '0')
//   -> {state, position, until, stats... (with_stats only)}
// States: 0 waiting, 1 active, 2 sold out, 3 expired, 4 superseded. The admitted users' checks
// before each of their requests need the view only: the line's counts cost three more reads.
constexpr const char* kTouch = R"lua(
local pre_count = nil  -- known only on the path that changes nothing but the user's own entry
local function touch()
  local user, now = ARGV[1], tonumber(ARGV[3])
  local stage, score = stage_of(user)
  if stage == 'gone' then
    remove(user)
    return {3, 0, 0}
  end
  if redis.call('HGET', gens, user) ~= ARGV[2] then return {4, 0, 0} end
  if stage == 'active' then
    if now >= tonumber(score) then remove(user); return {3, 0, 0} end
    local deadline = now + tonumber(ARGV[5])
    redis.call('HSET', idle, user, ARGV[5])
    redis.call('ZADD', active, deadline, user)
    return {1, 0, deadline}
  end
  local last = redis.call('ZSCORE', seen, user)
  if not last or now - tonumber(last) > tonumber(ARGV[4]) then remove(user); return {3, 0, 0} end
  redis.call('ZADD', seen, ARGV[3], user)
  pre_count = redis.call('ZCARD', pre)
  local v = view_of(user, stage, stage == 'wait' and score or nil, pre_count)
  if not v then remove(user); pre_count = nil; return {3, 0, 0} end
  return v
end
local view = touch()
if ARGV[6] ~= '1' then return view end
return with_stats(view, pre_count)
)lua";

// ARGV: user
constexpr const char* kLeave = R"lua(
remove(ARGV[1])
return 0
)lua";

// ARGV: user, generation. Leaves only the place of that generation: a newer join keeps its own.
constexpr const char* kLeavePlace = R"lua(
if redis.call('HGET', gens, ARGV[1]) == ARGV[2] then remove(ARGV[1]) end
return 0
)lua";

// ARGV: now, grace_ms, idle_ttl_ms, admit_batch, max_active, seed, limit, fencing token
//   -> {admitted, evicted_waiting, evicted_active}
// At most `limit` evictions per call. Admission is never capped below admit_batch: the pre-queue
// moves at least as many users into the line as this tick may admit. A token below the highest
// one seen comes from a ticker that lost its lease: it changes nothing.
constexpr const char* kAdmit = R"lua(
local token = tonumber(ARGV[8])
local newest = tonumber(redis.call('GET', fence_key) or '0')
if token < newest then return {0, 0, 0} end
if token > newest then redis.call('SET', fence_key, ARGV[8]) end
local now, limit = tonumber(ARGV[1]), tonumber(ARGV[7])
local evicted_waiting, evicted_active, admitted = 0, 0, 0
for _, user in ipairs(redis.call('ZRANGEBYSCORE', active, '-inf', ARGV[1], 'LIMIT', 0, limit)) do
  remove(user)
  evicted_active = evicted_active + 1
end
if limit - evicted_active > 0 then
  local silent = redis.call('ZRANGEBYSCORE', seen, '-inf',
                            string.format('(%d', now - tonumber(ARGV[2])),
                            'LIMIT', 0, limit - evicted_active)
  for _, user in ipairs(silent) do
    remove(user)
    evicted_waiting = evicted_waiting + 1
  end
end
local sold_out = redis.call('EXISTS', soldout_key) == 1
local quota = 0
if not sold_out then
  local free = tonumber(ARGV[5]) - redis.call('ZCARD', active)
  quota = math.min(math.max(0, tonumber(ARGV[4])), free)
end
flush(now, tonumber(ARGV[6]), math.max(limit, quota))
if not sold_out then
  if quota > 0 then
    local deadline = now + tonumber(ARGV[3])
    -- Pre-queue users not yet moved into the line come before everyone behind them.
    local front = redis.call('ZRANGE', pre, 0, 0, 'WITHSCORES')
    local batch
    if front[2] then
      batch = redis.call('ZRANGEBYSCORE', waiting, '-inf', '(' .. front[2], 'LIMIT', 0, quota)
    else
      batch = redis.call('ZRANGE', waiting, 0, quota - 1)
    end
    for _, user in ipairs(batch) do
      redis.call('ZREM', waiting, user)
      redis.call('ZREM', seen, user)
      redis.call('HSET', idle, user, ARGV[3])
      redis.call('ZADD', active, deadline, user)
      admitted = admitted + 1
    end
  end
end
local total = redis.call('INCRBY', total_key, admitted)
local last_tick = ARGV[1] .. ':' .. admitted
redis.call('RPUSH', ticks_key, last_tick)
redis.call('INCRBY', ticksum_key, admitted)
-- One tick is pushed per call, so trimming `limit` per call keeps up.
for _ = 1, limit do
  local head = redis.call('LINDEX', ticks_key, 0)
  if not head then break end
  local at, count = string.match(head, '^(%d+):(%d+)$')
  if tonumber(at) >= now - 60000 then break end
  redis.call('LPOP', ticks_key)
  redis.call('DECRBY', ticksum_key, count)
end
-- The summary stats() reads in one call instead of walking these keys on every join and poll.
redis.call('HSET', rate_key, 'total', total, 'ticks', redis.call('LLEN', ticks_key),
           'first', redis.call('LINDEX', ticks_key, 0) or '', 'last', last_tick,
           'sum', redis.call('GET', ticksum_key) or '0')
return {admitted, evicted_waiting, evicted_active}
)lua";

// Read-only and O(1): the tick list is trimmed by Admit only.
//   -> {waiting, active, admitted_total, ticks, first tick, last tick, admitted over the ticks}
constexpr const char* kStats = R"lua(
return stats()
)lua";

// -> number of users waiting, in the pre-queue or admitted
constexpr const char* kCount = R"lua(
return redis.call('ZCARD', waiting) + redis.call('ZCARD', pre) + redis.call('ZCARD', active)
)lua";

std::string Ms(Instant t) { return std::to_string(t.time_since_epoch().count()); }

std::string Ms(std::int64_t seconds) { return std::to_string(seconds * 1000); }

// A seed for the pre-queue shuffle, in the Park-Miller range [1, 2^31 - 2].
std::string ShuffleSeed() {
  thread_local std::mt19937 rng{std::random_device{}()};
  return std::to_string(std::uniform_int_distribution<std::int64_t>(1, 2147483646)(rng));
}

constexpr std::int64_t kRateWindowMs = 60'000;

// "ms:admitted" -> {ms, admitted}; nullopt for anything else (no tick).
std::optional<std::pair<std::int64_t, std::int64_t>> ParseTick(const std::string& tick) {
  const auto colon = tick.find(':');
  if (colon == std::string::npos) return std::nullopt;
  try {
    return std::make_pair(std::stoll(tick.substr(0, colon)), std::stoll(tick.substr(colon + 1)));
  } catch (const std::exception&) {
    return std::nullopt;
  }
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
  RedisScript leave_place{WithPrelude(kLeavePlace)};
  RedisScript admit{WithPrelude(kAdmit)};
  RedisScript stats{WithPrelude(kStats)};
  RedisScript count{WithPrelude(kCount)};
};

// A concert's keys (the scripts' KEYS, listed in the header) and when this process last added the
// concert to the concerts set, in the callers' `now` (ms).
struct RedisWaitingRoom::Concert {
  static constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::min();
  std::string id;
  std::vector<std::string> keys;
  std::atomic<std::int64_t> listed_at_ms{kNever};
};

namespace {

// How long a join leaves the concerts set alone after this process added the concert to it. The
// set is only ever added to, so repeating the SADD on every join (as an extra command in every
// round trip) protects against nothing but the set's loss; a join that finds the concert's keys
// gone adds it at once, and this bounds how long a loss of the set alone goes unrepaired.
constexpr std::int64_t kListAgainAfterMs = 1000;
// Concerts whose keys are kept; past it the cache starts over (concerts are few).
constexpr std::size_t kMaxCachedConcerts = 4096;

}  // namespace

RedisWaitingRoom::RedisWaitingRoom(std::shared_ptr<RedisPool> pool, std::string key_prefix,
                                   std::int64_t work_limit)
    : pool_(std::move(pool)),
      prefix_(std::move(key_prefix)),
      concerts_key_(prefix_ + ":concerts"),
      work_limit_(std::to_string(std::max<std::int64_t>(1, work_limit))),
      scripts_(std::make_unique<Scripts>()) {}

RedisWaitingRoom::~RedisWaitingRoom() = default;

std::shared_ptr<RedisWaitingRoom::Concert> RedisWaitingRoom::ConcertOf(ConcertId concert) {
  {
    std::shared_lock lock(concerts_mu_);
    if (auto it = concerts_.find(concert.value); it != concerts_.end()) return it->second;
  }
  auto made = std::make_shared<Concert>();
  made->id = std::to_string(concert.value);
  const std::string base = prefix_ + ":{c:" + made->id + "}:";
  made->keys = {base + "waiting", base + "seen",    base + "prequeue", base + "active",
                base + "opens",   base + "soldout", base + "total",    base + "ticks",
                base + "ticksum", base + "seq",     base + "gens",     base + "seqs",
                base + "idle",    base + "fence",   base + "rate"};
  std::unique_lock lock(concerts_mu_);
  if (concerts_.size() >= kMaxCachedConcerts) concerts_.clear();
  return concerts_.try_emplace(concert.value, std::move(made)).first->second;
}

namespace {

// A view as the scripts return it: {state, position, idle deadline} starting at `offset`, with
// states 0 waiting, 1 active, 2 sold out, 3 expired, 4 superseded.
QueueView ViewAt(const RedisValue& reply, std::size_t offset) {
  constexpr QueueState kStates[] = {QueueState::kWaiting, QueueState::kActive, QueueState::kSoldOut,
                                    QueueState::kExpired, QueueState::kSuperseded};
  const std::int64_t state = At(reply, offset).AsInteger();
  if (state < 0 || state >= static_cast<std::int64_t>(std::size(kStates))) {
    throw domain::UnavailableError("redis: unexpected queue state");
  }
  QueueView view{kStates[state], At(reply, offset + 1).AsInteger(), std::nullopt};
  if (view.state == QueueState::kActive) {
    view.active_until = Instant{domain::Duration{At(reply, offset + 2).AsInteger()}};
  }
  return view;
}

// The counts as the stats() helper of the scripts returns them, starting at `offset`.
QueueStats StatsAt(const RedisValue& reply, std::size_t offset, Instant now) {
  QueueStats stats;
  stats.waiting = At(reply, offset).AsInteger();
  stats.active = At(reply, offset + 1).AsInteger();
  stats.admitted_total = At(reply, offset + 2).AsInteger();
  const std::int64_t ticks = At(reply, offset + 3).AsInteger();
  const auto first = ParseTick(At(reply, offset + 4).string);
  const auto last = ParseTick(At(reply, offset + 5).string);
  const std::int64_t sum = At(reply, offset + 6).AsInteger();
  const std::int64_t window_start = now.time_since_epoch().count() - kRateWindowMs;
  // Admit trims ticks older than the window; when no Admit ran for a whole window, every tick
  // is stale and there is no rate. The first tick only opens the window: what it admitted
  // happened before the span measured.
  if (ticks >= 2 && first && last && last->first >= window_start) {
    const std::int64_t span_ms = last->first - first->first;
    const std::int64_t admitted = std::max<std::int64_t>(0, sum - first->second);
    if (span_ms > 0) {
      stats.admission_rate_per_second =
          static_cast<double>(admitted) / (static_cast<double>(span_ms) / 1000.0);
    }
  }
  return stats;
}

}  // namespace

QueuePlace RedisWaitingRoom::Join(ConcertId concert, UserId user, Instant now, Instant opens_at,
                                  const domain::Policies& policies) {
  return JoinWithStats(concert, user, now, opens_at, policies).place;
}

// A join's request, and what its reply needs. The concerts set lies outside the concert's hash
// slot, so it is written by a command of its own. When due (see kListAgainAfterMs) it is sent
// with the script in one round trip. The arrival sequence is taken inside the script, so the
// line order is the order scripts ran in; the counts come back with the place.
struct RedisWaitingRoom::JoinCall {
  std::shared_ptr<Concert> concert;
  std::vector<std::string> args;
  bool list = false;  // the SADD goes with the script
  std::int64_t now_ms = 0;

  std::vector<std::string> ListCommand(const std::string& concerts_key) const {
    return {"SADD", concerts_key, concert->id};
  }
  // The script did not run, or its reply was lost: the SADD may not have run either.
  void Failed() const {
    if (list) concert->listed_at_ms.store(Concert::kNever);
  }
  // The concert's keys were gone (its first join anywhere, or Redis lost its data), so the set
  // may have lost it too: it must be listed now rather than left unadmitted until the next SADD.
  bool MustList(const RedisValue& reply) const { return !list && At(reply, 12).AsInteger() == 1; }
  domain::PlaceWithStats Place(const RedisValue& reply, ConcertId id, UserId user,
                               Instant now) const {
    return {QueuePlace{id, user, At(reply, 0).AsInteger(),
                       static_cast<std::int32_t>(At(reply, 1).AsInteger()), ViewAt(reply, 2)},
            StatsAt(reply, 5, now)};
  }
};

RedisWaitingRoom::JoinCall RedisWaitingRoom::StartJoin(ConcertId concert, UserId user, Instant now,
                                                       Instant opens_at,
                                                       const domain::Policies& policies) {
  JoinCall call;
  call.concert = ConcertOf(concert);
  call.args = {std::to_string(user.value),         Ms(now),       Ms(opens_at),
               Ms(policies.waiting_grace_seconds), ShuffleSeed(), work_limit_};
  call.now_ms = now.time_since_epoch().count();
  Concert& c = *call.concert;
  std::int64_t listed = c.listed_at_ms.load(std::memory_order_relaxed);
  call.list = (listed == Concert::kNever || call.now_ms < listed ||
               call.now_ms - listed >= kListAgainAfterMs) &&
              c.listed_at_ms.compare_exchange_strong(listed, call.now_ms);
  return call;
}

domain::PlaceWithStats RedisWaitingRoom::JoinWithStats(ConcertId concert, UserId user, Instant now,
                                                       Instant opens_at,
                                                       const domain::Policies& policies) {
  const JoinCall call = StartJoin(concert, user, now, opens_at, policies);
  const auto& keys = call.concert->keys;
  RedisValue reply;
  try {
    reply = call.list
                ? pool_->EvalAfter(call.ListCommand(concerts_key_), scripts_->join, keys, call.args)
                : pool_->Eval(scripts_->join, keys, call.args);
  } catch (...) {
    call.Failed();
    throw;
  }
  if (call.MustList(reply)) {
    pool_->Command(call.ListCommand(concerts_key_));
    call.concert->listed_at_ms.store(call.now_ms);
  }
  return call.Place(reply, concert, user, now);
}

void RedisWaitingRoom::JoinWithStatsAsync(ConcertId concert, UserId user, Instant now,
                                          Instant opens_at, const domain::Policies& policies,
                                          domain::Completion<domain::PlaceWithStats> done) {
  if (!multiplexer_) {
    return WaitingRoom::JoinWithStatsAsync(concert, user, now, opens_at, policies, std::move(done));
  }
  auto call = std::make_shared<JoinCall>(StartJoin(concert, user, now, opens_at, policies));
  std::vector<std::string> before;
  if (call->list) before = call->ListCommand(concerts_key_);
  multiplexer_->Eval(
      scripts_->join, call->concert->keys, call->args,
      [call, concert, user, now, weak = std::weak_ptr<RedisMultiplexer>(multiplexer_),
       key = concerts_key_, done = std::move(done)](std::exception_ptr error, RedisValue reply) {
        domain::PlaceWithStats place;
        if (!error) {
          try {
            place = call->Place(reply, concert, user, now);
            auto multiplexer = weak.lock();  // weak: a pending call must not keep it alive
            if (call->MustList(reply) && !multiplexer) {
              call->concert->listed_at_ms.store(Concert::kNever);  // the next join lists it
            } else if (call->MustList(reply)) {
              // Sent on its own, not awaited: the place stands either way, and a failed SADD
              // is sent again by the next join.
              call->concert->listed_at_ms.store(call->now_ms);
              multiplexer->Command(call->ListCommand(key),
                                   [call](std::exception_ptr failed, RedisValue) {
                                     if (failed) call->concert->listed_at_ms.store(Concert::kNever);
                                   });
            }
          } catch (...) {
            error = std::current_exception();
          }
        }
        if (error) {
          call->Failed();
          done(error, {});
        } else {
          done(nullptr, std::move(place));
        }
      },
      before);
}

QueueView RedisWaitingRoom::Touch(ConcertId concert, UserId user, std::int32_t generation,
                                  Instant now, const domain::Policies& policies) {
  const RedisValue reply =
      pool_->Eval(scripts_->touch, ConcertOf(concert)->keys,
                  TouchArgs(user, generation, now, policies, /*with_stats=*/false));
  return ViewAt(reply, 0);
}

std::vector<std::string> RedisWaitingRoom::TouchArgs(UserId user, std::int32_t generation,
                                                     Instant now, const domain::Policies& policies,
                                                     bool with_stats) const {
  return {std::to_string(user.value),
          std::to_string(generation),
          Ms(now),
          Ms(policies.waiting_grace_seconds),
          Ms(policies.active_idle_ttl_seconds),
          with_stats ? "1" : "0"};
}

domain::ViewWithStats RedisWaitingRoom::TouchWithStats(ConcertId concert, UserId user,
                                                       std::int32_t generation, Instant now,
                                                       const domain::Policies& policies) {
  const RedisValue reply =
      pool_->Eval(scripts_->touch, ConcertOf(concert)->keys,
                  TouchArgs(user, generation, now, policies, /*with_stats=*/true));
  return {ViewAt(reply, 0), StatsAt(reply, 3, now)};
}

void RedisWaitingRoom::TouchAsync(ConcertId concert, UserId user, std::int32_t generation,
                                  Instant now, const domain::Policies& policies,
                                  domain::Completion<domain::QueueView> done) {
  if (!multiplexer_) {
    return WaitingRoom::TouchAsync(concert, user, generation, now, policies, std::move(done));
  }
  multiplexer_->Eval(scripts_->touch, ConcertOf(concert)->keys,
                     TouchArgs(user, generation, now, policies, /*with_stats=*/false),
                     [done = std::move(done)](std::exception_ptr error, RedisValue reply) {
                       QueueView view;
                       if (!error) {
                         try {
                           view = ViewAt(reply, 0);
                         } catch (...) {
                           error = std::current_exception();
                         }
                       }
                       done(error, std::move(view));
                     });
}

void RedisWaitingRoom::TouchWithStatsAsync(ConcertId concert, UserId user, std::int32_t generation,
                                           Instant now, const domain::Policies& policies,
                                           domain::Completion<domain::ViewWithStats> done) {
  if (!multiplexer_) {
    return WaitingRoom::TouchWithStatsAsync(concert, user, generation, now, policies,
                                            std::move(done));
  }
  multiplexer_->Eval(scripts_->touch, ConcertOf(concert)->keys,
                     TouchArgs(user, generation, now, policies, /*with_stats=*/true),
                     [now, done = std::move(done)](std::exception_ptr error, RedisValue reply) {
                       domain::ViewWithStats touched;
                       if (!error) {
                         try {
                           touched = {ViewAt(reply, 0), StatsAt(reply, 3, now)};
                         } catch (...) {
                           error = std::current_exception();
                         }
                       }
                       done(error, std::move(touched));
                     });
}

void RedisWaitingRoom::UseMultiplexer(std::shared_ptr<RedisMultiplexer> multiplexer) {
  multiplexer_ = std::move(multiplexer);
}

void RedisWaitingRoom::Leave(ConcertId concert, UserId user) {
  pool_->Eval(scripts_->leave, ConcertOf(concert)->keys, {std::to_string(user.value)});
}

void RedisWaitingRoom::LeavePlace(ConcertId concert, UserId user, std::int32_t generation) {
  pool_->Eval(scripts_->leave_place, ConcertOf(concert)->keys,
              {std::to_string(user.value), std::to_string(generation)});
}

AdmissionResult RedisWaitingRoom::Admit(ConcertId concert, const domain::Policies& policies,
                                        Instant now, std::int64_t fencing_token) {
  const RedisValue reply = pool_->Eval(
      scripts_->admit, ConcertOf(concert)->keys,
      {Ms(now), Ms(policies.waiting_grace_seconds), Ms(policies.active_idle_ttl_seconds),
       std::to_string(policies.admit_batch), std::to_string(policies.max_active), ShuffleSeed(),
       work_limit_, std::to_string(fencing_token)});
  return AdmissionResult{static_cast<std::int32_t>(At(reply, 0).AsInteger()),
                         static_cast<std::int32_t>(At(reply, 1).AsInteger()),
                         static_cast<std::int32_t>(At(reply, 2).AsInteger())};
}

void RedisWaitingRoom::SetSoldOut(ConcertId concert, bool sold_out) {
  const std::string key = ConcertOf(concert)->keys[5];
  if (sold_out) {
    pool_->Command({"SET", key, "1"});
  } else {
    pool_->Command({"DEL", key});
  }
}

QueueStats RedisWaitingRoom::Stats(ConcertId concert, Instant now) {
  return StatsAt(pool_->Eval(scripts_->stats, ConcertOf(concert)->keys, {}), 0, now);
}

std::vector<ConcertId> RedisWaitingRoom::ConcertsWithQueues() {
  // The set is never pruned: removing a concert that just emptied would race with a Join, and a
  // script cannot check and remove atomically across hash slots. Concerts are few.
  const RedisValue members = pool_->Command({"SMEMBERS", concerts_key_});
  std::vector<ConcertId> result;
  for (const RedisValue& member : members.elements) {
    const ConcertId concert{member.AsInteger()};
    if (pool_->Eval(scripts_->count, ConcertOf(concert)->keys, {}).AsInteger() > 0) {
      result.push_back(concert);
    }
  }
  std::sort(result.begin(), result.end());
  return result;
}

}  // namespace boxoffice::infra
