// Which command starts `rbcc lsp`: the `rbcc.server.command` setting, else the rbcc of the
// Python environment the Python extension selected, else `rbcc` on the PATH.
import * as fs from "fs";
import * as path from "path";
import { spawnSync } from "child_process";
import * as vscode from "vscode";

export interface ServerCommand {
  command: string;
  args: string[];
  /** Where it came from, for the output channel. */
  origin: "setting" | "python-extension" | "path";
}

const PYTHON_EXTENSION = "ms-python.python";

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The first `name` on `searchPath` that is an executable file. */
export function findOnPath(name: string, searchPath: string | undefined = process.env.PATH): string | undefined {
  const exts = process.platform === "win32" ? ["", ".exe", ".cmd", ".bat"] : [""];
  for (const dir of (searchPath ?? "").split(path.delimiter)) {
    if (!dir) {
      continue;
    }
    for (const ext of exts) {
      const candidate = path.join(dir, name + ext);
      if (isExecutable(candidate)) {
        return candidate;
      }
    }
  }
  return undefined;
}

/** The command for a Python interpreter: its environment's `rbcc` script, else `python -m rbcc.cli`. */
export function commandForPython(python: string): string[] | undefined {
  const bin = path.dirname(python);
  for (const script of ["rbcc", "rbcc.exe"]) {
    const candidate = path.join(bin, script);
    if (isExecutable(candidate)) {
      return [candidate, "lsp"];
    }
  }
  const probe = spawnSync(python, ["-c", "import rbcc.cli"], { timeout: 15000, stdio: "ignore" });
  return probe.status === 0 ? [python, "-m", "rbcc.cli", "lsp"] : undefined;
}

interface PythonEnvironmentsApi {
  getActiveEnvironmentPath(resource?: vscode.Uri): { path: string } | undefined;
  resolveEnvironment(env: { path: string } | string): Promise<{ executable: { uri?: vscode.Uri } } | undefined>;
  onDidChangeActiveEnvironmentPath?: vscode.Event<unknown>;
}

interface PythonExtensionApi {
  environments?: PythonEnvironmentsApi;
  settings?: { getExecutionDetails?(resource?: vscode.Uri): { execCommand: string[] | undefined } };
}

async function pythonApi(): Promise<PythonExtensionApi | undefined> {
  const ext = vscode.extensions.getExtension<PythonExtensionApi>(PYTHON_EXTENSION);
  if (!ext) {
    return undefined;
  }
  try {
    return ext.isActive ? ext.exports : await ext.activate();
  } catch {
    return undefined;
  }
}

/** The interpreter the Python extension selected for `resource`, if it is installed. */
export async function selectedPython(resource?: vscode.Uri): Promise<string | undefined> {
  const api = await pythonApi();
  if (!api) {
    return undefined;
  }
  try {
    const envs = api.environments;
    if (envs) {
      const active = envs.getActiveEnvironmentPath(resource);
      if (active) {
        const resolved = await envs.resolveEnvironment(active);
        const exe = resolved?.executable.uri?.fsPath;
        if (exe) {
          return exe;
        }
      }
    }
    return api.settings?.getExecutionDetails?.(resource).execCommand?.[0];
  } catch {
    return undefined;
  }
}

/** Subscribes to the Python extension's interpreter changes (no-op without it). */
export async function onPythonEnvironmentChange(listener: () => void): Promise<vscode.Disposable | undefined> {
  const api = await pythonApi();
  return api?.environments?.onDidChangeActiveEnvironmentPath?.(listener);
}

export async function resolveServerCommand(
  configured: readonly string[],
  resource?: vscode.Uri,
): Promise<ServerCommand | undefined> {
  const fromSetting = configured.filter((part) => part.length > 0);
  if (fromSetting.length > 0) {
    return { command: fromSetting[0], args: fromSetting.slice(1), origin: "setting" };
  }
  const python = await selectedPython(resource);
  if (python) {
    const cmd = commandForPython(python);
    if (cmd) {
      return { command: cmd[0], args: cmd.slice(1), origin: "python-extension" };
    }
  }
  const onPath = findOnPath("rbcc");
  if (onPath) {
    return { command: onPath, args: ["lsp"], origin: "path" };
  }
  return undefined;
}
