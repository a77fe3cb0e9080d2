// The Roboconf application a file belongs to, found as the server finds it: the nearest folder with
// descriptor/application.properties, or with graph/ or instances/ and no descriptor/.
import * as fs from "fs";
import * as path from "path";
import * as vscode from "vscode";

export const LANGUAGES = ["roboconf-graph", "roboconf-instances", "roboconf-commands", "roboconf-rules"] as const;
const DESCRIPTOR = path.join("descriptor", "application.properties");

export interface Application {
  root: vscode.Uri;
  /** `name` of the descriptor, else the folder's name. */
  name: string;
}

export function isRoboconfDocument(doc: vscode.TextDocument | undefined): boolean {
  return doc !== undefined && (LANGUAGES as readonly string[]).includes(doc.languageId);
}

/** `name = ...` of a Java properties text (ISO-8859-1 is read as latin1). */
export function descriptorName(text: string): string | undefined {
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    const m = /^name\s*[=:\s]\s*(.*)$/.exec(line);
    if (m && !line.startsWith("#") && !line.startsWith("!")) {
      return m[1].trim() || undefined;
    }
  }
  return undefined;
}

/** The nearest folder above `file` that the server takes for an application (lsp/workspace.py):
 * one with descriptor/application.properties, or one with graph/ or instances/ and no descriptor/. */
export function findApplicationRoot(file: string): string | undefined {
  const isDir = (p: string) => fs.existsSync(p) && fs.statSync(p).isDirectory();
  let dir = path.dirname(file);
  for (;;) {
    if (fs.existsSync(path.join(dir, DESCRIPTOR))) {
      return dir;
    }
    if (!isDir(path.join(dir, "descriptor")) && (isDir(path.join(dir, "graph")) || isDir(path.join(dir, "instances")))) {
      return dir;
    }
    const parent = path.dirname(dir);
    if (parent === dir) {
      return undefined;
    }
    dir = parent;
  }
}

export function applicationOf(uri: vscode.Uri): Application | undefined {
  if (uri.scheme !== "file") {
    return undefined;
  }
  const root = findApplicationRoot(uri.fsPath);
  if (root === undefined) {
    return undefined;
  }
  let name = path.basename(root);
  try {
    name = descriptorName(fs.readFileSync(path.join(root, DESCRIPTOR), "latin1")) ?? name;
  } catch {
    // no descriptor: the folder's name
  }
  return { root: vscode.Uri.file(root), name };
}

export function contains(root: vscode.Uri, uri: vscode.Uri): boolean {
  const rel = path.relative(root.fsPath, uri.fsPath);
  return rel !== "" && !rel.startsWith("..") && !path.isAbsolute(rel);
}
