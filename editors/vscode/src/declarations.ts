// From a node of the graph view (its Graphviz title, the diagram's node id) to its declaration:
// `c/NAME` and `f/NAME` through the server's workspace symbols, `i/PATH` through the document
// symbols of the application's .instances files.
import * as vscode from "vscode";
import { contains } from "./application";

export interface NodeRef {
  kind: "component" | "facet" | "instance";
  /** The type name, or the instance path's segments. */
  name: string;
  segments: string[];
}

/** Parses a diagram node id (`c/Tomcat`, `f/deployable`, `i//vm 1/tomcat`); `%XX` escapes undone. */
export function parseNodeId(id: string): NodeRef | undefined {
  const m = /^([cfi])\/(.*)$/s.exec(id.trim());
  if (!m) {
    return undefined;
  }
  const name = m[2].replace(/%([0-9A-F]{2,})/g, (_all, hex: string) => String.fromCodePoint(parseInt(hex, 16)));
  const kind = m[1] === "c" ? "component" : m[1] === "f" ? "facet" : "instance";
  return { kind, name, segments: kind === "instance" ? name.split("/").filter((s) => s.length > 0) : [] };
}

/** Does a declared instance name stand for this path segment (`app` with `count: 3` → `app1`…)? */
export function namesSegment(declared: string, segment: string): boolean {
  if (declared === segment) {
    return true;
  }
  return segment.startsWith(declared) && /^\d+$/.test(segment.slice(declared.length));
}

function findInstance(symbols: vscode.DocumentSymbol[], segments: string[]): vscode.DocumentSymbol | undefined {
  const [first, ...rest] = segments;
  for (const s of symbols) {
    if (namesSegment(s.name, first)) {
      if (rest.length === 0) {
        return s;
      }
      const deeper = findInstance(s.children, rest);
      if (deeper) {
        return deeper;
      }
    }
  }
  return undefined;
}

export async function findDeclaration(root: vscode.Uri, ref: NodeRef): Promise<vscode.Location | undefined> {
  if (ref.kind !== "instance") {
    const found =
      (await vscode.commands.executeCommand<vscode.SymbolInformation[] | undefined>(
        "vscode.executeWorkspaceSymbolProvider",
        ref.name,
      )) ?? [];
    const wanted = ref.kind === "facet" ? vscode.SymbolKind.Interface : vscode.SymbolKind.Class;
    const exact = found.filter((s) => s.name === ref.name && contains(root, s.location.uri));
    return (exact.find((s) => s.kind === wanted) ?? exact[0])?.location;
  }
  const files = await vscode.workspace.findFiles(new vscode.RelativePattern(root, "instances/**/*.instances"));
  files.sort((a, b) => a.fsPath.localeCompare(b.fsPath));
  for (const file of files) {
    const symbols =
      (await vscode.commands.executeCommand<vscode.DocumentSymbol[] | undefined>(
        "vscode.executeDocumentSymbolProvider",
        file,
      )) ?? [];
    const hit = findInstance(symbols, ref.segments);
    if (hit) {
      return new vscode.Location(file, hit.selectionRange);
    }
  }
  return undefined;
}
