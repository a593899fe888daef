// Browser tests of the referral checker: Debian's Chromium, headless, driven by playwright-core,
// against the local static server (web/server.mjs) on 127.0.0.1.
//
// Expected decisions come from the CLI (`thresholds eval --format json`; THR_CLI names the
// binary, else `cargo run -p thresholds-cli`), and the Node.js package must agree byte for byte.
// Artefacts (screenshot, timings) go to artifacts/.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createServer } from "node:http";
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { serve } from "../server.mjs";

const require = createRequire(import.meta.url);
const root = fileURLToPath(new URL("../../", import.meta.url));
const artifacts = join(root, "artifacts");
const { Ruleset } = require(join(root, "bindings-wasm/pkg-node/thresholds_wasm.js"));
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

const CHROMIUM_ARGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-proxy-server",
];

/** The decision JSON text from the CLI, for a facts file. */
function cliDecision(file) {
  const [cmd, ...pre] = process.env.THR_CLI
    ? [process.env.THR_CLI]
    : ["cargo", "run", "-q", "-p", "thresholds-cli", "--"];
  const out = execFileSync(cmd, [...pre, "eval", "--format", "json", "--facts", file], { cwd: root, encoding: "utf8" });
  assert.ok(out.endsWith("\n"));
  return out.slice(0, -1);
}

/** The referrals: every examples/referrals/*.json; the tour vectors' facts if fewer than six. */
function referrals() {
  const dir = join(root, "examples/referrals");
  const list = readdirSync(dir).filter((f) => f.endsWith(".json")).sort()
    .map((f) => ({ name: f, file: join(dir, f), facts: JSON.parse(readFileSync(join(dir, f), "utf8")) }));
  if (list.length < 6) {
    mkdirSync(artifacts, { recursive: true });
    const tour = JSON.parse(readFileSync(join(root, "tests/vectors/tour.json"), "utf8"));
    tour.vectors.forEach((v, i) => {
      const file = join(artifacts, `tour-facts-${i}.json`);
      writeFileSync(file, JSON.stringify(v.facts));
      list.push({ name: v.name, file, facts: v.facts });
    });
  }
  return list;
}

let server;
let base;
let browser;
const cases = referrals();
const expected = new Map();
const timings = { firstDecisionMs: [], wasmReadyMs: [], rulesReadyMs: [], evaluateMs: [], engineMs: [], floorMs: [] };

/** The browser's floor on this machine, measured in the same run: a page that is one module
 * script and nothing else (no engine), served the same way on 127.0.0.1 and opened in a fresh
 * context like the checker; navigation to that script's first line. No page that runs a script
 * can show anything sooner, so the checker's own share is its first decision minus this. */
async function floor(samples) {
  const files = {
    "/": ["text/html; charset=utf-8", '<!doctype html><meta charset="utf-8"><title>floor</title><script type="module" src="floor.js"></script>'],
    "/floor.js": ["text/javascript; charset=utf-8", 'performance.mark("floor"); document.documentElement.dataset.ran = "1";'],
  };
  const blank = createServer((req, res) => {
    const [type, body] = files[req.url] ?? ["text/plain", "not found"];
    res.writeHead(files[req.url] ? 200 : 404, { "Content-Type": type, "Cache-Control": "no-cache" });
    res.end(body);
  });
  await new Promise((ok) => blank.listen(0, "127.0.0.1", ok));
  try {
    for (let i = 0; i < samples; i++) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const page = await context.newPage();
      await page.goto(`http://127.0.0.1:${blank.address().port}/`, { waitUntil: "load" });
      await page.waitForSelector("html[data-ran]");
      const at = await page.evaluate(() => performance.getEntriesByName("floor")[0]?.startTime);
      assert.equal(typeof at, "number", "the floor page ran its script");
      timings.floorMs.push(at);
      await context.close();
    }
  } finally {
    await new Promise((ok) => blank.close(ok));
  }
}

before(async () => {
  const rs = Ruleset.default();
  for (const c of cases) {
    const cli = cliDecision(c.file);
    assert.equal(rs.evaluateJson(JSON.stringify(c.facts)), cli, `${c.name}: the Node.js package agrees with the CLI`);
    expected.set(c.name, JSON.parse(cli));
  }
  server = await serve(0);
  base = `http://127.0.0.1:${server.address().port}/`;
  browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
  await floor(9);
});

