//! The public entry point: a checked, compiled rule set that evaluates facts.

use std::sync::{Arc, OnceLock};

use serde::Serialize;
#[cfg(feature = "source")]
use sha2::{Digest, Sha256};

use crate::decision::{self, CompactDecision, Decision, Escalation, Options};
#[cfg(feature = "source")]
use crate::diag::Severity;
use crate::diag::{Diagnostic, Sources};
use crate::error::Error;
use crate::eval;
use crate::facts::{self, Facts};
use crate::ir::{self, Program};
use crate::limits::Limits;
use crate::relevance::{self, Compiled, Layout, Relevance};
#[cfg(feature = "source")]
use crate::{check, fmt, parse};

/// A checked and compiled rule set. Immutable; cheap to clone; safe to share across threads.
#[derive(Debug, Clone)]
pub struct Ruleset {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    program: Program,
    layout: Layout,
    files: Vec<(String, String)>,
    warnings: Vec<Diagnostic>,
    sources: Sources,
    limits: Limits,
    /// The rule files' tests, parsed and checked the first time they are needed.
    tests: OnceLock<(Vec<ir::Test>, Vec<Diagnostic>)>,
    /// The outcome compiled into decision diagrams over every fact, the first time `missing`
    /// is asked for; `None` when they exceed `Limits::max_relevance_nodes`.
    compiled: OnceLock<Option<Compiled>>,
    /// The empty referral's questions in rank order, the first time they are asked for (or
    /// precompiled).
    empty_ranking: OnceLock<crate::questions::EmptyRanking>,
}

/// What a precompiled rule set brings ready-made.
#[derive(Debug)]
pub(crate) struct Ready {
    /// The compiled diagrams (`None`: over the node budget).
    pub(crate) compiled: Option<Compiled>,
    /// The empty referral's questions in rank order.
    pub(crate) empty_ranking: Option<crate::questions::EmptyRanking>,
}

/// Parses every file, collecting syntax errors; returns the parsed files and the sources.
#[cfg(feature = "source")]
fn parse_all(
    files: &[(String, String)],
    limits: &Limits,
    diags: &mut Vec<Diagnostic>,
    mode: parse::Mode,
) -> (Vec<crate::ast::File>, Sources) {
    let mut sources = Sources::default();
    let mut parsed = Vec::new();
    for (name, text) in files {
        let id = sources.add(name.clone(), text.clone());
        parsed.push(parse::parse_file(id, text, limits, diags, mode));
    }
    (parsed, sources)
}

impl Ruleset {
    /// Builds a rule set from one or more `(file name, text)` pairs.
    #[cfg(feature = "source")]
    pub fn from_sources(files: Vec<(String, String)>) -> Result<Ruleset, Error> {
        Ruleset::from_sources_with_limits(files, Limits::default())
    }

    /// Builds a rule set from one source text.
    #[cfg(feature = "source")]
    pub fn from_source(name: &str, text: &str) -> Result<Ruleset, Error> {
        Ruleset::from_sources(vec![(name.to_string(), text.to_string())])
    }

    /// Builds a rule set with explicit limits.
    #[cfg(feature = "source")]
    pub fn from_sources_with_limits(
        mut files: Vec<(String, String)>,
        limits: Limits,
    ) -> Result<Ruleset, Error> {
        crate::sort::sort_by(&mut files, |a, b| a.0.cmp(&b.0));
        let mut diags = Vec::new();
        let (parsed, sources) = parse_all(&files, &limits, &mut diags, parse::Mode::SkipTests);
        let syntax_errors = diags.iter().any(|d| d.severity == Severity::Error);
        // A file that could not be read at all leaves nothing worth checking; otherwise the
        // items that parsed are still checked, so one syntax error hides no other error.
        if parsed.iter().any(|f| f.skipped.all) {
            return Err(Error::rules(diags, sources));
        }
        let mut hasher = Sha256::new();
        for f in &parsed {
            hasher.update(fmt::print_file(f, false).as_bytes());
            hasher.update([0u8]);
        }
        let hash = format!("sha256:{}", hex(&hasher.finalize()));
        let (program, mut more) = check::check(&parsed, hash, &limits);
        diags.append(&mut more);
        if syntax_errors {
            return Err(Error::rules(diags, sources));
        }
        match program {
            Some(program) => {
                let layout = Ruleset::layout_of(&program);
                Ok(Ruleset::assemble(
                    program, layout, files, diags, sources, limits, None,
                ))
            }
            None => Err(Error::rules(diags, sources)),
        }
    }

