#include "infrastructure/redis/redis_lease.hpp"

#include <algorithm>

#include "infrastructure/redis/redis_pool.hpp"

namespace boxoffice::infra {
namespace {

// KEYS: lease; ARGV: owner, ttl_ms -> 1 when the owner holds the lease.
constexpr const char* kHold = R"lua(
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
)lua";

}  // namespace

RedisLease::RedisLease(std::shared_ptr<RedisPool> pool, std::string key_prefix)
    : pool_(std::move(pool)),
      prefix_(std::move(key_prefix)),
      hold_(std::make_unique<RedisScript>(kHold)) {}

RedisLease::~RedisLease() = default;

bool RedisLease::Hold(const std::string& name, const std::string& owner, domain::Instant,
                      domain::Duration ttl) {
  const auto ttl_ms = std::max<std::int64_t>(1, ttl.count());
  const RedisValue reply =
      pool_->Eval(*hold_, {prefix_ + ":lease:{" + name + "}"}, {owner, std::to_string(ttl_ms)});
  return reply.AsInteger() == 1;
}

}  // namespace boxoffice::infra
