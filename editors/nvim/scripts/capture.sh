#!/usr/bin/env bash
# Prints the Neovim screen shown in docs/editors.md: the plugin on a sample file in
# tmux, hole diagnostics as virtual text and the hover of the last hole.
#
#   editors/nvim/scripts/capture.sh [server command...]    (default: lift-lsp)
#
# Needs nvim and tmux. Uses its own tmux server, so running sessions are untouched.
set -euo pipefail

plugin=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
socket="lift-capture-$$"
cleanup() {
    tmux -L "$socket" kill-server 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

if [ "$#" -eq 0 ]; then
    set -- lift-lsp
fi
case "$1" in  # nvim runs in the sample project: make a relative path absolute
    */*) set -- "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")" "${@:2}" ;;
esac

mkdir -p "$work/shapes"
touch "$work/shapes/pyproject.toml"
cat >"$work/shapes/circle.py" <<'EOF'
from lift_holes import hole


class Circle:
    def __init__(self, radius: float) -> None:
        self.radius = radius

    def area(self) -> float:
        return ...

    def circumference(self) -> float:
        return hole("circumference")

    def contains(self, x: float, y: float) -> bool:
        """Whether (x, y) lies inside the circle."""
        ...
EOF

# One argument a line: the server command, read back by init.lua.
printf '%s\n' "$@" >"$work/cmd"

cat >"$work/init.lua" <<'EOF'
local work = vim.env.LIFT_CAPTURE
vim.opt.runtimepath:prepend(vim.env.LIFT_PLUGIN)
vim.o.number = true
vim.o.signcolumn = "no"
vim.diagnostic.config({ virtual_text = true, underline = true })
-- A border sets the hover apart from the code in a text capture.
if vim.fn.has("nvim-0.11") == 1 then
  vim.o.winborder = "single"
else
  local hover = vim.lsp.handlers["textDocument/hover"]
  vim.lsp.handlers["textDocument/hover"] = vim.lsp.with(hover, { border = "single" })
end

local cmd = vim.tbl_filter(function(arg)
  return arg ~= ""
end, vim.fn.readfile(work .. "/cmd"))
require("lift_lsp").setup({ cmd = cmd })

local function has_float()
  for _, win in ipairs(vim.api.nvim_list_wins()) do
    if vim.api.nvim_win_get_config(win).relative ~= "" then
      return true
    end
  end
  return false
end

-- Poll rather than block: the screen must keep redrawing for the capture.
local function when(cond, fn)
  local timer = (vim.uv or vim.loop).new_timer()
  timer:start(100, 100, vim.schedule_wrap(function()
    if cond() then
      timer:stop()
      timer:close()
      fn()
    end
  end))
end

when(function()
  return #vim.diagnostic.get(0) > 0
end, function()
  -- The last hole: its hover opens below and leaves every diagnostic in sight.
  local holes = vim.diagnostic.get(0)
  table.sort(holes, function(a, b)
    return a.lnum < b.lnum
  end)
  local last = holes[#holes]
  vim.api.nvim_win_set_cursor(0, { last.lnum + 1, last.col })
  vim.lsp.buf.hover()
  when(has_float, function()
    vim.fn.writefile({}, work .. "/ready")
  end)
end)
EOF

tmux -L "$socket" new-session -d -s capture -x 92 -y 34 -c "$work/shapes" \
    -e "LIFT_CAPTURE=$work" -e "LIFT_PLUGIN=$plugin" \
    nvim --clean -u "$work/init.lua" circle.py

for _ in $(seq 300); do
    [ -e "$work/ready" ] && break
    sleep 0.1
done
if [ ! -e "$work/ready" ]; then
    echo "capture.sh: no hover after 30 s; the screen was:" >&2
    tmux -L "$socket" capture-pane -p -t capture >&2
    exit 1
fi
sleep 0.5  # the last redraw
tmux -L "$socket" capture-pane -p -t capture | sed -e 's/[[:space:]]*$//'
