-- Drives Neovim with the lift_lsp plugin through a session on one file and writes
-- what the editor saw as JSON. Run by tests/test_nvim_client.py:
--   nvim --headless --clean --cmd 'lua vim.opt.rtp:prepend(vim.env.LIFT_NVIM_PLUGIN)'
--        -S tests/nvim/drive.lua
-- Environment: LIFT_NVIM_PLUGIN (editors/nvim), LIFT_NVIM_CMD (the server command,
-- JSON), LIFT_NVIM_FILE (a file with holes), LIFT_NVIM_OTHER (a second file in the
-- same project), LIFT_NVIM_OUT (where to write the results).
local TIMEOUT = 15000

local env = vim.env
local out = { notifications = {} }

-- Every message the plugin or Neovim shows, kept for the test to check.
vim.notify = function(msg, level)
  table.insert(out.notifications, { message = msg, level = level or vim.log.levels.INFO })
end

local function wait(what, cond)
  if not vim.wait(TIMEOUT, cond, 20) then
    error("timed out waiting for " .. what, 0)
  end
end

local function lift_client(bufnr)
  return require("lift_lsp.client").get(bufnr, false)
end

local function lift_clients()
  local all = (vim.lsp.get_clients or vim.lsp.get_active_clients)()
  return vim.tbl_filter(function(c)
    return c.name == "lift_lsp"
  end, all)
end

-- The single answer of the lift client to a request on `bufnr`.
local function request(bufnr, method, params)
  local responses, err = vim.lsp.buf_request_sync(bufnr, method, params, TIMEOUT)
  assert(responses, string.format("%s: %s", method, tostring(err)))
  local id = lift_client(bufnr).id
  local response = assert(responses[id], method .. ": no answer from lift-lsp")
  local failure = response.err or response.error
  assert(not failure, method .. ": " .. vim.inspect(failure))
  return response.result
end

local function diagnostics(bufnr)
  local found = vim.diagnostic.get(bufnr)
  table.sort(found, function(a, b)
    return a.lnum < b.lnum
  end)
  return vim.tbl_map(function(d)
    return {
      lnum = d.lnum,
      col = d.col,
      end_col = d.end_col,
      severity = d.severity,
      message = d.message,
      source = d.source,
      code = d.code,
    }
  end, found)
end

local function cursor()
  return vim.api.nvim_win_get_cursor(0)
end

local function position_params(bufnr)
  return vim.lsp.util.make_position_params(0, lift_client(bufnr).offset_encoding)
end

local function completion(bufnr)
  local result = request(bufnr, "textDocument/completion", position_params(bufnr))
  local items = result and (result.items or result) or {}
  return vim.tbl_map(function(item)
    return { label = item.label, textEdit = item.textEdit, command = item.command }
  end, items)
end

local function hover(bufnr)
  local result = request(bufnr, "textDocument/hover", position_params(bufnr))
  return result and result.contents.value or vim.NIL
end

-- The diagnostics of the cursor's line, as vim.lsp.buf.code_action() sends them.
local function line_diagnostics(bufnr)
  local from = vim.lsp.diagnostic.from -- 0.11+; the older call is deprecated there
  if from then
    return from(vim.diagnostic.get(bufnr, { lnum = cursor()[1] - 1 }))
  end
  return vim.lsp.diagnostic.get_line_diagnostics(bufnr)
end

-- Apply a code action as Neovim does: its edit, then its command on the server.
local function apply(bufnr, action)
  local client = lift_client(bufnr)
  vim.lsp.util.apply_workspace_edit(action.edit, client.offset_encoding)
  if action.command then
    local command = { command = action.command.command, arguments = action.command.arguments }
    return request(bufnr, "workspace/executeCommand", command)
  end
  return vim.NIL
end

local function fill(bufnr, title)
  local client = lift_client(bufnr)
  local params = vim.lsp.util.make_range_params(0, client.offset_encoding)
  params.context = { diagnostics = line_diagnostics(bufnr) }
  local actions = request(bufnr, "textDocument/codeAction", params) or {}
  out.action_titles = vim.tbl_map(function(a)
    return a.title
  end, actions)
  for _, action in ipairs(actions) do
    if action.title == title then
      out.action_command_result = apply(bufnr, action)
      return
    end
  end
  error("no code action " .. title, 0)
