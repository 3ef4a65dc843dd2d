-- The user commands. They find the server by its client name, so they also work
-- for a client named "lift_lsp" started by nvim-lspconfig or vim.lsp.config.
local M = {}

local function holes()
  return require("lift_lsp.holes")
end

function M.create()
  local create = vim.api.nvim_create_user_command
  create("LiftHoles", function(args)
    holes().list(args.fargs)
  end, { nargs = "*", complete = "file", desc = "lift-lsp: list the holes in the quickfix list" })
  create("LiftNextHole", function()
    holes().next()
  end, { desc = "lift-lsp: go to the next hole" })
  create("LiftPrevHole", function()
    holes().prev()
  end, { desc = "lift-lsp: go to the previous hole" })
end

return M
