//! Questions, not facts: what to ask next, and the simulated practitioner that measures it.
//!
//! A question is one control a practitioner fills in at once: a fact on its own (yes/no, a
//! choice, a number, or a tick-list for a set fact), a `checklist` of yes/no facts and set
//! codes, or the `triage` question over `area`s. The unanswered questions that could still
//! change a decision are those covering a fact in its `missing` list.
//!
//! **Ranking** is a greedy one-step lookahead (the expected-cost policy of Cicalese, Laber &
//! Saettler for the evaluation of discrete functions): for each question, every answer it could
//! get is weighed by a prior, the decision is worked out as if it had been given, and the
//! question is scored by the expected number of questions then still able to change the
//! **level**, and after that of questions still able to change anything. The prior: each
//! fact is at its benign answer with probability [`BENIGN`], and otherwise takes its other
//! values evenly; a checklist (and the triage question) is answered "none of these" with
//! probability [`BENIGN`] too, concerns being rare and going together, and otherwise with one
//! item ticked, evenly; facts without a benign answer (an age) are spread evenly over the
//! values the rules tell apart.
//!
//! **The protocol** ([`Ruleset::interview`]) is the measure of a ranking: a practitioner who
//! knows the child's whole truth answers the top-ranked question truthfully until nothing is
//! left to ask, and the count is taken of answers until the level shown is the final one and
//! until the decision is complete.

use serde::Serialize;

use crate::decision::{Changes, Decision, Options};
use crate::eval;
use crate::facts::Facts;
use crate::ir::{FactId, FactTy, Program};
use crate::ruleset::Ruleset;

/// The probability that a fact has its benign answer, in the ranking's prior.
pub const BENIGN: f64 = 0.85;

/// What kind of control a question is answered with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum QuestionKind {
    /// A yes/no fact.
    YesNo,
    /// One code of an enum fact.
    Choice,
    /// An int fact.
    Number,
    /// Tick all that apply: yes/no facts and set codes; "none of these" answers every item.
    Checklist,
    /// The triage question: tick the areas of concern; an unticked area is answered benign.
    Areas,
}

/// One item of a checklist or the triage question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct QuestionItem {
    /// The fact id, `fact:code` for a set code, or the area id.
    pub id: String,
    /// What the practitioner reads.
    pub text: String,
    /// The facts the item answers (one, or an area's unanswered facts).
    pub facts: Vec<String>,
    /// For a set code: the code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

/// An unanswered question that could still change the decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Question {
    /// The fact id (a fact on its own), the checklist id, or `triage`.
    pub id: String,
    /// The question, as put for this child (a `question when` variant where one holds).
    pub text: String,
    /// The control it is answered with.
    pub kind: QuestionKind,
    /// The unanswered facts it answers.
    pub facts: Vec<String>,
    /// The items of a checklist or of the triage question, in declaration order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<QuestionItem>,
    /// What answering it could change: the union over its facts in `missing`.
    pub changes: Changes,
}

/// One referral through the interview protocol.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InterviewRun {
    /// Answers until the level shown is the final one (0: it was from the start).
    pub answers_to_level: usize,
    /// Answers until the decision was complete.
    pub answers_to_complete: usize,
    /// The question ids answered, in order.
    pub asked: Vec<String>,
    /// The final level.
    pub level: Option<String>,
    /// The final pathways.
    pub pathways: Vec<String>,
}

/// A question in the internal form: its id and the facts (or areas) it covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Q {
    Fact(FactId),
    Checklist(u32),
    /// The areas offered (every fact of each unanswered).
    Triage(Vec<u32>),
}

/// One possible answer: the facts it sets, with its prior weight.
struct Weighed {
    weight: f64,
    sets: Vec<(FactId, i64)>,
}

/// The state of an interview: the facts answered so far, and whether triage was answered.
#[derive(Clone)]
struct State {
    slots: Vec<Option<i64>>,
    triage_answered: bool,
    /// Facts the practitioner cannot answer: never asked again.
    declined: Vec<bool>,
}

impl State {
    /// The state of these facts, with the questions already answered (`"triage"` among them
    /// or not), nothing declined.
    fn of(slots: &[Option<i64>], answered: &[String]) -> State {
        State {
            slots: slots.to_vec(),
            triage_answered: answered.iter().any(|a| a == "triage"),
            declined: vec![false; slots.len()],
        }
    }

