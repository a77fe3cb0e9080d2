// The Roboconf application a file belongs to: the folder holding descriptor/application.properties
// (as the server finds it), else the parent of the graph/, instances/, commands/ or rules.autonomic/
// folder the file is in.
import * as fs from "fs";
import * as path from "path";
import * as vscode from "vscode";

export const LANGUAGES = ["roboconf-graph", "roboconf-instances", "roboconf-commands", "roboconf-rules"] as const;
const MODEL_FOLDERS = new Set(["graph", "instances", "commands", "rules.autonomic", "descriptor"]);
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

export function findApplicationRoot(file: string): string | undefined {
  let dir = path.dirname(file);
  let guess: string | undefined;
  for (;;) {
    if (fs.existsSync(path.join(dir, DESCRIPTOR))) {
      return dir;
    }
    if (guess === undefined && MODEL_FOLDERS.has(path.basename(dir))) {
      guess = path.dirname(dir);
    }
    const parent = path.dirname(dir);
    if (parent === dir) {
      return guess;
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