    /// A rule set from its checked program and its diagram layout; `ready` holds what comes
    /// precompiled (otherwise the diagrams and the first questions are worked out on first use).
    pub(crate) fn assemble(
        program: Program,
        layout: Layout,
        files: Vec<(String, String)>,
        warnings: Vec<Diagnostic>,
        sources: Sources,
        limits: Limits,
        ready: Option<Ready>,
    ) -> Ruleset {
        let (cell, ranking) = (OnceLock::new(), OnceLock::new());
        if let Some(ready) = ready {
            let _ = cell.set(ready.compiled);
            if let Some(r) = ready.empty_ranking {
                let _ = ranking.set(r);
            }
        }
        Ruleset {
            inner: Arc::new(Inner {
                tests: OnceLock::new(),
                compiled: cell,
                empty_ranking: ranking,
                program,
                layout,
                files,
                warnings,
                sources,
                limits,
            }),
        }
    }

    /// The diagrams' variables for a program: every expression the diagrams are built from.
    pub(crate) fn layout_of(program: &Program) -> Layout {
        let exprs = program
            .rules
            .iter()
            .map(|r| &r.cond)
            .chain(
                program
                    .matrices
                    .iter()
                    .flat_map(|m| m.bands.iter().map(|(_, c)| c).chain(m.score.iter())),
            )
            .chain(
                program
                    .facts
                    .iter()
                    .filter_map(|f| f.asked.as_ref().map(|a| &a.0)),
            );
        Layout::new(&program.facts, exprs)
    }

    /// The shipped rule set embedded at build time (the partnership's threshold of need).
    #[cfg(feature = "default-rules")]
    pub fn builtin() -> Result<Ruleset, Error> {
        Ruleset::from_sources(
            crate::default_rules::FILES
                .iter()
                .map(|(n, t)| (n.to_string(), t.to_string()))
                .collect(),
        )
    }

    /// The rule set as bytes [`Ruleset::from_precompiled`] loads back without parsing, checking
    /// or compiling: the checked program and its compiled diagrams (`thresholds compile`).
    /// Only this engine version reads them. Warnings keep their codes and messages, not their
    /// source locations; the rule files' tests are not kept.
    pub fn to_precompiled(&self) -> Result<Vec<u8>, Error> {
        crate::precompiled::write(self)
    }

    /// Loads a rule set [`Ruleset::to_precompiled`] wrote, with the default limits. Bytes that
    /// are not one (damaged, truncated, another engine version) are a `thr::precompiled::invalid`
    /// error. Its decisions are byte-identical to the rule set's loaded from source.
    pub fn from_precompiled(bytes: &[u8]) -> Result<Ruleset, Error> {
        crate::precompiled::read(bytes, Limits::default())
    }

    /// Warnings found while checking (missing citations, conditions that always hold, ...).
    pub fn warnings(&self) -> &[Diagnostic] {
        &self.inner.warnings
    }

    /// Warnings with their file, line and column (the `DetailedError` shape every binding uses).
    pub fn warnings_detailed(&self) -> Vec<crate::error::DetailedError> {
        if self.inner.warnings.is_empty() {
            return Vec::new();
        }
        Error::rules(self.inner.warnings.clone(), self.inner.sources.clone()).detailed()
    }

    /// Renders warnings for a terminal.
    #[cfg(feature = "render")]
    pub fn render_warnings(&self) -> String {
        crate::render::render_all(&self.inner.warnings, &self.inner.sources)
    }

    /// The source files, as given (sorted by name).
    pub fn files(&self) -> &[(String, String)] {
        &self.inner.files
    }

    /// Rule-set name.
    pub fn name(&self) -> &str {
        &self.inner.program.name
    }

