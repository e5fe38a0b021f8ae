-- The one wrk script behind every scenario of bench/run.py.
--
-- Configured through the environment, which wrk passes to every Lua state
-- (delay() must be defined, or not, before any thread starts):
--   BENCH_READ           path template of GETs; "{sid}" becomes a random session id
--   BENCH_WRITE          path template of PUTs
--   BENCH_WRITE_PERCENT  share of requests that are PUTs (0..100)
--   BENCH_BODY           body of every write
--   BENCH_WRITE_METHOD   method of the writes (PUT unless set)
--   BENCH_WRITE_TYPE     Content-Type of the writes (application/json unless set)
--   BENCH_SESSIONS       ids are drawn from bench-000000 .. bench-(N-1), like scenarios.py
--   BENCH_RATE           if > 0, pace each wrk thread to this many requests per second
--   BENCH_AUTHORIZATION  if set, the Authorization header of every request (the API key)
--
-- done() prints one line "BENCH_RESULT {json}" for run.py, plus
-- "BENCH_FIRST_BAD <status> <body>" when some response was not 2xx.

local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clk_id, bench_timespec *tp);
]]
local CLOCK_MONOTONIC = 1
local timespec = ffi.new("bench_timespec")

local function now_ms()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, timespec)
  return tonumber(timespec.tv_sec) * 1000 + tonumber(timespec.tv_nsec) / 1e6
end

-- Main state: remember each thread so done() can add up its counters.
local threads = {}

function setup(thread)
  thread:set("thread_number", #threads + 1)
  table.insert(threads, thread)
end

-- Every Lua state (main and one per wrk thread) reads the same configuration.
local read_path = os.getenv("BENCH_READ")
local write_path = os.getenv("BENCH_WRITE")
local write_percent = tonumber(os.getenv("BENCH_WRITE_PERCENT") or "0")
local body = os.getenv("BENCH_BODY") or ""
local sessions = tonumber(os.getenv("BENCH_SESSIONS") or "10000")
local rate = tonumber(os.getenv("BENCH_RATE") or "0")
local write_method = os.getenv("BENCH_WRITE_METHOD") or "PUT"
local write_headers = { ["Content-Type"] = os.getenv("BENCH_WRITE_TYPE") or "application/json" }
local read_headers = {}
local authorization = os.getenv("BENCH_AUTHORIZATION")
if authorization and authorization ~= "" then
  write_headers["Authorization"] = authorization
  read_headers["Authorization"] = authorization
end
non2xx = 0
first_bad = ""

function init(args)
  math.randomseed(os.time() * 100 + (thread_number or 0))
end

function request()
  local sid = string.format("bench-%06d", math.random(0, sessions - 1))
  if write_percent > 0 and math.random(100) <= write_percent then
    return wrk.format(write_method, (write_path:gsub("{sid}", sid)), write_headers, body)
  end
  return wrk.format("GET", (read_path:gsub("{sid}", sid)), read_headers)
end

-- Pacing: the thread hands out send slots 1/rate apart to its connections.
-- A slot already in the past is not made up for, so a slow server is not flooded.
-- Unpaced runs leave delay() undefined: wrk then sends back to back.
if rate > 0 then
  local interval_ms = 1000 / rate
  local next_send_ms = 0
  function delay()
    local now = now_ms()
    if next_send_ms < now then next_send_ms = now end
    local wait = next_send_ms - now
    next_send_ms = next_send_ms + interval_ms
    return wait
  end
end

function response(status, headers, response_body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    if first_bad == "" then
      first_bad = status .. " " .. (response_body or ""):sub(1, 300):gsub("%s+", " ")
    end
  end
end

function done(summary, latency, requests)
  local bad, sample = 0, ""
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("non2xx")
    if sample == "" then sample = thread:get("first_bad") end
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, '
      .. '"non2xx": %d, "connect_errors": %d, "read_errors": %d, "write_errors": %d, '
      .. '"timeouts": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    bad, e.connect, e.read, e.write, e.timeout))
  if sample ~= "" then io.write("BENCH_FIRST_BAD " .. sample .. "\n") end
end