    /// Nothing known, nothing declined, the triage question not answered.
    fn is_empty(&self) -> bool {
        !self.triage_answered
            && self.slots.iter().all(Option::is_none)
            && !self.declined.contains(&true)
    }
}

/// The empty referral's questions in rank order, with the candidates they were ranked from.
#[derive(Debug, Clone)]
pub(crate) struct EmptyRanking {
    pub(crate) candidates: Vec<Q>,
    pub(crate) ranked: Vec<Q>,
}

crate::wire::wire_struct!(EmptyRanking { candidates, ranked });

impl crate::wire::Wire for Q {
    fn put(&self, w: &mut crate::wire::Writer) {
        match self {
            Q::Fact(f) => {
                w.push(0);
                f.put(w);
            }
            Q::Checklist(i) => {
                w.push(1);
                i.put(w);
            }
            Q::Triage(areas) => {
                w.push(2);
                areas.put(w);
            }
        }
    }

    fn get(r: &mut crate::wire::Reader<'_>) -> Result<Self, crate::wire::WireError> {
        use crate::wire::Wire;
        Ok(match r.byte()? {
            0 => Q::Fact(Wire::get(r)?),
            1 => Q::Checklist(Wire::get(r)?),
            2 => Q::Triage(Wire::get(r)?),
            _ => return Err("an unknown variant"),
        })
    }
}

impl EmptyRanking {
    /// Whether the ranking is the candidates in some order, each once (what a precompiled rule
    /// set's copy must be: a candidate list it does not match is never used).
    pub(crate) fn is_consistent(&self) -> bool {
        self.ranked.len() == self.candidates.len()
            && self.ranked.iter().all(|q| {
                self.candidates.iter().filter(|c| *c == q).count()
                    == self.ranked.iter().filter(|r| *r == q).count()
            })
    }
}

/// What the decision in a state still needs.
struct Open {
    /// Missing facts, with whether each could change the level.
    missing: Vec<(FactId, bool)>,
}

impl Ruleset {
    /// The unanswered questions that could still change the decision on these facts, best
    /// first. `answered` lists question ids already answered whose facts may still be unknown
    /// (the triage question: `"triage"`).
    pub fn questions(&self, facts: &Facts, answered: &[String]) -> Vec<Question> {
        let state = State::of(&facts.slots, answered);
        let d = self.evaluate(
            facts,
            Options {
                reasons: false,
                missing: true,
            },
        );
        self.questions_for(&state, &d)
    }

    /// As [`Ruleset::questions`], for a decision already made on these facts (with `missing`
    /// worked out, and any escalation applied).
    pub fn questions_of(&self, facts: &Facts, answered: &[String], d: &Decision) -> Vec<Question> {
        let state = State::of(&facts.slots, answered);
        self.questions_for(&state, d)
    }

    /// The questions of a decision made on `state`'s facts.
    fn questions_for(&self, state: &State, d: &Decision) -> Vec<Question> {
        let p = self.program();
        let slots = eval::applied(p, &state.slots);
        let (missing, open) = open_of(p, d);
        let qs = candidates(p, state, &slots, &open);
        let ranked = if state.is_empty() {
            self.rank_empty(state, qs)
        } else {
            self.rank(state, qs)
        };
        ranked
            .into_iter()
            .map(|q| describe(p, &slots, &q, &missing))
            .collect()
    }

