//! The decision every host returns (section 8 of the domain reference), and its explanation.

use std::sync::Arc;

use serde::Serialize;

use crate::eval::{Outcome, Tri};
use crate::facts::value_to_json;
use crate::ir::{FactId, LevelRank, PathwayId, Program};
use crate::relevance::Relevance;

/// Whether unknown facts could still change the decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum Status {
    /// No unknown fact could change the level or a pathway.
    Complete,
    /// Some unknown fact could change the level or a pathway; see `missing`.
    Provisional,
}

/// An unknown fact that could change the decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Missing {
    /// The fact id.
    pub fact: Arc<str>,
    /// The question a practitioner answers to supply it.
    pub question: Arc<str>,
    /// What answering it could change.
    pub changes: Changes,
}

/// What an unknown fact could change: the level, and which pathways it could add or remove.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(rename = "MissingChanges")
)]
pub struct Changes {
    /// True when some answer to it could change the level.
    pub level: bool,
    /// Pathway ids (most urgent first) that some answer to it could add or remove.
    pub pathways: Vec<Arc<str>>,
}

/// What a fired rule set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Effects {
    /// The level it sets (at least, unless `exact`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
    /// True when the rule sets the level exactly rather than at least.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub exact: bool,
    /// Pathways it adds.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pathways: Vec<String>,
    /// Matrix categories it sets (at least).
    #[serde(skip_serializing_if = "serde_json::Map::is_empty")]
    #[cfg_attr(
        feature = "schema",
        schemars(with = "std::collections::BTreeMap<String, String>")
    )]
    pub exploitation: serde_json::Map<String, serde_json::Value>,
    /// True when the rule marks the level as advice only.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub advisory: bool,
}

/// One fired rule (or matrix result) and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Reason {
    /// Rule id, or `matrix:<id>` for a matrix result.
    pub rule: String,
    /// The rule's title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// What it set.
    pub set: Effects,
    /// The facts it read, with their values (null when unknown).
    #[cfg_attr(
        feature = "schema",
        schemars(with = "std::collections::BTreeMap<String, Option<crate::facts::FactValue>>")
    )]
    pub facts: serde_json::Map<String, serde_json::Value>,
    /// The guidance id it cites.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guidance: Option<String>,
    /// The guidance and section it comes from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub citation: Option<String>,
    /// The reason in plain English.
    pub reason: String,
}

/// Which rule set made a decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RulesetRef {
    /// Rule-set name.
    pub name: String,
    /// Rule-set version.
    pub version: String,
    /// `sha256:` of the normalised source.
    pub hash: String,
}

/// A decision: the level, what to do, why, and what is still unknown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Decision {
    /// The level id, or null when the rule set has no levels. On a provisional decision, the
    /// lowest level over every possible answer to the missing facts ("at least").
    pub level: Option<String>,
    /// On a provisional decision, the highest level the missing facts could still lead to
    /// (equal to `level` when they could only change pathways); absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub could_reach: Option<String>,
    /// True when a fired rule marks the level as advice only (e.g. a young adult, for whom
    /// adult services decide); only present when true.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub advisory: bool,
    /// The practitioner's escalation, when one was asked for; absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub escalation: Option<Escalated>,
    /// Pathway ids, most urgent first.
    pub pathways: Vec<String>,
    /// Each matrix's category.
    #[cfg_attr(
        feature = "schema",
        schemars(with = "std::collections::BTreeMap<String, String>")
    )]
    pub exploitation: serde_json::Map<String, serde_json::Value>,
    /// `complete` or `provisional`.
    pub status: Status,
    /// Unknown facts that could change the decision, most decisive first.
    pub missing: Vec<Missing>,
    /// Fired rules, in rule-set order.
    pub reasons: Vec<Reason>,
    /// When asked for (`"questions": true` in a request): the unanswered questions that could
    /// still change the decision, best first; absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub questions: Option<Vec<crate::questions::Question>>,
    /// When asked for (`"summary": true` in a request): the practitioner's summary, worded as
    /// every host shows it; absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<crate::summary::Summary>,
    /// When asked for (`"explain": true` in a request): what would change the rules' level,
    /// up or down ("what would make this acute?"); absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explain: Option<crate::explain::Explanation>,
    /// The rule set.
    pub ruleset: RulesetRef,
}

