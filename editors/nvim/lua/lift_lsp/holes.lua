-- :LiftHoles (lift.listHoles into the quickfix list) and hole navigation.
local client = require("lift_lsp.client")

local M = {}

local levels = vim.log.levels

local function line_of(fname, row)
  local bufnr = vim.fn.bufnr(fname)
  if bufnr > 0 and vim.api.nvim_buf_is_loaded(bufnr) then
    return vim.api.nvim_buf_get_lines(bufnr, row - 1, row, false)[1]
  end
  local ok, lines = pcall(vim.fn.readfile, fname, "", row)
  return ok and lines[row] or nil
end

-- The server counts columns in code points; the quickfix list wants bytes.
local function byte_col(line, column)
  local index = line and vim.fn.byteidxcomp(line, column - 1) or -1
  return index >= 0 and index + 1 or column
end

-- One quickfix item from an entry of lift.listHoles.
function M.qf_item(hole)
  local fname = vim.uri_to_fname(hole.uri)
  local start, stop = hole.location, hole.end_location
  local first = line_of(fname, start.row)
  local last = stop.row == start.row and first or line_of(fname, stop.row)
  return {
    filename = fname,
    lnum = start.row,
    col = byte_col(first, start.column),
    end_lnum = stop.row,
    end_col = byte_col(last, stop.column),
    text = string.format("%s: %s: %s", hole.kind, hole.name, hole.message),
    type = "I",
  }
end

local function show(result)
  for _, err in ipairs(result.errors or {}) do
    client.notify(string.format("%s: %s", err.path, err.message), levels.WARN)
  end
  local items = vim.tbl_map(M.qf_item, result.holes or {})
  vim.fn.setqflist({}, " ", { title = "Lift holes", items = items })
  if result.cancelled then
    client.notify("listing holes was cancelled; the list is partial", levels.WARN)
  end
  if #items == 0 then
    client.notify("no holes")
    return
  end
  vim.cmd("botright copen")
end

local function with_client(any, fn)
  local bufnr = vim.api.nvim_get_current_buf()
  local c = client.get(bufnr, any)
  if not c then
    client.notify(client.why_not_running(), levels.ERROR)
    return
  end
  fn(c, bufnr)
end

-- Every hole of the workspace, or of `paths` (files or folders).
function M.list(paths)
  with_client(true, function(c, bufnr)
    local uris = vim.tbl_map(function(p)
      return vim.uri_from_fname(vim.fn.fnamemodify(p, ":p"))
    end, paths or {})
    client.execute(c, "lift.listHoles", uris, bufnr, show)
  end)
end

local function go(location, encoding)
  local util = vim.lsp.util
  if util.show_document then
    util.show_document(location, encoding, { focus = true })
  else
    util.jump_to_location(location, encoding)
  end
end

-- lift.nextHole / lift.previousHole take [uri, position] and answer a Location.
local function step(command)
  with_client(false, function(c, bufnr)
    local params = vim.lsp.util.make_position_params(0, c.offset_encoding)
    local args = { params.textDocument.uri, params.position }
    client.execute(c, command, args, bufnr, function(location)
      if location == nil or location == vim.NIL then
        client.notify("no holes in this buffer")
        return
      end
      go(location, c.offset_encoding)
    end)
  end)
end

function M.next()
  step("lift.nextHole")
end

function M.prev()
  step("lift.previousHole")
end

return M
