// Entry point: the language client, its commands, the graph view and the status bar item.
import * as vscode from "vscode";
import { RbccClient } from "./client";
import { GraphView } from "./graphView";
import { onPythonEnvironmentChange } from "./serverCommand";
import { ApplicationStatus } from "./statusBar";

let rbcc: RbccClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  rbcc = new RbccClient(context);
  const graph = new GraphView(rbcc);
  const status = new ApplicationStatus();
  context.subscriptions.push(
    rbcc,
    graph,
    status,
    vscode.commands.registerCommand("rbcc.restartServer", () => rbcc?.restart()),
    vscode.commands.registerCommand("rbcc.showOutput", () => rbcc?.output.show(true)),
    vscode.commands.registerCommand("rbcc.showGraph", () => graph.show()),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration("rbcc.server.command")) {
        void rbcc?.restart();
      }
    }),
  );
  const pythonChanges = await onPythonEnvironmentChange(() => {
    if (vscode.workspace.getConfiguration("rbcc").get<string[]>("server.command", []).length === 0) {
      void rbcc?.restart();
    }
  });
  if (pythonChanges) {
    context.subscriptions.push(pythonChanges);
  }
  await rbcc.start();
}

export async function deactivate(): Promise<void> {
  await rbcc?.stop();
}