/// A practitioner's escalation: the level they judge right for the child, and why. Escalating
/// never lowers a level: below or at the level the rules decide, it is recorded and changes
/// nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Escalation {
    /// A level id of the rule set.
    pub level: String,
    /// The practitioner's reason, in their words (required).
    pub reason: String,
}

/// An escalation as the decision records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Escalated {
    /// The level the practitioner escalated to.
    pub level: String,
    /// Their reason.
    pub reason: String,
    /// The level the rules decided ("at least", on a provisional decision).
    pub from: Option<String>,
    /// True when the escalation raised the level; false when the rules' level was already
    /// as high, and nothing changed.
    pub raised: bool,
}

/// What a decision includes beyond level, pathways and status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Include the fired rules with their facts and citations.
    pub reasons: bool,
    /// Work out which unknown facts could change the decision.
    pub missing: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            reasons: true,
            missing: true,
        }
    }
}

/// A decision as indexes, without text: for bulk evaluation where the caller maps indexes to
/// ids once (`Ruleset::info()` levels and pathways, `Ruleset::facts_info()` facts). It carries
/// exactly the level, pathways, categories, status and missing facts of the full [`Decision`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CompactDecision {
    /// Index into `info().levels`, or `None` when the rule set has no levels.
    pub level: Option<u32>,
    /// Index into `info().levels` of the highest level the missing facts could lead to, on a
    /// provisional decision whose missing facts were worked out.
    pub could_reach: Option<u32>,
    /// Indexes into `info().pathways`, most urgent first.
    pub pathways: Vec<u32>,
    /// Per matrix (in `info().matrices` order), the index of its category.
    pub categories: Vec<u32>,
    /// True when the decision is provisional.
    pub provisional: bool,
    /// True when a fired rule marks the level as advice only.
    pub advisory: bool,
    /// Indexes into `facts_info()`, most decisive first.
    pub missing: Vec<u32>,
}

/// Level, pathways and status after settling and provisional pathways: shared by both forms.
fn settle(
    program: &Program,
    outcome: &Outcome,
    rel: &Relevance,
) -> (Option<LevelRank>, Option<LevelRank>, Vec<PathwayId>, bool) {
    let mut level = outcome.level;
    let mut pathways = outcome.pathways.clone();
    if let Some((l, ps, _)) = &rel.settled {
        level = *l;
        pathways = ps.clone();
    }
    let provisional = !rel.missing.is_empty() || rel.undecided;
    if provisional {
        pathways.extend(&program.provisional);
        crate::sort::sort(&mut pathways);
        pathways.dedup();
    }
    let could_reach = if provisional {
        rel.bounds.map(|(_, hi)| hi)
    } else {
        None
    };
    (level, could_reach, pathways, provisional)
}

/// Advice only: the advisory diagram holds in every completion, or an advisory rule fired
/// (certainly, or in every completion of a settled decision).
fn advisory(program: &Program, outcome: &Outcome, rel: &Relevance) -> bool {
    rel.advisory
        || program.rules.iter().enumerate().any(|(i, r)| {
            r.advisory
                && (outcome.fired.get(i) == Some(&Tri::True)
                    || rel.settled.as_ref().is_some_and(|(_, _, f)| f.contains(&i)))
        })
}

pub(crate) fn build_compact(
    program: &Program,
    outcome: &Outcome,
    rel: &Relevance,
) -> CompactDecision {
    let (level, could_reach, pathways, provisional) = settle(program, outcome, rel);
    CompactDecision {
        level: level.map(|r| r.0.saturating_sub(1)),
        could_reach: could_reach.map(|r| r.0.saturating_sub(1)),
        pathways: pathways.iter().map(|p| p.raw()).collect(),
        categories: outcome.categories.clone(),
        provisional,
        advisory: advisory(program, outcome, rel),
        missing: rel.missing.iter().map(|f| f.raw()).collect(),
    }
}

