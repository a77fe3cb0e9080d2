-- Headless Neovim 0.7 probe of the rbcc language server (editor.md §3a); writes JSON to $PROBE_OUT.
-- PROBE_SERVER="python -m rbcc.lsp.server" PROBE_FILE=app/graph/main.graph PROBE_OUT=out.json \
--   PROBE_COMPLETION=5,1 PROBE_HOVER=3,1 PROBE_DEFINITION=6,13 PROBE_DEF_LINE=17 \
--   nvim --headless -u NONE -i NONE -n -c "luafile editors/nvim/probe.lua"
-- Positions are 0-based "line,character"; PROBE_DEF_LINE is the 1-based line the jump must reach.
local out = {}
local function log(k, v) out[#out + 1] = { k, v } end
local function pos(name)
  local l, c = os.getenv(name):match("(%d+),(%d+)")
  return tonumber(l), tonumber(c)
end
local ok, err = pcall(function()
  vim.cmd("edit " .. vim.fn.fnameescape(vim.fn.fnamemodify(os.getenv("PROBE_FILE"), ":p")))
  vim.bo.filetype = "roboconf-graph"
  local id = assert(vim.lsp.start_client({ name = "rbcc",
    cmd = vim.split(os.getenv("PROBE_SERVER"), " ", { trimempty = true }),
    root_dir = os.getenv("PROBE_ROOT") or vim.fn.expand("%:p:h"),
    init_options = { debounceMs = 50 } }))
  vim.lsp.buf_attach_client(0, id)
  local function diags()
    local r = {}
    for _, d in ipairs(vim.diagnostic.get(0)) do
      r[#r + 1] = { lnum = d.lnum, col = d.col, severity = d.severity, message = d.message,
                    code = d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code) }
    end
    return r
  end
  local function req(method, line, character)
    local res = vim.lsp.buf_request_sync(0, method, { textDocument = vim.lsp.util.make_text_document_params(0),
      position = { line = line, character = character } }, 5000)
    if not res then return "TIMEOUT" end
    for _, r in pairs(res) do return r.result or r.err end
  end
  log("diagnostics_on_open", vim.wait(10000, function() return #vim.diagnostic.get(0) > 0 end, 50) and diags() or "TIMEOUT")
  local items = req("textDocument/completion", pos("PROBE_COMPLETION"))
  local labels = {}
  if type(items) == "table" then
    for _, it in ipairs(items.items or items) do labels[#labels + 1] = it.label end
  end
  log("completion", labels)
  log("hover", req("textDocument/hover", pos("PROBE_HOVER")))
  local dl, dc = pos("PROBE_DEFINITION")
  log("definition", req("textDocument/definition", dl, dc))
  vim.api.nvim_win_set_cursor(0, { dl + 1, dc })
  vim.lsp.buf.definition()
  local want = tonumber(os.getenv("PROBE_DEF_LINE"))
  vim.wait(5000, function() return vim.api.nvim_win_get_cursor(0)[1] == want end, 50)
  log("cursor_after_definition", vim.api.nvim_win_get_cursor(0))
  local before = #vim.diagnostic.get(0)
  vim.api.nvim_win_set_cursor(0, { 1, 0 })
  vim.api.nvim_buf_set_lines(0, 1, 1, false, { "\tbogus here" })
  log("diagnostics_after_edit", vim.wait(10000, function() return #vim.diagnostic.get(0) ~= before end, 50) and diags() or "TIMEOUT")
  vim.lsp.stop_client(id)
end)
if not ok then log("error", tostring(err)) end
local f = assert(io.open(os.getenv("PROBE_OUT"), "w")); f:write(vim.fn.json_encode(out)); f:close()
vim.cmd(ok and "qa!" or "cq!")
