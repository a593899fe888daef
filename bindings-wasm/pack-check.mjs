// Checks the npm package as a user installs it: run from a scratch project into which the
// tarball of `npm pack` was installed (scripts/test-wasm.sh does this). CommonJS `require`, an
// ES `import` (both resolve to the Node.js build through the package's exports) and the
// TypeScript declarations must all work, and decide as the repository's build does.
//   node bindings-wasm/pack-check.mjs SCRATCH_DIR
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const scratch = process.argv[2];
const here = fileURLToPath(new URL(".", import.meta.url));
const require = createRequire(join(scratch, "package.json"));
const local = createRequire(import.meta.url)(join(here, "pkg-node/thresholds_wasm.js"));

const facts = JSON.stringify({ age_years: 14, cse_indicators: ["late_nights", "going_missing"] });
const want = local.Ruleset.default().evaluateJson(facts);

const cjs = require("thresholds-wasm");
assert.equal(cjs.Ruleset.default().evaluateJson(facts), want, "require('thresholds-wasm') decides as the build does");
// An ES module in the scratch project, resolving the package through its exports.
writeFileSync(join(scratch, "use.mjs"), `import { Ruleset } from "thresholds-wasm";
process.stdout.write(Ruleset.default().evaluateJson(process.argv[2]));
`);
const imported = execFileSync(process.execPath, [join(scratch, "use.mjs"), facts], { cwd: scratch, encoding: "utf8" });
assert.equal(imported, want, "import { Ruleset } from 'thresholds-wasm' decides the same");
const pkg = require("thresholds-wasm/package.json");
assert.equal(pkg.name, "thresholds-wasm");
require.resolve("thresholds-wasm/thresholds_wasm_bg.wasm");

// The declarations, as a TypeScript user sees them.
writeFileSync(join(scratch, "use.ts"), `import { Ruleset } from "thresholds-wasm";
const rs = Ruleset.default();
const d = rs.evaluate({ age_years: 14 }, { summary: true });
const level: string | null = d.level;
const text: string | undefined = d.summary?.text;
export const shown: [string | null, number | undefined] = [level, text?.length];
`);
writeFileSync(join(scratch, "tsconfig.json"), JSON.stringify({
  compilerOptions: { module: "node16", moduleResolution: "node16", target: "esnext", lib: ["esnext"], strict: true, noEmit: true, types: [] },
  files: ["use.ts"],
}));
execFileSync(join(here, "node_modules/.bin/tsc"), ["-p", join(scratch, "tsconfig.json")], { stdio: "inherit" });
console.log(`npm package: installed, required, imported and type-checked (${pkg.name} ${pkg.version})`);