pub(crate) fn build(
    program: &Program,
    facts: &[Option<i64>],
    outcome: &Outcome,
    rel: &Relevance,
    options: Options,
    escalation: Option<(LevelRank, &Escalation)>,
) -> Decision {
    build_with(program, facts, outcome, rel, options, escalation, true)
}

/// The decision without an escalation and without its `missing` entries, for writing as JSON
/// straight from `rel` (`Decision::to_json_with`): without an escalation, the entries are
/// exactly `rel`'s missing facts, each with its question and what it could change.
pub(crate) fn build_for_json(
    program: &Program,
    facts: &[Option<i64>],
    outcome: &Outcome,
    rel: &Relevance,
    options: Options,
) -> Decision {
    build_with(program, facts, outcome, rel, options, None, false)
}

fn build_with(
    program: &Program,
    facts: &[Option<i64>],
    outcome: &Outcome,
    rel: &Relevance,
    options: Options,
    escalation: Option<(LevelRank, &Escalation)>,
    entries: bool,
) -> Decision {
    // When every completion of the unknown facts agrees, that outcome is reported.
    let (mut level, mut could_reach, mut pathways, mut provisional) = settle(program, outcome, rel);
    // Which rules fired: for the reasons, and for an escalation to re-decide.
    let mut fired: Vec<bool> = if options.reasons || escalation.is_some() {
        outcome.fired.iter().map(|t| *t == Tri::True).collect()
    } else {
        Vec::new()
    };
    if let Some((_, _, settled_fired)) = &rel.settled {
        for i in settled_fired {
            if let Some(f) = fired.get_mut(*i) {
                *f = true;
            }
        }
    }
    // A practitioner's escalation above the rules' level re-decides what depends on the level.
    // `replaced`: when the rules could not take the level above the escalated one, the
    // questions that could still change the decision are only those that could change a
    // rule's pathways.
    let mut replaced: Option<Vec<(FactId, Vec<PathwayId>)>> = None;
    let mut extra_missing: Vec<(FactId, Vec<PathwayId>)> = Vec::new();
    let escalated = escalation.map(|(rank, esc)| {
        let from = level;
        let raised = from.is_none_or(|l| rank > l);
        if raised {
            let e = escalate(program, facts, outcome, &mut fired, rank);
            level = Some(rank);
            pathways = e.pathways;
            let rules_could_go_higher = provisional && could_reach.is_some_and(|c| c > rank);
            if rules_could_go_higher {
                extra_missing = e.unknown;
            } else {
                provisional = !e.unknown.is_empty();
                could_reach = provisional.then_some(rank);
                replaced = Some(e.unknown);
            }
            if provisional {
                pathways.extend(&program.provisional);
                crate::sort::sort(&mut pathways);
                pathways.dedup();
            }
        }
        (esc, from, raised)
    });
    let name_of = |i: &PathwayId| program.pathways.of(*i).id.clone();
    let level_id = |r: LevelRank| program.level(r).map(|l| l.id.clone());

    let mut exploitation = serde_json::Map::new();
    for (m, c) in program.matrices.iter().zip(&outcome.categories) {
        let cat = m.categories.get(*c as usize).cloned().unwrap_or_default();
        exploitation.insert(m.id.clone(), serde_json::Value::String(cat));
    }

    let mut reasons = Vec::new();
    if options.reasons {
        for (mi, m) in program.matrices.iter().enumerate() {
            let c = outcome.categories.get(mi).copied().unwrap_or(0);
            if c == 0 {
                continue;
            }
            let cat = m.categories.get(c as usize).cloned().unwrap_or_default();
            let mut set = Effects::default();
            set.exploitation
                .insert(m.id.clone(), serde_json::Value::String(cat.clone()));
            reasons.push(Reason {
                rule: format!("matrix:{}", m.id),
                title: Some(m.label.clone()),
                set,
                facts: read_facts(program, facts, &m.reads),
                guidance: m.cite.as_ref().map(|c| c.guidance.clone()),
                citation: m.cite.as_ref().map(|c| c.text.clone()),
                reason: format!("{} risk is {cat} on the matrix.", m.label),
            });
        }
        for (r, f) in program.rules.iter().zip(&fired) {
            if !*f {
                continue;
            }
            let mut set = Effects::default();
            if let Some((rank, exact)) = r.level {
                set.level = level_id(rank);
                set.exact = exact;
            }
            set.pathways = r.pathways.iter().map(name_of).collect();
            set.advisory = r.advisory;
            for (m, c) in &r.categories {
                let mx = program.matrices.of(*m);
                let cat = mx.categories.get(*c as usize).cloned().unwrap_or_default();
                set.exploitation
                    .insert(mx.id.clone(), serde_json::Value::String(cat));
            }
            let mut read = read_facts(program, facts, &r.reads);
            for m in &r.reads_categories {
                if let Some(c) = outcome.categories.get(m.index()) {
                    let mx = program.matrices.of(*m);
                    let cat = mx.categories.get(*c as usize).cloned().unwrap_or_default();
                    read.insert(mx.id.clone(), serde_json::Value::String(cat));
                }
            }
            reasons.push(Reason {
                rule: r.id.clone(),
                title: r.title.clone(),
                set,
                facts: read,
                guidance: r.cite.as_ref().map(|c| c.guidance.clone()),
                citation: r.cite.as_ref().map(|c| c.text.clone()),
                reason: r.because.clone(),
            });
        }
    }

    let mut missing: Vec<Missing> = match replaced {
        Some(_) => Vec::new(),
        None if !entries => Vec::new(),
        None => rel
            .missing
            .iter()
            .enumerate()
            .filter_map(|(i, fi)| Some((i, *fi, program.facts.get(fi.index())?)))
            .map(|(i, fi, _)| Missing {
                fact: program.shared.fact(fi).id.clone(),
                question: crate::eval::question_text(program, facts, fi).clone(),
                changes: Changes {
                    level: rel.changes.level(i),
                    pathways: rel
                        .changes
                        .pathways(i)
                        .map(|p| program.shared.pathway(p).clone())
                        .collect(),
                },
            })
            .collect(),
    };
    // Escalated, the level is at least the escalated one: pathways that only lower levels
    // bring can no longer be added or removed.
    if let (Some(rank), Some((_, _, true))) = (escalation.map(|(r, _)| r), &escalated) {
        let possible = |id: &Arc<str>| {
            let Some(i) = program.pathways.iter().position(|p| *p.id == **id) else {
                return true;
            };
            let i = PathwayId::from_usize(i);
            program.provisional.contains(&i)
                || program.rules.iter().any(|r| r.pathways.contains(&i))
                || program
                    .levels
                    .iter()
                    .skip(rank.slot().unwrap_or(0))
                    .any(|l| l.default_pathways.contains(&i))
        };
        for m in &mut missing {
            m.changes.pathways.retain(possible);
        }
    }
    // At an escalated level: the unknown facts of rules that add pathways and are not decided.
    let urgency = |id: &Arc<str>| program.pathways.iter().position(|p| *p.id == **id);
    for (f, ps) in replaced
        .unwrap_or_default()
        .into_iter()
        .chain(extra_missing)
    {
        let fact = program.facts.of(f);
        let names: Vec<Arc<str>> = ps
            .iter()
            .map(|p| program.shared.pathway(*p).clone())
            .collect();
        match missing.iter_mut().find(|m| *m.fact == *fact.id) {
            Some(m) => {
                for n in names {
                    if !m.changes.pathways.contains(&n) {
                        m.changes.pathways.push(n);
                    }
                }
                crate::sort::sort_by_key(&mut m.changes.pathways, urgency);
            }
            None => missing.push(Missing {
                fact: program.shared.fact(f).id.clone(),
                question: program.shared.fact(f).question.clone(),
                changes: Changes {
                    level: false,
                    pathways: names,
                },
            }),
        }
    }

    let advisory = advisory(program, outcome, rel);
    Decision {
        level: level.and_then(level_id),
        could_reach: could_reach.and_then(level_id),
        advisory,
        escalation: escalated.map(|(esc, from, raised)| Escalated {
            level: esc.level.clone(),
            reason: esc.reason.clone(),
            from: from.and_then(level_id),
            raised,
        }),
        pathways: pathways.iter().map(name_of).collect(),
        exploitation,
        status: if provisional {
            Status::Provisional
        } else {
            Status::Complete
        },
        missing,
        reasons,
        questions: None,
        summary: None,
        explain: None,
        ruleset: RulesetRef {
            name: program.name.clone(),
            version: program.version.clone(),
            hash: program.hash.clone(),
        },
    }
}

