// The referral checker: a form built from the rule set's declared facts, and a decision that is
// re-evaluated in this browser (WebAssembly) on every answer. Nothing is sent anywhere.
//
// Two modes share one set of answers: the guided interview (the default) asks the engine's
// top-ranked question, one control at a time; "Show all questions" is the whole form.
//
// Stable hooks (for tests and partner sites):
//   - #current-question carries data-question (the engine's question id; "" when nothing is
//     left to ask). Its controls: radios name="answer" (yes/no: "true"/"false"; a choice: the
//     code), an <input type=number name=answer>, or checkboxes name="answer-item" (value = item
//     id) with #answer-none for "None of these"; #answer-next submits, #answer-skip is
//     "Don't know". #answers lists the answers, each with a "Change" button (data-change).
//   - #mode-toggle switches between the guided interview and all questions.
//   - each question's control has name = fact id. bool and enum: <select> whose values are as in
//     the facts JSON ("true"/"false" for bool) plus "" for "Don't know"; int: <input type=number>
//     (empty = don't know); set: checkboxes with value = code, plus a "None of these" checkbox
//     (data-none-of = fact id); no box ticked = don't know.
//   - #decision carries data-level (the engine's level id), data-status and data-pathways
//     (pathway ids, space-separated, most urgent first); data-escalated-level when a
//     practitioner has raised the level.
//   - performance marks/measures: "thresholds:first-decision", "thresholds:evaluate".
import init, { Ruleset } from "./pkg/thresholds_wasm.js";

const $ = (id) => document.getElementById(id);

/** Text for a code: `some_absence` -> `Some absence`. */
function humanize(code) {
  const s = String(code).replace(/_/g, " ");
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "text") e.textContent = v;
    else e.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) e.append(c);
  return e;
}

const DOMAIN_TITLES = { "": "About the child and the concern" };

/** Builds one question's control from its declared fact. */
function question(f) {
  const id = `q-${f.id}`;
  const helpId = f.help ? `${id}-help` : undefined;
  const help = f.help ? el("span", { class: "help", id: helpId, text: f.help }) : null;
  const wrap = el("div", { class: "question", "data-fact": f.id, "data-type": f.type });
  if (f.type === "set") {
    const boxes = (f.values ?? []).map((code) =>
      el("label", {}, el("input", { type: "checkbox", name: f.id, value: code, id: `${id}-${code}` }), humanize(code)),
    );
    const none = el("label", { class: "none-of" },
      el("input", { type: "checkbox", "data-none-of": f.id, id: `${id}--none` }), "None of these");
    wrap.append(el("fieldset", { id, tabindex: "-1", "aria-describedby": helpId },
      el("legend", { text: f.question }), help, el("div", { class: "checks" }, boxes, none)));
    return wrap;
  }
  let control;
  if (f.type === "int") {
    control = el("input", { type: "number", name: f.id, id, min: f.min, max: f.max, step: 1, inputmode: "numeric", "aria-describedby": helpId });
  } else {
    const values = f.type === "bool" ? [["true", "Yes"], ["false", "No"]] : (f.values ?? []).map((v) => [v, humanize(v)]);
    control = el("select", { name: f.id, id, "aria-describedby": helpId },
      el("option", { value: "", text: "Don't know" }),
      values.map(([v, t]) => el("option", { value: v, text: t })));
  }
  wrap.append(...[el("label", { for: id, text: f.question }), help, control].filter(Boolean));
  if (f.type === "int") {
    wrap.append(el("span", { class: "help", id: `${id}-range`, text: `${f.min}–${f.max}; leave empty if you do not know.` }));
    control.setAttribute("aria-describedby", [helpId, `${id}-range`].filter(Boolean).join(" "));
  }
  return wrap;
}

/** Builds the form: one fieldset per domain of need, in the order facts are declared. */
function buildForm(form, facts) {
  const groups = new Map();
  for (const f of facts) {
    const key = f.domain ?? "";
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(f);
  }
  for (const [domain, list] of groups) {
    form.append(el("fieldset", {}, el("legend", { text: DOMAIN_TITLES[domain] ?? humanize(domain) }), list.map(question)));
  }
}

