-- wrk script for the ingest benchmark: POST /v1/batch with pre-generated bodies (one JSON per line
-- of the file named by BODIES; thread i takes lines i, i+T, i+2T...). wrk runs for a fixed duration;
-- a thread that used all its bodies starts over (repeated messageIds are what client retries look
-- like: ingest publishes them again, consumers drop them by event id).
local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  nthreads = tonumber(args[1])
  bodies = {}
  local i = 0
  for line in io.lines(os.getenv("BODIES")) do
    if i % nthreads == tid then table.insert(bodies, line) end
    i = i + 1
  end
  idx = 0
  answered = 0
  ok = 0
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = os.getenv("AUTH")
end

function request()
  idx = idx % #bodies + 1
  return wrk.format("POST", "/v1/batch", nil, bodies[idx])
end

function response(status, headers, body)
  answered = answered + 1
  if status == 200 then ok = ok + 1 end
end

function done(summary, latency, requests)
  local total_ok = 0
  for _, t in ipairs(threads) do total_ok = total_ok + t:get("ok") end
  io.write(string.format('WRK_RESULT {"requests": %d, "ok": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %.1f}\n',
    summary.requests, total_ok, summary.duration, latency:percentile(50), latency:percentile(99), latency.max, latency.mean))
end