    /// Answers one open question: the facts with that answer applied, as JSON (facts object
    /// text in, facts object text out, ids in declaration order). `answer` is the value for a
    /// question about one fact (`null`: not known, nothing changes), or the list of item ids
    /// ticked for a checklist (`"fact"` or `"fact:code"`) or the triage question (area ids;
    /// every area left unticked gives its facts their benign answer). A question that is not
    /// open for these facts, or an answer of the wrong shape, is a `thr::request::invalid`
    /// error; a wrong value is a facts error, as in evaluation.
    pub fn answer_json(
        &self,
        facts_json: &str,
        answered: &[String],
        question: &str,
        answer_json: &str,
    ) -> Result<String, crate::Error> {
        let p = self.program();
        let bad = |m: String| {
            crate::Error::request(crate::Diagnostic::error(crate::Code::BadRequest, m).help(
                "answer a question of the decision's `questions`: a value, or the ids ticked",
            ))
        };
        let facts = self.facts_from_json(facts_json)?;
        let answer = crate::json_reader::parse(answer_json)
            .map_err(|e| bad(format!("the answer is not valid JSON: {e}")))?;
        let d = self.decide(&facts.slots);
        let state = State::of(&facts.slots, answered);
        let slots = eval::applied(p, &state.slots);
        let (missing, open) = open_of(p, &d);
        let q = candidates(p, &state, &slots, &open)
            .into_iter()
            .map(|q| describe(p, &slots, &q, &missing))
            .find(|q| q.id == question)
            .ok_or_else(|| bad(format!("question `{question}` is not open for these facts")))?;
        let answer = match (&answer, q.kind) {
            (serde_json::Value::Array(items), QuestionKind::Checklist | QuestionKind::Areas) => {
                let mut ticked = Vec::new();
                for i in items {
                    match i.as_str() {
                        Some(s) => ticked.push(s.to_string()),
                        None => return Err(bad("ticked items are ids (strings)".to_string())),
                    }
                }
                Answer::Ticked(ticked)
            }
            (_, QuestionKind::Checklist | QuestionKind::Areas) => {
                return Err(bad(format!(
                    "question `{question}` is answered with the list of item ids ticked"
                )))
            }
            (v, _) => {
                let fact = (q.facts.first())
                    .and_then(|id| p.facts.get(p.fact_index.get(id)?.index()))
                    .ok_or_else(|| bad(format!("question `{question}` asks about no fact")))?;
                let value = crate::facts::value_from_host(fact, v);
                Answer::Value(value.map_err(|d| crate::Error::facts(vec![d]))?)
            }
        };
        let mut out = facts.slots.clone();
        apply(p, &mut out, &q, &answer).map_err(bad)?;
        let mut m = serde_json::Map::new();
        for (f, v) in p.facts.iter().zip(&out) {
            if v.is_some() {
                m.insert(f.id.clone(), crate::facts::value_to_json(f, *v));
            }
        }
        Ok(serde_json::Value::Object(m).to_string())
    }

    /// Runs the interview protocol on one child's truth: the facts given, and the benign
    /// answer to every fact they are silent on (a fact without one is one the practitioner
    /// cannot answer, and is never asked).
    pub fn interview(&self, truth: &Facts) -> InterviewRun {
        let p = self.program();
        let truth: Vec<Option<i64>> = truth
            .slots
            .iter()
            .zip(&p.facts)
            .map(|(v, f)| v.or(f.benign))
            .collect();
        let final_d = self.evaluate(
            &Facts {
                slots: truth.clone(),
            },
            Options {
                reasons: false,
                missing: true,
            },
        );
        let mut state = State {
            slots: vec![None; p.facts.len()],
            triage_answered: false,
            declined: truth.iter().map(Option::is_none).collect(),
        };
        let mut asked = Vec::new();
        let mut level_at = 0;
        let mut complete_at = None;
        // Every answer settles at least one fact or the triage question, so this ends.
        for n in 0..=p.facts.len() + 1 {
            let d = self.decide(&state.slots);
            if d.level != final_d.level {
                level_at = n + 1;
            }
            if d.status == crate::decision::Status::Complete && complete_at.is_none() {
                complete_at = Some(n);
            }
            let qs = self.questions_for(&state, &d);
            let Some(q) = qs.first() else {
                complete_at.get_or_insert(n);
                break;
            };
            asked.push(q.id.clone());
            answer_truthfully(p, &mut state, q, &truth);
        }
        InterviewRun {
            answers_to_level: level_at,
            answers_to_complete: complete_at.unwrap_or(asked.len()),
            asked,
            level: final_d.level,
            pathways: final_d.pathways,
        }
    }

    fn decide(&self, slots: &[Option<i64>]) -> Decision {
        self.evaluate(
            &Facts {
                slots: slots.to_vec(),
            },
            Options {
                reasons: false,
                missing: true,
            },
        )
    }

    /// What the decisions on these facts (each with `asked when` applied) still need: from the
    /// compiled diagrams when the rule set has them (every completion agrees exactly when they
    /// list nothing, so interval evaluation adds nothing here); otherwise one query each.
    fn open_all(&self, applied: &[Vec<Option<i64>>]) -> Vec<Open> {
        if let Some(c) = self.compiled() {
            return c
                .open_all(self.program(), self.layout(), applied)
                .into_iter()
                .map(|missing| Open { missing })
                .collect();
        }
        applied.iter().map(|a| self.open(a)).collect()
    }

