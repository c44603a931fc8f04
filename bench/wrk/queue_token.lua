-- POST /api/v1/queue/token: users asking for their queue token of BENCH_CONCERT_ID, a distinct
-- user per request (asking again keeps the same place, so repeated runs do not grow the queue).
local bench = dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")
local path = "/api/v1/queue/token"
local body = '{"concertId":' .. bench.concert_id .. '}'
bench.per_user(function(user)
  return wrk.format("POST", path, {
    ["Authorization"] = "Bearer " .. user.access,
    ["Content-Type"] = "application/json",
  }, body)
end)
