-- Starting the server, one client per project root, and talking to it.
local config = require("lift_lsp.config")

local M = {}

local uv = vim.uv or vim.loop
local has_011 = vim.fn.has("nvim-0.11") == 1

-- Neovim 0.7 has no vim.lsp.start: client ids by root directory, kept here.
local by_root = {}
-- Set when the command is missing, so that later errors can say why.
M.missing = nil

function M.notify(msg, level)
  vim.notify("lift-lsp: " .. msg, level or vim.log.levels.INFO)
end

-- The nearest directory above `fname` holding one of the markers, else its own.
local function find_root(fname, markers)
  local dir = vim.fn.fnamemodify(fname, ":p:h")
  local start = dir
  while true do
    for _, marker in ipairs(markers) do
      if uv.fs_stat(dir .. "/" .. marker) then
        return dir
      end
    end
    local parent = vim.fn.fnamemodify(dir, ":h")
    if parent == dir then
      return start
    end
    dir = parent
  end
end

function M.root_dir(fname)
  local opts = config.options
  if opts.root_dir then
    return opts.root_dir(fname)
  end
  return find_root(fname, opts.root_markers)
end

local function not_found(cmd)
  return string.format(
    "`%s` not found: install it with `pip install lift-lsp`, or set `cmd` in setup()",
    cmd
  )
end

-- Said once: a missing command would otherwise be reported for every buffer.
local function executable()
  local cmd = config.options.cmd[1]
  if vim.fn.executable(cmd) == 1 then
    M.missing = nil
    return true
  end
  if M.missing ~= cmd then
    M.missing = cmd
    M.notify(not_found(cmd), vim.log.levels.ERROR)
  end
  return false
end

local function start_07(bufnr, cfg)
  local id = by_root[cfg.root_dir]
  local client = id and vim.lsp.get_client_by_id(id)
  if not client or client.is_stopped() then
    local on_exit = cfg.on_exit
    cfg.on_exit = function(...)
      by_root[cfg.root_dir] = nil
      if on_exit then
        on_exit(...)
      end
    end
    id = vim.lsp.start_client(cfg)
    by_root[cfg.root_dir] = id
  end
  if id then
    vim.lsp.buf_attach_client(bufnr, id)
  end
end

-- Attach a file buffer to the client of its root, starting one if needed.
function M.attach(bufnr)
  if vim.bo[bufnr].buftype ~= "" then
    return
  end
  local fname = vim.api.nvim_buf_get_name(bufnr)
  if fname == "" or not executable() then
    return
  end
  local cfg = config.client_config(M.root_dir(fname))
  if vim.lsp.start then
    -- Reuses the client with the same name and root_dir.
    vim.api.nvim_buf_call(bufnr, function()
      vim.lsp.start(cfg, { bufnr = bufnr })
    end)
  else
    start_07(bufnr, cfg)
  end
end

local function lift_clients()
  local all = (vim.lsp.get_clients or vim.lsp.get_active_clients)()
  return vim.tbl_filter(function(c)
    return c.name == config.name
  end, all)
end

-- The client attached to `bufnr`, or (when `any`) any running one.
function M.get(bufnr, any)
  local clients = lift_clients()
  for _, client in ipairs(clients) do
    if vim.lsp.buf_is_attached(bufnr, client.id) then
      return client
    end
  end
  return any and clients[1] or nil
end

-- Why there is no client, for the user.
function M.why_not_running()
  if M.missing then
    return not_found(M.missing)
  end
  if not config.configured and #lift_clients() == 0 then
    return 'not started: call require("lift_lsp").setup() in your config'
  end
  return "not running for this buffer (still starting, or it failed: see :LspLog)"
end

-- client:request on 0.11+ (a method), client.request before.
function M.request(client, method, params, handler, bufnr)
  if has_011 then
    return client:request(method, params, handler, bufnr)
  end
  return client.request(method, params, handler, bufnr)
end

-- workspace/executeCommand; `callback(result)` runs only on success.
function M.execute(client, command, arguments, bufnr, callback)
  local params = { command = command, arguments = arguments }
  M.request(client, "workspace/executeCommand", params, function(err, result)
    if err then
      local reason = err.message or vim.inspect(err)
      M.notify(string.format("%s failed: %s", command, reason), vim.log.levels.ERROR)
      return
    end
    callback(result)
  end, bufnr)
end

return M