    /// What the decision on these facts still needs, from the engine's query.
    fn open(&self, slots: &[Option<i64>]) -> Open {
        let p = self.program();
        let slots = eval::applied(p, slots);
        let (outcome, rel) = self.run(
            &slots,
            Options {
                reasons: false,
                missing: true,
            },
        );
        let _ = outcome;
        Open {
            missing: rel
                .missing
                .iter()
                .enumerate()
                .map(|(i, f)| (*f, rel.changes.level(i)))
                .collect(),
        }
    }

    /// `rank` for the empty referral (nothing known or declined, nothing answered), which every
    /// interview starts from: remembered with the candidates it ranked, and reused when they are
    /// the same (ranking is a function of the state and the candidates alone). A precompiled
    /// rule set carries it (`EmptyRanking`), so the first question needs no ranking at all.
    fn rank_empty(&self, state: &State, qs: Vec<Q>) -> Vec<Q> {
        let cell = self.empty_ranking();
        if let Some(r) = cell.get() {
            if r.candidates == qs {
                return r.ranked.clone();
            }
        }
        let ranked = self.rank(state, qs.clone());
        let _ = cell.set(EmptyRanking {
            candidates: qs,
            ranked: ranked.clone(),
        });
        ranked
    }

    /// The empty referral's ranking, worked out if it is not yet (for the precompiled form).
    pub(crate) fn empty_ranking_now(&self) -> Option<&EmptyRanking> {
        if self.empty_ranking().get().is_none() {
            let state = State::of(&vec![None; self.program().facts.len()], &[]);
            let d = self.decide(&state.slots);
            let _ = self.questions_for(&state, &d);
        }
        self.empty_ranking().get()
    }

    /// Orders questions by the expected number of questions left after answering them:
    /// first those that could change the level, then all.
    fn rank(&self, state: &State, qs: Vec<Q>) -> Vec<Q> {
        if qs.len() <= 1 {
            return qs;
        }
        let p = self.program();
        let mut scored: Vec<(f64, f64, usize, Q)> = Vec::with_capacity(qs.len());
        for (i, q) in qs.into_iter().enumerate() {
            let (mut level_left, mut all_left) = (0.0, 0.0);
            let mut total = 0.0;
            let answers = answers(p, state, &q);
            let nexts: Vec<State> = answers
                .iter()
                .map(|a| {
                    let mut next = state.clone();
                    for (f, v) in &a.sets {
                        if let Some(s) = next.slots.get_mut(f.index()) {
                            *s = Some(*v);
                        }
                    }
                    if matches!(q, Q::Triage(_)) {
                        next.triage_answered = true;
                    }
                    next
                })
                .collect();
            let applied: Vec<Vec<Option<i64>>> = nexts
                .iter()
                .map(|n| eval::applied(p, &n.slots).into_owned())
                .collect();
            let opens = self.open_all(&applied);
            for (((a, next), applied), open) in answers.iter().zip(&nexts).zip(&applied).zip(opens)
            {
                let left = candidates(p, next, applied, &open);
                let count = |level_only: bool| {
                    left.iter()
                        .filter(|c| !matches!(c, Q::Triage(_)))
                        .filter(|c| {
                            !level_only || covers(p, c).any(|f| open.missing.contains(&(f, true)))
                        })
                        .count() as f64
                };
                level_left += a.weight * count(true);
                all_left += a.weight * count(false);
                total += a.weight;
            }
            if total > 0.0 {
                level_left /= total;
                all_left /= total;
            }
            scored.push((level_left, all_left, i, q));
        }
        crate::sort::sort_by(&mut scored, |a, b| {
            a.0.total_cmp(&b.0)
                .then(a.1.total_cmp(&b.1))
                .then(a.2.cmp(&b.2))
        });
        scored.into_iter().map(|s| s.3).collect()
    }
}