/** Reads the form into facts: unanswered questions are left out (unknown). */
function readFacts(form, declared) {
  const facts = {};
  for (const f of declared) {
    if (f.type === "set") {
      const codes = [...form.querySelectorAll(`input[type=checkbox][name="${CSS.escape(f.id)}"]:checked`)].map((b) => b.value);
      const none = form.querySelector(`input[data-none-of="${CSS.escape(f.id)}"]`);
      if (codes.length > 0) facts[f.id] = codes;
      else if (none?.checked) facts[f.id] = [];
      continue;
    }
    const c = form.elements.namedItem(f.id);
    const v = c?.value ?? "";
    if (v === "") continue;
    if (f.type === "bool") facts[f.id] = v === "true";
    else if (f.type === "int") {
      const n = Number(v);
      if (Number.isInteger(n) && n >= f.min && n <= f.max) facts[f.id] = n;
    } else facts[f.id] = v;
  }
  return facts;
}

/** Sets the all-questions form's controls from facts (switching from the guided mode). */
function writeForm(form, declared, facts) {
  for (const f of declared) {
    const v = facts[f.id];
    if (f.type === "set") {
      for (const b of form.querySelectorAll(`input[type=checkbox][name="${CSS.escape(f.id)}"]`)) b.checked = Array.isArray(v) && v.includes(b.value);
      const none = form.querySelector(`input[data-none-of="${CSS.escape(f.id)}"]`);
      if (none) none.checked = Array.isArray(v) && v.length === 0;
      continue;
    }
    const c = form.elements.namedItem(f.id);
    if (c) c.value = v === undefined || v === null ? "" : String(v);
  }
}

/** The kind of question a fact on its own is asked with. */
function kindOf(f) {
  return { bool: "yes_no", enum: "choice", int: "number", set: "checklist" }[f.type];
}

/** Replaces a container's content only when it changed (keeps live-region announcements quiet). */
function put(container, nodes) {
  const next = el("div", {}, nodes);
  if (container.innerHTML !== next.innerHTML) container.replaceChildren(...next.childNodes);
}

class Checker {
  constructor(rs) {
    this.rs = rs;
    this.info = rs.info();
    this.declared = rs.facts();
    this.factById = new Map(this.declared.map((f) => [f.id, f]));
    this.levels = this.info.levels;
    this.rank = new Map(this.levels.map((l, i) => [l.id, i]));
    this.pathways = new Map(this.info.pathways.map((p) => [p.id, p]));
    this.matrices = new Map(this.info.matrices.map((m) => [m.id, m]));
    this.form = $("questions");
    this.decision = null;
    this.facts = {};
    // The guided interview: answers in order ({question, answer, facts it set, skipped}),
    // questions answered "Don't know", a question being changed, the question shown.
    this.guided = true;
    this.records = [];
    this.skipped = new Set();
    this.forced = null;
    this.current = null;
    this.shownKey = null;
  }

  start() {
    $("loading").remove();
    buildForm(this.form, this.declared);
    $("ruleset-line").textContent = `Rules: ${this.info.name}, version ${this.info.version} (${this.info.hash.slice(0, 19)}…)`;
    const esc = $("escalate-level");
    for (const l of this.levels) esc.append(el("option", { value: l.id, text: l.label }));
    const update = () => this.update();
    // Every control (select, number, checkbox) fires "input" on each answer.
    this.form.addEventListener("input", (e) => {
      this.exclusive(e.target);
      update();
    });
    this.form.addEventListener("submit", (e) => e.preventDefault());
    esc.addEventListener("input", update);
    $("escalate-reason").addEventListener("input", update);
    $("copy-summary").addEventListener("click", () => this.copy());
    // Worked out only while shown: the decision itself never waits for it.
    $("change-details").addEventListener("toggle", update);
    $("mode-toggle").addEventListener("click", () => this.toggleMode());
    const current = $("current-question");
    current.addEventListener("submit", (e) => {
      e.preventDefault();
      this.submitAnswer();
    });
    current.addEventListener("click", (e) => {
      if (e.target instanceof HTMLElement && e.target.id === "answer-skip") this.skip();
    });
    current.addEventListener("input", (e) => this.exclusiveAnswer(e.target));
    $("answers").addEventListener("click", (e) => {
      const i = e.target instanceof HTMLElement ? e.target.dataset.change : undefined;
      if (i !== undefined) this.change(Number(i));
    });
    this.update();
    performance.mark("thresholds:first-decision");
  }

