// The few `vscode` APIs the unit-tested modules touch, for running them under node:test
// (esbuild aliases "vscode" to this file; the real API exists only inside VS Code).
import * as path from "path";

export interface FakeExtension {
  isActive: boolean;
  exports: unknown;
  activate(): Promise<unknown>;
}

export const fake: { extensions: Map<string, FakeExtension> } = { extensions: new Map() };

export const extensions = {
  getExtension: (id: string) => fake.extensions.get(id),
};

export class Uri {
  private constructor(
    readonly scheme: string,
    readonly fsPath: string,
  ) {}
  static file(p: string): Uri {
    return new Uri("file", path.resolve(p));
  }
  static parse(s: string): Uri {
    return s.startsWith("file://") ? Uri.file(decodeURIComponent(s.slice(7))) : new Uri(s.split(":")[0], s);
  }
  toString(): string {
    return `${this.scheme}://${this.fsPath}`;
  }
}
