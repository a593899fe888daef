/** Facts about a child, keyed by fact id. `null` or absent means unknown. */
export type Facts = Record<string, FactValue | null | undefined>;

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

// <generated> from the engine's Rust types by tests/src/types.rs: do not edit by hand
/** A decision: the level, what to do, why, and what is still unknown. */
export interface Decision {
    /** The level id, or null when the rule set has no levels. On a provisional decision, the lowest level over every possible answer to the missing facts ("at least"). */
    level: string | null;
    /** On a provisional decision, the highest level the missing facts could still lead to (equal to `level` when they could only change pathways); absent otherwise. */
    could_reach?: string;
    /** True when a fired rule marks the level as advice only (e.g. a young adult, for whom adult services decide); only present when true. */
    advisory?: boolean;
    /** The practitioner's escalation, when one was asked for; absent otherwise. */
    escalation?: Escalated;
    /** Pathway ids, most urgent first. */
    pathways: string[];
    /** Each matrix's category. */
    exploitation: Record<string, string>;
    /** `complete` or `provisional`. */
    status: Status;
    /** Unknown facts that could change the decision, most decisive first. */
    missing: Missing[];
    /** Fired rules, in rule-set order. */
    reasons: Reason[];
    /** When asked for (`"questions": true` in a request): the unanswered questions that could still change the decision, best first; absent otherwise. */
    questions?: Question[];
    /** When asked for (`"summary": true` in a request): the practitioner's summary, worded as every host shows it; absent otherwise. */
    summary?: Summary;
    /** When asked for (`"explain": true` in a request): what would change the rules' level, up or down ("what would make this acute?"); absent otherwise. */
    explain?: Explanation;
    /** The rule set. */
    ruleset: RulesetRef;
}

/** An escalation as the decision records it. */
export interface Escalated {
    /** The level the practitioner escalated to. */
    level: string;
    /** Their reason. */
    reason: string;
    /** The level the rules decided ("at least", on a provisional decision). */
    from: string | null;
    /** True when the escalation raised the level; false when the rules' level was already as high, and nothing changed. */
    raised: boolean;
}

/** Whether unknown facts could still change the decision. */
export type Status = "complete" | "provisional";

/** An unknown fact that could change the decision. */
export interface Missing {
    /** The fact id. */
    fact: string;
    /** The question a practitioner answers to supply it. */
    question: string;
    /** What answering it could change. */
    changes: MissingChanges;
}

/** What an unknown fact could change: the level, and which pathways it could add or remove. */
export interface MissingChanges {
    /** True when some answer to it could change the level. */
    level: boolean;
    /** Pathway ids (most urgent first) that some answer to it could add or remove. */
    pathways: string[];
}

/** One fired rule (or matrix result) and why. */
export interface Reason {
    /** Rule id, or `matrix:<id>` for a matrix result. */
    rule: string;
    /** The rule's title. */
    title?: string;
    /** What it set. */
    set: Effects;
    /** The facts it read, with their values (null when unknown). */
    facts: Record<string, FactValue | null>;
    /** The guidance id it cites. */
    guidance?: string;
    /** The guidance and section it comes from. */
    citation?: string;
    /** The reason in plain English. */
    reason: string;
}

/** What a fired rule set. */
export interface Effects {
    /** The level it sets (at least, unless `exact`). */
    level?: string;
    /** True when the rule sets the level exactly rather than at least. */
    exact?: boolean;
    /** Pathways it adds. */
    pathways?: string[];
    /** Matrix categories it sets (at least). */
    exploitation?: Record<string, string>;
    /** True when the rule marks the level as advice only. */
    advisory?: boolean;
}

/**
 * A fact's value in JSON, for the hosts' generated types: a bool, a whole number, an enum code
 * or a set's codes. Facts travel as JSON values; this type only describes them.
 */
export type FactValue = boolean | number | string | string[];

/** An unanswered question that could still change the decision. */
export interface Question {
    /** The fact id (a fact on its own), the checklist id, or `triage`. */
    id: string;
    /** The question, as put for this child (a `question when` variant where one holds). */
    text: string;
    /** The control it is answered with. */
    kind: QuestionKind;
    /** The unanswered facts it answers. */
    facts: string[];
    /** The items of a checklist or of the triage question, in declaration order. */
    items?: QuestionItem[];
    /** What answering it could change: the union over its facts in `missing`. */
    changes: MissingChanges;
}

/** What kind of control a question is answered with. */
export type QuestionKind = "yes_no" | "choice" | "number" | "checklist" | "areas";

