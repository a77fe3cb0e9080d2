// Server resolution: setting, then the Python extension's environment, then PATH.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterEach, beforeEach, test } from "node:test";
import * as vscode from "vscode";
import { commandForPython, findOnPath, resolveServerCommand } from "../../src/serverCommand";
import { fake } from "./vscode-stub";

let dir = "";
let savedPath: string | undefined;

function executable(file: string, body = "#!/bin/sh\nexit 0\n"): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, body, { mode: 0o755 });
  return file;
}

function pythonExtension(python: string | undefined): void {
  const api = {
    environments: {
      getActiveEnvironmentPath: () => (python ? { path: python } : undefined),
      resolveEnvironment: async (env: { path: string }) => ({ executable: { uri: vscode.Uri.file(env.path) } }),
    },
  };
  fake.extensions.set("ms-python.python", { isActive: false, exports: undefined, activate: async () => api });
}

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "rbcc-vscode-unit-"));
  savedPath = process.env.PATH;
  fake.extensions.clear();
});

afterEach(() => {
  process.env.PATH = savedPath;
  fs.rmSync(dir, { recursive: true, force: true });
});

test("the setting wins, as a command line list", async () => {
  pythonExtension(executable(path.join(dir, "venv/bin/python")));
  executable(path.join(dir, "venv/bin/rbcc"));
  const cmd = await resolveServerCommand(["/opt/rbcc/bin/rbcc", "lsp", "-v"]);
  assert.deepEqual(cmd, { command: "/opt/rbcc/bin/rbcc", args: ["lsp", "-v"], origin: "setting" });
});

test("the Python extension's environment: its rbcc script", async () => {
  const python = executable(path.join(dir, "venv/bin/python"));
  const rbcc = executable(path.join(dir, "venv/bin/rbcc"));
  executable(path.join(dir, "elsewhere/rbcc")); // on the PATH too: the environment comes first
  process.env.PATH = path.join(dir, "elsewhere");
  pythonExtension(python);
  assert.deepEqual(await resolveServerCommand([]), { command: rbcc, args: ["lsp"], origin: "python-extension" });
});

test("the Python extension's environment without the script: python -m rbcc.cli", async () => {
  // a python that can import rbcc.cli (exit 0) but has no rbcc script beside it
  const python = executable(path.join(dir, "venv/bin/python"));
  pythonExtension(python);
  process.env.PATH = path.join(dir, "empty");
  assert.deepEqual(await resolveServerCommand([]), {
    command: python,
    args: ["-m", "rbcc.cli", "lsp"],
    origin: "python-extension",
  });
});

test("an environment without rbcc falls through to the PATH", async () => {
  pythonExtension(executable(path.join(dir, "venv/bin/python"), "#!/bin/sh\nexit 1\n"));
  const onPath = executable(path.join(dir, "tools/rbcc"));
  process.env.PATH = [path.join(dir, "missing"), path.join(dir, "tools")].join(path.delimiter);
  assert.deepEqual(await resolveServerCommand([]), { command: onPath, args: ["lsp"], origin: "path" });
});

test("nothing anywhere: undefined (the extension then shows the install notification)", async () => {
  process.env.PATH = path.join(dir, "empty");
  assert.equal(await resolveServerCommand(["", ""]), undefined);
});

test("findOnPath skips non-executable files and directories", () => {
  fs.mkdirSync(path.join(dir, "a/rbcc"), { recursive: true });
  fs.mkdirSync(path.join(dir, "b"), { recursive: true });
  fs.writeFileSync(path.join(dir, "b/rbcc"), "not executable", { mode: 0o644 });
  const good = executable(path.join(dir, "c/rbcc"));
  const search = ["a", "b", "c"].map((d) => path.join(dir, d)).join(path.delimiter);
  assert.equal(findOnPath("rbcc", search), good);
  assert.equal(commandForPython(executable(path.join(dir, "nope/python"), "#!/bin/sh\nexit 3\n")), undefined);
});
