-- Shared by the wrk scripts of scripts/bench. Each script does
--   local bench = dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")
-- and defines request() with bench.next_user(); setup, init and done come from here.
--
-- BENCH_TOKENS names the token file scripts/bench prepares through the API: one user a line,
-- "<access token> <queue token>". Every wrk thread walks the file from its own offset, so
-- consecutive requests come from distinct users. done() prints one line "BENCH_JSON {...}" with
-- the counts and latency percentiles scripts/bench parses.
local bench = {}

local thread_count = 0
local threads = {}

function setup(thread)
  thread:set("bench_thread_index", thread_count)
  thread_count = thread_count + 1
  table.insert(threads, thread)
end

local function read_tokens(path)
  local users = {}
  local file = assert(io.open(path, "r"), "cannot open token file " .. tostring(path))
  for line in file:lines() do
    local access, queue = line:match("^(%S+)%s+(%S+)")
    if access then table.insert(users, { access = access, queue = queue }) end
  end
  file:close()
  assert(#users > 0, "token file " .. path .. " holds no users")
  return users
end

local users = nil
local cursor = 0

function init(args)
  local path = os.getenv("BENCH_TOKENS")
  if path and path ~= "" then
    users = read_tokens(path)
    -- bench_thread_index is set by setup() before init runs in each thread.
    local index = bench_thread_index or 0
    local threads_guess = tonumber(os.getenv("BENCH_THREADS") or "1")
    cursor = math.floor(#users * index / math.max(threads_guess, 1))
  end
end

-- The next user of this thread: a table { access = ..., queue = ... }.
function bench.next_user()
  cursor = cursor + 1
  if cursor > #users then cursor = 1 end
  return users[cursor]
end

bench.concert_id = os.getenv("BENCH_CONCERT_ID") or "1"
bench.event_id = os.getenv("BENCH_EVENT_ID") or "1"

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"errors_connect":%d,' ..
    '"errors_read":%d,"errors_write":%d,"errors_status":%d,"errors_timeout":%d,' ..
    '"latency_mean_us":%.1f,"latency_max_us":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,' ..
    '"p999_us":%d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency.mean, latency.max, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency:percentile(99.9)))
end

return bench
