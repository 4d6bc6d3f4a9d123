-- wrk script for bench/run.sh. Configured by the environment:
--   BENCH_METHOD   GET | POST
--   BENCH_BODY     form body of a POST (static requests)
--   BENCH_AUTH     value of the Authorization header, if any
--   BENCH_JSON     where done() writes the run's figures as JSON
--   BENCH_TOKENS   refresh mode: file with one refresh token per line
--   BENCH_THREADS  refresh mode: number of wrk threads (tokens are split among them)
--
-- Refresh mode: a refresh token can be used once (it is rotated on every use), so
-- each request takes an unused token from a queue and each 200 response puts the
-- new refresh token it carries back into the queue. With at least as many tokens
-- as connections, every connection always has a fresh token to send: each
-- request consumes one and its response supplies the next, so the load is an
-- honest sequence of real rotations. A server that does not rotate (no
-- refresh_token in the response) gets the same token again. If a response fails,
-- its chain ends; a request that finds the queue empty sends an invalid token
-- and is counted (the error count and "starved" make it visible).

local method = os.getenv("BENCH_METHOD") or "GET"
local auth = os.getenv("BENCH_AUTH")
local tokens_file = os.getenv("BENCH_TOKENS")

wrk.method = method
if auth and auth ~= "" then
  wrk.headers["Authorization"] = auth
end
if method == "POST" then
  wrk.body = os.getenv("BENCH_BODY") or ""
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
end

local threads = {}

function setup(thread)
  thread:set("thread_index", #threads)
  table.insert(threads, thread)
end

if tokens_file and tokens_file ~= "" then
  local queue, head, tail = {}, 1, 0
  local in_flight = {}
  starved, broken, rotated, reused = 0, 0, 0, 0

  local function push(token)
    tail = tail + 1
    queue[tail] = token
  end

  function init(args)
    local count = tonumber(os.getenv("BENCH_THREADS") or "1")
    local n = 0
    for line in io.lines(tokens_file) do
      if line ~= "" then
        if n % count == thread_index then push(line) end
        n = n + 1
      end
    end
  end

  -- Tokens in flight, oldest first. Responses of different connections can
  -- come back in any order, so this only serves a server that leaves the
  -- refresh_token out of its response: its tokens stay valid and are
  -- interchangeable, so any one of those in flight can go back to the queue.
  local last = {}
  -- Every token sent so far: a response that carries one of them again comes
  -- from a server that did not rotate.
  local sent = {}
  -- wrk calls request() once in the first thread before any connection opens, to
  -- see whether the script pipelines; that request is never sent, so it must not
  -- use up a token.
  local probed = false

  function request()
    if thread_index == 0 and not probed then
      probed = true
      return wrk.format(nil, nil, nil, "grant_type=refresh_token&refresh_token=probe")
    end
    local token
    if head <= tail then
      token = queue[head]
      queue[head] = nil
      head = head + 1
    else
      starved = starved + 1
      token = "exhausted"
    end
    last[#last + 1] = token
    sent[token] = true
    return wrk.format(nil, nil, nil, "grant_type=refresh_token&refresh_token=" .. token)
  end

  function response(status, headers, body)
    local used = table.remove(last, 1)
    if status == 200 then
      local next_token = body:match('"refresh_token"%s*:%s*"([^"]+)"')
      if next_token then
        if sent[next_token] then reused = reused + 1 else rotated = rotated + 1 end
        push(next_token)
      elseif used and used ~= "exhausted" then
        reused = reused + 1
        push(used)
      end
    else
      broken = broken + 1
    end
  end
end

function done(summary, latency, requests)
  local starved_total, broken_total, rotated_total, reused_total = 0, 0, 0, 0
  for _, thread in ipairs(threads) do
    starved_total = starved_total + (thread:get("starved") or 0)
    broken_total = broken_total + (thread:get("broken") or 0)
    rotated_total = rotated_total + (thread:get("rotated") or 0)
    reused_total = reused_total + (thread:get("reused") or 0)
  end
  local f = assert(io.open(os.getenv("BENCH_JSON"), "w"))
  f:write(string.format(
    '{"requests":%d,"duration_us":%d,"bytes":%d,"err_connect":%d,"err_read":%d,"err_write":%d,' ..
    '"err_status":%d,"err_timeout":%d,"lat_mean_us":%.1f,"lat_p50_us":%d,"lat_p90_us":%d,' ..
    '"lat_p99_us":%d,"lat_max_us":%d,"refresh_rotated":%d,"refresh_reused":%d,' ..
    '"refresh_broken":%d,"refresh_starved":%d}\n',
    summary.requests, summary.duration, summary.bytes, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.status, summary.errors.timeout, latency.mean,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    rotated_total, reused_total, broken_total, starved_total))
  f:close()
end
