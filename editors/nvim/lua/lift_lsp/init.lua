-- lift-lsp for Neovim: starts the server for Python buffers and adds
-- :LiftHoles, :LiftNextHole and :LiftPrevHole. See :help lift_lsp.
local client = require("lift_lsp.client")
local config = require("lift_lsp.config")
local holes = require("lift_lsp.holes")
local status = require("lift_lsp.status")

local M = {}

M.holes = holes.list
M.next_hole = holes.next
M.prev_hole = holes.prev

-- "lift: <route>" for the server of `bufnr` (default: current), "" before it reports.
function M.status(bufnr)
  local c = client.get(bufnr or vim.api.nvim_get_current_buf(), false)
  return c and status.text(c.id) or ""
end

local function filetype_matches(bufnr)
  return vim.tbl_contains(config.options.filetypes, vim.bo[bufnr].filetype)
end

function M.setup(opts)
  config.set(opts)
  config.configured = true
  -- Also here: plugin/ is not sourced when the runtimepath grows after startup.
  require("lift_lsp.commands").create()
  local group = vim.api.nvim_create_augroup("lift_lsp", { clear = true })
  vim.api.nvim_create_autocmd("FileType", {
    group = group,
    pattern = config.options.filetypes,
    callback = function(args)
      client.attach(args.buf)
    end,
  })
  -- Buffers opened before setup() ran (a lazy-loaded plugin) attach now.
  for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(bufnr) and filetype_matches(bufnr) then
      client.attach(bufnr)
    end
  end
end

return M
