//! `thresholds analyze`: properties proved over every referral a rule set can receive, each
//! failure with a minimal counterexample referral.

use serde::Serialize;

use super::{brief, internal, Brief, Roots, Space};
use crate::diagram::{NodeId, Op};
use crate::error::Error;
use crate::ir::{Cmp, Expr, FactTy, Program};
use crate::ruleset::Ruleset;

/// The findings of every check.
#[derive(Debug, Clone, Serialize)]
pub struct Analysis {
    /// The rule set's name.
    pub ruleset: String,
    /// Its version.
    pub version: String,
    /// One entry per check, in a fixed order.
    pub checks: Vec<Check>,
}

/// One property and what was found.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// `monotonicity`, `reachability`, `shadowing`, `bands` or `coverage`.
    pub name: &'static str,
    /// What the check proves, in one sentence.
    pub proves: String,
    /// No finding.
    pub passed: bool,
    /// Each counterexample.
    pub findings: Vec<Finding>,
    /// What the check left out, and why.
    pub notes: Vec<String>,
}

/// One way a property fails.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// What it is about: a fact, a rule, a level, a pathway, a matrix band.
    pub subject: String,
    /// What fails, in a sentence.
    pub message: String,
    /// A referral that shows it (as few facts as possible), when one exists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub example: Option<Example>,
}

/// A counterexample: the facts that matter, and what the rule set decides.
#[derive(Debug, Clone, Serialize)]
pub struct Example {
    /// The facts that matter, less those at their benign answer: every fact left out has its
    /// benign answer (an int or enum without one: its lowest value or first code).
    pub facts: serde_json::Map<String, serde_json::Value>,
    /// For monotonicity: the one answer raised, at its higher value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub raised: Option<serde_json::Map<String, serde_json::Value>>,
    /// The decision for `facts`.
    pub decision: Brief,
    /// For monotonicity: the decision once `raised` replaces it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub raised_decision: Option<Brief>,
}

impl Analysis {
    /// Every check passed.
    pub fn passed(&self) -> bool {
        self.checks.iter().all(|c| c.passed)
    }

    /// The analysis as JSON.
    pub fn to_json(&self) -> String {
        crate::ruleset::to_json(self)
    }

    /// The analysis for a rule author: one line per check, then each finding with its example.
    pub fn text(&self) -> String {
        let mut s = format!("{} (version {})\n", self.ruleset, self.version);
        for c in &self.checks {
            let mark = if c.passed { "passed" } else { "FAILED" };
            s.push_str(&format!("\n{:<13} {mark}  {}\n", c.name, c.proves));
            for n in &c.notes {
                s.push_str(&format!("    note: {n}\n"));
            }
            for f in &c.findings {
                s.push_str(&format!("  - {}: {}\n", f.subject, f.message));
                if let Some(e) = &f.example {
                    s.push_str(&format!(
                        "      example: {} → {}\n",
                        serde_json::Value::Object(e.facts.clone()),
                        brief_text(&e.decision)
                    ));
                    if let (Some(r), Some(d)) = (&e.raised, &e.raised_decision) {
                        s.push_str(&format!(
                            "      raised:  {} → {}\n",
                            serde_json::Value::Object(r.clone()),
                            brief_text(d)
                        ));
                    }
                }
            }
        }
        let failed = self.checks.iter().filter(|c| !c.passed).count();
        if failed == 0 {
            s.push_str("\nEvery check passed.\n");
        } else {
            s.push_str(&format!(
                "\n{failed} of {} checks failed.\n",
                self.checks.len()
            ));
        }
        s
    }
}

pub(crate) fn brief_text(b: &Brief) -> String {
    let mut s = b.level.clone().unwrap_or_else(|| "(no level)".to_string());
    if !b.pathways.is_empty() {
        s.push_str(&format!("; {}", b.pathways.join(", ")));
    }
    if !b.categories.is_empty() {
        s.push_str(&format!("; {}", b.categories.join(", ")));
    }
    s
}

/// The facts of an example as shown: those a path fixes, less those at their benign answer
/// (a yes/no fact `false` and a set `[]` unless declared otherwise), which every fact the
/// example leaves out has anyway. A fact without a benign answer is shown whatever its value.
pub(crate) fn shown(
    space: &Space<'_>,
    facts: &[Option<i64>],
) -> serde_json::Map<String, serde_json::Value> {
    let kept: Vec<Option<i64>> = space
        .facts
        .iter()
        .zip(facts)
        .map(|(f, v)| {
            let benign = match f.ty {
                FactTy::Bool | FactTy::Set(_) => Some(f.benign.unwrap_or(0)),
                FactTy::Enum(_) | FactTy::Int { .. } => f.benign,
            };
            v.filter(|v| benign != Some(*v))
        })
        .collect();
    space.facts_json(&kept)
}