/// A decision's missing facts by index, and what the candidates need of them.
fn open_of<'d>(
    p: &Program,
    d: &'d Decision,
) -> (Vec<(FactId, &'d crate::decision::Missing)>, Open) {
    let missing: Vec<(FactId, &crate::decision::Missing)> = d
        .missing
        .iter()
        .filter_map(|m| Some((*p.fact_index.get(&*m.fact)?, m)))
        .collect();
    let open = Open {
        missing: missing.iter().map(|(f, m)| (*f, m.changes.level)).collect(),
    };
    (missing, open)
}

/// The facts a question covers (for triage: every fact of the areas offered).
fn covers<'p>(p: &'p Program, q: &'p Q) -> Box<dyn Iterator<Item = FactId> + 'p> {
    match q {
        Q::Fact(f) => Box::new(std::iter::once(*f)),
        Q::Checklist(c) => Box::new(
            p.checklists
                .get(*c as usize)
                .into_iter()
                .flat_map(|g| g.facts.iter().copied()),
        ),
        Q::Triage(areas) => Box::new(
            areas
                .iter()
                .filter_map(|a| p.areas.get(*a as usize))
                .flat_map(|g| g.facts.iter().copied()),
        ),
    }
}

/// The questions offered in a state: each covers an unanswered fact that could still change
/// the decision, in declaration order (triage, then checklists and facts by first fact).
fn candidates(p: &Program, state: &State, slots: &[Option<i64>], open: &Open) -> Vec<Q> {
    let unknown = |f: FactId| {
        slots.get(f.index()).copied().flatten().is_none()
            && !state.declined.get(f.index()).copied().unwrap_or(true)
    };
    let relevant = |f: FactId| unknown(f) && open.missing.iter().any(|(m, _)| *m == f);
    let mut out = Vec::new();
    if let Some((_, offered)) = &p.triage {
        if !state.triage_answered {
            let areas: Vec<u32> = offered
                .iter()
                .copied()
                .filter(|a| {
                    p.areas.get(*a as usize).is_some_and(|g| {
                        g.facts.iter().all(|f| unknown(*f)) && g.facts.iter().any(|f| relevant(*f))
                    })
                })
                .collect();
            if !areas.is_empty() {
                out.push(Q::Triage(areas));
            }
        }
    }
    let in_checklist = |f: FactId| p.checklists.iter().any(|c| c.facts.contains(&f));
    let mut keyed: Vec<(FactId, Q)> = Vec::new();
    for (ci, c) in p.checklists.iter().enumerate() {
        if c.facts.iter().any(|f| relevant(*f)) {
            let first = c.facts.iter().copied().min().unwrap_or(FactId::new(0));
            keyed.push((first, Q::Checklist(u32::try_from(ci).unwrap_or(u32::MAX))));
        }
    }
    for (f, _) in &open.missing {
        if relevant(*f) && !in_checklist(*f) {
            keyed.push((*f, Q::Fact(*f)));
        }
    }
    crate::sort::sort_by_key(&mut keyed, |(f, _)| *f);
    out.extend(keyed.into_iter().map(|(_, q)| q));
    out
}

/// The answers a question could get, with their prior weights.
fn answers(p: &Program, state: &State, q: &Q) -> Vec<Weighed> {
    let slots = eval::applied(p, &state.slots);
    let unknown = |f: &FactId| slots.get(f.index()).copied().flatten().is_none();
    let benign_of = |f: FactId| p.facts.get(f.index()).and_then(|x| x.benign);
    // "None of these", or one item ticked: items are facts (bool: true; set: one code).
    let checklist = |items: Vec<(FactId, Option<i64>)>, facts: &[FactId]| {
        let n = items.len().max(1) as f64;
        let none_w = BENIGN;
        let none: Vec<(FactId, i64)> = facts
            .iter()
            .filter_map(|f| Some((*f, benign_of(*f)?)))
            .collect();
        let mut out = vec![Weighed {
            weight: none_w,
            sets: none.clone(),
        }];
        for (f, v) in items {
            let mut sets = none.clone();
            match v {
                // A bool fact ticked.
                None => {
                    if let Some(s) = sets.iter_mut().find(|(x, _)| *x == f) {
                        s.1 = 1;
                    }
                }
                // A set code ticked.
                Some(code) => {
                    if let Some(s) = sets.iter_mut().find(|(x, _)| *x == f) {
                        s.1 = code;
                    }
                }
            }
            out.push(Weighed {
                weight: (1.0 - none_w) / n,
                sets,
            });
        }
        out
    };
    let items_of = |facts: &[FactId]| {
        let mut items = Vec::new();
        for f in facts {
            match p.facts.get(f.index()).map(|x| &x.ty) {
                Some(FactTy::Set(codes)) => {
                    for b in 0..codes.len().min(63) {
                        items.push((*f, Some(1i64 << b)));
                    }
                }
                Some(_) => items.push((*f, None)),
                None => {}
            }
        }
        items
    };
    match q {
        Q::Fact(f) => {
            let Some(fact) = p.facts.get(f.index()) else {
                return Vec::new();
            };
            let values: Vec<i64> = match &fact.ty {
                FactTy::Bool => vec![0, 1],
                FactTy::Enum(codes) => (0..codes.len() as i64).collect(),
                FactTy::Int { lo, hi } => int_values(p, *f, *lo, *hi),
                FactTy::Set(_) => return checklist(items_of(&[*f]), &[*f]),
            };
            let n = values.len().max(1) as f64;
            values
                .iter()
                .map(|v| Weighed {
                    weight: match fact.benign {
                        Some(b) if b == *v => BENIGN,
                        Some(_) => (1.0 - BENIGN) / (n - 1.0).max(1.0),
                        None => 1.0 / n,
                    },
                    sets: vec![(*f, *v)],
                })
                .collect()
        }
        Q::Checklist(c) => {
            let Some(g) = p.checklists.get(*c as usize) else {
                return Vec::new();
            };
            let facts: Vec<FactId> = g.facts.iter().copied().filter(unknown).collect();
            checklist(items_of(&facts), &facts)
        }
        Q::Triage(areas) => {
            // Unticked areas are benign; the one ticked keeps its facts open.
            let n = areas.len().max(1) as f64;
            let none_w = BENIGN;
            let benign_area = |a: u32| -> Vec<(FactId, i64)> {
                p.areas
                    .get(a as usize)
                    .into_iter()
                    .flat_map(|g| g.facts.iter())
                    .filter_map(|f| Some((*f, benign_of(*f)?)))
                    .collect()
            };
            let mut out = vec![Weighed {
                weight: none_w,
                sets: areas.iter().flat_map(|a| benign_area(*a)).collect(),
            }];
            for a in areas {
                out.push(Weighed {
                    weight: (1.0 - none_w) / n,
                    sets: areas
                        .iter()
                        .filter(|x| *x != a)
                        .flat_map(|x| benign_area(*x))
                        .collect(),
                });
            }
            out
        }
    }
}

/// Values of an int fact that the rules and `asked when` conditions tell apart: one per class
/// between the constants they compare it with.
fn int_values(p: &Program, f: FactId, lo: i64, hi: i64) -> Vec<i64> {
    let mut cuts = std::collections::BTreeSet::from([lo]);
    let mut add = |e: &crate::ir::Expr| {
        let mut consts = vec![std::collections::BTreeSet::new(); p.facts.len()];
        let mut complex = vec![false; p.facts.len()];
        crate::diagram::collect_int_usage(e, &mut consts, &mut complex);
        for c in consts.get(f.index()).into_iter().flatten() {
            // Each constant starts a class (`x < c` and `x >= c` differ at c) and ends one
            // (`x <= c` and `x > c` differ at c + 1).
            for v in [*c, c.saturating_add(1)] {
                if v > lo && v <= hi {
                    cuts.insert(v);
                }
            }
        }
    };
    for r in &p.rules {
        add(&r.cond);
    }
    for m in &p.matrices {
        for (_, b) in &m.bands {
            add(b);
        }
    }
    for x in &p.facts {
        if let Some((c, _)) = &x.asked {
            add(c);
        }
    }
    cuts.into_iter().take(64).collect()
}

/// A question as the decision reports it.
fn describe(
    p: &Program,
    slots: &[Option<i64>],
    q: &Q,
    missing: &[(FactId, &crate::decision::Missing)],
) -> Question {
    let unknown = |f: &FactId| slots.get(f.index()).copied().flatten().is_none();
    let id_of = |f: FactId| p.facts.get(f.index()).map_or("", |x| x.id.as_str());
    let mut changes = Changes::default();
    let mut union = |facts: &mut dyn Iterator<Item = FactId>| {
        for f in facts {
            if let Some((_, m)) = missing.iter().find(|(x, _)| *x == f) {
                changes.level |= m.changes.level;
                for pw in &m.changes.pathways {
                    if !changes.pathways.contains(pw) {
                        changes.pathways.push(pw.clone());
                    }
                }
            }
        }
    };
    union(&mut covers(p, q));
    crate::sort::sort_by_key(&mut changes.pathways, |id| {
        p.pathways.iter().position(|x| *x.id == **id)
    });
    let fact_items = |facts: &[FactId]| -> Vec<QuestionItem> {
        let mut items = Vec::new();
        for f in facts.iter().filter(|f| unknown(f)) {
            let Some(fact) = p.facts.get(f.index()) else {
                continue;
            };
            match &fact.ty {
                FactTy::Set(codes) => {
                    for c in codes {
                        items.push(QuestionItem {
                            id: format!("{}:{c}", fact.id),
                            text: c.replace('_', " "),
                            facts: vec![fact.id.clone()],
                            code: Some(c.clone()),
                        });
                    }
                }
                _ => items.push(QuestionItem {
                    id: fact.id.clone(),
                    text: eval::question_text(p, slots, *f).to_string(),
                    facts: vec![fact.id.clone()],
                    code: None,
                }),
            }
        }
        items
    };
    match q {
        Q::Fact(f) => {
            let fact = p.facts.get(f.index());
            let kind = match fact.map(|x| &x.ty) {
                Some(FactTy::Bool) | None => QuestionKind::YesNo,
                Some(FactTy::Enum(_)) => QuestionKind::Choice,
                Some(FactTy::Int { .. }) => QuestionKind::Number,
                Some(FactTy::Set(_)) => QuestionKind::Checklist,
            };
            Question {
                id: id_of(*f).to_string(),
                text: eval::question_text(p, slots, *f).to_string(),
                kind,
                facts: vec![id_of(*f).to_string()],
                items: if kind == QuestionKind::Checklist {
                    fact_items(&[*f])
                } else {
                    Vec::new()
                },
                changes,
            }
        }
        Q::Checklist(c) => {
            let g = p.checklists.get(*c as usize);
            let facts: Vec<FactId> = g
                .map(|g| g.facts.iter().copied().filter(unknown).collect())
                .unwrap_or_default();
            Question {
                id: g.map(|g| g.id.clone()).unwrap_or_default(),
                text: g.map(|g| g.text.clone()).unwrap_or_default(),
                kind: QuestionKind::Checklist,
                facts: facts.iter().map(|f| id_of(*f).to_string()).collect(),
                items: fact_items(&facts),
                changes,
            }
        }
        Q::Triage(areas) => {
            let items: Vec<QuestionItem> = areas
                .iter()
                .filter_map(|a| p.areas.get(*a as usize))
                .map(|g| QuestionItem {
                    id: g.id.clone(),
                    text: g.text.clone(),
                    facts: g.facts.iter().map(|f| id_of(*f).to_string()).collect(),
                    code: None,
                })
                .collect();
            Question {
                id: "triage".to_string(),
                text: p.triage.as_ref().map(|t| t.0.clone()).unwrap_or_default(),
                kind: QuestionKind::Areas,
                facts: items.iter().flat_map(|i| i.facts.iter().cloned()).collect(),
                items,
                changes,
            }
        }
    }
}

/// One answer, as a host collects it from a question's control.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Answer {
    /// A fact on its own: its value (`None`: the practitioner does not know).
    Value(Option<i64>),
    /// A checklist or the triage question: the ids of the items ticked.
    Ticked(Vec<String>),
}