after(async () => {
  await browser?.close();
  await new Promise((ok) => (server ? server.close(ok) : ok()));
  const stats = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
    return s.length ? { n: s.length, median: +q(0.5).toFixed(2), p95: +q(0.95).toFixed(2), max: +s[s.length - 1].toFixed(2) } : null;
  };
  const report = Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, stats(v)]));
  const median = (k) => report[k]?.median;
  report.firstDecisionAboveFloorMs = +(median("firstDecisionMs") - median("floorMs")).toFixed(2);
  mkdirSync(artifacts, { recursive: true });
  writeFileSync(join(artifacts, "web-timings.json"), JSON.stringify(report, null, 2) + "\n");
  console.log(`# Chromium timings in ms (artifacts/web-timings.json):
#   navigation to first decision shown ${JSON.stringify(report.firstDecisionMs)}
#     the browser's floor (a page of one module script, no engine) ${JSON.stringify(report.floorMs)}
#     first decision above the floor (medians) ${report.firstDecisionAboveFloorMs}
#     of which: module compiled ${JSON.stringify(report.wasmReadyMs)}, rules ready ${JSON.stringify(report.rulesReadyMs)}
#   per-answer re-evaluation (read form + evaluate + render) ${JSON.stringify(report.evaluateMs)}
#     of which the engine's evaluate() ${JSON.stringify(report.engineMs)}`);
});

/** Opens the checker in a fresh context, waits for the first decision and switches to all
 * questions (the form these tests fill; the guided interview is tested in guided.test.mjs). */
async function open(options = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...options });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  await page.goto(base, { waitUntil: "load" });
  await page.waitForSelector("#decision:not([data-status=''])");
  const marks = await page.evaluate(() => ["first-decision", "wasm-ready", "rules-ready"]
    .map((m) => performance.getEntriesByName(`thresholds:${m}`)[0]?.startTime));
  assert.ok(marks.every((m) => typeof m === "number"), "performance marks are set");
  timings.firstDecisionMs.push(marks[0]);
  timings.wasmReadyMs.push(marks[1]);
  timings.rulesReadyMs.push(marks[2]);
  await page.click("#mode-toggle");
  await page.waitForSelector("#questions:not([hidden])");
  return { context, page, errors };
}

/** Answers every fact of a referral with the mouse-free Playwright API, one answer at a time. */
async function fill(page, facts) {
  for (const [id, v] of Object.entries(facts)) {
    if (v === null || v === undefined) continue;
    if (Array.isArray(v)) {
      if (v.length === 0) await page.check(`input[data-none-of="${id}"]`);
      for (const code of v) await page.check(`input[type=checkbox][name="${id}"][value="${code}"]`);
    } else if (typeof v === "number") {
      await page.fill(`input[type=number][name="${id}"]`, String(v));
    } else {
      await page.selectOption(`select[name="${id}"]`, String(v));
    }
  }
}

/** What the page shows, through the stable hooks and the rendered lists. */
async function shown(page) {
  return page.evaluate(() => {
    const d = document.getElementById("decision");
    return {
      level: d.dataset.level,
      status: d.dataset.status,
      pathways: d.dataset.pathways,
      listed: [...d.querySelectorAll("#decision-live ol.pathways li")].map((li) => li.dataset.pathway),
      reasons: [...d.querySelectorAll("li.reason")].map((li) => li.dataset.rule),
      citations: [...d.querySelectorAll("li.reason .citation")].map((c) => c.textContent),
      missing: [...d.querySelectorAll("ol.missing li")].map((li) => li.dataset.fact),
      live: document.getElementById("decision-live").getAttribute("aria-live"),
    };
  });
}

function assertShows(s, want, name) {
  assert.equal(s.level, want.level ?? "", `${name}: level`);
  assert.equal(s.status, want.status, `${name}: status`);
  assert.equal(s.pathways, want.pathways.join(" "), `${name}: pathways`);
  assert.deepEqual(s.listed, want.pathways, `${name}: pathways listed in order`);
  assert.deepEqual(s.reasons, want.reasons.map((r) => r.rule), `${name}: reasons`);
  assert.deepEqual(s.citations, want.reasons.filter((r) => r.citation).map((r) => `Source: ${r.citation}`), `${name}: citations`);
  assert.deepEqual(s.missing, want.missing.map((m) => m.fact), `${name}: questions that could still change this, in the engine's order`);
}

