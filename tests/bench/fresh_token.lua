-- A token for a new audience on every request, so each one is signed afresh (no cache hit).
local counter = 0
local threads = {}
function setup(thread) thread:set("tid", #threads); table.insert(threads, thread) end
function init(args)
  prefix = os.getenv("TOKEN_PATH")
  wrk.headers["Metadata"] = "true"
end
function request()
  counter = counter + 1
  return wrk.format("GET", prefix .. "&resource=https%3A%2F%2Faudience-" .. tid .. "-" .. counter)
end
