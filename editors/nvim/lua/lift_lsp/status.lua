-- The route the server reports with lift/routeStatus, for a statusline.
local M = {}

-- The last status of each client, by client id.
local by_client = {}

-- Notification handler: { route = "local", routes = { anthropic = { configured, breaker } } }.
function M.handler(_, status, ctx)
  by_client[ctx.client_id] = status
  vim.api.nvim_exec_autocmds("User", { pattern = "LiftRouteStatus" })
  vim.cmd("redrawstatus!")
end

-- "lift: auto (anthropic breaker open)": the route, and the configured routes whose
-- circuit breaker is open (their calls fail fast for a while), as VS Code shows it.
function M.text(client_id)
  local status = client_id and by_client[client_id]
  if type(status) ~= "table" or type(status.route) ~= "string" then
    return ""
  end
  local open = {}
  for name, state in pairs(status.routes or {}) do
    if type(state) == "table" and state.configured and state.breaker == "open" then
      table.insert(open, name)
    end
  end
  table.sort(open)
  local text = "lift: " .. status.route
  if #open > 0 then
    local noun = #open == 1 and "breaker" or "breakers"
    text = string.format("%s (%s %s open)", text, table.concat(open, ", "), noun)
  end
  return text
end

return M