/// At most this many findings per check are listed (each needs a diagram query and an
/// evaluation); the rest are counted in a note.
const MAX_FINDINGS: usize = 40;

impl Ruleset {
    /// Proves properties of the rule set over every referral it can receive: monotonicity,
    /// reachability, shadowing, matrix bands and test coverage. Each failure comes with a
    /// counterexample referral.
    ///
    /// # Errors
    /// When the rule set's diagrams exceed the analysis node budget (`thr::eval::limit_exceeded`),
    /// or, for a bug, when an example does not evaluate as the diagrams say (`thr::internal`).
    pub fn analyze(&self) -> Result<Analysis, Error> {
        let p = self.program();
        let mut space = Space::new(&p.facts, super::exprs(p));
        let roots = space.roots(p)?;
        let checks = vec![
            monotonicity(&mut space, p, &roots)?,
            reachability(&space, p, &roots),
            shadowing(&mut space, p, &roots)?,
            bands(&mut space, p, &roots)?,
            coverage(self),
        ];
        Ok(Analysis {
            ruleset: p.name.clone(),
            version: p.version.clone(),
            checks,
        })
    }
}

fn check(
    name: &'static str,
    proves: &str,
    findings: Vec<Finding>,
    mut notes: Vec<String>,
) -> Check {
    let mut findings = findings;
    if findings.len() > MAX_FINDINGS {
        notes.push(format!(
            "{} more findings not listed",
            findings.len() - MAX_FINDINGS
        ));
        findings.truncate(MAX_FINDINGS);
    }
    Check {
        name,
        proves: proves.to_string(),
        passed: findings.is_empty(),
        findings,
        notes,
    }
}

/// One step towards more risk: the variable, the child index before and after.
struct Step {
    var: u32,
    from: usize,
    to: usize,
}

/// The steps towards more risk of a fact: from its benign answer to each other answer (a set:
/// ticking each code; an int: each step away from the benign value). `None` when the fact has
/// no benign answer to measure risk from.
fn steps(space: &Space<'_>, f: usize) -> Option<Vec<Step>> {
    let fact = space.facts.get(f)?;
    let first = *space.layout.first_var.get(f)?;
    let benign = space.benign_child(first);
    match &fact.ty {
        FactTy::Bool => {
            let b = benign?;
            Some(vec![Step {
                var: first,
                from: b,
                to: 1 - b.min(1),
            }])
        }
        FactTy::Set(codes) => Some(
            (0..codes.len().min(64))
                .filter_map(|j| {
                    let var = first + u32::try_from(j).ok()?;
                    let b = space.benign_child(var)?;
                    Some(Step {
                        var,
                        from: b,
                        to: 1 - b.min(1),
                    })
                })
                .collect(),
        ),
        FactTy::Enum(codes) => {
            let b = benign?;
            Some(
                (0..codes.len())
                    .filter(|c| *c != b)
                    .map(|c| Step {
                        var: first,
                        from: b,
                        to: c,
                    })
                    .collect(),
            )
        }
        FactTy::Int { .. } => {
            let b = benign?;
            let n = space.layout.reps.get(f)?.len();
            let up = (b + 1..n).map(|i| Step {
                var: first,
                from: i - 1,
                to: i,
            });
            let down = (0..b).rev().map(|i| Step {
                var: first,
                from: i + 1,
                to: i,
            });
            Some(up.chain(down).collect())
        }
    }
}

/// What a step's answer is called: `fact`, `fact = code`, `fact has code`, `fact = n`.
fn step_name(space: &Space<'_>, f: usize, s: &Step) -> String {
    let Some(fact) = space.facts.get(f) else {
        return String::new();
    };
    let first = space.layout.first_var.get(f).copied().unwrap_or(0);
    match &fact.ty {
        FactTy::Bool => fact.id.clone(),
        FactTy::Set(codes) => format!(
            "{} has {}",
            fact.id,
            codes
                .get((s.var - first) as usize)
                .map_or("?", String::as_str)
        ),
        FactTy::Enum(codes) => format!(
            "{} = {}",
            fact.id,
            codes.get(s.to).map_or("?", String::as_str)
        ),
        FactTy::Int { .. } => format!(
            "{} = {}",
            fact.id,
            space
                .layout
                .reps
                .get(f)
                .and_then(|r| r.get(s.to))
                .copied()
                .unwrap_or(0)
        ),
    }
}

