// Runs every conformance vector (tests/vectors/*.json, format in tests/README.md) through the
// Node.js package and asserts byte-identical decision JSON, or the same error codes.
// THR_TEST=substr runs only the vectors whose name contains substr.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const { Ruleset } = require("../pkg-node/thresholds_wasm.js");

const root = fileURLToPath(new URL("../../", import.meta.url));
const vectorDir = join(root, "tests/vectors");

/** Vectors known to fail here. Must stay empty. */
const SKIP = [];

/** A string, or generated text (prefix, `repeat` `times` times with {n} numbered, suffix). */
function text(field) {
  if (typeof field === "string") return field;
  let body = "";
  for (let n = 0; n < field.times; n++) body += (field.repeat ?? "").replaceAll("{n}", String(n));
  return (field.prefix ?? "") + body + (field.suffix ?? "");
}

/** The rule files a vector names, keyed by their path from the repository root (as the Rust runner). */
function sources(v) {
  if (v.source !== undefined) return null;
  const path = join(root, v.rules);
  const files = statSync(path).isDirectory()
    ? readdirSync(path).filter((f) => f.endsWith(".thr")).sort().map((f) => join(path, f))
    : [path];
  return Object.fromEntries(files.map((f) => [relative(root, f), readFileSync(f, "utf8")]));
}

function run(v) {
  const files = sources(v);
  const rs = files === null ? Ruleset.fromSource(text(v.source), "inline.thr") : Ruleset.fromSources(files);
  try {
    const factsText = v.factsText !== undefined ? text(v.factsText) : JSON.stringify(v.facts ?? null);
    return v.request !== undefined ? rs.evaluateJson(factsText, JSON.stringify(v.request)) : rs.evaluateJson(factsText);
  } finally {
    rs.free();
  }
}

const filter = process.env.THR_TEST ?? "";
const files = readdirSync(vectorDir).filter((f) => f.endsWith(".json")).sort();
let count = 0;
for (const file of files) {
  const doc = JSON.parse(readFileSync(join(vectorDir, file), "utf8"));
  assert.ok(Array.isArray(doc.vectors) && doc.vectors.length > 0, `${file} has no vectors`);
  for (const v of doc.vectors) {
    if (!v.name.includes(filter) || SKIP.includes(v.name)) continue;
    count++;
    test(`${file} / ${v.name}`, () => {
      if (v.expect.decision !== undefined) {
        assert.equal(run(v), JSON.stringify(v.expect.decision));
      } else {
        let err;
        try {
          const out = run(v);
          assert.fail(`expected errors ${JSON.stringify(v.expect.errorCodes)}, got a decision: ${out}`);
        } catch (e) {
          err = e;
        }
        assert.ok(err instanceof Error, "errors are thrown as Error objects");
        if (err.code === "ERR_ASSERTION") throw err;
        const codes = err.diagnostics.filter((d) => d.severity === "error").map((d) => d.code);
        assert.deepEqual(codes, v.expect.errorCodes);
        assert.equal(err.code, v.expect.errorCodes[0], ".code is the first error's code");
      }
    });
  }
}

test("vectors ran", () => {
  assert.ok(count > 0, "no vectors ran");
  assert.deepEqual(SKIP, [], "the skip list must stay empty");
});
