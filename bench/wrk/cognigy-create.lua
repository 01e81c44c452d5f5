-- wrk script: POST a new Cognigy user per request (a unique id each time)
-- to `onboard sandbox cognigy`, the ceiling figure 1a is compared with.
--   bin/onboard sandbox cognigy --addr 127.0.0.1:18093 &
--   wrk -t2 -c8 -d8s -s bench/wrk/cognigy-create.lua http://127.0.0.1:18093
-- The Authorization value is the sandbox's published credentials
-- (sandbox-admin@example.com / sandbox-password), not a secret.
local n = 0
local tid = 0
setup = function(thread) tid = tid + 1; thread:set("tid", tid) end
init = function(args) n = 0; math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16)); tid = math.random(1, 1000000000) end
request = function()
  n = n + 1
  local id = "w" .. tid .. "-" .. n .. "@example.com"
  local body = '{"id":"' .. id .. '","name":"Ann Lee","password":"Xx1!aaaaaaaaaaaa","organisation":"5f1e2d3c4b5a697887766554","acceptedTOS":true}'
  return wrk.format("POST", "/management/v2.0/users", {["Content-Type"]="application/json", ["Authorization"]="Basic c2FuZGJveC1hZG1pbkBleGFtcGxlLmNvbTpzYW5kYm94LXBhc3N3b3Jk"}, body)
end