fn monotonicity(space: &mut Space<'_>, p: &Program, roots: &Roots) -> Result<Check, Error> {
    let mut findings = Vec::new();
    let mut unchecked = Vec::new();
    for f in 0..p.facts.len() {
        let Some(steps) = steps(space, f) else {
            if let Some(fact) = p.facts.get(f) {
                unchecked.push(fact.id.clone());
            }
            continue;
        };
        for s in &steps {
            let lo = space.mdd.restrict(roots.level, s.var, s.from);
            let hi = space.mdd.restrict(roots.level, s.var, s.to);
            // What can go the wrong way ("lower the level", "remove pathway p"), and where.
            let mut subjects: Vec<(String, NodeId)> = Vec::new();
            subjects.push((
                "lower the level".to_string(),
                space.mdd.apply(Op::Cmp(Cmp::Lt), hi, lo),
            ));
            let same_level = space.mdd.apply(Op::Cmp(Cmp::Eq), hi, lo);
            for (mi, m) in p.matrices.iter().enumerate() {
                let Some(c) = roots.categories.get(mi).copied() else {
                    continue;
                };
                let (clo, chi) = (
                    space.mdd.restrict(c, s.var, s.from),
                    space.mdd.restrict(c, s.var, s.to),
                );
                let bad = space.mdd.apply(Op::Cmp(Cmp::Lt), chi, clo);
                subjects.push((format!("lower the {} category", m.id), bad));
            }
            for (pi, pw) in p.pathways.iter().enumerate() {
                let Some(r) = roots.pathways.get(pi).copied() else {
                    continue;
                };
                let (plo, phi) = (
                    space.mdd.restrict(r, s.var, s.from),
                    space.mdd.restrict(r, s.var, s.to),
                );
                let lost = space.mdd.apply(Op::Cmp(Cmp::Lt), phi, plo);
                let bad = space.mdd.apply(Op::And, same_level, lost);
                subjects.push((format!("remove pathway {}", pw.id), bad));
            }
            for (what, bad) in subjects {
                if space.mdd.leaf_value(bad) == Some(0) {
                    continue;
                }
                let Some(path) = space.example(bad, |v| v != 0) else {
                    continue;
                };
                let mut before = path.clone();
                before.push((s.var, s.from));
                let mut after = path;
                after.push((s.var, s.to));
                let (before, after) = (space.path_facts(&before), space.path_facts(&after));
                let fact_id = p.facts.get(f).map_or("", |x| x.id.as_str());
                let raised: serde_json::Map<_, _> = space
                    .facts_json(&after)
                    .into_iter()
                    .filter(|(k, _)| k == fact_id)
                    .collect();
                let (b, a) = (
                    brief(p, &space.complete(&before)),
                    brief(p, &space.complete(&after)),
                );
                if b == a {
                    return Err(internal(format!(
                        "monotonicity: the diagrams say raising {fact_id} can {what}, evaluation does not"
                    )));
                }
                findings.push(Finding {
                    subject: step_name(space, f, s),
                    message: format!("raising this answer can {what}"),
                    example: Some(super::proofs::Example {
                        facts: shown(space, &before),
                        raised: Some(raised),
                        decision: b,
                        raised_decision: Some(a),
                    }),
                });
            }
        }
    }
    let mut notes = Vec::new();
    if !unchecked.is_empty() {
        notes.push(format!(
            "not risk facts (no benign answer to measure risk from): {}",
            unchecked.join(", ")
        ));
    }
    Ok(check(
        "monotonicity",
        "raising any answer away from its benign value never lowers the level or a matrix \
         category, and never removes a pathway while the level stays the same",
        findings,
        notes,
    ))
}

