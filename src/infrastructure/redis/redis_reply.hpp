#pragma once

#include <hiredis/hiredis.h>

#include "infrastructure/redis/redis_pool.hpp"

namespace boxoffice::infra {

// A hiredis reply copied into a RedisValue (for this directory's .cpp files only: it names a
// hiredis type). An error reply, at the top or nested, throws domain::UnavailableError.
RedisValue ConvertReply(const redisReply& reply);

}  // namespace boxoffice::infra
