// Checks the built .vsix: exactly the files of scripts/vsix-files.txt (no sources, no node_modules),
// and every path package.json contributes is inside it.  Usage: node check-package.js VSIX
"use strict";
const fs = require("fs");
const path = require("path");
const zlib = require("zlib");

/** File names and contents of a zip (the central directory, then each local entry). */
function readZip(file) {
  const buf = fs.readFileSync(file);
  const eocd = buf.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0) throw new Error(`${file} is not a zip`);
  const count = buf.readUInt16LE(eocd + 10);
  let at = buf.readUInt32LE(eocd + 16);
  const entries = new Map();
  for (let i = 0; i < count; i++) {
    const method = buf.readUInt16LE(at + 10);
    const size = buf.readUInt32LE(at + 20);
    const nameLen = buf.readUInt16LE(at + 28);
    const extraLen = buf.readUInt16LE(at + 30);
    const commentLen = buf.readUInt16LE(at + 32);
    const local = buf.readUInt32LE(at + 42);
    const name = buf.toString("utf8", at + 46, at + 46 + nameLen);
    const dataAt = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const raw = buf.subarray(dataAt, dataAt + size);
    entries.set(name, () => (method === 8 ? zlib.inflateRawSync(raw) : raw));
    at += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

const vsix = process.argv[2];
const entries = readZip(vsix);
// vsce stores README.md/CHANGELOG.md as readme.md/changelog.md: compare case-insensitively.
const norm = (p) => p.toLowerCase();
const expected = fs.readFileSync(path.join(__dirname, "vsix-files.txt"), "utf8").split("\n").filter(Boolean);
const actual = [...entries.keys()];
const problems = [];
const missing = expected.filter((e) => !actual.some((a) => norm(a) === norm(e)));
const extra = actual.filter((a) => !expected.some((e) => norm(a) === norm(e)));
if (missing.length) problems.push(`missing from the package: ${missing.join(", ")}`);
if (extra.length) problems.push(`unexpected in the package: ${extra.join(", ")}`);

const pkg = JSON.parse(entries.get("extension/package.json")().toString("utf8"));
const inside = (p) => actual.some((a) => norm(a) === norm(path.posix.join("extension", p)));
const referenced = [pkg.main.endsWith(".js") ? pkg.main : `${pkg.main}.js`, pkg.icon];
for (const l of pkg.contributes.languages) {
  referenced.push(l.configuration, l.icon.light, l.icon.dark);
}
for (const g of pkg.contributes.grammars) referenced.push(g.path);
for (const s of pkg.contributes.snippets) referenced.push(s.path);
for (const ref of referenced) {
  if (!inside(ref)) problems.push(`package.json points at ${ref}, which is not in the package`);
}
const languages = pkg.contributes.languages.map((l) => l.id);
for (const g of pkg.contributes.grammars) {
  const grammar = JSON.parse(entries.get(actual.find((a) => norm(a) === norm(path.posix.join("extension", g.path))))());
  if (grammar.scopeName !== g.scopeName) problems.push(`${g.path}: scopeName ${grammar.scopeName}, package.json says ${g.scopeName}`);
  if (!languages.includes(g.language)) problems.push(`${g.path}: unknown language ${g.language}`);
}
const typesVersion = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "package.json"), "utf8")).devDependencies["@types/vscode"];
if (pkg.engines.vscode.replace(/^[\^~]/, "") !== typesVersion) {
  problems.push(`engines.vscode ${pkg.engines.vscode} does not match @types/vscode ${typesVersion}`);
}
if (problems.length) {
  for (const p of problems) console.error(`check-package: ${p}`);
  process.exit(1);
}
console.log(`check-package: ${actual.length} files, as expected; ${referenced.length} contributed paths present`);