    /// Rule-set version.
    pub fn version(&self) -> &str {
        &self.inner.program.version
    }

    /// `sha256:` hash of the normalised rules (comments, layout and the rule files' tests do not change it).
    pub fn hash(&self) -> &str {
        &self.inner.program.hash
    }

    /// Rule ids, in evaluation order.
    pub fn rule_ids(&self) -> Vec<&str> {
        self.inner
            .program
            .rules
            .iter()
            .map(|r| r.id.as_str())
            .collect()
    }

    pub(crate) fn program(&self) -> &Program {
        &self.inner.program
    }

    pub(crate) fn empty_ranking(&self) -> &OnceLock<crate::questions::EmptyRanking> {
        &self.inner.empty_ranking
    }

    pub(crate) fn layout(&self) -> &Layout {
        &self.inner.layout
    }

    /// Converts a facts JSON value. Every problem is reported at once.
    pub fn facts_from_value(&self, v: &serde_json::Value) -> Result<Facts, Error> {
        self.facts_from_host(v)
    }

    /// Converts a host's facts map (a Python dict, say: see [`crate::host`]) by the rule JSON
    /// facts follow, with the same errors. Every problem is reported at once.
    pub fn facts_from_host<V: crate::host::HostValue + ?Sized>(
        &self,
        v: &V,
    ) -> Result<Facts, Error> {
        facts::from_host(&self.inner.program, v).map_err(Error::facts)
    }

    /// The known facts as a JSON object, in declaration order (the inverse of
    /// [`Ruleset::facts_from_value`] for facts of this rule set; unknown facts are left out).
    #[must_use]
    pub fn facts_to_json(&self, facts: &Facts) -> serde_json::Value {
        let p = &self.inner.program;
        let known = p
            .facts
            .iter()
            .zip(&facts.slots)
            .filter(|(_, v)| v.is_some())
            .map(|(f, v)| (f.id.clone(), facts::value_to_json(f, *v)));
        serde_json::Value::Object(known.collect())
    }

    /// Parses and converts facts JSON text.
    pub fn facts_from_json(&self, text: &str) -> Result<Facts, Error> {
        if text.len() > self.inner.limits.max_facts_bytes {
            return Err(Error::facts(vec![Diagnostic::error(
                crate::diag::Code::FactsTooLarge,
                format!(
                    "facts are {} bytes; the limit is {}",
                    text.len(),
                    self.inner.limits.max_facts_bytes
                ),
            )]));
        }
        match facts::from_json_text(&self.inner.program, text) {
            Ok(Ok(f)) => Ok(f),
            Ok(Err(diags)) => Err(Error::facts(diags)),
            Err(e) => Err(Error::facts(vec![Diagnostic::error(
                crate::diag::Code::FactsJson,
                format!("facts are not valid JSON: {e}"),
            )
            .help("facts are a JSON object such as {\"age_years\": 14}")])),
        }
    }

    /// Evaluates converted facts into a decision.
    pub fn evaluate(&self, facts: &Facts, options: Options) -> Decision {
        let p = &self.inner.program;
        let slots = eval::applied(p, &facts.slots);
        let (outcome, rel) = self.run(&slots, options);
        decision::build(p, &slots, &outcome, &rel, options, None)
    }

    /// Evaluates converted facts, then applies a practitioner's escalation. Above the level the
    /// rules decide, the decision takes the escalated level: its default pathways replace the
    /// decided level's, the rules that read the level are run again on it, and pathways stay in
    /// urgency order. At or below it, nothing changes. Either way the decision records the
    /// escalation (`escalation: {level, reason, from, raised}`). `missing` still lists the
    /// questions that could change the rules' assessment; once the escalated level is as high as
    /// the rules could reach, none of them is marked as changing the level.
    ///
    /// An unknown level or an empty reason is a `thr::request::invalid` error.
    pub fn evaluate_escalated(
        &self,
        facts: &Facts,
        options: Options,
        escalation: &Escalation,
    ) -> Result<Decision, Error> {
        let rank = self.escalation_rank(escalation)?;
        let p = &self.inner.program;
        let slots = eval::applied(p, &facts.slots);
        let (outcome, rel) = self.run(&slots, options);
        Ok(decision::build(
            p,
            &slots,
            &outcome,
            &rel,
            options,
            Some((rank, escalation)),
        ))
    }

