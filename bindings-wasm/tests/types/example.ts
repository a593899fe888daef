// A small typed program over the generated declarations; `tsc --noEmit` checks it (and that
// wrong uses do not type-check, via @ts-expect-error).
import init, { Ruleset } from "../../pkg/thresholds_wasm.js";
import type { Decision, FactInfo, Facts, RulesetInfo, ThresholdsError } from "../../pkg/thresholds_wasm.js";

export async function check(): Promise<string> {
  await init();
  const rs: Ruleset = Ruleset.default();
  const facts: Facts = { age_years: 14, immediate_danger: false, cse_indicators: ["late_nights"], consent: null };
  const d: Decision = rs.evaluate(facts);
  const level: string | null = d.level;
  const first: string | undefined = d.pathways[0];
  const questions: string[] = d.missing.map((m) => m.question);
  const citations: (string | undefined)[] = d.reasons.map((r) => r.citation);
  const status: "complete" | "provisional" = d.status;
  const text: string = rs.evaluateJson(JSON.stringify(facts));
  const declared: FactInfo[] = rs.facts();
  const info: RulesetInfo = rs.info();
  const todo: string[] = info.pathways.map((p) => p.todo);
  const other: Ruleset = Ruleset.fromSources({ "a.thr": "ruleset \"x\" version \"1\"" });
  try {
    Ruleset.fromSource("not rules", "bad.thr");
  } catch (e) {
    const err = e as ThresholdsError;
    const codes: string[] = err.diagnostics.map((x) => x.code);
    const where: number | undefined = err.diagnostics[0]?.line;
    return `${err.code} ${codes.join(",")} ${where}`;
  }
  // @ts-expect-error facts values are booleans, numbers, codes or lists of codes
  rs.evaluate({ age_years: { years: 14 } });
  // @ts-expect-error evaluateJson takes text
  rs.evaluateJson(facts);
  // @ts-expect-error the hash is read-only
  rs.hash = "sha256:0";
  // @ts-expect-error an unknown method
  rs.decide(facts);
  other.free();
  return [level, first, questions, citations, status, text, declared.length, todo, rs.name].join(" ");
}
