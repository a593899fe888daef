// Browser tests of the checker's guided interview (its default mode): Debian's Chromium,
// headless, driven by playwright-core, against web/server.mjs on 127.0.0.1.
//
// A simulated practitioner knows each example referral's whole truth (its facts, and the
// benign answer to every fact it is silent on) and answers the question the page shows. The
// Node.js package, answering the same way, must rank the same question at every step; the
// page must end on the CLI's decision for the truth, in the answers `thresholds interview`
// counts. Answers per referral go to artifacts/web-guided.json.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
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

function cli(args) {
  const [cmd, ...pre] = process.env.THR_CLI
    ? [process.env.THR_CLI]
    : ["cargo", "run", "-q", "-p", "thresholds-cli", "--"];
  return execFileSync(cmd, [...pre, ...args], { cwd: root, encoding: "utf8" });
}

const rs = Ruleset.default();
const declared = rs.facts();
const benign = new Map(declared.filter((f) => f.benign !== undefined).map((f) => [f.id, f.benign]));

/** The example referrals, each with its whole truth. */
function referrals() {
  const dir = join(root, "examples/referrals");
  return readdirSync(dir).filter((f) => f.endsWith(".json")).sort().map((f) => {
    const facts = JSON.parse(readFileSync(join(dir, f), "utf8"));
    const truth = { ...Object.fromEntries(benign), ...Object.fromEntries(Object.entries(facts).filter(([, v]) => v !== null)) };
    return { name: f, facts, truth };
  });
}

const cases = referrals();
let server;
let base;
let browser;
const expected = new Map();
const interview = new Map();
const counted = [];
const perAnswer = { update: [], engine: [] };

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  for (const c of cases) {
    const file = join(artifacts, `guided-truth-${c.name}`);
    writeFileSync(file, JSON.stringify(c.truth));
    expected.set(c.name, JSON.parse(cli(["eval", "--format", "json", "--facts", file])));
  }
  const casesFile = join(artifacts, "guided-cases.json");
  writeFileSync(casesFile, JSON.stringify(cases.map((c) => ({ id: c.name, facts: c.facts }))));
  for (const r of JSON.parse(cli(["interview", "--format", "json", "--cases", casesFile])).runs) interview.set(r.id, r);
  server = await serve(0);
  base = `http://127.0.0.1:${server.address().port}/`;
  browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
});

after(async () => {
  await browser?.close();
  await new Promise((ok) => (server ? server.close(ok) : ok()));
  mkdirSync(artifacts, { recursive: true });
  const median = (xs) => {
    const v = [...xs].sort((a, b) => a - b);
    return v.length ? +v[Math.floor(v.length / 2)].toFixed(2) : null;
  };
  const timing = { n: perAnswer.engine.length, updateMedianMs: median(perAnswer.update), engineMedianMs: median(perAnswer.engine), engineMaxMs: perAnswer.engine.length ? +Math.max(...perAnswer.engine).toFixed(2) : null };
  writeFileSync(join(artifacts, "web-guided.json"), JSON.stringify({ referrals: counted, perAnswer: timing }, null, 2) + "\n");
  console.log(`# guided interview, answers per referral (artifacts/web-guided.json): ${counted.map((c) => `${c.name} ${c.answers}`).join(", ")}`);
  console.log(`#   per answer, with the next question ranked: update ${timing.updateMedianMs} ms median, of which the engine's evaluate() ${timing.engineMedianMs} ms (max ${timing.engineMaxMs}, n ${timing.n})`);
});

async function open(options = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...options });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  await page.goto(base, { waitUntil: "load" });
  await page.waitForSelector("#decision:not([data-status=''])");
  await page.waitForSelector("#current-question form, #current-question .done");
  return { context, page, errors };
}

/** The practitioner's answer to a question, from the truth (as the interview protocol answers). */
function truthful(q, truth) {
  const isBenign = (id) => JSON.stringify(truth[id]) === JSON.stringify(benign.get(id));
  if (q.kind === "areas") return q.items.filter((it) => it.facts.some((id) => !isBenign(id))).map((it) => it.id);
  if (q.kind === "checklist") {
    return q.items.filter((it) => {
      const v = truth[it.facts[0]];
      return it.code ? Array.isArray(v) && v.includes(it.code) : v === true;
    }).map((it) => it.id);
  }
  return truth[q.facts[0]];
}

/** Gives an answer through the page's controls (pointer-free Playwright calls). */
async function give(page, q, answer) {
  if (q.kind === "yes_no" || q.kind === "choice") {
    await page.check(`#current-question input[name=answer][value="${String(answer)}"]`);
  } else if (q.kind === "number") {
    await page.fill("#current-question input[name=answer]", String(answer));
  } else if (answer.length === 0) {
    await page.check("#answer-none");
  } else {
    for (const id of answer) await page.check(`#current-question input[name=answer-item][value="${id}"]`);
  }
  await page.click("#answer-next");
}

