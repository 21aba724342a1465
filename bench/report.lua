-- wrk script: the request comes from environment variables; done() prints one JSON line.
--   BENCH_METHOD, BENCH_BODY, BENCH_HEADERS ("Name: value" lines): one request, repeated; or
--   BENCH_REQUESTS: a file of requests, one a line (method, path, headers joined by \31 as
--   "Name: value", body; tab-separated), of which each request picks one at random.
wrk.method = os.getenv("BENCH_METHOD") or "GET"
local body = os.getenv("BENCH_BODY")
if body and body ~= "" then wrk.body = body end
for line in string.gmatch(os.getenv("BENCH_HEADERS") or "", "[^\n]+") do
  local name, value = string.match(line, "^([^:]+):%s*(.*)$")
  if name then wrk.headers[name] = value end
end

local file = os.getenv("BENCH_REQUESTS")
local requests = {}

function init(args)
  if not file or file == "" then return end
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)") or "0", 16))
  for line in io.lines(file) do
    local method, path, heads, data = string.match(line, "^([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
    local headers = {}
    for pair in string.gmatch(heads, "[^\31]+") do
      local name, value = string.match(pair, "^([^:]+):%s*(.*)$")
      headers[name] = value
    end
    if data == "" then data = nil end
    requests[#requests + 1] = wrk.format(method, path, headers, data)
  end
end

if file and file ~= "" then
  request = function() return requests[math.random(#requests)] end
end

function done(summary, latency, requests)
  io.write(string.format(
    '{"requests":%d,"seconds":%.6f,"p50_us":%d,"p99_us":%d,"non2xx":%d,"socket_errors":%d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(99),
    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