fn reachability(space: &Space<'_>, p: &Program, roots: &Roots) -> Check {
    let mut findings = Vec::new();
    let levels = space.leaves(roots.level);
    for (i, l) in p.levels.iter().enumerate() {
        let rank = i64::try_from(i + 1).unwrap_or(0);
        if !levels.contains(&rank) {
            findings.push(Finding {
                subject: format!("level {}", l.id),
                message: "no referral is decided at this level".to_string(),
                example: None,
            });
        }
    }
    for (i, pw) in p.pathways.iter().enumerate() {
        let provisional = p.provisional.iter().any(|x| x.index() == i);
        let never = roots
            .pathways
            .get(i)
            .is_none_or(|r| space.mdd.leaf_value(*r) == Some(0));
        if never && !provisional {
            findings.push(Finding {
                subject: format!("pathway {}", pw.id),
                message: "no complete referral gets this pathway".to_string(),
                example: None,
            });
        }
    }
    for (mi, m) in p.matrices.iter().enumerate() {
        let cats = roots
            .categories
            .get(mi)
            .map(|c| space.leaves(*c))
            .unwrap_or_default();
        for (ci, c) in m.categories.iter().enumerate() {
            if !cats.contains(&i64::try_from(ci).unwrap_or(-1)) {
                findings.push(Finding {
                    subject: format!("{} category {c}", m.id),
                    message: "no referral is in this category".to_string(),
                    example: None,
                });
            }
        }
    }
    if p.rules.iter().any(|r| r.advisory) && space.mdd.leaf_value(roots.advisory) == Some(0) {
        findings.push(Finding {
            subject: "advisory".to_string(),
            message: "no referral's decision is advice only, though a rule says advisory"
                .to_string(),
            example: None,
        });
    }
    check(
        "reachability",
        "every level, pathway and matrix category is decided for some referral (the \
         provisional pathways for some referral with unknown facts)",
        findings,
        Vec::new(),
    )
}

fn same(a: &Roots, b: &Roots) -> bool {
    a.level == b.level
        && a.pathways == b.pathways
        && a.categories == b.categories
        && a.advisory == b.advisory
}

fn shadowing(space: &mut Space<'_>, p: &Program, roots: &Roots) -> Result<Check, Error> {
    let mut findings = Vec::new();
    let mut reason_only = Vec::new();
    for (i, r) in p.rules.iter().enumerate() {
        // A rule that decides only the lowest level gives the reason for it ("why not
        // notify"): by construction it changes no decision, so it needs only to fire.
        if explains_lowest(r) {
            let fires = roots.conds.get(i).copied();
            if fires.is_some_and(|c| space.mdd.leaf_value(c) == Some(0)) {
                findings.push(Finding {
                    subject: format!("rule {}", r.id),
                    message: "never fires: no referral meets its condition".to_string(),
                    example: None,
                });
            } else {
                reason_only.push(r.id.as_str());
            }
            continue;
        }
        let mut without = p.clone();
        if let Some(rule) = without.rules.get_mut(i) {
            rule.cond = Expr::Bool(false);
        }
        let other = space.roots(&without)?;
        if same(&other, roots) {
            let never = roots
                .conds
                .get(i)
                .is_some_and(|c| space.mdd.leaf_value(*c) == Some(0));
            let message = if never {
                "never fires: no referral meets its condition"
            } else {
                "never changes a decision: whenever it fires, other rules already decide the \
                 same level, pathways and categories"
            };
            findings.push(Finding {
                subject: format!("rule {}", r.id),
                message: message.to_string(),
                example: None,
            });
        }
    }
    let mut notes = Vec::new();
    if !reason_only.is_empty() {
        notes.push(format!(
            "rules that only give the reason for the lowest level (checked to fire): {}",
            reason_only.join(", ")
        ));
    }
    Ok(check(
        "shadowing",
        "every rule changes the decision (level, pathways, categories or advisory) of some \
         referral",
        findings,
        notes,
    ))
}

/// The rule sets only the lowest level (not exactly, outside any domain): its only effect is
/// its reason.
fn explains_lowest(r: &crate::ir::Rule) -> bool {
    r.level == Some((crate::ir::LevelRank(1), false))
        && r.domain.is_none()
        && r.pathways.is_empty()
        && r.categories.is_empty()
        && !r.advisory
}

/// A diagram that holds when some variable of the fact is not its benign answer (for a set
/// fact, only over the codes in `codes`, a bit mask).
fn not_benign_in(space: &mut Space<'_>, f: usize, codes: u64) -> Option<NodeId> {
    let fact = space.facts.get(f)?;
    let first = *space.layout.first_var.get(f)?;
    let (n_vars, n_kids) = match &fact.ty {
        FactTy::Set(codes) => (codes.len().min(64), 2),
        FactTy::Bool => (1, 2),
        FactTy::Enum(codes) => (1, codes.len()),
        FactTy::Int { .. } => (1, space.layout.reps.get(f)?.len()),
    };
    let mut parts = Vec::new();
    for j in 0..n_vars {
        if matches!(fact.ty, FactTy::Set(_)) && codes >> j & 1 == 0 {
            continue;
        }
        let var = first + u32::try_from(j).ok()?;
        let b = space.benign_child(var)?;
        let kids = (0..n_kids)
            .map(|i| space.mdd.leaf(i64::from(i != b)))
            .collect();
        parts.push(space.mdd.mk(var, kids));
    }
    Some(space.mdd.reduce(Op::Or, parts, 0))
}