async function shown(page) {
  return page.evaluate(() => {
    const d = document.getElementById("decision");
    return {
      level: d.dataset.level,
      status: d.dataset.status,
      pathways: d.dataset.pathways,
      question: document.getElementById("current-question").dataset.question,
      levelText: d.querySelector(".level")?.textContent ?? "",
    };
  });
}

/** Drives the guided mode through one referral; returns the question ids answered. */
async function interviewInPage(page, c, answerWith = give) {
  let facts = {};
  const answered = [];
  const asked = [];
  const skipped = new Set();
  for (let step = 0; step < 60; step++) {
    const d = rs.evaluate(facts, { questions: true, answered });
    const q = d.questions.find((x) => !skipped.has(x.id));
    const s = await shown(page);
    if (!q) {
      assert.equal(s.question, "", `${c.name}: nothing left to ask`);
      break;
    }
    assert.equal(s.question, q.id, `${c.name}, answer ${step + 1}: the page asks the engine's top-ranked question`);
    const answer = truthful(q, c.truth);
    if (answer === undefined) {
      // A fact the truth does not give (and that has no benign answer): "Don't know".
      await page.click("#answer-skip");
      skipped.add(q.id);
      await page.waitForFunction((id) => document.getElementById("current-question").dataset.question !== id, q.id);
      continue;
    }
    await answerWith(page, q, answer);
    facts = rs.answer(facts, q.id, answer, answered);
    if (q.kind === "areas") answered.push("triage");
    asked.push(q.id);
    await page.waitForFunction((id) => document.getElementById("current-question").dataset.question !== id, q.id);
  }
  return asked;
}

test("the guided interview settles each example referral on the CLI's decision", async (t) => {
  assert.ok(cases.length >= 6);
  for (const c of cases) {
    await t.test(c.name, async () => {
      const { context, page, errors } = await open();
      const requests = [];
      context.on("request", (r) => requests.push(r.url()));
      const asked = await interviewInPage(page, c);
      const want = expected.get(c.name);
      const s = await shown(page);
      assert.equal(s.level, want.level, `${c.name}: level`);
      assert.equal(s.pathways, want.pathways.join(" "), `${c.name}: pathways`);
      assert.equal(s.status, "complete");
      const run = interview.get(c.name);
      assert.deepEqual(asked, run.asked, `${c.name}: the same questions as \`thresholds interview\``);
      assert.ok(asked.length <= 15, `${c.name}: ${asked.length} answers`);
      counted.push({ name: c.name, answers: asked.length, to_level: run.answers_to_level, level: want.level });
      // Each answer's re-evaluation in the guided mode (which ranks the next question too): the
      // whole update (read, evaluate, render) and the engine's evaluate() alone, in ms.
      const measured = await page.evaluate(() => ["evaluate", "engine"]
        .map((m) => performance.getEntriesByName(`thresholds:${m}`).map((e) => e.duration)));
      assert.ok(measured[1].length >= asked.length, "every answer was measured");
      perAnswer.update.push(...measured[0]);
      perAnswer.engine.push(...measured[1]);
      assert.deepEqual(requests, [], "no request leaves the page after load");
      assert.deepEqual(errors, []);
      await context.close();
    });
  }
});

test("a provisional decision is never shown as settled", async () => {
  const { context, page } = await open();
  const s = await shown(page);
  assert.equal(s.status, "provisional");
  assert.match(s.levelText, /^Level: at least .+ — could still be /);
  const border = await page.evaluate(() => getComputedStyle(document.getElementById("decision")).borderTopStyle);
  assert.equal(border, "dashed", "no level colour while provisional");
  const matrices = await page.$$eval("#decision-detail li[data-matrix]", (lis) => lis.map((li) => li.textContent));
  assert.ok(matrices.length >= 2);
  for (const m of matrices) assert.match(m, /not yet known/);
  await context.close();
});

test("an out-of-range number gets a visible error and is not taken", async () => {
  const { context, page } = await open();
  // "Don't know" until the age is asked.
  for (let i = 0; i < 40; i++) {
    if ((await shown(page)).question === "age_years") break;
    await page.click("#answer-skip");
  }
  assert.equal((await shown(page)).question, "age_years");
  await page.fill("#current-question input[name=answer]", "99");
  await page.click("#answer-next");
  const error = page.locator("#answer-error");
  assert.match(await error.textContent(), /whole number from 0 to 25/);
  assert.ok(await error.isVisible());
  assert.equal(await page.getAttribute("#current-question input[name=answer]", "aria-invalid"), "true");
  assert.equal((await shown(page)).question, "age_years", "the question stays");
  await page.fill("#current-question input[name=answer]", "14");
  await page.click("#answer-next");
  await page.waitForFunction(() => document.getElementById("current-question").dataset.question !== "age_years");
  assert.match(await page.textContent("#answers"), /14/);
  await context.close();
});

