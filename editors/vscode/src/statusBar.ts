// The status bar item: the application the active file belongs to and its problem count.
import * as vscode from "vscode";
import { Application, applicationOf, contains, isRoboconfDocument } from "./application";

export class ApplicationStatus implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem("rbcc.application", vscode.StatusBarAlignment.Left, 10);
  private readonly subscriptions: vscode.Disposable[] = [];
  private current: Application | undefined;

  constructor() {
    this.item.name = "Roboconf application";
    this.item.command = "workbench.actions.view.problems";
    this.subscriptions.push(
      vscode.window.onDidChangeActiveTextEditor(() => this.update()),
      vscode.languages.onDidChangeDiagnostics(() => this.update()),
    );
    this.update();
  }

  get application(): Application | undefined {
    return this.current;
  }

  update(): void {
    const doc = vscode.window.activeTextEditor?.document;
    const app = doc && isRoboconfDocument(doc) ? applicationOf(doc.uri) : undefined;
    this.current = app;
    if (!app) {
      this.item.hide();
      return;
    }
    let errors = 0;
    let warnings = 0;
    for (const [uri, diagnostics] of vscode.languages.getDiagnostics()) {
      if (!contains(app.root, uri)) {
        continue;
      }
      for (const d of diagnostics) {
        if (d.source !== "rbcc") {
          continue; // another extension's finding on the same file
        }
        if (d.severity === vscode.DiagnosticSeverity.Error) {
          errors++;
        } else if (d.severity === vscode.DiagnosticSeverity.Warning) {
          warnings++;
        }
      }
    }
    const problems = errors + warnings;
    this.item.text = `$(type-hierarchy) ${app.name} ${problems === 0 ? "$(check)" : `$(error) ${errors} $(warning) ${warnings}`}`;
    this.item.tooltip = `Roboconf application ${app.name} (${app.root.fsPath}): ${errors} error(s), ${warnings} warning(s)`;
    this.item.accessibilityInformation = {
      label: `Roboconf application ${app.name}, ${problems === 0 ? "no problems" : `${errors} errors, ${warnings} warnings`}`,
    };
    this.item.show();
  }

  dispose(): void {
    this.item.dispose();
    this.subscriptions.forEach((s) => s.dispose());
  }
}
