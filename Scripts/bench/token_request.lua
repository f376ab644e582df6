-- wrk script for token endpoints (Scripts/bench-peers.sh).
--   WRK_BODY        the form body (client_credentials with a secret): the same body on every request
--   WRK_BODY_PREFIX + WRK_ASSERTIONS   private_key_jwt: a file of pre-signed client assertions, one per line; each
--                   request sends the next unused one (client_assertion=<line>), never one twice: thread k of n takes
--                   lines k, k+n, k+2n, … When a thread runs out it sends client_assertion=exhausted, which the
--                   server refuses, so the run shows non-2xx answers and does not count (done() says so).
--   WRK_AUTH        an Authorization header value (HTTP Basic for client_secret_basic), optional
-- done() prints one line "WRK_JSON {…}" with the totals, latency percentiles and the assertions used.
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  local auth = os.getenv("WRK_AUTH")
  if auth and auth ~= "" then wrk.headers["Authorization"] = auth end
  used = 0
  exhausted = 0
  loaded = 0
  local file = os.getenv("WRK_ASSERTIONS")
  if file and file ~= "" then
    prefix = os.getenv("WRK_BODY_PREFIX") or ""
    assertions = {}
    local n = 0
    local threadCount = tonumber(os.getenv("WRK_THREADS") or "2")
    for line in io.lines(file) do
      if line ~= "" then
        if n % threadCount == id then table.insert(assertions, line) end
        n = n + 1
      end
    end
    loaded = #assertions
  else
    wrk.body = os.getenv("WRK_BODY") or ""
    fixed = wrk.format(nil, nil, nil, wrk.body)
  end
end

function request()
  if assertions == nil then return fixed end
  used = used + 1
  local assertion = assertions[used]
  if assertion == nil then
    exhausted = exhausted + 1
    assertion = "exhausted"
  end
  return wrk.format(nil, nil, nil, prefix .. assertion)
end

function done(summary, latency, requests)
  local loadedTotal, usedTotal, exhaustedTotal = 0, 0, 0
  for _, thread in ipairs(threads) do
    loadedTotal = loadedTotal + (thread:get("loaded") or 0)
    usedTotal = usedTotal + math.min(thread:get("used") or 0, thread:get("loaded") or 0)
    exhaustedTotal = exhaustedTotal + (thread:get("exhausted") or 0)
  end
  local errors = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"non_2xx_3xx":%d,"connect_errors":%d,"read_errors":%d,' ..
    '"write_errors":%d,"timeouts":%d,"latency_p50_us":%d,"latency_p99_us":%d,"latency_max_us":%d,' ..
    '"assertions_loaded":%d,"assertions_used":%d,"assertions_exhausted":%d}\n',
    summary.requests, summary.duration, summary.bytes, errors.status, errors.connect, errors.read, errors.write,
    errors.timeout, latency:percentile(50), latency:percentile(99), latency.max,
    loadedTotal, usedTotal, exhaustedTotal))
end