test("an earlier answer can be changed, and all questions keep today's form", async () => {
  const { context, page } = await open();
  assert.equal((await shown(page)).question, "triage");
  await page.check("#answer-none");
  await page.click("#answer-next");
  await page.waitForFunction(() => document.getElementById("current-question").dataset.question !== "triage");
  const calm = await shown(page);
  // Change the triage answer: tick harm now; the decision opens up again.
  await page.click('#answers li[data-question="triage"] button');
  assert.equal((await shown(page)).question, "triage");
  await page.check('#current-question input[name=answer-item][value="harm_now"]');
  await page.click("#answer-next");
  await page.waitForFunction(() => document.getElementById("current-question").dataset.question === "harm_signs");
  await page.check('#current-question input[name=answer-item][value="immediate_danger"]');
  await page.click("#answer-next");
  await page.waitForFunction(() => document.getElementById("decision").dataset.level === "acute");
  assert.notEqual(calm.level, "acute");
  // "Show all questions": the form, with the answers given so far.
  await page.click("#mode-toggle");
  assert.equal(await page.isVisible("#questions"), true);
  assert.equal(await page.inputValue('select[name="immediate_danger"]'), "true");
  assert.equal(await page.inputValue('select[name="fgm"]'), "none", "an unticked area is answered benign");
  assert.equal(await page.getAttribute("#decision", "data-level"), "acute");
  await page.click("#mode-toggle");
  assert.equal(await page.isVisible("#current-question"), true);
  assert.equal(await page.getAttribute("#decision", "data-level"), "acute");
  await context.close();
});

/** Answers the current question with the keyboard alone: focus is on its first control. */
async function keyboardAnswer(page, q, answer) {
  const focused = () => page.evaluate(() => {
    const e = document.activeElement;
    return { id: e.id, name: e.getAttribute("name") ?? "", value: e.value ?? "", type: e.type ?? "" };
  });
  let f = await focused();
  if (!f.id.startsWith("answer")) {
    for (let i = 0; i < 100 && !(await focused()).id.startsWith("answer"); i++) await page.keyboard.press("Tab");
    f = await focused();
  }
  if (q.kind === "yes_no" || q.kind === "choice") {
    // Arrow keys move through a radio group and select.
    await page.keyboard.press("Space");
    for (let i = 0; i < 20 && (await focused()).value !== String(answer); i++) await page.keyboard.press("ArrowDown");
    assert.equal((await focused()).value, String(answer));
  } else if (q.kind === "number") {
    await page.keyboard.type(String(answer));
  } else {
    const want = new Set(answer.length ? answer : ["__none"]);
    for (let i = 0; i < 200 && want.size; i++) {
      const cur = await focused();
      const key = cur.id === "answer-none" ? "__none" : cur.value;
      if (cur.type === "checkbox" && want.has(key)) {
        await page.keyboard.press("Space");
        want.delete(key);
      }
      if (want.size) await page.keyboard.press("Tab");
    }
    assert.equal(want.size, 0, "every item reached by Tab");
  }
  for (let i = 0; i < 200 && (await focused()).id !== "answer-next"; i++) await page.keyboard.press("Tab");
  await page.keyboard.press("Enter");
}

test("the guided interview can be completed with the keyboard alone", async () => {
  const { context, page } = await open();
  const c = cases.find((x) => x.name.includes("county-lines")) ?? cases[0];
  await page.locator("body").focus();
  const asked = await interviewInPage(page, c, keyboardAnswer);
  const want = expected.get(c.name);
  const s = await shown(page);
  assert.equal(s.level, want.level);
  assert.equal(s.pathways, want.pathways.join(" "));
  assert.deepEqual(asked, interview.get(c.name).asked);
  await context.close();
});

test("axe-core finds no serious or critical violation in the guided mode", async () => {
  const { context, page } = await open();
  for (const kind of ["areas", "other"]) {
    await page.evaluate(axeSource);
    const results = await page.evaluate(() =>
      // eslint-disable-next-line no-undef
      axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"] } }));
    const bad = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
    assert.deepEqual(bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`), [], kind);
    assert.ok(results.passes.length > 10);
    if (kind === "areas") {
      await page.check('#current-question input[name=answer-item][value="education"]');
      await page.click("#answer-next");
      await page.waitForFunction(() => document.getElementById("current-question").dataset.question !== "triage");
      // An error shown, too.
      await page.click("#answer-next");
    }
  }
  await context.close();
});

test("at phone width the decision and the current question come first", async () => {
  const { context, page } = await open({ viewport: { width: 375, height: 800 } });
  const top = (sel) => page.locator(sel).evaluate((e) => e.getBoundingClientRect().top + window.scrollY);
  const decision = await top("#decision");
  const question = await top("#current-question");
  assert.ok(decision < question, "the decision first");
  for (const later of ["#escalation", "#summary"]) assert.ok(question < (await top(later)), `${later} after the question`);
  mkdirSync(artifacts, { recursive: true });
  await page.screenshot({ path: join(artifacts, "web-guided-phone.png") });
  await context.close();
});
