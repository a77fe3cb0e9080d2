// The language client: starts the resolved `rbcc lsp` command, restarts it on demand.
import * as vscode from "vscode";
import { LanguageClient, LanguageClientOptions, ServerOptions, State } from "vscode-languageclient/node";
import { LANGUAGES } from "./application";
import { resolveServerCommand, ServerCommand } from "./serverCommand";

export const INSTALL_SECTION = "installing-the-language-server";

export class RbccClient implements vscode.Disposable {
  readonly output = vscode.window.createOutputChannel("Roboconf (rbcc)");
  readonly trace = vscode.window.createOutputChannel("Roboconf (rbcc) trace");
  private client: LanguageClient | undefined;
  private readonly changed = new vscode.EventEmitter<LanguageClient | undefined>();
  readonly onDidChangeClient = this.changed.event;

  constructor(private readonly context: vscode.ExtensionContext) {}

  get current(): LanguageClient | undefined {
    return this.client?.state === State.Running ? this.client : undefined;
  }

  async start(): Promise<void> {
    const config = vscode.workspace.getConfiguration("rbcc");
    const resource = vscode.window.activeTextEditor?.document.uri ?? vscode.workspace.workspaceFolders?.[0]?.uri;
    const cmd = await resolveServerCommand(config.get<string[]>("server.command", []), resource);
    if (!cmd) {
      this.output.appendLine("No rbcc language server: rbcc.server.command is empty, the Python extension selected no environment with rbcc, and rbcc is not on the PATH.");
      void this.notifyMissing();
      return;
    }
    this.output.appendLine(`Starting ${[cmd.command, ...cmd.args].join(" ")} (from ${describe(cmd)})`);
    // No `transport`: vscode-languageclient would append --stdio; {command, args} already is stdio.
    const serverOptions: ServerOptions = { command: cmd.command, args: cmd.args, options: { env: process.env } };
    const clientOptions: LanguageClientOptions = {
      documentSelector: LANGUAGES.map((language) => ({ scheme: "file", language })),
      outputChannel: this.output,
      traceOutputChannel: this.trace,
      initializationOptions: { debounceMs: config.get<number>("debounceMs", 200) },
      synchronize: {
        configurationSection: "rbcc",
        fileEvents: vscode.workspace.createFileSystemWatcher("**/*.{graph,instances,properties,commands,drl}"),
      },
    };
    const client = new LanguageClient("rbcc", "Roboconf (rbcc) language server", serverOptions, clientOptions);
    this.client = client;
    try {
      await client.start();
    } catch (err) {
      this.output.appendLine(`The language server did not start: ${String(err)}`);
      void vscode.window
        .showErrorMessage(`Roboconf: ${[cmd.command, ...cmd.args].join(" ")} did not start.`, "Show output")
        .then((choice) => choice && this.output.show());
    }
    this.changed.fire(this.current);
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.changed.fire(undefined);
    if (client && client.state !== State.Stopped) {
      await client.stop().catch(() => undefined);
    }
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  private async notifyMissing(): Promise<void> {
    const choice = await vscode.window.showWarningMessage(
      "Roboconf: the rbcc language server was not found. Install rbcc in the Python environment selected for this workspace, or set rbcc.server.command.",
      "How to install",
      "Open settings",
    );
    if (choice === "How to install") {
      const readme = vscode.Uri.joinPath(this.context.extensionUri, "README.md");
      await vscode.commands.executeCommand("markdown.showPreview", readme.with({ fragment: INSTALL_SECTION }));
    } else if (choice === "Open settings") {
      await vscode.commands.executeCommand("workbench.action.openSettings", "rbcc.server.command");
    }
  }

  dispose(): void {
    void this.stop();
    this.output.dispose();
    this.trace.dispose();
    this.changed.dispose();
  }
}

function describe(cmd: ServerCommand): string {
  switch (cmd.origin) {
    case "setting":
      return "the rbcc.server.command setting";
    case "python-extension":
      return "the Python environment selected in the Python extension";
    case "path":
      return "the PATH";
  }
}
