-- Shared by the wrk scripts of scripts/bench. Each script does
--   local bench = dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")
-- and then says what it sends, with one of
--   bench.per_user(function(user) return wrk.format(...) end)  -- a distinct user per request
--   bench.fixed(method, path)                                   -- the same request every time
-- setup, init, request and done come from here.
--
-- wrk and the server share the machine's cores, so every microsecond wrk spends on a request is
-- taken from the server. Hence no request is built while measuring: per_user builds every
-- user's request once in init(), and request() only hands out the next one; fixed defines no
-- request() at all, which makes wrk send its one prepared request without calling into Lua.
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

local build_request = nil -- set by bench.per_user
local fixed = nil         -- set by bench.fixed: { method, path, request }

-- This thread's requests, one per user in token file order, and the index of the last one sent.
local prepared = nil
local prepared_count = 0
local cursor = 0

local function next_request()
  cursor = cursor + 1
  if cursor > prepared_count then cursor = 1 end
  return prepared[cursor]
end

-- Each request comes from the next user of this thread: build(user) gets a table
-- { access = ..., queue = ... } and returns the request (wrk.format), once per user, in init().
-- It runs in the thread's own Lua state, so the bytes are those request() would build there,
-- header order included (wrk.format lists headers in table order, which LuaJIT randomizes per
-- Lua state: it differs between threads and runs, as it always did; the server does not care).
function bench.per_user(build)
  build_request = build
  request = next_request
end

-- Every request is `method path` with no header and no body. It is built here, when the script
-- loads, as these scripts always did: wrk.init has not set the Host header yet, so the request
-- carries none (the server does not need it).
function bench.fixed(method, path)
  fixed = { method = method, path = path, request = wrk.format(method, path) }
end

function init(args)
  local path = os.getenv("BENCH_TOKENS")
  if path and path ~= "" then
    local users = read_tokens(path)
    -- bench_thread_index is set by setup() before init runs in each thread.
    local index = bench_thread_index or 0
    local threads_guess = tonumber(os.getenv("BENCH_THREADS") or "1")
    cursor = math.floor(#users * index / math.max(threads_guess, 1))
    if build_request then
      prepared = {}
      for i, user in ipairs(users) do prepared[i] = build_request(user) end
      prepared_count = #prepared
    end
  end
  if build_request then assert(prepared, "BENCH_TOKENS names no token file") end
  if fixed then
    -- With no request() defined, wrk.init (which called this init) takes wrk.format() of the
    -- wrk table as the request of every send: the table is set so that it yields exactly the
    -- request built at load, Host header left out as there.
    wrk.method, wrk.path, wrk.headers, wrk.body = fixed.method, fixed.path, {}, nil
    assert(wrk.format() == fixed.request, "the fixed request differs from the one built at load")
  end
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
