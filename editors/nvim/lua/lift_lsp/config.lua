-- Options of `require("lift_lsp").setup()` and the client config built from them.
local M = {}

M.name = "lift_lsp"
M.section = "lift"

M.defaults = {
  cmd = { "lift-lsp" },
  -- Extra environment of the server: API keys, e.g. ANTHROPIC_API_KEY.
  cmd_env = nil,
  filetypes = { "python" },
  root_markers = { "pyproject.toml", "setup.py", ".git" },
  -- Or a function(fname) -> directory, which wins over root_markers.
  root_dir = nil,
  -- The `lift` section: answered to workspace/configuration.
  settings = {},
  init_options = nil,
  capabilities = nil,
  on_attach = nil,
}

M.options = vim.deepcopy(M.defaults)

local types = {
  cmd = "table",
  cmd_env = "table",
  filetypes = "table",
  root_markers = "table",
  root_dir = "function",
  settings = "table",
  init_options = "table",
  capabilities = "table",
  on_attach = "function",
}

function M.set(opts)
  opts = opts or {}
  for key, value in pairs(opts) do
    local want = types[key]
    if want == nil then
      error(string.format("lift_lsp.setup: unknown option %q", key), 3)
    elseif type(value) ~= want then
      error(string.format("lift_lsp.setup: %s must be a %s, not a %s", key, want, type(value)), 3)
    end
  end
  M.options = vim.tbl_extend("force", vim.deepcopy(M.defaults), opts)
  return M.options
end

-- An empty Lua table is encoded as `[]`; the server expects an object.
local function object(tbl)
  if tbl == nil or vim.tbl_isempty(tbl) then
    return vim.empty_dict()
  end
  return tbl
end

-- The value of `section` ("lift", "lift.severity", or "" for everything).
function M.lookup(settings, section)
  local root = { [M.section] = object(settings) }
  if section == nil or section == "" then
    return root
  end
  local value = root
  for part in vim.gsplit(section, ".", true) do
    if type(value) ~= "table" or value[part] == nil then
      return vim.NIL
    end
    value = value[part]
  end
  return value
end

-- Neovim 0.7 does not advertise workspace/configuration, so the server would never
-- ask for the editor's settings: every version advertises it and is answered here.
local function on_configuration(_, params)
  local answers = {}
  for _, item in ipairs(params.items or {}) do
    table.insert(answers, M.lookup(M.options.settings, item.section))
  end
  return answers
end

local function capabilities()
  local caps = M.options.capabilities or vim.lsp.protocol.make_client_capabilities()
  caps = vim.deepcopy(caps)
  caps.workspace = caps.workspace or {}
  caps.workspace.configuration = true
  return caps
end

-- The config for vim.lsp.start / vim.lsp.start_client, for one project root.
function M.client_config(root_dir)
  local opts = M.options
  return {
    name = M.name,
    cmd = opts.cmd,
    cmd_env = opts.cmd_env,
    root_dir = root_dir,
    -- Newer Neovim sends these with workspace/didChangeConfiguration after start.
    settings = { [M.section] = object(opts.settings) },
    init_options = opts.init_options,
    capabilities = capabilities(),
    handlers = {
      ["workspace/configuration"] = on_configuration,
      ["lift/routeStatus"] = require("lift_lsp.status").handler,
    },
    on_attach = opts.on_attach,
  }
end

return M