/// Applies an answer to the facts: a fact takes its value; a checklist answers each of its
/// items (ticked: yes, or the code; not ticked: no, or not that code); the triage question
/// answers every fact of each area left unticked with its benign answer. Facts already known
/// stay as they are.
fn apply(
    p: &Program,
    slots: &mut [Option<i64>],
    q: &Question,
    answer: &Answer,
) -> Result<(), String> {
    let fact_of = |id: &str| p.fact_index.get(id).copied();
    let set = |slots: &mut [Option<i64>], f: FactId, v: i64| {
        if let Some(slot) = slots.get_mut(f.index()) {
            if slot.is_none() {
                *slot = Some(v);
            }
        }
    };
    match (q.kind, answer) {
        (QuestionKind::YesNo | QuestionKind::Choice | QuestionKind::Number, Answer::Value(v)) => {
            if let (Some(f), Some(v)) = (q.facts.first().and_then(|id| fact_of(id)), v) {
                set(slots, f, *v);
            }
            Ok(())
        }
        (QuestionKind::Checklist, Answer::Ticked(ticked)) => {
            if let Some(bad) = ticked.iter().find(|t| !q.items.iter().any(|i| i.id == **t)) {
                return Err(format!("`{bad}` is not an item of question `{}`", q.id));
            }
            for id in &q.facts {
                let Some(f) = fact_of(id) else { continue };
                let mut value = 0i64;
                for item in q.items.iter().filter(|i| i.facts.first() == Some(id)) {
                    if !ticked.contains(&item.id) {
                        continue;
                    }
                    value |= match (&item.code, p.facts.get(f.index()).map(|x| &x.ty)) {
                        (Some(code), Some(FactTy::Set(codes))) => codes
                            .iter()
                            .position(|c| c == code)
                            .filter(|b| *b < 63)
                            .map_or(0, |b| 1i64 << b),
                        _ => 1,
                    };
                }
                set(slots, f, value);
            }
            Ok(())
        }
        (QuestionKind::Areas, Answer::Ticked(ticked)) => {
            if let Some(bad) = ticked.iter().find(|t| !q.items.iter().any(|i| i.id == **t)) {
                return Err(format!("`{bad}` is not an area of the triage question"));
            }
            for item in q.items.iter().filter(|i| !ticked.contains(&i.id)) {
                for id in &item.facts {
                    if let Some(f) = fact_of(id) {
                        if let Some(b) = p.facts.get(f.index()).and_then(|x| x.benign) {
                            set(slots, f, b);
                        }
                    }
                }
            }
            Ok(())
        }
        (QuestionKind::Checklist | QuestionKind::Areas, Answer::Value(_)) => Err(format!(
            "question `{}` is answered with the list of item ids ticked",
            q.id
        )),
        (_, Answer::Ticked(_)) => Err(format!("question `{}` is answered with one value", q.id)),
    }
}