  /** The facts the guided answers have set. */
  guidedFacts() {
    return Object.assign({}, ...this.records.map((r) => r.facts));
  }

  /** Question ids answered whose facts may still be unknown. */
  answeredIds() {
    return this.records.some((r) => r.question.kind === "areas" && !r.skipped) ? ["triage"] : [];
  }

  toggleMode() {
    if (this.guided) {
      writeForm(this.form, this.declared, this.guidedFacts());
    } else {
      // The form's answers become one answer per fact; a triage answer is kept.
      const facts = readFacts(this.form, this.declared);
      const triage = this.records.filter((r) => r.question.kind === "areas" && !r.skipped)
        .filter((r) => Object.entries(r.facts).every(([k, v]) => JSON.stringify(facts[k]) === JSON.stringify(v)));
      const covered = new Set(triage.flatMap((r) => Object.keys(r.facts)));
      this.records = [...triage, ...this.declared.filter((f) => f.id in facts && !covered.has(f.id)).map((f) => ({
        question: { id: f.id, text: f.question, kind: kindOf(f), facts: [f.id], items: [] },
        answer: facts[f.id], facts: { [f.id]: facts[f.id] }, skipped: false,
      }))];
      this.forced = null;
    }
    this.guided = !this.guided;
    this.form.hidden = this.guided;
    $("current-question").hidden = !this.guided;
    $("answers").hidden = !this.guided;
    $("answers-heading").hidden = !this.guided;
    $("answers-none").hidden = !this.guided || this.records.length > 0;
    $("guided-heading").textContent = this.guided ? "Question" : "All questions";
    $("mode-toggle").textContent = this.guided ? "Show all questions" : "Ask one question at a time";
    this.shownKey = null;
    this.update();
  }

  /** "None of these" and the items of the current question exclude each other. */
  exclusiveAnswer(target) {
    if (!(target instanceof HTMLInputElement) || target.type !== "checkbox" || !target.checked) return;
    const form = $("guided-form");
    if (target.id === "answer-none") for (const b of form.querySelectorAll("input[name=answer-item]")) b.checked = false;
    else if (target.name === "answer-item") $("answer-none").checked = false;
  }

  /** The current question as a form: one control, "Next" and "Don't know". */
  questionForm(q) {
    const fact = q.facts.length === 1 ? this.factById.get(q.facts[0]) : undefined;
    const single = ["yes_no", "choice", "number"].includes(q.kind);
    const help = single && fact?.help ? el("p", { class: "help", id: "answer-help", text: fact.help }) : null;
    let body;
    if (q.kind === "yes_no" || q.kind === "choice") {
      const options = q.kind === "yes_no" ? [["true", "Yes"], ["false", "No"]] : (fact?.values ?? []).map((v) => [v, humanize(v)]);
      body = el("div", { class: "choices" }, options.map(([v, t], i) =>
        el("label", {}, el("input", { type: "radio", name: "answer", value: v, id: `answer-${i}` }), t)));
    } else if (q.kind === "number") {
      body = el("div", { class: "choices" },
        el("label", { for: "answer-number", text: `A whole number from ${fact?.min} to ${fact?.max}` }),
        el("input", { type: "number", name: "answer", id: "answer-number", min: fact?.min, max: fact?.max, step: 1, inputmode: "numeric", "aria-describedby": "answer-error" }));
    } else {
      body = el("div", { class: "checks" },
        (q.items ?? []).map((it, i) => el("label", {}, el("input", { type: "checkbox", name: "answer-item", value: it.id, id: `answer-item-${i}` }), it.text)),
        el("label", { class: "none-of" }, el("input", { type: "checkbox", id: "answer-none" }), "None of these"));
    }
    const described = [help ? "answer-help" : null, "answer-error"].filter(Boolean).join(" ");
    return el("form", { id: "guided-form", novalidate: true },
      el("fieldset", { "aria-describedby": described },
        el("legend", { text: q.text }), help, body,
        el("p", { id: "answer-error", class: "error", role: "alert" })),
      el("div", { class: "actions" },
        el("button", { type: "submit", id: "answer-next", text: "Next" }),
        el("button", { type: "button", id: "answer-skip", class: "secondary", text: "Don't know" })));
  }