    /// The rank of an escalation's level, or the request error.
    fn escalation_rank(&self, e: &Escalation) -> Result<crate::ir::LevelRank, Error> {
        let levels = &self.inner.program.levels;
        let bad = |message: String, help: Option<String>| {
            Error::request(Diagnostic::error(crate::diag::Code::BadRequest, message).help_opt(help))
        };
        let Some(i) = levels.iter().position(|l| l.id == e.level) else {
            let ids: Vec<&str> = levels.iter().map(|l| l.id.as_str()).collect();
            let help = crate::diag::did_you_mean(&e.level, ids.iter().copied())
                .or_else(|| Some(format!("the levels are: {}", ids.join(", "))));
            return Err(bad(
                format!(
                    "cannot escalate to `{}`: the rule set has no such level",
                    e.level
                ),
                help,
            ));
        };
        if e.reason.trim().is_empty() {
            return Err(bad(
                "an escalation needs the practitioner's reason".to_string(),
                Some("say why the child needs this level".to_string()),
            ));
        }
        Ok(crate::ir::LevelRank::of_slot(i))
    }

    /// Facts JSON text and a request JSON text in, decision JSON text out: the entry point for
    /// hosts that pass options. The request is an object with any of `"reasons"` and
    /// `"missing"` (booleans, default true), `"escalation"` (`{"level": id, "reason": text}`),
    /// `"questions"`, `"summary"` and `"explain"` (booleans, default false) and `"answered"`
    /// (question ids);
    /// anything else in it is a `thr::request::invalid` error.
    pub fn evaluate_request_json(
        &self,
        facts_json: &str,
        request_json: &str,
    ) -> Result<String, Error> {
        let req = parse_request(request_json)?;
        let facts = self.facts_from_json(facts_json)?;
        Ok(self.evaluate_request(&facts, &req)?.to_json())
    }

    /// Facts JSON and request JSON in, the practitioner's summary as plain text out: the text
    /// the CLI prints and the checker copies, for hosts that show text (the request's
    /// `"summary"` is implied).
    pub fn summary_text_json(&self, facts_json: &str, request_json: &str) -> Result<String, Error> {
        let mut req = parse_request(request_json)?;
        req.summary = true;
        let facts = self.facts_from_json(facts_json)?;
        let d = self.evaluate_request(&facts, &req)?;
        Ok(d.summary.map(|s| s.text).unwrap_or_default())
    }

    /// Evaluates facts as a request asks: the options, an escalation, the ranked questions and
    /// the summary. Every host's options come here (the JSON route reads them from the
    /// request JSON). A summary needs the reasons; a bad escalation or a summary without
    /// reasons is a `thr::request::invalid` error.
    pub fn evaluate_request(&self, facts: &Facts, req: &Request) -> Result<Decision, Error> {
        req.check()?;
        let mut d = match &req.escalation {
            Some(e) => self.evaluate_escalated(facts, req.options, e)?,
            None => self.evaluate(facts, req.options),
        };
        if req.questions && req.options.missing {
            d.questions = Some(self.questions_of(facts, &req.answered, &d));
        }
        if req.summary {
            d.summary = Some(self.summary(&d, Some(facts)));
        }
        if req.explain {
            d.explain = Some(crate::explain::explain(self, facts));
        }
        Ok(d)
    }

    /// Evaluates converted facts into a decision made of indexes (no text, no reasons): the
    /// fast path for bulk evaluation. `missing` chooses whether to work out the missing facts
    /// exactly (otherwise a decision with undecided rules is provisional with no list).
    pub fn evaluate_compact(&self, facts: &Facts, missing: bool) -> CompactDecision {
        let p = &self.inner.program;
        let slots = eval::applied(p, &facts.slots);
        let (outcome, rel) = self.run(
            &slots,
            Options {
                reasons: false,
                missing,
            },
        );
        decision::build_compact(p, &outcome, &rel)
    }

