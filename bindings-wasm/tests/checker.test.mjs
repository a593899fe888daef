// The referral checker's build (bindings-wasm/pkg-checker/: the shipped rules embedded
// precompiled, no parser) decides byte for byte as the full build: every conformance vector on
// the shipped rules, the first decision with questions, a guided answer, and the rule set's info.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import init, * as checker from "../pkg-checker/thresholds_wasm.js";

const require = createRequire(import.meta.url);
const full = require("../pkg-node/thresholds_wasm.js");
const here = fileURLToPath(new URL("../", import.meta.url));
const root = join(here, "..");
await init({ module_or_path: readFileSync(join(here, "pkg-checker/thresholds_wasm_bg.wasm")) });

const rs = checker.Ruleset.default();
const reference = full.Ruleset.default();

test("the checker build has no parser (rule sets come precompiled only) and no impact analysis", () => {
  assert.equal(checker.Ruleset.fromSource, undefined);
  assert.equal(checker.Ruleset.fromSources, undefined);
  assert.equal(rs.compareJson, undefined);
  assert.equal(typeof reference.compareJson, "function");
  assert.equal(typeof full.Ruleset.fromSource, "function");
});

test("the shipped rules: the same name, version, hash, facts and info", () => {
  assert.equal(rs.hash, reference.hash);
  assert.equal(rs.name, reference.name);
  assert.deepEqual(rs.info(), reference.info());
  assert.deepEqual(rs.facts(), reference.facts());
  assert.deepEqual(rs.warnings(), reference.warnings());
});

let shipped = 0;
for (const file of readdirSync(join(root, "tests/vectors")).filter((f) => f.endsWith(".json")).sort()) {
  const doc = JSON.parse(readFileSync(join(root, "tests/vectors", file), "utf8"));
  for (const v of doc.vectors.filter((v) => v.rules === "rules/threshold")) {
    shipped++;
    test(`${file} / ${v.name} (checker build)`, () => {
      const facts = v.factsText !== undefined ? v.factsText : JSON.stringify(v.facts ?? null);
      const run = () => (v.request !== undefined ? rs.evaluateJson(facts, JSON.stringify(v.request)) : rs.evaluateJson(facts));
      if (v.expect.decision !== undefined) {
        assert.equal(run(), JSON.stringify(v.expect.decision));
      } else {
        assert.throws(run, (e) => {
          assert.deepEqual(e.diagnostics.filter((d) => d.severity === "error").map((d) => d.code), v.expect.errorCodes);
          return true;
        });
      }
    });
  }
}

test("vectors on the shipped rules ran", () => assert.ok(shipped > 10, `${shipped} vectors`));

/** Rules precompiled by the CLI (`thresholds compile`): the shipped ones without `path`. */
function compiled(path) {
  const out = join(mkdtempSync(join(tmpdir(), "thr-")), "rules.thrc");
  execFileSync("cargo", ["run", "-q", "-p", "thresholds-cli", "--", "compile", ...(path ? [path] : []), "-o", out], { cwd: root });
  return new Uint8Array(readFileSync(out));
}

test("rules precompiled by the CLI load in the checker build and decide as the full build", () => {
  const tour = readFileSync(join(root, "rules/examples/tour/tour.thr"), "utf8");
  const source = full.Ruleset.fromSource(tour, "tour.thr");
  const bytes = compiled("rules/examples/tour");
  assert.ok(bytes instanceof Uint8Array && bytes.length > 100);
  const loaded = checker.Ruleset.fromPrecompiled(bytes);
  assert.equal(loaded.hash, source.hash);
  assert.deepEqual(loaded.info(), source.info());
  let n = 0;
  for (const v of JSON.parse(readFileSync(join(root, "tests/vectors/tour.json"), "utf8")).vectors) {
    if (v.rules !== "rules/examples/tour" || v.expect.decision === undefined || v.factsText !== undefined) continue;
    const facts = JSON.stringify(v.facts ?? null);
    const request = JSON.stringify(v.request ?? {});
    assert.equal(loaded.evaluateJson(facts, request), source.evaluateJson(facts, request), v.name);
    assert.equal(loaded.evaluateJson(facts, request), JSON.stringify(v.expect.decision), v.name);
    n++;
  }
  assert.ok(n >= 5, `${n} tour vectors`);
  // The shipped rules, precompiled by the CLI, decide as the checker's embedded copy.
  const shipped = checker.Ruleset.fromPrecompiled(compiled());
  const request = JSON.stringify({ questions: true });
  assert.equal(shipped.evaluateJson("{}", request), rs.evaluateJson("{}", request));
});

test("bytes that are not a precompiled rule set are a coded error", () => {
  const damaged = compiled("rules/examples/tour");
  damaged[damaged.length - 1] ^= 1;
  for (const bytes of [new Uint8Array(0), new TextEncoder().encode("ruleset \"x\""), damaged]) {
    assert.throws(() => checker.Ruleset.fromPrecompiled(bytes), (e) => e.code === "thr::precompiled::invalid");
  }
});

test("a rule set whose diagrams exceed the node budget is refused by the checker build, not decided differently", () => {
  const vector = JSON.parse(readFileSync(join(root, "tests/vectors/limits.json"), "utf8"))
    .vectors.find((v) => v.name.startsWith("limit: past the node budget"));
  assert.ok(vector, "the node-budget vector");
  const dir = mkdtempSync(join(tmpdir(), "thr-budget-"));
  writeFileSync(join(dir, "budget.thr"), vector.source);
  const bytes = compiled(dir);
  // The full build builds diagrams per referral: the vector's decision.
  const facts = JSON.stringify(vector.facts ?? {});
  assert.equal(full.Ruleset.fromPrecompiled(bytes).evaluateJson(facts), JSON.stringify(vector.expect.decision));
  // The checker build has no diagram compiler: a coded error at load, never another `missing`.
  assert.throws(() => checker.Ruleset.fromPrecompiled(bytes), (e) => {
    assert.equal(e.code, "thr::precompiled::invalid");
    assert.match(e.message, /node budget/);
    return true;
  });
});

test("the first decision with questions, and a guided answer, as the full build", () => {
  const request = JSON.stringify({ questions: true, summary: true });
  assert.equal(rs.evaluateJson("{}", request), reference.evaluateJson("{}", request));
  const first = rs.evaluate({}, { questions: true });
  const q = first.questions[0];
  assert.equal(q.id, "triage", "the shipped rules ask the triage question first");
  const answer = [q.items[0].id]; // the first area ticked, every other answered benign
  const facts = rs.answer({}, q.id, answer, []);
  assert.deepEqual(facts, reference.answer({}, q.id, answer, []));
  assert.ok(Object.keys(facts).length > 0);
  assert.equal(rs.evaluateJson(JSON.stringify(facts), request), reference.evaluateJson(JSON.stringify(facts), request));
});
