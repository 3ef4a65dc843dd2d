-- Only the commands: the server starts with require("lift_lsp").setup().
if vim.g.loaded_lift_lsp then
  return
end
vim.g.loaded_lift_lsp = true

require("lift_lsp.commands").create()
