// "Roboconf: Show graph": the application's diagram (the server's `rbcc/graph` request, SVG) in a
// webview beside the editor; a view picker, refreshed on save, following the active application,
// nodes that open their declaration.
import * as vscode from "vscode";
import { Application, applicationOf, contains, isRoboconfDocument } from "./application";
import { RbccClient } from "./client";
import { findDeclaration, parseNodeId } from "./declarations";

export const VIEWS = ["components", "instances", "wiring"] as const;
export type View = (typeof VIEWS)[number];

interface GraphResult {
  view: string;
  format: string;
  dot?: string;
  svg?: string;
  error?: string;
}

type FromWebview = { type: "view"; view: View } | { type: "open"; node: string } | { type: "refresh" } | { type: "ready" };

export class GraphView implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private app: Application | undefined;
  private view: View;
  private readonly subscriptions: vscode.Disposable[] = [];
  private generation = 0;

  constructor(private readonly rbcc: RbccClient) {
    this.view = vscode.workspace.getConfiguration("rbcc").get<View>("graph.view", "components");
    this.subscriptions.push(
      vscode.workspace.onDidSaveTextDocument((doc) => {
        if (this.panel && this.app && isRoboconfDocument(doc) && contains(this.app.root, doc.uri)) {
          void this.refresh();
        }
      }),
      vscode.window.onDidChangeActiveTextEditor((editor) => {
        const app = editor && isRoboconfDocument(editor.document) ? applicationOf(editor.document.uri) : undefined;
        if (this.panel && app && app.root.fsPath !== this.app?.root.fsPath) {
          this.app = app;
          void this.refresh();
        }
      }),
      rbcc.onDidChangeClient((client) => client && this.panel && void this.refresh()),
    );
  }

  async show(): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    const app = (editor && applicationOf(editor.document.uri)) ?? this.app ?? firstApplication();
    if (!app) {
      void vscode.window.showInformationMessage("Roboconf: open a file of a Roboconf application to see its graph.");
      return;
    }
    this.app = app;
    if (this.panel) {
      this.panel.reveal(vscode.ViewColumn.Beside, true);
    } else {
      this.panel = vscode.window.createWebviewPanel(
        "rbcc.graph",
        `Graph: ${app.name}`,
        { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
        { enableScripts: true, retainContextWhenHidden: true, localResourceRoots: [] },
      );
      this.panel.onDidDispose(() => (this.panel = undefined), null, this.subscriptions);
      this.panel.webview.onDidReceiveMessage((msg: FromWebview) => this.receive(msg), null, this.subscriptions);
      this.panel.webview.html = page(this.panel.webview, this.view);
    }
    await this.refresh();
  }

  private async receive(msg: FromWebview): Promise<void> {
    switch (msg.type) {
      case "view":
        if ((VIEWS as readonly string[]).includes(msg.view)) {
          this.view = msg.view;
          await this.refresh();
        }
        return;
      case "refresh":
      case "ready":
        await this.refresh();
        return;
      case "open":
        await this.open(msg.node);
        return;
    }
  }

  private async open(nodeId: string): Promise<void> {
    const ref = parseNodeId(nodeId);
    if (!ref || !this.app) {
      return;
    }
    const where = await findDeclaration(this.app.root, ref);
    if (!where) {
      void vscode.window.showInformationMessage(`Roboconf: no declaration found for ${ref.kind} ${ref.name}.`);
      return;
    }
    await vscode.window.showTextDocument(where.uri, { selection: where.range, viewColumn: vscode.ViewColumn.One });
  }

  async refresh(): Promise<void> {
    const panel = this.panel;
    const app = this.app;
    if (!panel || !app) {
      return;
    }
    const generation = ++this.generation;
    panel.title = `Graph: ${app.name}`;
    const client = this.rbcc.current;
    let result: GraphResult;
    if (!client) {
      result = { view: this.view, format: "svg", error: "The rbcc language server is not running." };
    } else {
      try {
        const anyFile = vscode.Uri.joinPath(app.root, "descriptor", "application.properties").toString();
        result = await client.sendRequest<GraphResult>("rbcc/graph", { uri: anyFile, view: this.view, format: "svg" });
      } catch (err) {
        result = { view: this.view, format: "svg", error: String(err) };
      }
    }
    if (generation !== this.generation || this.panel !== panel) {
      return; // a newer refresh is on its way
    }
    await panel.webview.postMessage({
      type: "graph",
      app: app.name,
      view: this.view,
      svg: result.svg ? stripProlog(result.svg) : undefined,
      error: result.error,
    });
  }

  dispose(): void {
    this.panel?.dispose();
    this.subscriptions.forEach((s) => s.dispose());
  }
}