    /// The rank of the level a decision on these facts reports (0: none), as
    /// [`Ruleset::evaluate_compact`] with `missing` would, without working out the rest: with
    /// every rule decided, interval evaluation's level; else the lowest over the completions,
    /// from the level diagram alone.
    pub(crate) fn level_rank(&self, facts: &[Option<i64>]) -> i64 {
        let p = &self.inner.program;
        let slots = eval::applied(p, facts);
        let outcome = eval::run(p, &slots);
        match self.compiled() {
            _ if !outcome.has_open() => outcome.level.map_or(0, |r| i64::from(r.0)),
            Some(c) if !p.levels.is_empty() => c.level_floor(p, self.layout(), &slots).max(1),
            _ => {
                let facts = Facts {
                    slots: slots.into_owned(),
                };
                let d = self.evaluate_compact(&facts, true);
                d.level.map_or(0, |l| i64::from(l) + 1)
            }
        }
    }

    /// Interval evaluation, then (when asked) the compiled diagrams' query. The level reported
    /// is the lowest over every completion of the unknown facts; when that is not the level
    /// interval evaluation decided, the rules that read the level are run again on it.
    pub(crate) fn run(
        &self,
        slots: &[Option<i64>],
        options: Options,
    ) -> (eval::Outcome, Relevance) {
        let p = &self.inner.program;
        let outcome = eval::run(p, slots);
        let rel = self.relevance(slots, &outcome, options);
        match rel.bounds {
            Some((lo, _)) if outcome.level != Some(lo) => {
                (eval::run_at_level(p, slots, Some(lo)), rel)
            }
            _ => (outcome, rel),
        }
    }

    /// The compiled diagrams, built on first use.
    #[cfg(feature = "source")]
    pub(crate) fn compiled(&self) -> Option<&Compiled> {
        self.inner
            .compiled
            .get_or_init(|| {
                Compiled::new(
                    &self.inner.program,
                    &self.inner.layout,
                    self.inner.limits.max_relevance_nodes,
                )
            })
            .as_ref()
    }

    /// The compiled diagrams. Without the parser a rule set is loaded precompiled, with them
    /// (`precompiled::read` refuses one without).
    #[cfg(not(feature = "source"))]
    pub(crate) fn compiled(&self) -> Option<&Compiled> {
        self.inner.compiled.get().and_then(Option::as_ref)
    }

    fn relevance(
        &self,
        slots: &[Option<i64>],
        outcome: &eval::Outcome,
        options: Options,
    ) -> Relevance {
        if options.missing {
            relevance::relevance(
                &self.inner.program,
                &self.inner.layout,
                self.compiled(),
                slots,
                outcome,
                self.inner.limits.max_relevance_nodes,
            )
        } else if outcome.has_open() {
            Relevance {
                undecided: true,
                ..Relevance::default()
            }
        } else {
            Relevance::default()
        }
    }

    /// Facts JSON text in, decision JSON text out: the entry point every binding shares.
    pub fn evaluate_json_str(&self, facts_json: &str) -> Result<String, Error> {
        self.evaluate_json_str_with(facts_json, Options::default())
    }

    /// As [`Ruleset::evaluate_json_str`], with options.
    pub fn evaluate_json_str_with(
        &self,
        facts_json: &str,
        options: Options,
    ) -> Result<String, Error> {
        let facts = self.facts_from_json(facts_json)?;
        let p = &self.inner.program;
        let slots = eval::applied(p, &facts.slots);
        let (outcome, rel) = self.run(&slots, options);
        let d = decision::build_for_json(p, &slots, &outcome, &rel, options);
        Ok(d.to_json_with(Some(crate::json::Unknown {
            program: p,
            facts: &slots,
            rel: &rel,
        })))
    }

    /// The declared facts, as JSON: id, type, values, question, help, domain.
    pub fn facts_json(&self) -> String {
        to_json(&self.facts_info())
    }

