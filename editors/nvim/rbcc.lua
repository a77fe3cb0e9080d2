-- rbcc language server for Neovim 0.7+ (no plug-in needed).
-- Put this file on your runtimepath (e.g. ~/.config/nvim/lua/rbcc.lua) and call
--   require("rbcc").setup({ cmd = { "rbcc", "lsp" } })
-- from init.lua.  Files *.graph / *.instances get the filetypes roboconf-graph / roboconf-instances
-- (the languageId sent to the server), and the server is started once per application root.
local M = {}

local function root_of(fname)
  local dir = vim.fn.fnamemodify(fname, ":p:h")
  while dir ~= "/" do
    if vim.fn.filereadable(dir .. "/descriptor/application.properties") == 1
      or vim.fn.isdirectory(dir .. "/graph") == 1 or vim.fn.isdirectory(dir .. "/instances") == 1 then
      return dir
    end
    dir = vim.fn.fnamemodify(dir, ":h")
  end
  return vim.fn.fnamemodify(fname, ":p:h")
end

function M.setup(opts)
  opts = opts or {}
  local cmd = opts.cmd or { "rbcc", "lsp" }
  local clients = {}
  vim.cmd([[
    augroup rbcc_filetypes
      autocmd!
      autocmd BufRead,BufNewFile *.graph setlocal filetype=roboconf-graph commentstring=#\ %s noexpandtab
      autocmd BufRead,BufNewFile *.instances setlocal filetype=roboconf-instances commentstring=#\ %s noexpandtab
    augroup END
  ]])
  _G.rbcc_attach = function()
    local root = root_of(vim.api.nvim_buf_get_name(0))
    local id = clients[root]
    if id == nil or vim.lsp.get_client_by_id(id) == nil then
      id = vim.lsp.start_client({ name = "rbcc", cmd = cmd, root_dir = root,
        init_options = opts.init_options or { debounceMs = 200 } })
      clients[root] = id
    end
    if id then vim.lsp.buf_attach_client(0, id) end
  end
  vim.cmd([[
    augroup rbcc_lsp
      autocmd!
      autocmd FileType roboconf-graph,roboconf-instances lua rbcc_attach()
    augroup END
  ]])
end

return M
