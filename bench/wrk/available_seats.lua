-- GET /api/v1/concert-events/{BENCH_EVENT_ID}/available-seats: admitted users reading the free
-- seats of a date (never cached: read from the database each time), a distinct user per request.
local bench = dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")
local path = "/api/v1/concert-events/" .. bench.event_id .. "/available-seats"
bench.per_user(function(user)
  return wrk.format("GET", path, { ["User-Token"] = user.queue })
end)
