/** A fact value: bool, int, enum code, or set of codes. `null` or absent means unknown. */
export type FactValue = boolean | number | string | string[] | null;
/** Facts about a child, keyed by fact id. */
export type Facts = Record<string, FactValue | undefined>;

/** What answering a missing fact could change: the level, and which pathways it could add or remove. */
export interface MissingChanges { level: boolean; pathways: string[]; }

/** An unknown fact that could change the decision. */
export interface Missing { fact: string; question: string; changes: MissingChanges; }

/** What a fired rule set. */
export interface Effects {
  level?: string;
  exact?: boolean;
  pathways?: string[];
  exploitation?: Record<string, string>;
  /** Present (true) when the rule marks the level as advice only. */
  advisory?: boolean;
}

/** One fired rule (or matrix result) and why. */
export interface Reason {
  rule: string;
  title?: string;
  set: Effects;
  facts: Record<string, FactValue>;
  guidance?: string;
  citation?: string;
  reason: string;
}

/** A decision: the same shape as the decision JSON. */
export interface Decision {
  /** On a provisional decision, the lowest level over every answer to the missing facts ("at least"). */
  level: string | null;
  /** On a provisional decision, the highest level the missing facts could still lead to. */
  could_reach?: string;
  /** Present (true) when the level is advice only (e.g. a young adult: adult services decide). */
  advisory?: boolean;
  /** The practitioner's escalation, when one was asked for. */
  escalation?: Escalated;
  pathways: string[];
  exploitation: Record<string, string>;
  status: "complete" | "provisional";
  /** Most decisive first. */
  missing: Missing[];
  reasons: Reason[];
  /** With `questions: true` in the request: the unanswered questions that could still change this, best first. */
  questions?: Question[];
  /** With `summary: true` in the request: the practitioner's summary, worded by the engine. */
  summary?: Summary;
  /** With `explain: true` in the request: what would change the level, up or down. */
  explain?: Explanation;
  ruleset: { name: string; version: string; hash: string };
}

/** What would change a decision: per level above, the smallest sets of answers or changes that
 * reach it (each checked: enough on its own, and no change in it can be dropped); for the
 * level below, the changes to known answers that lower it. */
export interface Explanation {
  /** The level the changes start from: the rules' level (before any escalation). */
  from: string;
  /** Per level above the decided one, lowest first. */
  raise: ExplainTarget[];
  /** The level below; absent at the lowest level or when no change of up to three lowers it. */
  lower?: ExplainTarget;
  /** Set when the rule set is too large to explain. */
  unavailable?: string;
}

/** A level and the ways to reach it. */
export interface ExplainTarget {
  level: string;
  label: string;
  /** Fewest changes first; empty when up to three changes do not reach it. */
  ways: ExplainWay[];
  /** Ways left out. */
  more: number;
}

/** Change sets with the same effect: the same rules would start (raise) or stop (lower) deciding. */
export interface ExplainWay {
  /** The deciding rule's title (raise), or the rule that would no longer hold (lower). */
  title: string;
  rules: string[];
  /** Matrix categories that would change, with their new category. */
  exploitation: Record<string, string>;
  /** Alternatives, each enough on its own, fewest changes first. */
  sets: ExplainChange[][];
  /** Sets left out. */
  more: number;
}

/** One fact's new answer. */
export interface ExplainChange {
  fact: string;
  /** The new answer (for a number, the lowest of a range). */
  value: unknown;
  /** For a number: any value from `value` up to this one will do. */
  up_to?: number;
  /** The answer now; absent when the fact is unknown. */
  from?: unknown;
  /** In words, e.g. `cse indicators: add missing overnight`. */
  text: string;
}

/** One line of a summary: what it is about, its label, and what it says. */
export interface SummaryLine { id: string; label: string; text: string; }