  /** Shows why an answer was not taken, beside the control. */
  fail(message) {
    $("answer-error").textContent = message;
    const first = $("guided-form").querySelector("input");
    for (const i of $("guided-form").querySelectorAll("input")) i.setAttribute("aria-invalid", "true");
    first?.focus();
  }

  submitAnswer() {
    const q = this.current;
    if (!q) return;
    const form = $("guided-form");
    $("answer-error").textContent = "";
    let answer;
    if (q.kind === "yes_no" || q.kind === "choice") {
      const r = form.querySelector("input[name=answer]:checked");
      if (!r) return this.fail(`Choose an answer, or press "Don't know".`);
      answer = q.kind === "yes_no" ? r.value === "true" : r.value;
    } else if (q.kind === "number") {
      const f = this.factById.get(q.facts[0]);
      const text = form.elements.namedItem("answer").value.trim();
      const n = Number(text);
      if (text === "" || !Number.isInteger(n) || n < f.min || n > f.max) {
        return this.fail(`Enter a whole number from ${f.min} to ${f.max}, or press "Don't know".`);
      }
      answer = n;
    } else {
      answer = [...form.querySelectorAll("input[name=answer-item]:checked")].map((b) => b.value);
      if (!answer.length && !$("answer-none").checked) return this.fail(`Tick what applies, or "None of these".`);
    }
    const before = this.guidedFacts();
    let after;
    try {
      after = this.rs.answer(before, q.id, answer, this.answeredIds());
    } catch (e) {
      return this.fail(`The answer could not be used: ${e.message}`);
    }
    const facts = {};
    for (const [k, v] of Object.entries(after)) if (!(k in before)) facts[k] = v;
    this.records.push({ question: q, answer, facts, skipped: false });
    this.skipped.delete(q.id);
    this.forced = null;
    this.update();
    this.focusQuestion();
  }

  /** "Don't know": the question is left unanswered and not asked again. */
  skip() {
    const q = this.current;
    if (!q) return;
    this.skipped.add(q.id);
    this.records.push({ question: q, answer: null, facts: {}, skipped: true });
    this.forced = null;
    this.update();
    this.focusQuestion();
  }

  /** Takes an earlier answer back and asks that question again. */
  change(i) {
    const [r] = this.records.splice(i, 1);
    if (!r) return;
    this.skipped.delete(r.question.id);
    this.forced = r.question.id;
    this.shownKey = null;
    this.update();
    this.focusQuestion();
  }

  focusQuestion() {
    const first = $("guided-form")?.querySelector("input");
    if (first) first.focus();
    else $("answer-done")?.focus();
  }

  answerLabel(r) {
    if (r.skipped) return "Don't know";
    const q = r.question;
    if (q.kind === "yes_no") return r.answer ? "Yes" : "No";
    if (q.kind === "choice") return humanize(r.answer);
    if (q.kind === "number") return String(r.answer);
    if (!Array.isArray(r.answer) || !r.answer.length) return "None of these";
    return r.answer.map((id) => q.items?.find((it) => it.id === id)?.text ?? humanize(id)).join("; ");
  }