fn bands(space: &mut Space<'_>, p: &Program, roots: &Roots) -> Result<Check, Error> {
    let mut findings = Vec::new();
    let mut scored = Vec::new();
    for (mi, m) in p.matrices.iter().enumerate() {
        let Some(cat) = roots.categories.get(mi).copied() else {
            continue;
        };
        // Overlap: a band that never decides the category (a higher band or a floor always
        // holds with it).
        for (bi, (c, _)) in m.bands.iter().enumerate() {
            let mut without = p.clone();
            if let Some((_, cond)) = without
                .matrices
                .get_mut(mi)
                .and_then(|x| x.bands.get_mut(bi))
            {
                *cond = Expr::Bool(false);
            }
            let other = space.roots(&without)?;
            if other.categories.get(mi) == Some(&cat) {
                let name = m.categories.get(*c as usize).map_or("?", String::as_str);
                findings.push(Finding {
                    subject: format!("{} band {name}", m.id),
                    message: "overlaps: whenever it holds, a higher band or a floor holds too, \
                              so it never decides the category"
                        .to_string(),
                    example: None,
                });
            }
        }
        // Gap: an indicator the bands read is present, yet the category stays the first. A
        // scored matrix may leave one indicator below every band by design; a hole between
        // its bands gives more concerns a lower category, which monotonicity finds.
        if m.score.is_some() {
            scored.push(m.id.as_str());
            continue;
        }
        // Per fact the bands read, the codes that are indicators: those its tiers name (a set
        // code in no tier is not an indicator of this matrix); every value of another fact.
        let mut read: Vec<(crate::ir::FactId, u64)> = Vec::new();
        for e in m.bands.iter().map(|(_, e)| e) {
            e.visit_facts(&mut |f| {
                if !read.iter().any(|(g, _)| *g == f) {
                    let codes = m
                        .tiers
                        .iter()
                        .find(|(g, _)| *g == f)
                        .map_or(u64::MAX, |(_, mask)| *mask);
                    read.push((f, codes));
                }
            });
        }
        for (f, codes) in read {
            let Some(present) = not_benign_in(space, f.index(), codes) else {
                continue;
            };
            let zero = space.mdd.leaf(0);
            let none = space.mdd.apply(Op::Cmp(Cmp::Eq), cat, zero);
            let gap = space.mdd.apply(Op::And, none, present);
            if space.mdd.leaf_value(gap) == Some(0) {
                continue;
            }
            let Some(path) = space.example(gap, |v| v != 0) else {
                continue;
            };
            let facts = space.path_facts(&path);
            let decision = brief(p, &space.complete(&facts));
            let first = m.categories.first().map_or("none", String::as_str);
            let fact_id = p.facts.get(f.index()).map_or("", |x| x.id.as_str());
            findings.push(Finding {
                subject: format!("{} and {fact_id}", m.id),
                message: format!(
                    "leaves a gap: {fact_id} is answered with a concern, yet no band holds and \
                     the category stays {first}"
                ),
                example: Some(Example {
                    facts: shown(space, &facts),
                    raised: None,
                    decision,
                    raised_decision: None,
                }),
            });
        }
    }
    let mut notes = Vec::new();
    if !scored.is_empty() {
        notes.push(format!(
            "scored, so gaps are checked as monotonicity (more concerns never a lower \
             category): {}",
            scored.join(", ")
        ));
    }
    Ok(check(
        "bands",
        "within each matrix no band is wholly covered by a higher one (overlap), and every \
         indicator it reads, when present, puts the referral in some category (no gap)",
        findings,
        notes,
    ))
}

fn coverage(rs: &Ruleset) -> Check {
    let report = rs.run_tests();
    let mut findings: Vec<Finding> = report
        .unfired_rules
        .iter()
        .map(|r| Finding {
            subject: format!("rule {r}"),
            message: "no test of the rule set fires it".to_string(),
            example: None,
        })
        .collect();
    findings.extend(
        report
            .results
            .iter()
            .filter(|t| !t.passed())
            .map(|t| Finding {
                subject: format!("test \"{}\" ({}:{})", t.name, t.file, t.line),
                message: format!("fails: {}", t.failures.join("; ")),
                example: None,
            }),
    );
    let notes = vec![format!(
        "{} tests, {} passed",
        report.results.len(),
        report.passed()
    )];
    check(
        "coverage",
        "the rule set's own tests pass and fire every rule",
        findings,
        notes,
    )
}