    /// The declared facts.
    pub fn facts_info(&self) -> Vec<FactInfo> {
        self.inner
            .program
            .facts
            .iter()
            .map(|f| {
                let (ty, min, max, values) = match &f.ty {
                    ir::FactTy::Bool => ("bool", None, None, None),
                    ir::FactTy::Int { lo, hi } => ("int", Some(*lo), Some(*hi), None),
                    ir::FactTy::Enum(c) => ("enum", None, None, Some(c.clone())),
                    ir::FactTy::Set(c) => ("set", None, None, Some(c.clone())),
                };
                FactInfo {
                    id: f.id.clone(),
                    r#type: ty.to_string(),
                    min,
                    max,
                    values,
                    question: f.question.clone(),
                    help: f.help.clone(),
                    domain: f.domain.clone(),
                    benign: f.benign.map(|b| facts::value_to_json(f, Some(b))),
                }
            })
            .collect()
    }

    /// Name, version, hash, levels, pathways, matrices and guidance, as JSON.
    pub fn info_json(&self) -> String {
        to_json(&self.info())
    }

    /// Name, version, hash, levels, pathways, matrices and guidance.
    pub fn info(&self) -> RulesetInfo {
        let p = &self.inner.program;
        RulesetInfo {
            name: p.name.clone(),
            version: p.version.clone(),
            hash: p.hash.clone(),
            levels: p
                .levels
                .iter()
                .map(|l| LevelInfo {
                    id: l.id.clone(),
                    label: l.label.clone(),
                    pathways: l
                        .default_pathways
                        .iter()
                        .filter_map(|i| p.pathways.get(i.index()))
                        .map(|x| x.id.clone())
                        .collect(),
                })
                .collect(),
            pathways: p
                .pathways
                .iter()
                .map(|x| PathwayInfo {
                    id: x.id.clone(),
                    label: x.label.clone(),
                    todo: x.todo.clone(),
                })
                .collect(),
            matrices: p
                .matrices
                .iter()
                .enumerate()
                .map(|(mi, m)| MatrixInfo {
                    id: m.id.clone(),
                    label: m.label.clone(),
                    categories: m.categories.clone(),
                    facts: matrix_reads(p, mi)
                        .iter()
                        .filter_map(|f| p.facts.get(f.index()).map(|x| x.id.clone()))
                        .collect(),
                })
                .collect(),
            guidance: p
                .guidance
                .iter()
                .map(|(id, title)| GuidanceInfo {
                    id: id.clone(),
                    title: title.clone(),
                })
                .collect(),
            rules: p.rules.len(),
        }
    }

    /// Runs the tests written in the rule files.
    #[cfg(feature = "source")]
    pub fn run_tests(&self) -> crate::testing::TestReport {
        let (tests, diags) = self.tests();
        crate::testing::run(self, tests, diags, &self.inner.sources)
    }

    /// Errors in the rule files' tests (unknown facts in `given`, bad expectations, syntax),
    /// which do not stop the rule set from evaluating. `thresholds check` reports them.
    #[cfg(feature = "source")]
    pub fn tests_error(&self) -> Option<Error> {
        let (_, diags) = self.tests();
        (!diags.is_empty()).then(|| Error::rules(diags.clone(), self.inner.sources.clone()))
    }

    #[cfg(feature = "source")]
    pub(crate) fn tests(&self) -> &(Vec<ir::Test>, Vec<Diagnostic>) {
        self.inner.tests.get_or_init(|| {
            let p = &self.inner.program;
            let mut diags = Vec::new();
            let mut decls = Vec::new();
            for span in &p.raw_tests {
                let text = self
                    .inner
                    .sources
                    .get(span.source)
                    .map_or("", |f| f.text.as_str());
                match parse::parse_test(span.source, text, *span, &self.inner.limits) {
                    Ok(t) => decls.push(t),
                    Err(d) => diags.push(d),
                }
            }
            let names: Vec<String> = self.inner.files.iter().map(|(n, _)| n.clone()).collect();
            let (tests, mut more) = check::check_tests(p, &decls, &self.inner.sources, &names);
            diags.append(&mut more);
            (tests, diags)
        })
    }
}