/// The outcome at an escalated level.
struct AtLevel {
    /// Pathways: those of the rules that do not read the level and fired, the level's own, and
    /// those of the rules that read the level and hold at it.
    pathways: Vec<PathwayId>,
    /// Each unknown fact read by a rule that adds pathways and is not decided (directly, or
    /// through a matrix category it reads), with the pathways it could add; in rule order.
    unknown: Vec<(FactId, Vec<PathwayId>)>,
}

/// Re-decides what depends on the level at the escalated `rank`: the level's default pathways
/// replace the decided level's, and the rules that read the level (`level >= complex and ...`)
/// are run again on it. Updates `fired` for those rules.
fn escalate(
    program: &Program,
    facts: &[Option<i64>],
    outcome: &Outcome,
    fired: &mut [bool],
    rank: LevelRank,
) -> AtLevel {
    use crate::ir::Stage;
    let at = crate::eval::run_at_level(program, facts, Some(rank));
    let unknown_fact = |f: &&FactId| facts.get(f.index()).copied().flatten().is_none();
    let mut pathways = Vec::new();
    let mut unknown: Vec<(FactId, Vec<PathwayId>)> = Vec::new();
    let mut note =
        |fact: FactId, ps: &[PathwayId]| match unknown.iter_mut().find(|(u, _)| *u == fact) {
            Some((_, have)) => have.extend(ps),
            None => unknown.push((fact, ps.to_vec())),
        };
    for (i, r) in program.rules.iter().enumerate() {
        let Some(f) = fired.get_mut(i) else {
            continue;
        };
        let t = if r.stage == Stage::Post {
            let t = at.fired.get(i).copied().unwrap_or(Tri::False);
            *f = t == Tri::True;
            t
        } else if *f {
            Tri::True
        } else {
            outcome.fired.get(i).copied().unwrap_or(Tri::False)
        };
        if *f {
            pathways.extend(&r.pathways);
        }
        if t == Tri::Unknown && !r.pathways.is_empty() {
            for fact in r.reads.iter().filter(unknown_fact) {
                note(*fact, &r.pathways);
            }
            for m in &r.reads_categories {
                let mx = program.matrices.of(*m);
                for fact in mx.reads.iter().filter(unknown_fact) {
                    note(*fact, &r.pathways);
                }
                // The category floors that may still raise it.
                for fl in program.rules.iter().filter(|fl| {
                    fl.stage == Stage::Floors && fl.categories.iter().any(|(fm, _)| fm == m)
                }) {
                    for fact in fl.reads.iter().filter(unknown_fact) {
                        note(*fact, &r.pathways);
                    }
                }
            }
        }
    }
    if let Some(l) = program.level(rank) {
        pathways.extend(&l.default_pathways);
    }
    crate::sort::sort(&mut pathways);
    pathways.dedup();
    for (_, ps) in &mut unknown {
        crate::sort::sort(ps);
        ps.dedup();
    }
    AtLevel { pathways, unknown }
}

fn read_facts(
    program: &Program,
    facts: &[Option<i64>],
    reads: &[FactId],
) -> serde_json::Map<String, serde_json::Value> {
    let mut m = serde_json::Map::new();
    for f in reads {
        let fact = program.facts.of(*f);
        m.insert(
            fact.id.clone(),
            value_to_json(fact, facts.get(f.index()).copied().flatten()),
        );
    }
    m
}
