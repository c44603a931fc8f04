#include "infrastructure/redis/redis_lease.hpp"

#include <algorithm>

#include "infrastructure/redis/redis_pool.hpp"

namespace boxoffice::infra {
namespace {

// KEYS: lease, its fencing counter; ARGV: owner, ttl_ms
//   -> the owner's fencing token, or 0 when another owner holds the lease.
// The lease's value is "token:owner", the token written with %d (Lua would print a number this
// large in exponent notation). The counter outlives the lease, so each acquisition
// increments past every token issued before. When the counter is missing (a Redis restarted
// without persistence, or flushed), it restarts from the server's clock in microseconds: above
// any token of the lost counter, which grew by one per acquisition, far slower than the clock
// (and below 2^53, so Lua's numbers hold it exactly).
// TIME before a write needs effect replication, the default from Redis 7 on.
constexpr const char* kHold = R"lua(
if redis.replicate_commands then redis.replicate_commands() end
local holder = redis.call('GET', KEYS[1])
if holder then
  local token, owner = string.match(holder, '^(%d+):(.*)$')
  if owner ~= ARGV[1] then return 0 end
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return tonumber(token)
end
if redis.call('EXISTS', KEYS[2]) == 0 then
  local now = redis.call('TIME')
  redis.call('SET', KEYS[2], string.format('%d', tonumber(now[1]) * 1000000 + tonumber(now[2])))
end
local token = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], string.format('%d', token) .. ':' .. ARGV[1], 'NX', 'PX', ARGV[2])
return token
)lua";

}  // namespace

RedisLease::RedisLease(std::shared_ptr<RedisPool> pool, std::string key_prefix)
    : pool_(std::move(pool)),
      prefix_(std::move(key_prefix)),
      hold_(std::make_unique<RedisScript>(kHold)) {}

RedisLease::~RedisLease() = default;

std::optional<std::int64_t> RedisLease::Hold(const std::string& name, const std::string& owner,
                                             domain::Instant, domain::Duration ttl) {
  const auto ttl_ms = std::max<std::int64_t>(1, ttl.count());
  const std::string key = prefix_ + ":lease:{" + name + "}";
  const std::int64_t token =
      pool_->Eval(*hold_, {key, key + ":fence"}, {owner, std::to_string(ttl_ms)}).AsInteger();
  if (token <= 0) return std::nullopt;
  return token;
}

}  // namespace boxoffice::infra