/// A declared fact, for building forms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct FactInfo {
    /// Fact id.
    pub id: String,
    /// `bool`, `int`, `enum` or `set`.
    #[serde(rename = "type")]
    pub r#type: String,
    /// Smallest allowed int.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<i64>,
    /// Largest allowed int.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<i64>,
    /// Allowed codes of an enum or set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<String>>,
    /// The question a practitioner is asked.
    pub question: String,
    /// Help text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// Domain of need.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// The answer that raises no concern (`benign`; `false` and `[]` for yes/no and set facts
    /// unless declared), when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schemars(with = "Option<crate::facts::FactValue>"))]
    pub benign: Option<serde_json::Value>,
}

/// A level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct LevelInfo {
    /// Level id.
    pub id: String,
    /// Label.
    pub label: String,
    /// Default pathways.
    pub pathways: Vec<String>,
}

/// A pathway.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PathwayInfo {
    /// Pathway id.
    pub id: String,
    /// Label.
    pub label: String,
    /// What the practitioner does.
    pub todo: String,
}

/// A matrix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct MatrixInfo {
    /// Matrix id.
    pub id: String,
    /// Label.
    pub label: String,
    /// Categories, lowest first.
    pub categories: Vec<String>,
    /// The facts its category depends on (its bands and score, and the rules that raise it):
    /// while one is unknown, a host shows the category as not yet known.
    pub facts: Vec<String>,
}

/// A guidance document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct GuidanceInfo {
    /// Guidance id.
    pub id: String,
    /// Title.
    pub title: String,
}

/// What a rule set contains.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RulesetInfo {
    /// Name.
    pub name: String,
    /// Version.
    pub version: String,
    /// Hash of the normalised source.
    pub hash: String,
    /// Levels, lowest first.
    pub levels: Vec<LevelInfo>,
    /// Pathways, most urgent first.
    pub pathways: Vec<PathwayInfo>,
    /// Matrices.
    pub matrices: Vec<MatrixInfo>,
    /// Guidance documents.
    pub guidance: Vec<GuidanceInfo>,
    /// Number of rules.
    pub rules: usize,
}

/// The facts a matrix's category depends on: those its bands and score read, then those of the
/// rules raising it.
pub(crate) fn matrix_reads(p: &Program, mi: usize) -> Vec<ir::FactId> {
    let mut reads = p
        .matrices
        .get(mi)
        .map(|m| m.reads.clone())
        .unwrap_or_default();
    for r in &p.rules {
        if r.categories.iter().any(|(x, _)| x.index() == mi) {
            for f in &r.reads {
                if !reads.contains(f) {
                    reads.push(*f);
                }
            }
        }
    }
    reads
}

/// Serialises a DTO as compact JSON (the byte-identical form every host returns).
pub(crate) fn to_json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}

#[cfg(feature = "source")]
fn hex(bytes: &[u8]) -> String {
    const H: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        for nibble in [b >> 4, b & 15] {
            s.push(char::from(
                H.get(usize::from(nibble)).copied().unwrap_or(b'0'),
            ));
        }
    }
    s
}

/// What a host asks of an evaluation beyond the facts.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Request {
    /// Reasons and missing facts.
    pub options: Options,
    /// A practitioner's escalation.
    pub escalation: Option<Escalation>,
    /// Rank the unanswered questions into the decision's `questions` (with `missing` on).
    pub questions: bool,
    /// Question ids already answered (`"triage"`).
    pub answered: Vec<String>,
    /// Add the practitioner's summary to the decision (with `reasons` on).
    pub summary: bool,
    /// Add what would change the level (`explain`): the smallest sets of answers or changes
    /// that would raise it to each level above, or lower it.
    pub explain: bool,
}

impl Request {
    /// Reads a request from its JSON (the form the JSON route takes: every key optional);
    /// malformed JSON, an unknown key or a value of the wrong type is `thr::request::invalid`.
    pub fn from_json(text: &str) -> Result<Request, Error> {
        parse_request(text)
    }