test(`at least six referrals are checked (${cases.length})`, () => {
  assert.ok(cases.length >= 6);
});

test("every referral shows the CLI's decision, with no request after load", async (t) => {
  for (const c of cases) {
    await t.test(c.name, async () => {
      const { context, page, errors } = await open();
      const requests = [];
      context.on("request", (r) => requests.push(r.url()));
      const count = () => page.evaluate(() => performance.getEntriesByName("thresholds:evaluate").length);
      const before = await count();
      await fill(page, c.facts);
      assertShows(await shown(page), expected.get(c.name), c.name);
      const [total, engine] = await page.evaluate((n) => ["evaluate", "engine"]
        .map((m) => performance.getEntriesByName(`thresholds:${m}`).slice(n).map((x) => x.duration)), before);
      const answers = Object.values(c.facts).reduce((k, v) => k + (v === null ? 0 : Array.isArray(v) ? Math.max(1, v.length) : 1), 0);
      assert.equal(total.length, answers, "one re-evaluation per answer");
      timings.evaluateMs.push(...total);
      timings.engineMs.push(...engine);
      assert.deepEqual(requests, [], "no request leaves the page after load");
      assert.deepEqual(errors, []);
      await context.close();
    });
  }
});

test("a practitioner's answer moves the open questions: answering the first one removes it", async () => {
  const { context, page } = await open();
  const rs = Ruleset.default();
  const first = (await shown(page)).missing[0];
  assert.ok(first, "with nothing answered, something is missing");
  const f = rs.facts().find((x) => x.id === first);
  const answer = f.type === "bool" ? false : f.type === "int" ? f.min : f.type === "set" ? [] : f.values[0];
  await fill(page, { [first]: answer });
  const want = rs.evaluate({ [first]: answer });
  const s = await shown(page);
  assert.ok(!s.missing.includes(first));
  assert.deepEqual(s.missing, want.missing.map((m) => m.fact));
  // The question links to its control.
  await fill(page, { [first]: f.type === "set" ? [] : f.type === "int" ? "" : "" });
  await page.click(`ol.missing a[href="#q-${first}"]`);
  await context.close();
});

test("what would change this: shown when opened, the engine's change sets for every level", async () => {
  const { context, page, errors } = await open();
  const c = cases.find((x) => x.name.startsWith("01-")) ?? cases[0];
  await fill(page, c.facts);
  assert.equal(await page.locator("#change-body ul").count(), 0, "not worked out while closed");
  await page.click("#change-details summary");
  await page.waitForSelector("#change-body ul.changes");
  const want = Ruleset.default().evaluate(c.facts, { explain: true }).explain;
  assert.ok(want.raise.length > 0, "the referral can be raised");
  for (const t of [...want.raise, ...(want.lower ? [want.lower] : [])]) {
    const items = await page.locator(`#change-body ul.changes[data-level="${t.level}"] > li`).allTextContents();
    assert.equal(items.length, t.ways.length + (t.more ? 1 : 0), `${t.level}: one item per way`);
    t.ways.forEach((w, i) => {
      for (const set of w.sets) for (const change of set) assert.ok(items[i].includes(change.text), `${t.level}: ${change.text}`);
      assert.ok(items[i].includes(w.title), `${t.level}: ${w.title}`);
    });
  }
  assert.deepEqual(errors, []);
  await context.close();
});

test("the Content-Security-Policy blocks any other origin", async () => {
  const { context, page } = await open();
  const requests = [];
  context.on("request", (r) => requests.push(r.url()));
  const result = await page.evaluate(async () => {
    const violations = [];
    document.addEventListener("securitypolicyviolation", (e) => violations.push(e.violatedDirective));
    const r = await fetch("http://127.0.0.2:9/leak", { method: "POST", body: "x" }).then(() => "sent", () => "blocked");
    await new Promise((ok) => setTimeout(ok, 50));
    return { r, violations };
  });
  assert.equal(result.r, "blocked");
  // Reported once per policy (the page's meta tag and the server's header).
  assert.ok(result.violations.length >= 1 && result.violations.every((v) => v === "connect-src"), String(result.violations));
  assert.deepEqual(requests, []);
  const csp = await page.evaluate(() => document.querySelector('meta[http-equiv="Content-Security-Policy"]').content);
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'self' 'wasm-unsafe-eval'/);
  await context.close();
});

