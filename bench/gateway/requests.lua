-- Workload (k): wrk's requests, in turn to each of the three upstream groups, with a valid token.
local paths = { "/api/users/42", "/api/orders/7?expand=items", "/index.html" }
local i = 0
wrk.headers["Authorization"] = "Bearer token-alice"
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
