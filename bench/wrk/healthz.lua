-- The HTTP ceiling: GET /healthz, answered on the I/O thread with no other work.
local bench = dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")
bench.fixed("GET", "/healthz")
