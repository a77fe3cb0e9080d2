// Which application a file belongs to, and graph-view node ids → declarations.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { test } from "node:test";
import { descriptorName, findApplicationRoot } from "../../src/application";
import { namesSegment, parseNodeId } from "../../src/declarations";
import { stripProlog } from "../../src/graphView";

test("the descriptor's folder is the application, even from a recipe folder", () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "rbcc-vscode-app-"));
  try {
    fs.mkdirSync(path.join(root, "descriptor"));
    fs.writeFileSync(path.join(root, "descriptor/application.properties"), "name = Shop\n");
    fs.mkdirSync(path.join(root, "graph/Tomcat/scripts"), { recursive: true });
    assert.equal(findApplicationRoot(path.join(root, "graph/main.graph")), root);
    assert.equal(findApplicationRoot(path.join(root, "graph/Tomcat/scripts/deploy.sh")), root);
    const bare = path.join(root, "nested/other");
    fs.mkdirSync(path.join(bare, "instances"), { recursive: true });
    // a folder with instances/ and no descriptor inside an application is an application of its own
    assert.equal(findApplicationRoot(path.join(bare, "instances/a.instances")), bare);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test("without a descriptor, the folder holding graph/ or instances/", () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "rbcc-vscode-app-"));
  try {
    fs.mkdirSync(path.join(root, "app/instances"), { recursive: true });
    fs.mkdirSync(path.join(root, "app/commands"), { recursive: true });
    assert.equal(findApplicationRoot(path.join(root, "app/instances/x.instances")), path.join(root, "app"));
    assert.equal(findApplicationRoot(path.join(root, "app/commands/scale.commands")), path.join(root, "app"));
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test("descriptor name: Java properties separators, comments skipped", () => {
  assert.equal(descriptorName("# name = no\nname=Shop\n"), "Shop");
  assert.equal(descriptorName("name: Web Stack\n"), "Web Stack");
  assert.equal(descriptorName("version = 1\n"), undefined);
});

test("node ids of the three views", () => {
  assert.deepEqual(parseNodeId("c/Tomcat"), { kind: "component", name: "Tomcat", segments: [] });
  assert.deepEqual(parseNodeId("f/deploy%3Aable"), { kind: "facet", name: "deploy:able", segments: [] });
  assert.deepEqual(parseNodeId("i//vm 1/tomcat"), {
    kind: "instance",
    name: "/vm 1/tomcat",
    segments: ["vm 1", "tomcat"],
  });
  assert.equal(parseNodeId("legend"), undefined);
  assert.equal(parseNodeId("x/other-app"), undefined);
});

test("count copies name their declaration", () => {
  assert.ok(namesSegment("app", "app"));
  assert.ok(namesSegment("app", "app2"));
  assert.ok(!namesSegment("app", "apple"));
});

test("the SVG goes into the page without its XML prolog", () => {
  assert.equal(stripProlog('<?xml version="1.0"?>\n<!DOCTYPE svg>\n<svg a="1"></svg>'), '<svg a="1"></svg>');
});
