// The checker as a partnership deploys it: web/dist/ (scripts/build-web.sh) served by a plain
// static file server, with no special routes and no security headers, on 127.0.0.1. The page
// must work from that folder alone: its first decision and answers, every request to its own
// origin, the Content-Security-Policy from its meta tag.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { extname, join, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
const root = fileURLToPath(new URL("../../", import.meta.url));
const dist = join(root, "web/dist");
const { Ruleset } = require(join(root, "bindings-wasm/pkg-node/thresholds_wasm.js"));

const CHROMIUM_ARGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-proxy-server",
];
// What any static host knows: a file's type from its extension.
const TYPES = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".wasm": "application/wasm", ".svg": "image/svg+xml" };

let server;
let base;
let browser;

before(async () => {
  assert.ok(existsSync(join(dist, "index.html")), "web/dist is built (scripts/build-web.sh)");
  server = createServer((req, res) => {
    let rel = decodeURIComponent(new URL(req.url, "http://x").pathname).slice(1) || "index.html";
    if (rel.endsWith("/")) rel += "index.html";
    const file = normalize(join(dist, rel));
    if (!file.startsWith(dist + sep) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404);
      res.end();
      return;
    }
    res.writeHead(200, { "Content-Type": TYPES[extname(file)] ?? "application/octet-stream" });
    res.end(readFileSync(file));
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  base = `http://127.0.0.1:${server.address().port}/`;
  browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
});

after(async () => {
  await browser?.close();
  await new Promise((ok) => (server ? server.close(ok) : ok()));
});

test("web/dist holds the page, its script, style and icon, and the module: nothing else", () => {
  const files = (dir, at = "") => readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? files(join(dir, e.name), `${at}${e.name}/`) : [`${at}${e.name}`]));
  assert.deepEqual(files(dist).sort(), ["app.js", "favicon.svg", "index.html", "pkg/thresholds_wasm.js", "pkg/thresholds_wasm_bg.wasm", "style.css"]);
  const csp = readFileSync(join(dist, "index.html"), "utf8").match(/http-equiv="Content-Security-Policy" content="([^"]+)"/);
  assert.ok(csp, "the policy is a meta tag, so any static host serves it");
  assert.match(csp[1], /default-src 'none'/);
});

test("from a plain static server the checker decides, answer by answer, as the engine does", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors = [];
  const requests = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  page.on("request", (r) => requests.push(r.url()));
  await page.goto(base, { waitUntil: "load" });
  await page.waitForSelector("#decision:not([data-status=''])");
  await page.waitForSelector("#current-question form");
  const rs = Ruleset.default();
  const empty = rs.evaluate({}, { summary: true });
  assert.equal(await page.getAttribute("#decision", "data-status"), empty.status);
  assert.equal(await page.textContent("#decision-live .level"), `Level: ${empty.summary.level}`);
  // The first question is the engine's; answering it moves the page on.
  const first = rs.evaluate({}, { questions: true }).questions[0];
  assert.equal(await page.getAttribute("#current-question", "data-question"), first.id);
  // "None of these" to the first question (the triage question over the areas of need).
  assert.equal(first.kind, "areas");
  await page.check("#answer-none");
  await page.click("#answer-next");
  await page.waitForFunction((id) => document.getElementById("current-question").dataset.question !== id, first.id);
  const facts = rs.answer({}, first.id, [], []);
  const next = rs.evaluate(facts, { questions: true, answered: [first.id], summary: true });
  assert.equal(await page.textContent("#decision-live .level"), `Level: ${next.summary.level}`);
  assert.equal(await page.getAttribute("#current-question", "data-question"), next.questions[0].id);
  assert.deepEqual(errors, []);
  assert.ok(requests.length >= 4, `the page, script, style and module were fetched: ${requests.join(", ")}`);
  for (const url of requests) assert.ok(url.startsWith(base), `only its own origin: ${url}`);
  await context.close();
});
