// The wasm host for scripts/bench-hosts.sh: the Node package's Ruleset.fromSources over the .thr
// files given, the decisions of the first SAMPLE lines to SAMPLE_OUT, then evaluateJson(text) per
// line, PASSES timed passes after one untimed pass; prints each pass's total in ns, one a line.
//
//   node host_node.mjs PKG_DIR LINES PASSES SAMPLE SAMPLE_OUT RULE.thr...
import { readFileSync, writeFileSync } from "node:fs";
import { basename, resolve } from "node:path";
import { createRequire } from "node:module";

const [pkg, linesPath, passesArg, sampleArg, sampleOut, ...rules] = process.argv.slice(2);
const require = createRequire(import.meta.url);
const { Ruleset } = require(resolve(pkg, "thresholds_wasm.js"));

const files = {};
for (const r of rules) files[basename(r)] = readFileSync(r, "utf8");
const rs = Ruleset.fromSources(files);
const lines = readFileSync(linesPath, "utf8").split("\n").filter((l) => l.length > 0);
const passes = Number(passesArg);
const sample = Number(sampleArg);

writeFileSync(sampleOut, lines.slice(0, sample).map((l) => rs.evaluateJson(l) + "\n").join(""));
let sink = 0;
for (let pass = -1; pass < passes; pass++) {
  const t0 = process.hrtime.bigint();
  for (const l of lines) sink += rs.evaluateJson(l).length;
  const t1 = process.hrtime.bigint();
  if (pass >= 0) console.log(String(t1 - t0));
}
if (sink === 0) console.error("no output");
