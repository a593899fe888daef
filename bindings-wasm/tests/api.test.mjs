// The JS API: objects equal the JSON text, errors are Error objects with .code/.kind/.diagnostics,
// and the declared facts and rule-set info come through unchanged.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const { Ruleset } = require("../pkg-node/thresholds_wasm.js");
const root = fileURLToPath(new URL("../../", import.meta.url));
const tour = readFileSync(`${root}rules/examples/tour/tour.thr`, "utf8");

function thrown(fn) {
  try {
    fn();
  } catch (e) {
    return e;
  }
  assert.fail("expected an error");
}

test("evaluate() returns the decision JSON as a plain object", () => {
  const rs = Ruleset.fromSource(tour, "rules/examples/tour/tour.thr");
  for (const facts of [{}, { immediate_danger: true, age_years: 9 }, { age_years: 12, cse_indicators: ["late_nights"] }]) {
    const obj = rs.evaluate(facts);
    assert.equal(Object.getPrototypeOf(obj), Object.prototype);
    assert.equal(JSON.stringify(obj), rs.evaluateJson(JSON.stringify(facts)));
  }
  const d = rs.evaluate({ immediate_danger: true, age_years: 9 });
  assert.equal(d.level, "acute");
  assert.equal(d.pathways[0], "call_999");
  assert.equal(d.reasons[0].rule, "O1");
});

test("undefined and null facts are unknown", () => {
  const rs = Ruleset.fromSource(tour);
  assert.deepEqual(rs.evaluate(undefined), rs.evaluate({}));
  assert.deepEqual(rs.evaluate({ age_years: null, consent: undefined }), rs.evaluate({}));
});

test("facts errors are Error objects with code, kind and every diagnostic", () => {
  const rs = Ruleset.fromSource(tour);
  const e = thrown(() => rs.evaluate({ age_years: -1, imediate_danger: true }));
  assert.ok(e instanceof Error);
  assert.equal(e.name, "ThresholdsError");
  assert.equal(e.code, "thr::facts::out_of_range");
  assert.equal(e.kind, "facts");
  assert.equal(e.class, "facts_invalid", "the engine's class of the failure");
  assert.deepEqual(e.diagnostics.map((d) => [d.code, d.fact]), [
    ["thr::facts::out_of_range", "age_years"],
    ["thr::facts::unknown_fact", "imediate_danger"],
  ]);
  assert.ok(e.diagnostics.every((d) => d.severity === "error" && d.message.length > 0));
  const j = thrown(() => rs.evaluateJson("{"));
  assert.equal(j.code, "thr::facts::invalid_json");
  assert.equal(j.class, "facts_invalid_json");
});

test("rules errors carry file, line and column", () => {
  const e = thrown(() => Ruleset.fromSource('ruleset "x" version "1"\nrule R { when nope then level x }', "bad.thr"));
  assert.ok(e instanceof Error);
  assert.equal(e.kind, "rules");
  assert.equal(e.class, "rules_invalid");
  assert.ok(e.code.startsWith("thr::"));
  const first = e.diagnostics[0];
  assert.equal(first.file, "bad.thr");
  assert.equal(typeof first.line, "number");
  assert.equal(typeof first.column, "number");
});

test("host values the engine cannot take are request errors", () => {
  for (const bad of [5, "text", null]) {
    const e = thrown(() => Ruleset.fromSources(bad));
    assert.equal(e.code, "thr::request::invalid");
    assert.equal(e.kind, "request");
  }
  const cyclic = {};
  cyclic.self = cyclic;
  const e = thrown(() => Ruleset.fromSource(tour).evaluate(cyclic));
  assert.equal(e.code, "thr::request::invalid");
  const big = thrown(() => Ruleset.fromSource(tour).evaluate({ age_years: 10n }));
  assert.equal(big.code, "thr::request::invalid");
});

test("fromSources() builds one rule set from several files", () => {
  const cut = tour.indexOf("\nfact ");
  assert.ok(cut > 0);
  const split = Ruleset.fromSources({ "b-facts-and-rules.thr": tour.slice(cut), "a-header.thr": tour.slice(0, cut) });
  const whole = Ruleset.fromSource(tour);
  for (const facts of [{}, { immediate_danger: true }, { age_years: 14, sexual_activity: "penetrative" }]) {
    const a = split.evaluate(facts);
    const b = whole.evaluate(facts);
    assert.deepEqual([a.level, a.pathways, a.status, a.missing], [b.level, b.pathways, b.status, b.missing]);
  }
});

test("facts(), info() and the getters describe the rule set", () => {
  const rs = Ruleset.fromSource(tour);
  const facts = rs.facts();
  const age = facts.find((f) => f.id === "age_years");
  assert.deepEqual([age.type, age.min, age.max], ["int", 0, 25]);
  assert.ok(age.question.length > 0);
  const sex = facts.find((f) => f.id === "sexual_activity");
  assert.deepEqual(sex.values, ["none", "non_penetrative", "penetrative"]);
  const info = rs.info();
  assert.equal(info.name, rs.name);
  assert.equal(info.version, rs.version);
  assert.match(rs.hash, /^sha256:[0-9a-f]{64}$/);
  assert.equal(info.pathways[0].id, "call_999");
  assert.match(info.pathways.find((p) => p.id === "irh_phone_now").todo, /020 7926 3100/);
  assert.deepEqual(info.levels.map((l) => l.id), ["universal", "early_help", "complex", "acute"]);
  assert.ok(Array.isArray(rs.warnings()));
});

test("the default rule set evaluates every example referral", () => {
  const rs = Ruleset.default();
  const dir = `${root}examples/referrals/`;
  const names = readdirSync(dir).filter((f) => f.endsWith(".json"));
  assert.ok(names.length > 0);
  for (const f of names) {
    const d = rs.evaluate(JSON.parse(readFileSync(dir + f, "utf8")));
    assert.ok(rs.info().levels.some((l) => l.id === d.level), `${f}: ${d.level}`);
    assert.equal(d.ruleset.hash, rs.hash);
  }
});

test("an escalation and a comparison are the core's, through the JS API", () => {
  const rs = Ruleset.fromSource(tour, "rules/examples/tour/tour.thr");
  const d = rs.evaluate({ age_years: 9 }, { escalation: { level: "acute", reason: "Disclosure" } });
  assert.equal(d.level, "acute");
  assert.deepEqual(d.escalation, { level: "acute", reason: "Disclosure", from: rs.evaluate({ age_years: 9 }).level, raised: true });
  assert.equal(JSON.stringify(d), rs.evaluateJson('{"age_years":9}', JSON.stringify({ escalation: { level: "acute", reason: "Disclosure" } })));
  const e = thrown(() => rs.evaluate({}, { escalation: { level: "acutee", reason: "x" } }));
  assert.equal(e.code, "thr::request::invalid");
  assert.equal(e.kind, "request");

  const edited = tour.replace("  when school_attendance == some_absence\n  then level early_help", "  when school_attendance == some_absence\n  then level complex");
  assert.notEqual(edited, tour);
  const newer = Ruleset.fromSource(edited, "tour-new.thr");
  const c = JSON.parse(rs.compareJson(newer, '[{"school_attendance": "some_absence"}, {"immediate_danger": true}]'));
  assert.equal(c.total, 2);
  assert.equal(c.changed, 1);
  assert.equal(c.changes[0].index, 0);
  assert.equal(c.changes[0].new.level, "complex");
  assert.equal(thrown(() => rs.compareJson(newer, '[{"age": 3}]')).code, "thr::facts::unknown_fact");
  rs.free();
  newer.free();
});
