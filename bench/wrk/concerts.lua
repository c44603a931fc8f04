-- GET /api/v1/concerts: the public concert list (served from the catalogue cache once filled).
local bench = dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")
bench.fixed("GET", "/api/v1/concerts")