/// The protocol's practitioner answers a question from the truth: a fact or a checklist with
/// the true values, the triage question by ticking every area with a fact that is not benign
/// in the truth.
fn answer_truthfully(p: &Program, state: &mut State, q: &Question, truth: &[Option<i64>]) {
    let value = |id: &str| {
        p.fact_index
            .get(id)
            .and_then(|f| truth.get(f.index()).copied().flatten())
    };
    let benign = |id: &str| {
        p.fact_index
            .get(id)
            .and_then(|f| p.facts.get(f.index()))
            .and_then(|f| f.benign)
    };
    let answer = match q.kind {
        QuestionKind::YesNo | QuestionKind::Choice | QuestionKind::Number => {
            Answer::Value(q.facts.first().and_then(|id| value(id)))
        }
        QuestionKind::Checklist => Answer::Ticked(
            q.items
                .iter()
                .filter(|i| {
                    let Some(id) = i.facts.first() else {
                        return false;
                    };
                    let v = value(id).unwrap_or(0);
                    match &i.code {
                        None => v != 0,
                        Some(code) => p
                            .fact_index
                            .get(id)
                            .and_then(|f| p.facts.get(f.index()))
                            .and_then(|f| match &f.ty {
                                FactTy::Set(codes) => codes.iter().position(|c| c == code),
                                _ => None,
                            })
                            .is_some_and(|b| b < 63 && v & (1i64 << b) != 0),
                    }
                })
                .map(|i| i.id.clone())
                .collect(),
        ),
        QuestionKind::Areas => {
            state.triage_answered = true;
            Answer::Ticked(
                q.items
                    .iter()
                    .filter(|i| i.facts.iter().any(|id| value(id) != benign(id)))
                    .map(|i| i.id.clone())
                    .collect(),
            )
        }
    };
    // The question came from this state, so its answer applies.
    let _ = apply(p, &mut state.slots, q, &answer);
    // A fact the practitioner cannot answer is not asked again.
    if matches!(q.kind, QuestionKind::Checklist | QuestionKind::Areas) {
        return;
    }
    for id in &q.facts {
        if let Some(&f) = p.fact_index.get(id) {
            if state.slots.get(f.index()).copied().flatten().is_none() {
                if let Some(d) = state.declined.get_mut(f.index()) {
                    *d = true;
                }
            }
        }
    }
}