function firstApplication(): Application | undefined {
  for (const editor of vscode.window.visibleTextEditors) {
    const app = isRoboconfDocument(editor.document) ? applicationOf(editor.document.uri) : undefined;
    if (app) {
      return app;
    }
  }
  return undefined;
}

/** Graphviz's SVG without its XML declaration, DOCTYPE and comments (it goes into a <div>). */
export function stripProlog(svg: string): string {
  const start = svg.indexOf("<svg");
  return start >= 0 ? svg.slice(start) : svg;
}

function nonce(): string {
  const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  let out = "";
  for (let i = 0; i < 32; i++) {
    out += chars.charAt(Math.floor(Math.random() * chars.length));
  }
  return out;
}

function page(webview: vscode.Webview, view: View): string {
  const n = nonce();
  const options = VIEWS.map((v) => `<option value="${v}"${v === view ? " selected" : ""}>${v}</option>`).join("");
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src ${webview.cspSource} data:; style-src 'unsafe-inline'; script-src 'nonce-${n}';">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>Roboconf graph</title>
<style>
  body { padding: 0; margin: 0; font-family: var(--vscode-font-family); color: var(--vscode-foreground); }
  header { display: flex; gap: 8px; align-items: center; padding: 6px 10px; border-bottom: 1px solid var(--vscode-panel-border); }
  header h1 { font-size: 13px; margin: 0 auto 0 0; font-weight: 600; }
  select, button { background: var(--vscode-dropdown-background); color: var(--vscode-dropdown-foreground); border: 1px solid var(--vscode-dropdown-border); padding: 2px 6px; }
  #graph { padding: 10px; overflow: auto; }
  #graph svg { background: white; max-width: 100%; height: auto; }
  #graph g.node { cursor: pointer; }
  #graph g.node:hover polygon, #graph g.node:hover path, #graph g.node:hover ellipse { stroke-width: 2.5; }
  #error { color: var(--vscode-errorForeground); padding: 10px; white-space: pre-wrap; }
</style>
</head>
<body>
<header>
  <h1 id="title">Roboconf graph</h1>
  <label for="view">View</label>
  <select id="view" aria-label="View">${options}</select>
  <button id="refresh" title="Refresh">Refresh</button>
</header>
<div id="error" hidden></div>
<div id="graph" role="img" aria-label="Application diagram"></div>
<script nonce="${n}">
  const vscode = acquireVsCodeApi();
  const graph = document.getElementById("graph");
  const error = document.getElementById("error");
  document.getElementById("view").addEventListener("change", (e) => vscode.postMessage({ type: "view", view: e.target.value }));
  document.getElementById("refresh").addEventListener("click", () => vscode.postMessage({ type: "refresh" }));
  graph.addEventListener("click", (e) => {
    const node = e.target.closest && e.target.closest("g.node");
    const title = node && node.querySelector("title");
    if (title) { vscode.postMessage({ type: "open", node: title.textContent }); }
  });
  window.addEventListener("message", (event) => {
    const msg = event.data;
    if (msg.type !== "graph") { return; }
    document.getElementById("title").textContent = msg.app + " — " + msg.view;
    document.getElementById("view").value = msg.view;
    error.hidden = !msg.error;
    error.textContent = msg.error || "";
    graph.innerHTML = msg.svg || "";
  });
  vscode.postMessage({ type: "ready" });
</script>
</body>
</html>`;
}
