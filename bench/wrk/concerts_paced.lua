-- GET /api/v1/concerts paced to BENCH_RATE requests per second in total (wrk has no fixed-rate
-- mode and wrk2 is not packaged). Each thread keeps its own schedule of BENCH_RATE / BENCH_THREADS
-- sends per second: delay() holds the next send until its slot, and sends at once when behind.
-- A connection still waits for its previous answer (wrk is closed-loop), so when the server is
-- slower than the schedule the achieved rate falls short and latency is not corrected for the
-- wait: scripts/bench reports the achieved rate next to the percentiles.
local bench = dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")
local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
  int clock_gettime(int clock_id, bench_timespec* tp);
]]
local kClockMonotonic = 1
local now_ts = ffi.new("bench_timespec")
local function now_ms()
  ffi.C.clock_gettime(kClockMonotonic, now_ts)
  return tonumber(now_ts.tv_sec) * 1000 + tonumber(now_ts.tv_nsec) / 1e6
end

local rate = tonumber(os.getenv("BENCH_RATE") or "20000")
local threads = tonumber(os.getenv("BENCH_THREADS") or "1")
local interval_ms = 1000 / (rate / threads)
local next_slot = nil

bench.fixed("GET", "/api/v1/concerts")

function delay()
  local now = now_ms()
  if next_slot == nil then next_slot = now end
  next_slot = next_slot + interval_ms
  local wait = next_slot - now
  if wait < 1 then return 0 end
  return math.floor(wait)
end