/** One item of a checklist or the triage question. */
export interface QuestionItem {
    /** The fact id, `fact:code` for a set code, or the area id. */
    id: string;
    /** What the practitioner reads. */
    text: string;
    /** The facts the item answers (one, or an area's unanswered facts). */
    facts: string[];
    /** For a set code: the code. */
    code?: string;
}

/** What a practitioner reads about a decision, worded once for every host. */
export interface Summary {
    /** The level as shown, never a provisional level as if it were settled: `Complex needs (Child in Need, s17)`, `at least Early help — could still be Acute / child protection (s47)`, `Early help (what to do could still change)`, or `none`. */
    level: string;
    /** Whether unknown answers could still change it, in a sentence. */
    status: string;
    /** Present when the decision is advice only. */
    advisory?: string;
    /** Present when the practitioner escalated: what was recorded, and their reason. */
    escalation?: string;
    /** What to do, most urgent first: pathway id, label and what it means. */
    pathways: SummaryLine[];
    /** Each matrix: id, label and its category as shown (`not yet known` or `at least medium` while a fact it depends on is unanswered). */
    exploitation: SummaryLine[];
    /** Why: each fired rule, with its title, reason, source and the facts it read. */
    reasons: SummaryReason[];
    /** The answers given (only when the facts are summarised too): fact id, question, answer. */
    answers: SummaryLine[];
    /** Still unknown, most decisive first: fact id, question, what it could change. */
    missing: SummaryLine[];
    /** When the decision ranks its questions: what to ask next, best first. */
    ask: SummaryAsk[];
    /** The rule set: name, version and hash. */
    ruleset: string;
    /** The standing reminder that this is advice and the practitioner can escalate. */
    advice: string;
    /** All of the above as plain text: what the CLI prints and "copy summary" copies. */
    text: string;
}

/** One line of a summary: what it is about (an id), its label, and its text. */
export interface SummaryLine {
    /** Pathway, matrix or fact id. */
    id: string;
    /** Its label or question. */
    label: string;
    /** What it says: what to do, the category, the answer, or what it could change. */
    text: string;
}

/** Why: one fired rule. */
export interface SummaryReason {
    /** Rule id. */
    rule: string;
    /** Its title, or its id when it has none. */
    title: string;
    /** The reason in plain English. */
    reason: string;
    /** The guidance and section it comes from. */
    citation?: string;
    /** The facts it read, as `fact = value`. */
    facts: string[];
}

/** A question to ask next. */
export interface SummaryAsk {
    /** Question id (a fact, a checklist or `triage`). */
    id: string;
    /** The question as put for this child. */
    question: string;
    /** What answering it could change. */
    text: string;
    /** The items to tick, for a checklist or the triage question. */
    items: string[];
}

/** What would change a decision. */
export interface Explanation {
    /** The level the changes start from: the rules' level (before any escalation; on a provisional decision, the level reported, "at least"). */
    from: string;
    /** Per level above the decided one, lowest first: what would reach it. */
    raise: ExplainTarget[];
    /** The level below the decided one: what changes to known answers would lower the level to it or below. Absent at the lowest level or when no change of at most `MAX_CHANGES` answers lowers it. */
    lower?: ExplainTarget;
    /** Set when the rule set is too large to explain (its diagrams are over the node budget): then `raise` is empty and `lower` absent. */
    unavailable?: string;
}

/** One level and the ways to reach it. */
export interface ExplainTarget {
    /** The level id. */
    level: string;
    /** The level's label. */
    label: string;
    /** The ways, fewest changes first. Empty when no set of at most `MAX_CHANGES` changes reaches the level. */
    ways: ExplainWay[];
    /** Ways left out (beyond the first few). */
    more: number;
    /** Set when the search had to leave sets out at some step (it keeps at most 48 sets of two or more changes per step) and found no way with fewer changes than those: other ways, with as few changes as some shown, may exist. Absent otherwise: the ways are every way of at most three changes or, where sets were left out, every way with fewer changes than they have (so the ways shown never depend on the diagrams' variable order). */
    truncated?: boolean;
}

/**
 * Change sets with the same effect: the same rules would start (to raise) or stop (to lower)
 * deciding the level.
 */
export interface ExplainWay {
    /** What changes, in words: the deciding rule's title (raising), or the rule that would no longer hold (lowering). */
    title: string;
    /** Rule ids: those that would fire and set a level at or above the target (raising), or those that would stop firing (lowering), in rule-set order. `matrix:<id>` for a matrix. */
    rules: string[];
    /** Matrix categories that would change, with their new category. */
    exploitation: Record<string, string>;
    /** Alternative minimal change sets, fewest changes first; each is enough on its own. */
    sets: ExplainChange[][];
    /** Sets left out. */
    more: number;
}

