-- wrk script for bin/loadbench: rotates the session cookies given as arguments (one per
-- learner, so 32 connections are not 32 copies of one user), counts every response that
-- is not a 200 (wrk's own error count lets 3xx through, and a redirect to the login page
-- is exactly the failure to catch), and prints one JSON line in `done`.
--
--   wrk -c 32 -t 2 -d 10s -s benchmarks/loadbench.lua URL -- COOKIE [COOKIE ...]
--
-- LOADBENCH_THINK_MS=N makes each connection pause N ms between requests (a person
-- reading the page); wrk's latencies leave the pause out. Unset or 0: back to back.

local threads = {}
local counter = 1

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local think = tonumber(os.getenv("LOADBENCH_THINK_MS") or "0") or 0
if think > 0 then
  -- Defined only when wanted: wrk schedules a timer per request once delay() exists.
  -- Uniform between half and one and a half times the mean, as people read: a fixed pause
  -- keeps the 32 connections in step, so every second all of them arrive at once and the
  -- percentiles measure that burst's queue instead of the time a request takes.
  function delay()
    return math.random(math.floor(think / 2), math.floor(think * 3 / 2))
  end
end

function init(args)
  math.randomseed(os.time() * 100 + id)
  cookies = {}
  for _, cookie in ipairs(args) do
    table.insert(cookies, cookie)
  end
  -- Each thread starts at a different cookie, then walks the list.
  position = id
  non200 = 0
  first_bad = ""
end

function request()
  if #cookies == 0 then
    return wrk.format(nil, nil, nil, nil)
  end
  local cookie = cookies[(position % #cookies) + 1]
  position = position + 1
  return wrk.format(nil, nil, { ["Cookie"] = cookie }, nil)
end

function response(status, headers, body)
  if status ~= 200 then
    non200 = non200 + 1
    if first_bad == "" then
      first_bad = tostring(status) .. " " .. (headers["Location"] or headers["location"] or "")
    end
  end
end

function done(summary, latency, requests)
  local bad, example = 0, ""
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("non200")
    if example == "" then
      example = thread:get("first_bad")
    end
  end
  local errors = summary.errors
  local socket_errors = errors.connect + errors.read + errors.write + errors.timeout
  io.write(string.format(
    'LOADBENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, '
      .. '"p50_us": %d, "p95_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %.1f, '
      .. '"non200": %d, "socket_errors": %d, "first_bad": "%s"}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(95), latency:percentile(99),
    latency.max, latency.mean, bad, socket_errors, example:gsub('["\\]', "")
  ))
end