  /** The guided panel: the top-ranked open question (or the one being changed), and the answers. */
  renderGuided(d) {
    const qs = d.questions ?? [];
    let q = this.forced ? qs.find((x) => x.id === this.forced) : undefined;
    if (!q) {
      this.forced = null;
      q = qs.find((x) => !this.skipped.has(x.id)) ?? null;
    }
    this.current = q;
    const box = $("current-question");
    box.dataset.question = q ? q.id : "";
    const key = q ? JSON.stringify([q.id, q.text, q.items?.map((i) => i.id)]) : `done:${d.status}`;
    if (key !== this.shownKey) {
      this.shownKey = key;
      box.replaceChildren(q ? this.questionForm(q) : el("p", { class: "done", id: "answer-done", tabindex: "-1",
        text: d.status === "complete"
          ? "Nothing left to ask: no unanswered question could change this decision."
          : "No more questions. The ones you answered \"Don't know\" could still change this decision." }));
    }
    $("answers").replaceChildren(...this.records.map((r, i) => el("li", { "data-question": r.question.id },
      el("span", { text: r.question.text }), " ",
      el("span", { class: "answer-text", text: `— ${this.answerLabel(r)}` }),
      el("button", { type: "button", class: "secondary", "data-change": i, "aria-label": `Change your answer to: ${r.question.text}`, text: "Change" }))));
    $("answers-none").hidden = this.records.length > 0;
  }

  /** "None of these" and the codes of a set exclude each other. */
  exclusive(target) {
    if (!(target instanceof HTMLInputElement) || target.type !== "checkbox" || !target.checked) return;
    const none = target.dataset.noneOf;
    if (none) {
      for (const b of this.form.querySelectorAll(`input[type=checkbox][name="${CSS.escape(none)}"]`)) b.checked = false;
    } else {
      const n = this.form.querySelector(`input[data-none-of="${CSS.escape(target.name)}"]`);
      if (n) n.checked = false;
    }
  }

  label(levelId) {
    return this.levels.find((l) => l.id === levelId)?.label ?? humanize(levelId);
  }

  /** The practitioner's escalation request, when they chose a level and gave a reason. */
  escalationRequest() {
    const level = $("escalate-level").value;
    const reason = $("escalate-reason").value.trim();
    const status = $("escalate-status");
    status.textContent = "";
    if (!level) return undefined;
    if (!reason) {
      status.textContent = "Give your reason to record the escalation.";
      return undefined;
    }
    return { escalation: { level, reason } };
  }

  /** What the engine recorded of the escalation (the engine decides; this only reports it). */
  escalationStatus(d) {
    const e = d.escalation;
    if (!e) return null;
    const status = $("escalate-status");
    if (!e.raised) {
      status.textContent = `The checker's level is already ${this.label(d.level)}; it stays at that level.`;
      return null;
    }
    status.textContent = `Escalation recorded: ${this.label(e.level)}.`;
    return e;
  }

  update() {
    const t0 = performance.now();
    this.facts = this.guided ? this.guidedFacts() : readFacts(this.form, this.declared);
    let d;
    try {
      const te = performance.now();
      const explain = $("change-details").open;
      const request = { ...this.escalationRequest(), questions: this.guided, answered: this.answeredIds(), summary: true, explain };
      d = this.rs.evaluate(this.facts, request);
      performance.measure("thresholds:engine", { start: te });
    } catch (e) {
      put($("decision-live"), el("p", { class: "error", text: `The answers could not be checked: ${e.message}` }));
      return;
    }
    this.decision = d;
    this.escalated = this.escalationStatus(d);
    this.render(d, this.escalated);
    if (this.guided) this.renderGuided(d);
    $("summary-text").textContent = d.summary.text;
    const t1 = performance.now();
    performance.measure("thresholds:evaluate", { start: t0, end: t1 });
  }