/** One fact's new answer. */
export interface ExplainChange {
    /** The fact id. */
    fact: string;
    /** The new answer (for a number, the lowest of a range). */
    value: FactValue;
    /** For a number: any value from `value` up to this one will do. */
    up_to?: number;
    /** The answer now; absent when the fact is unknown. */
    from?: FactValue;
    /** In words, e.g. `cse indicators: add missing overnight`. */
    text: string;
}

/** Which rule set made a decision. */
export interface RulesetRef {
    /** Rule-set name. */
    name: string;
    /** Rule-set version. */
    version: string;
    /** `sha256:` of the normalised source. */
    hash: string;
}

/** A declared fact, for building forms. */
export interface FactInfo {
    /** Fact id. */
    id: string;
    /** `bool`, `int`, `enum` or `set`. */
    type: string;
    /** Smallest allowed int. */
    min?: number;
    /** Largest allowed int. */
    max?: number;
    /** Allowed codes of an enum or set. */
    values?: string[];
    /** The question a practitioner is asked. */
    question: string;
    /** Help text. */
    help?: string;
    /** Domain of need. */
    domain?: string;
    /** The answer that raises no concern (`benign`; `false` and `[]` for yes/no and set facts unless declared), when there is one. */
    benign?: FactValue;
}

/** What a rule set contains. */
export interface RulesetInfo {
    /** Name. */
    name: string;
    /** Version. */
    version: string;
    /** Hash of the normalised source. */
    hash: string;
    /** Levels, lowest first. */
    levels: LevelInfo[];
    /** Pathways, most urgent first. */
    pathways: PathwayInfo[];
    /** Matrices. */
    matrices: MatrixInfo[];
    /** Guidance documents. */
    guidance: GuidanceInfo[];
    /** Number of rules. */
    rules: number;
}

/** A level. */
export interface LevelInfo {
    /** Level id. */
    id: string;
    /** Label. */
    label: string;
    /** Default pathways. */
    pathways: string[];
}

/** A pathway. */
export interface PathwayInfo {
    /** Pathway id. */
    id: string;
    /** Label. */
    label: string;
    /** What the practitioner does. */
    todo: string;
}

/** A matrix. */
export interface MatrixInfo {
    /** Matrix id. */
    id: string;
    /** Label. */
    label: string;
    /** Categories, lowest first. */
    categories: string[];
    /** The facts its category depends on (its bands and score, and the rules that raise it): while one is unknown, a host shows the category as not yet known. */
    facts: string[];
}

/** A guidance document. */
export interface GuidanceInfo {
    /** Guidance id. */
    id: string;
    /** Title. */
    title: string;
}

/** One diagnostic as JSON: the `DetailedError` shape every binding returns. */
export interface DetailedError {
    /** Stable code. */
    code: string;
    /** One-line message. */
    message: string;
    /** `error` or `warning`. */
    severity: string;
    /** How to fix it. */
    help?: string;
    /** The fact a facts error is about. */
    fact?: string;
    /** Rule file. */
    file?: string;
    /** 1-based line. */
    line?: number;
    /** 1-based column. */
    column?: number;
    /** Other places involved, as `file:line:col: note`. */
    related?: string[];
}

/** What changes when `new` replaces `old`, over a set of referrals. */
export interface Comparison {
    /** How many referrals were compared. */
    total: number;
    /** How many of them change level or pathways. */
    changed: number;
    /** Counts of (old level, new level) over every referral, unchanged ones included; ordered by the old level, then the new (lowest first, no level last). */
    transitions: Transition[];
    /** Per pathway (most urgent first), how many referrals gain it and how many lose it; only pathways that some referral gains or loses. */
    pathways: PathwayChange[];
    /** The referrals whose level or pathways change, in input order, with both decisions. */
    changes: ComparisonChange[];
}

/** How many referrals go from one level to another. */
export interface Transition {
    /** The level under the old rules. */
    from: string | null;
    /** The level under the new rules. */
    to: string | null;
    /** How many referrals. */
    count: number;
}

/** How many referrals gain or lose one pathway. */
export interface PathwayChange {
    /** The pathway id. */
    pathway: string;
    /** Referrals that have it under the new rules and not under the old. */
    added: number;
    /** Referrals that have it under the old rules and not under the new. */
    removed: number;
}

/** One referral whose level or pathways change. */
export interface ComparisonChange {
    /** Its position in the input (0-based). */
    index: number;
    /** Its facts, as given. */
    facts: Record<string, FactValue>;
    /** The decision under the old rules. */
    old: Decision;
    /** The decision under the new rules. */
    new: Decision;
}

// </generated>