/** The practitioner's summary of a decision, as every host words it. */
export interface Summary {
  /** The level as shown (`at least X — could still be Y` while provisional). */
  level: string;
  /** Whether unknown answers could still change it, in a sentence. */
  status: string;
  advisory?: string;
  escalation?: string;
  /** What to do (label, what it means), most urgent first. */
  pathways: SummaryLine[];
  /** Each matrix's category as shown (`not yet known`, `at least medium`). */
  exploitation: SummaryLine[];
  reasons: { rule: string; title: string; reason: string; citation?: string; facts: string[] }[];
  /** The answers given (question, answer in words). */
  answers: SummaryLine[];
  /** Still unknown (question, what it could change), most decisive first. */
  missing: SummaryLine[];
  /** With `questions`: what to ask next, best first. */
  ask: { id: string; question: string; text: string; items: string[] }[];
  ruleset: string;
  advice: string;
  /** All of it as plain text: what "copy summary" copies and the CLI prints. */
  text: string;
}

/** One item of a checklist or of the triage question. */
export interface QuestionItem {
  /** The fact id, `fact:code` for a set code, or the area id. */
  id: string;
  text: string;
  /** The facts it answers (one, or an area's facts). */
  facts: string[];
  /** For a set code: the code. */
  code?: string;
}

/** An unanswered question: one control a practitioner fills in at once. */
export interface Question {
  /** The fact id (a fact on its own), the checklist id, or `triage`. */
  id: string;
  /** As put for this child (a `question when` variant where one holds). */
  text: string;
  kind: "yes_no" | "choice" | "number" | "checklist" | "areas";
  /** The unanswered facts it answers. */
  facts: string[];
  /** The items of a checklist or of the triage question. */
  items?: QuestionItem[];
  changes: MissingChanges;
}

/** A practitioner's escalation as the decision records it. */
export interface Escalated {
  level: string;
  reason: string;
  /** The level the rules decided ("at least" on a provisional decision). */
  from: string | null;
  /** False when the rules' level was already as high: nothing changed. */
  raised: boolean;
}

/** Options for one evaluation; every key is optional. */
export interface Request {
  reasons?: boolean;
  missing?: boolean;
  /** Escalate to a level, with the practitioner's reason (never lowers the level). */
  escalation?: { level: string; reason: string } | null;
  /** Add the ranked `questions` to the decision. */
  questions?: boolean;
  /** Question ids already answered whose facts may still be unknown (`"triage"`). */
  answered?: string[];
  /** Add the practitioner's `summary` to the decision (needs `reasons`). */
  summary?: boolean;
  /** Add what would change the level (`explain`) to the decision. */
  explain?: boolean;
}

/** A declared fact, for building forms. */
export interface FactInfo {
  id: string;
  type: "bool" | "int" | "enum" | "set";
  min?: number;
  max?: number;
  values?: string[];
  question: string;
  help?: string;
  domain?: string;
  /** The answer that raises no concern, when there is one. */
  benign?: FactValue;
}

/** What a rule set contains. */
export interface RulesetInfo {
  name: string;
  version: string;
  hash: string;
  levels: { id: string; label: string; pathways: string[] }[];
  /** Most urgent first. */
  pathways: { id: string; label: string; todo: string }[];
  /** `facts`: what the category depends on (while one is unknown, the category is not yet known). */
  matrices: { id: string; label: string; categories: string[]; facts: string[] }[];
  guidance: { id: string; title: string }[];
  rules: number;
}

/** One diagnostic. */
export interface DetailedError {
  code: string;
  message: string;
  severity: "error" | "warning";
  help?: string;
  fact?: string;
  file?: string;
  line?: number;
  column?: number;
  related?: string[];
}

/** What every throwing method throws. */
export interface ThresholdsError extends Error {
  /** The first error's stable code, e.g. `thr::facts::unknown_fact`. */
  code: string;
  /** Which input was at fault. */
  kind: "rules" | "facts" | "request";
  /** What kind of failure, as the engine classes it (the C binding's status follows it). */
  class: "rules_syntax" | "rules_invalid" | "rules_limit" | "facts_invalid_json" | "facts_invalid" | "facts_limit" | "eval_limit" | "request" | "internal";
  /** Every error and warning. */
  diagnostics: DetailedError[];
}