end

local function quickfix()
  vim.cmd("LiftHoles")
  wait("the quickfix list", function()
    return #vim.fn.getqflist() > 0
  end)
  out.quickfix_title = vim.fn.getqflist({ title = 1 }).title
  out.quickfix_open = vim.fn.getqflist({ winid = 0 }).winid ~= 0
  out.quickfix = vim.tbl_map(function(item)
    return {
      filename = vim.api.nvim_buf_get_name(item.bufnr),
      lnum = item.lnum,
      col = item.col,
      end_lnum = item.end_lnum,
      end_col = item.end_col,
      text = item.text,
    }
  end, vim.fn.getqflist())
  vim.cmd("cclose")
end

-- :LiftNextHole twice, then :LiftPrevHole, from the top of the file.
local function navigate()
  vim.api.nvim_win_set_cursor(0, { 1, 0 })
  out.navigation = {}
  for _, command in ipairs({ "LiftNextHole", "LiftNextHole", "LiftPrevHole" }) do
    local before = cursor()
    vim.cmd(command)
    wait(command, function()
      local now = cursor()
      return now[1] ~= before[1] or now[2] ~= before[2]
    end)
    table.insert(out.navigation, cursor())
  end
end

-- A second file of the same project must reuse the first file's client.
local function second_buffer(bufnr)
  vim.cmd("edit " .. vim.fn.fnameescape(env.LIFT_NVIM_OTHER))
  local other = vim.api.nvim_get_current_buf()
  wait("the second buffer to attach", function()
    return lift_client(other) ~= nil
  end)
  out.clients = #lift_clients()
  out.same_client = lift_client(other).id == lift_client(bufnr).id
  out.root_dir = lift_client(bufnr).config.root_dir
  vim.cmd("buffer " .. bufnr)
end

local function main()
  -- plugin/lift_lsp.lua ran at startup (the test puts the plugin on the runtimepath).
  out.commands_before_setup = vim.fn.exists(":LiftHoles") == 2
  require("lift_lsp").setup({
    cmd = vim.fn.json_decode(env.LIFT_NVIM_CMD),
    settings = { severity = "warning" },
  })
  vim.cmd("edit " .. vim.fn.fnameescape(env.LIFT_NVIM_FILE))
  local bufnr = vim.api.nvim_get_current_buf()
  out.filetype = vim.bo[bufnr].filetype
  wait("diagnostics", function()
    return #vim.diagnostic.get(bufnr) > 0
  end)
  out.diagnostics = diagnostics(bufnr)
  wait("lift/routeStatus", function()
    return require("lift_lsp").status(bufnr) ~= ""
  end)
  out.status = require("lift_lsp").status(bufnr)

  local hole = out.diagnostics[1]
  vim.api.nvim_win_set_cursor(0, { hole.lnum + 1, hole.col })
  out.hover = hover(bufnr)
  out.completion = completion(bufnr)

  second_buffer(bufnr)
  quickfix()
  navigate()

  vim.api.nvim_win_set_cursor(0, { hole.lnum + 1, hole.col })
  fill(bufnr, "Fill hole with `radius`")
  wait("the filled hole's diagnostic to go", function()
    return #vim.diagnostic.get(bufnr) < #out.diagnostics
  end)
  out.diagnostics_after = diagnostics(bufnr)
  out.lines = vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)
end

local function log_tail()
  local ok, lines = pcall(vim.fn.readfile, vim.lsp.get_log_path())
  return ok and vim.list_slice(lines, math.max(1, #lines - 40)) or {}
end

local ok, err = xpcall(main, debug.traceback)
if not ok then
  out.error = err
  out.lsp_log = log_tail()
end
vim.fn.writefile({ vim.fn.json_encode(out) }, env.LIFT_NVIM_OUT)
vim.cmd(ok and "qa!" or "cquit")
