-- setup() with a server command that does not exist, then :LiftHoles: both must tell
-- the user how to install lift-lsp. Environment as drive.lua (no LIFT_NVIM_OTHER).
local env = vim.env
local out = { notifications = {} }

vim.notify = function(msg, level)
  table.insert(out.notifications, { message = msg, level = level or vim.log.levels.INFO })
end

local ok, err = pcall(function()
  require("lift_lsp").setup({ cmd = vim.fn.json_decode(env.LIFT_NVIM_CMD) })
  vim.cmd("edit " .. vim.fn.fnameescape(env.LIFT_NVIM_FILE))
  vim.cmd("LiftHoles")
  vim.cmd("LiftNextHole")
end)
out.error = not ok and err or nil
out.clients = #(vim.lsp.get_clients or vim.lsp.get_active_clients)()
vim.fn.writefile({ vim.fn.json_encode(out) }, env.LIFT_NVIM_OUT)
vim.cmd(ok and "qa!" or "cquit")
