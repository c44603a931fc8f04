-- GET /api/v1/queue/status: waiting users polling their place, a distinct user per request.
local bench = dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")
local path = "/api/v1/queue/status"
bench.per_user(function(user)
  return wrk.format("GET", path, { ["User-Token"] = user.queue })
end)