  render(d, esc) {
    const box = $("decision");
    // data-level is the rules' level; an escalation is data-escalated-level.
    box.dataset.level = (esc ? esc.from : d.level) ?? "";
    box.dataset.status = d.status;
    box.dataset.pathways = d.pathways.join(" ");
    if (esc) box.dataset.escalatedLevel = esc.level;
    else delete box.dataset.escalatedLevel;

    // Every sentence is the engine's (the decision's `summary`); this only lays them out.
    const s = d.summary;
    const live = [
      el("p", { class: "level" }, "Level: ", s.level),
      s.advisory ? el("p", { class: "advisory", text: s.advisory }) : null,
      esc ? el("p", { class: "escalated", text: s.escalation }) : null,
      el("p", { class: d.status === "provisional" ? "status-provisional" : null, text: s.status }),
      el("h3", { text: "What to do, most urgent first" }),
      el("ol", { class: "pathways" }, this.pathwayItems(d.pathways)),
    ];
    put($("decision-live"), live);

    const exploitation = s.exploitation;
    const detail = [
      exploitation.length ? el("h3", { text: "Exploitation risk" }) : null,
      exploitation.length ? el("ul", {}, exploitation.map((m) => el("li", { "data-matrix": m.id, text: `${m.label}: ${m.text}` }))) : null,
      el("h3", { text: "Why" }),
      d.reasons.length
        ? el("ul", { class: "reasons" }, d.reasons.map((r) => el("li", { class: "reason", "data-rule": r.rule },
            el("strong", { text: r.title ?? r.rule }), " — ", r.reason,
            r.citation ? el("span", { class: "citation", text: `Source: ${r.citation}` }) : null)))
        : el("p", { text: "No rule applies to the answers so far." }),
      el("h3", { id: "missing-heading", text: "Questions that could still change this" }),
      d.missing.length
        ? el("ol", { class: "missing", "aria-labelledby": "missing-heading" }, d.missing.map((m) =>
            el("li", { "data-fact": m.fact }, this.guided ? m.question : el("a", { href: `#q-${m.fact}`, text: m.question }))))
        : el("p", { text: "None." }),
    ];
    put($("decision-detail"), detail);
    if (d.explain) put($("change-body"), this.changeItems(d.explain));
  }

  /** What would change this: the engine's change sets, laid out per level. */
  changeItems(x) {
    if (x.unavailable) return [el("p", { text: x.unavailable })];
    const target = (t, lead) => {
      const head = el("h3", { text: `${lead} ${t.label}${t.ways.length ? " if any one of:" : ": not with up to three more answers."}` });
      const ways = t.ways.map((w) => {
        const sets = w.sets.map((s) => s.map((c) => c.text).join(" and ")).join("; or ");
        const more = w.more ? ` (or ${w.more} more like these)` : "";
        const cats = Object.entries(w.exploitation).map(([m, c]) => `${m.toUpperCase()} risk would be ${c}`);
        const why = [lead === "Would become" ? w.title : `no longer: ${w.title}`, ...cats].join("; ");
        return el("li", { "data-rules": w.rules.join(" ") }, sets + more, el("span", { class: "citation", text: why }));
      });
      if (t.more) ways.push(el("li", { text: `and ${t.more} other ways` }));
      if (t.truncated) ways.push(el("li", { text: "and perhaps others: the search kept only the smallest sets" }));
      return [head, ways.length ? el("ul", { class: "changes", "data-level": t.level }, ways) : null];
    };
    const parts = x.raise.flatMap((t) => target(t, "Would become"));
    if (x.lower) parts.push(...target(x.lower, "Would be"));
    if (!parts.length) parts.push(el("p", { text: "Nothing: no change of up to three answers moves the level." }));
    return parts;
  }

  pathwayItems(ids) {
    return ids.map((id) => {
      const p = this.pathways.get(id);
      return el("li", { "data-pathway": id }, el("strong", { text: p?.label ?? humanize(id) }), el("span", { class: "todo", text: p?.todo ?? "" }));
    });
  }

  async copy() {
    const text = this.decision.summary.text;
    const status = $("copy-status");
    try {
      await navigator.clipboard.writeText(text);
      status.textContent = "Summary copied to the clipboard.";
    } catch {
      // Fallback: select the summary text so it can be copied with the keyboard.
      const pre = $("summary-text");
      pre.closest("details").open = true;
      const range = document.createRange();
      range.selectNodeContents(pre);
      getSelection().removeAllRanges();
      getSelection().addRange(range);
      status.textContent = "Could not reach the clipboard: the summary is selected; press Ctrl+C to copy it.";
      pre.focus();
    }
  }
}

async function main() {
  try {
    await init();
    performance.mark("thresholds:wasm-ready");
    const rs = Ruleset.default();
    performance.mark("thresholds:rules-ready");
    const checker = new Checker(rs);
    checker.start();
  } catch (e) {
    put($("decision-live"), el("p", { class: "error", text: `The checker could not start: ${e.message}` }));
    $("loading")?.remove();
  }
}

main();
