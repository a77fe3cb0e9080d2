// Drives code-server (a real VS Code 1.100 workbench) in Debian's headless Chromium with
// playwright-core, and checks the extension end to end. One line per check on stdout:
// "ok   NAME  detail" or "FAIL NAME  detail"; exit 0 only when every check passed.
// Usage: node live-driver.js URL WORKSPACE SCREENSHOT_DIR
"use strict";
const fs = require("fs");
const path = require("path");
const { chromium } = require("playwright-core");

const [url, workspace, shots] = process.argv.slice(2);
const CHROMIUM = process.env.RBCC_CHROMIUM || "/usr/bin/chromium";
const results = [];

function report(name, ok, detail) {
  results.push({ name, ok, detail });
  console.log(`${ok ? "ok  " : "FAIL"} ${name.padEnd(22)} ${detail}`);
}

async function check(name, fn) {
  const started = Date.now();
  try {
    const detail = await fn();
    report(name, true, `${detail} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  } catch (err) {
    await failureShot(name);
    report(name, false, String(err && err.message ? err.message : err).split("\n")[0]);
  }
}

let failureShot = async () => {};

function expect(condition, message) {
  if (!condition) {
    throw new Error(message);
  }
}

(async () => {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"],
  });
  const page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
  page.setDefaultTimeout(20000);
  const key = (k) => page.keyboard.press(k);
  const type = (s) => page.keyboard.type(s);
  const pause = (ms) => page.waitForTimeout(ms);
  const texts = (sel) => page.$$eval(sel, (els) => els.map((e) => (e.getAttribute("aria-label") || e.textContent || "").trim()));
  const shot = (name) => page.screenshot({ path: path.join(shots, `${name}.png`) });
  failureShot = (name) => shot(`failed-${name.replace(/\W+/g, "-")}`).catch(() => {});
  const text = async (sel) => ((await page.locator(sel).first().textContent()) || "").trim();
  const gotoLine = async (pos) => {
    await key("Control+G");
    await page.waitForSelector(".quick-input-widget input");
    await type(pos);
    await key("Enter");
    await pause(200);
  };
  const isActive = (file) => page.waitForFunction((f) => {
    const tab = document.querySelector(".tabs-container .tab.active");
    return tab && (tab.getAttribute("aria-label") || "").includes(f);
  }, path.basename(file), { timeout: 5000 }).then(() => true, () => false);
  const open = async (file) => {
    for (let attempt = 0; attempt < 3; attempt++) {
      await key("Control+P");
      await page.waitForSelector(".quick-input-widget input");
      await page.keyboard.insertText(file);
      // Enter before the file search has answered opens nothing: wait for the row.
      await page.locator(".quick-input-list .monaco-list-row", { hasText: path.basename(file) }).first()
        .waitFor({ timeout: 10000 }).catch(() => {});
      await pause(300);
      await key("Enter");
      if (await isActive(file)) {
        await pause(300);
        return;
      }
      await key("Escape");
    }
    throw new Error(`could not open ${file}`);
  };
  const activeTab = async () => (await page.locator(".tabs-container .tab.active").first().getAttribute("aria-label")) || "";
  const problems = () => texts(".markers-panel .monaco-tl-contents");
  const command = async (title) => {
    await key("F1");
    await page.waitForSelector(".quick-input-widget input");
    await type(title);
    await pause(500);
    await key("Enter");
  };

  await page.goto(`${url}/?folder=${encodeURIComponent(workspace)}`);
  await page.waitForSelector(".monaco-workbench", { timeout: 90000 });
  await pause(2000);
  await page.locator(".monaco-workbench").click({ position: { x: 700, y: 400 } }).catch(() => {});

  await check("language", async () => {
    await open("main.graph");
    await page.waitForFunction(() => {
      const e = document.querySelector('[id="status.editor.mode"]');
      return e && /Roboconf Graph/.test(e.textContent || "");
    });
    return `status bar says ${await text('[id="status.editor.mode"]')}`;
  });

  await check("diagnostics", async () => {
    await page.waitForSelector(".monaco-editor .squiggly-error", { timeout: 60000 });
    await key("Control+Shift+M");
    await page.waitForSelector(".markers-panel .monaco-tl-contents");
    await pause(500);
    const found = await problems();
    const hit = found.find((p) => p.includes("CO_INEXISTING_CHILD") && p.includes("Nope"));
    expect(hit, `Problems panel: ${JSON.stringify(found)}`);
    await shot("problems");
    return hit.replace(/\s+/g, " ");
  });

  await check("status bar item", async () => {
    const handle = page.locator('.statusbar-item[id$="rbcc.application"]');
    await handle.waitFor();
    await page.waitForFunction(() => {
      const e = document.querySelector('.statusbar-item[id$="rbcc.application"]');
      return e && /1 errors/.test(e.getAttribute("aria-label") || "");
    });
    const label = (await handle.getAttribute("aria-label")) || "";
    expect(label.includes("Live Check"), `label: ${label}`);
    return label;
  });

  await check("completion", async () => {
    await page.click(".monaco-editor .view-lines");
    await gotoLine("14");
    await key("End");
    await type("ex");
    await page.waitForSelector(".suggest-widget.visible .monaco-list-row");
    await pause(300);
    const labels = await texts(".suggest-widget.visible .monaco-list-row");
    await shot("completion");
    await key("Escape");
    await key("Control+Z");
    expect(labels.some((l) => l.startsWith("exports")) && labels.some((l) => l.startsWith("extends")),
      `suggestions: ${JSON.stringify(labels)}`);
    return `suggestions ${labels.map((l) => l.split(",")[0]).join(" | ")}`;
  });

  await check("hover", async () => {
    await gotoLine("10:3");
    await key("Control+K");
    await key("Control+I");
    await page.waitForSelector(".monaco-hover-content:visible");
    await pause(300);
    const shown = (await texts(".monaco-hover-content")).filter(Boolean).join(" ");
    await shot("hover");
    await key("Escape");
    expect(shown.includes("The web server"), `hover: ${JSON.stringify(shown)}`);
    return `hover: ${shown.slice(0, 80)}`;
  });

  await check("go to definition", async () => {
    await gotoLine("6:21");
    await key("F12");
    await page.waitForFunction(() => {
      const tab = document.querySelector(".tabs-container .tab.active");
      return tab && (tab.getAttribute("aria-label") || "").includes("db.graph");
    });
    await pause(300);
    const where = await text('[id="status.editor.selection"]');
    expect(/Ln 2, Col 1\b/.test(where), `cursor at ${where}`);
    return `${await activeTab()}, ${where}`;
  });

  let graphFrame;
  await check("show graph", async () => {
    await open("main.graph");
    await command("Roboconf: Show graph");
    graphFrame = page.frameLocator("iframe.webview.ready").frameLocator("#active-frame");
    await graphFrame.locator("#graph svg g.node").first().waitFor({ timeout: 30000 });
    const titles = await graphFrame.locator("#graph svg g.node > title").allTextContents();
    expect(titles.includes("c/VM") && titles.includes("c/MySQL"), `nodes: ${JSON.stringify(titles)}`);
    await pause(500);
    await shot("graph"); // the README's screenshot: squiggle, Problems panel, graph view
    return `SVG with ${titles.length} nodes: ${titles.join(", ")}`;
  });

  await check("graph view picker", async () => {
    expect(graphFrame, "no graph view");
    await graphFrame.locator("#view").selectOption("instances");
    await graphFrame.locator("#graph svg g.node > title", { hasText: /^i\/\/vm$/ }).first().waitFor({ state: "attached" });
    const titles = await graphFrame.locator("#graph svg g.node > title").allTextContents();
    return `instances view: ${titles.join(", ")}`;
  });

  await check("graph node opens", async () => {
    expect(graphFrame, "no graph view");
    await graphFrame.locator("#view").selectOption("components");
    const node = graphFrame.locator("#graph svg g.node", { has: page.locator("title", { hasText: /^c\/MySQL$/ }) });
    await node.first().waitFor();
    await node.first().click();
    await page.waitForFunction(() => {
      const tab = document.querySelector(".tabs-container .tab.active");
      return tab && (tab.getAttribute("aria-label") || "").includes("db.graph");
    });
    await pause(300);
    return `${await activeTab()}, ${await text('[id="status.editor.selection"]')}`;
  });

  await check("fix clears the error", async () => {
    await open("main.graph");
    await page.waitForSelector(".monaco-editor .squiggly-error", { timeout: 30000 });
    await gotoLine("6:31"); // after "Nope": a tab is one column here
    for (let i = 0; i < 6; i++) {
      await key("Backspace");
    }
    const started = Date.now();
    await page.waitForSelector(".monaco-editor .squiggly-error", { state: "detached", timeout: 15000 });
    const took = Date.now() - started;
    await pause(300);
    const left = (await problems()).filter((p) => p.includes("CO_INEXISTING_CHILD"));
    expect(left.length === 0, `still listed: ${JSON.stringify(left)}`);
    await key("Control+S");
    return `squiggle gone ${took} ms after the edit`;
  });

  await check("status bar after fix", async () => {
    await page.waitForFunction(() => {
      const e = document.querySelector('.statusbar-item[id$="rbcc.application"]');
      return e && /no problems/.test(e.getAttribute("aria-label") || "");
    });
    return (await page.locator('.statusbar-item[id$="rbcc.application"]').getAttribute("aria-label")) || "";
  });

  await check("commands highlighted", async () => {
    await open("scale.commands");
    await page.waitForFunction(() => {
      const e = document.querySelector('[id="status.editor.mode"]');
      return e && /Roboconf Commands/.test(e.textContent || "");
    });
    await pause(500);
    const line = page.locator(".monaco-editor .view-line", { hasText: "define machine" }).first();
    const spans = await line.locator("span > span").evaluateAll((els) =>
      els.map((e) => ({ text: e.textContent, cls: e.className, color: getComputedStyle(e).color })));
    const colorOf = (word) => (spans.find((s) => (s.text || "").trim() === word) || {}).color;
    const colors = new Set(spans.map((s) => s.color));
    await shot("commands");
    expect(colors.size >= 3 && colorOf("define") && colorOf("define") !== colorOf("machine"),
      `tokens: ${JSON.stringify(spans)}`);
    return `${colors.size} colours on "define machine = vm $(SMART_INDEX)"`;
  });

  fs.writeFileSync(path.join(shots, "results.json"), JSON.stringify(results, null, 2));
  await browser.close();
  const failed = results.filter((r) => !r.ok).length;
  console.log(`${results.length - failed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
})().catch((err) => {
  console.error(`live-driver: ${err && err.stack ? err.stack : err}`);
  process.exit(2);
});
