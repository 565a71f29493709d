-- wrk script for benchmarks/load.py: rotates over the paths in a file (one a line) and
-- counts responses that are not 2xx (wrk itself counts 3xx as success, and a redirect to
-- the login page must count as a failure here). Usage:
--   wrk -t2 -c8 -d20s --latency --timeout 30s -H 'Cookie: …' -s load.lua URL -- PATHS_FILE
-- done() prints one line "LOAD {json}" with latency percentiles (ms), requests and errors.

local threads = {}

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  paths = {}
  for line in io.lines(args[1]) do
    if #line > 0 then table.insert(paths, line) end
  end
  -- Each thread starts at a different place in the rotation.
  counter = tid * 7
  bad = 0
end

function request()
  counter = counter + 1
  return wrk.format("GET", paths[(counter % #paths) + 1])
end

function response(status, headers, body)
  if status < 200 or status > 299 then bad = bad + 1 end
end

function done(summary, latency, requests)
  local non2xx = 0
  for _, t in ipairs(threads) do non2xx = non2xx + t:get("bad") end
  local e = summary.errors
  local ms = function(p) return latency:percentile(p) / 1000.0 end
  io.write(string.format(
    'LOAD {"requests": %d, "seconds": %.3f, "p50": %.2f, "p75": %.2f, "p90": %.2f, ' ..
    '"p95": %.2f, "p99": %.2f, "max": %.2f, "non2xx": %d, "socket_errors": %d, ' ..
    '"timeouts": %d}\n',
    summary.requests, summary.duration / 1e6, ms(50), ms(75), ms(90), ms(95), ms(99),
    latency.max / 1000.0, non2xx, e.connect + e.read + e.write, e.timeout))
end