    /// Whether the request can be met: a summary says why, so it needs the reasons
    /// (`thr::request::invalid` otherwise). Escalations are checked against the rule set's levels
    /// when evaluating.
    pub fn check(&self) -> Result<(), Error> {
        if self.summary && !self.options.reasons {
            return Err(request_error(
                "a summary says why: leave `reasons` on when asking for `summary`".to_string(),
            ));
        }
        Ok(())
    }
}

fn request_error(message: String) -> Error {
    Error::request(
        Diagnostic::error(crate::diag::Code::BadRequest, message).help(
            "a request is {\"reasons\": true, \"missing\": true, \
             \"escalation\": {\"level\": \"<level>\", \"reason\": \"...\"}, \
             \"questions\": false, \"answered\": [\"triage\"], \"summary\": false, \
             \"explain\": false}, \
             each key optional",
        ),
    )
}

/// Reads an evaluation request: `{"reasons": bool, "missing": bool, "escalation": {"level":
/// id, "reason": text}, "questions": bool, "answered": [question id], "summary": bool,
/// "explain": bool}`, every key optional.
fn parse_request(text: &str) -> Result<Request, Error> {
    let bad = request_error;
    let v = crate::json_reader::parse(text)
        .map_err(|e| bad(format!("the request is not valid JSON: {e}")))?;
    let serde_json::Value::Object(m) = v else {
        return Err(bad("the request is not a JSON object".to_string()));
    };
    let mut options = Options::default();
    let mut escalation = None;
    let mut questions = false;
    let mut answered = Vec::new();
    let mut summary = false;
    let mut explain = false;
    for (k, v) in &m {
        match (k.as_str(), v) {
            ("summary", serde_json::Value::Bool(b)) => summary = *b,
            ("explain", serde_json::Value::Bool(b)) => explain = *b,
            ("questions", serde_json::Value::Bool(b)) => questions = *b,
            ("answered", serde_json::Value::Array(ids)) => {
                for id in ids {
                    match id.as_str() {
                        Some(s) => answered.push(s.to_string()),
                        None => {
                            return Err(bad("`answered` is a list of question ids".to_string()))
                        }
                    }
                }
            }
            ("answered", _) => return Err(bad("`answered` is a list of question ids".to_string())),
            ("reasons", serde_json::Value::Bool(b)) => options.reasons = *b,
            ("missing", serde_json::Value::Bool(b)) => options.missing = *b,
            ("escalation", serde_json::Value::Null) => {}
            ("escalation", serde_json::Value::Object(e)) => {
                let text = |key: &str| e.get(key).and_then(serde_json::Value::as_str);
                if let Some(other) = e.keys().find(|k| !matches!(k.as_str(), "level" | "reason")) {
                    return Err(bad(format!("unknown key `{other}` in the escalation")));
                }
                match (text("level"), text("reason")) {
                    (Some(level), Some(reason)) => {
                        escalation = Some(Escalation {
                            level: level.to_string(),
                            reason: reason.to_string(),
                        });
                    }
                    _ => {
                        return Err(bad(
                            "an escalation has a `level` and a `reason`, both strings".to_string(),
                        ))
                    }
                }
            }
            ("reasons" | "missing" | "questions" | "summary" | "explain", _) => {
                return Err(bad(format!("`{k}` is true or false")))
            }
            ("escalation", _) => {
                return Err(bad("`escalation` is an object {level, reason}".to_string()))
            }
            _ => return Err(bad(format!("unknown request key `{k}`"))),
        }
    }
    Ok(Request {
        options,
        escalation,
        questions,
        answered,
        summary,
        explain,
    })
}

/// Formats rule-file text canonically, keeping comments. Errors if the text does not parse.
#[cfg(feature = "source")]
pub fn format_source(name: &str, text: &str) -> Result<String, Error> {
    let mut diags = Vec::new();
    let (parsed, sources) = parse_all(
        &[(name.to_string(), text.to_string())],
        &Limits::default(),
        &mut diags,
        parse::Mode::Full,
    );
    if diags.iter().any(|d| d.severity == Severity::Error) {
        return Err(Error::rules(diags, sources));
    }
    Ok(parsed
        .first()
        .map(|f| fmt::print_file(f, true))
        .unwrap_or_default())
}