test("axe-core finds no serious or critical accessibility violation", async () => {
  const { context, page } = await open();
  const c = cases.find((x) => Object.values(x.facts).some(Array.isArray)) ?? cases[0];
  await fill(page, c.facts);
  await page.selectOption("#escalate-level", "acute");
  await page.fill("#escalate-reason", "Disclosure made after the form was filled in.");
  await page.evaluate(() => { document.querySelector("#summary details").open = true; });
  await page.click("#change-details summary");
  await page.waitForSelector("#change-body ul.changes");
  await page.evaluate(axeSource);
  const results = await page.evaluate(() =>
    // eslint-disable-next-line no-undef
    axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"] } }));
  const bad = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  assert.deepEqual(bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`), []);
  assert.ok(results.passes.length > 10, "axe ran its checks");
  assert.doesNotMatch(await page.textContent("#questions"), /\bnull\b|\bundefined\b/);
  // Every question control has an accessible label.
  const unlabeled = await page.evaluate(() => [...document.querySelectorAll("#questions select, #questions input")]
    .filter((e) => !(e.labels?.length || e.closest("label"))).map((e) => e.name));
  assert.deepEqual(unlabeled, []);
  await context.close();
});

/** Presses Tab until a focused control satisfies `want`; returns its description. */
async function tabTo(page, want, limit = 600) {
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press("Tab");
    const f = await page.evaluate(() => {
      const e = document.activeElement;
      return { tag: e.tagName.toLowerCase(), type: e.type ?? "", name: e.getAttribute("name") ?? "", value: e.value ?? "", id: e.id, noneOf: e.dataset?.noneOf ?? "" };
    });
    if (want(f)) return f;
  }
  throw new Error("focus never reached the control");
}

test("a referral can be completed with the keyboard alone, escalated and copied", async () => {
  const { context, page } = await open({ permissions: ["clipboard-read", "clipboard-write"] });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: base.slice(0, -1) });
  const c = [...cases].sort((a, b) => Object.keys(b.facts).length - Object.keys(a.facts).length)
    .find((x) => Object.values(x.facts).some(Array.isArray) && Object.values(x.facts).some((v) => typeof v === "number")) ?? cases[0];
  const todo = new Map(Object.entries(c.facts).filter(([, v]) => v !== null));
  const sets = new Map();
  for (const [id, v] of todo) if (Array.isArray(v)) sets.set(id, new Set(v.length ? v : [""]));
  // One pass through the form in tab order, answering each question as focus reaches it.
  await page.locator("body").focus();
  let guard = 0;
  while ([...todo.keys()].some((id) => !sets.has(id)) || [...sets.values()].some((s) => s.size)) {
    if (guard++ > 2000) throw new Error("tab order never reached every question");
    await page.keyboard.press("Tab");
    const f = await page.evaluate(() => {
      const e = document.activeElement;
      return { tag: e.tagName.toLowerCase(), type: e.type ?? "", name: e.getAttribute("name") ?? "", value: e.value ?? "", noneOf: e.dataset?.noneOf ?? "",
        options: e.tagName === "SELECT" ? [...e.options].map((o) => o.value) : [] };
    });
    if (f.tag === "select" && todo.has(f.name) && !sets.has(f.name)) {
      const target = f.options.indexOf(String(todo.get(f.name)));
      assert.ok(target > 0, `${f.name}: option ${todo.get(f.name)}`);
      for (let i = f.options.indexOf(f.value); i < target; i++) await page.keyboard.press("ArrowDown");
      todo.delete(f.name);
    } else if (f.type === "number" && todo.has(f.name)) {
      await page.keyboard.type(String(todo.get(f.name)));
      todo.delete(f.name);
    } else if (f.type === "checkbox") {
      const id = f.noneOf || f.name;
      const code = f.noneOf ? "" : f.value;
      if (sets.get(id)?.has(code)) {
        await page.keyboard.press("Space");
        sets.get(id).delete(code);
      }
    }
  }
  for (const id of sets.keys()) todo.delete(id);
  assert.equal(todo.size, 0);
  const want = expected.get(c.name);
  assertShows(await shown(page), want, `${c.name} (keyboard)`);

  // Escalate above the engine's level, with a reason, by keyboard.
  const levels = Ruleset.default().info().levels.map((l) => l.id);
  const engineRank = levels.indexOf(want.level);
  await tabTo(page, (f) => f.id === "escalate-level");
  if (engineRank < levels.length - 1) {
    for (let i = 0; i <= levels.length - 1; i++) await page.keyboard.press("ArrowDown"); // the highest level
    await page.keyboard.press("Tab");
    await page.keyboard.type("Sibling disclosed more on the phone.");
    const d = await page.evaluate(() => ({ ...document.getElementById("decision").dataset, text: document.getElementById("decision-live").textContent }));
    assert.equal(d.level, want.level, "data-level stays the engine's level");
    assert.equal(d.escalatedLevel, levels[levels.length - 1]);
    assert.match(d.text, /Their reason: Sibling disclosed more on the phone\./);
  }
  // The copy button, by keyboard.
  await tabTo(page, (f) => f.id === "copy-summary");
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => document.getElementById("copy-status").textContent.includes("copied"));
  const clip = await page.evaluate(() => navigator.clipboard.readText());
  const info = Ruleset.default().info();
  // What to do is the engine's decision, escalated when the practitioner escalated.
  const escalatedTo = engineRank < levels.length - 1
    ? { escalation: { level: levels[levels.length - 1], reason: "Sibling disclosed more on the phone." } }
    : {};
  const told = Ruleset.default().evaluate(c.facts, { ...escalatedTo, summary: true });
  if (escalatedTo.escalation) assert.equal(told.escalation.raised, true);
  // The copied summary is the engine's, word for word (the CLI prints the same text).
  assert.equal(clip, told.summary.text);
  assert.match(clip, new RegExp(`^Level: ${info.levels[info.levels.findIndex((l) => l.id === told.level)].label.replace(/[()/]/g, "\\$&")}`, "m"));
  for (const p of told.pathways) assert.ok(clip.includes(info.pathways.find((x) => x.id === p).todo), `summary has what to do for ${p}`);
  for (const r of want.reasons) if (r.citation) assert.ok(clip.includes(r.citation));
  if (escalatedTo.escalation) assert.match(clip, /Their reason: Sibling disclosed more on the phone\./);

  mkdirSync(artifacts, { recursive: true });
  await page.evaluate(() => { window.scrollTo(0, 0); document.querySelector("aside").scrollTo(0, 0); });
  await page.screenshot({ path: join(artifacts, "web-checker.png") });
  await page.screenshot({ path: join(artifacts, "web-checker-full.png"), fullPage: true });
  await context.close();
});

test("an escalation is never lowered and needs a reason", async () => {
  const { context, page } = await open();
  const levels = Ruleset.default().info().levels.map((l) => l.id);
  const top = levels[levels.length - 1];
  await page.selectOption("#escalate-level", top);
  assert.equal(await page.getAttribute("#decision", "data-escalated-level"), null, "no reason, no escalation");
  await page.fill("#escalate-reason", "Professional judgement.");
  assert.equal(await page.getAttribute("#decision", "data-escalated-level"), top);
  // Answers that raise the engine's level never lower the shown level below the escalation.
  const c = cases.find((x) => expected.get(x.name).level !== top) ?? cases[0];
  await fill(page, c.facts);
  assert.equal(await page.getAttribute("#decision", "data-level"), expected.get(c.name).level);
  assert.equal(await page.getAttribute("#decision", "data-escalated-level"), top);
  // Escalating to a level at or below the engine's is not an escalation.
  await page.selectOption("#escalate-level", levels[0]);
  assert.equal(await page.getAttribute("#decision", "data-escalated-level"), null);
  assert.match(await page.textContent("#escalate-status"), /already/);
  await context.close();
});
