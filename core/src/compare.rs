//! Impact analysis: what changes when a new version of the rules replaces the old one, over a
//! set of referrals. Every host's `compare` is this function.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::decision::{Decision, Options};
use crate::diag::{Code, Diagnostic};
use crate::error::Error;
use crate::ruleset::Ruleset;

/// What changes when `new` replaces `old`, over a set of referrals.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    /// How many referrals were compared.
    pub total: usize,
    /// How many of them change level or pathways.
    pub changed: usize,
    /// Counts of (old level, new level) over every referral, unchanged ones included; ordered
    /// by the old level, then the new (lowest first, no level last).
    pub transitions: Vec<Transition>,
    /// Per pathway (most urgent first), how many referrals gain it and how many lose it; only
    /// pathways that some referral gains or loses.
    pub pathways: Vec<PathwayChange>,
    /// The referrals whose level or pathways change, in input order, with both decisions.
    pub changes: Vec<Change>,
}

/// How many referrals go from one level to another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Transition {
    /// The level under the old rules.
    pub from: Option<String>,
    /// The level under the new rules.
    pub to: Option<String>,
    /// How many referrals.
    pub count: usize,
}

/// How many referrals gain or lose one pathway.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PathwayChange {
    /// The pathway id.
    pub pathway: String,
    /// Referrals that have it under the new rules and not under the old.
    pub added: usize,
    /// Referrals that have it under the old rules and not under the new.
    pub removed: usize,
}

/// One referral whose level or pathways change.
#[derive(Debug, Clone, Serialize)]
pub struct Change {
    /// Its position in the input (0-based).
    pub index: usize,
    /// Its facts, as given.
    pub facts: serde_json::Value,
    /// The decision under the old rules.
    pub old: Decision,
    /// The decision under the new rules.
    pub new: Decision,
}

/// Evaluates every referral under `old` and `new` (with reasons and `missing`) and reports
/// the level transitions, the pathway changes and each changed referral. A referral whose facts
/// do not fit either rule set is an error naming its position.
pub fn compare(
    old: &Ruleset,
    new: &Ruleset,
    referrals: &[serde_json::Value],
) -> Result<Comparison, Error> {
    let mut transitions: BTreeMap<(usize, usize), usize> = BTreeMap::new();
    let mut added: BTreeMap<String, usize> = BTreeMap::new();
    let mut removed: BTreeMap<String, usize> = BTreeMap::new();
    let mut changes = Vec::new();
    let level_ids: Vec<String> = new.info().levels.into_iter().map(|l| l.id).collect();
    let old_ids: Vec<String> = old.info().levels.into_iter().map(|l| l.id).collect();
    let mut names: Vec<Option<String>> = Vec::new();
    let mut slot = |l: &Option<String>| -> usize {
        match names.iter().position(|n| n == l) {
            Some(i) => i,
            None => {
                names.push(l.clone());
                names.len() - 1
            }
        }
    };
    for (index, facts) in referrals.iter().enumerate() {
        let decide = |rs: &Ruleset, which: &str| -> Result<Decision, Error> {
            let f = rs
                .facts_from_value(facts)
                .map_err(|e| at_referral(&e, index, which))?;
            Ok(rs.evaluate(&f, Options::default()))
        };
        let a = decide(old, "old")?;
        let b = decide(new, "new")?;
        *transitions
            .entry((slot(&a.level), slot(&b.level)))
            .or_insert(0) += 1;
        if a.level == b.level && a.pathways == b.pathways {
            continue;
        }
        for p in b.pathways.iter().filter(|p| !a.pathways.contains(p)) {
            *added.entry(p.clone()).or_insert(0) += 1;
        }
        for p in a.pathways.iter().filter(|p| !b.pathways.contains(p)) {
            *removed.entry(p.clone()).or_insert(0) += 1;
        }
        changes.push(Change {
            index,
            facts: facts.clone(),
            old: a,
            new: b,
        });
    }
    // Levels in rank order (the new rules', then any only the old rules have); no level last.
    let rank = |l: &Option<String>| match l {
        Some(id) => level_ids
            .iter()
            .position(|x| x == id)
            .or_else(|| {
                old_ids
                    .iter()
                    .position(|x| x == id)
                    .map(|i| i + level_ids.len())
            })
            .unwrap_or(usize::MAX - 1),
        None => usize::MAX,
    };
    let mut transitions: Vec<Transition> = transitions
        .into_iter()
        .filter_map(|((a, b), count)| {
            Some(Transition {
                from: names.get(a)?.clone(),
                to: names.get(b)?.clone(),
                count,
            })
        })
        .collect();
    transitions.sort_by_key(|t| (rank(&t.from), rank(&t.to)));
    // Pathways most urgent first: the new rules' order, then the old rules'.
    let order: Vec<String> = new
        .info()
        .pathways
        .into_iter()
        .chain(old.info().pathways)
        .map(|p| p.id)
        .collect();
    let mut pathways: Vec<PathwayChange> = added
        .keys()
        .chain(removed.keys())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .map(|p| PathwayChange {
            pathway: p.clone(),
            added: added.get(p).copied().unwrap_or(0),
            removed: removed.get(p).copied().unwrap_or(0),
        })
        .collect();
    pathways.sort_by_key(|p| order.iter().position(|o| *o == p.pathway));
    Ok(Comparison {
        total: referrals.len(),
        changed: changes.len(),
        transitions,
        pathways,
        changes,
    })
}

/// Reads referrals for [`compare`]: a JSON array of facts objects, or JSON lines (one object
/// per line; blank lines skipped). An error names the line.
pub fn referrals_from_text(text: &str) -> Result<Vec<serde_json::Value>, Error> {
    let bad = |message: String| {
        Error::facts(vec![Diagnostic::error(Code::FactsJson, message).help(
            "give a JSON array of facts objects, or one facts object per line (JSON lines)",
        )])
    };
    if text.trim_start().starts_with('[') {
        return match serde_json::from_str(text) {
            Ok(serde_json::Value::Array(items)) => Ok(items),
            Ok(_) => Err(bad("the referrals are not a JSON array".to_string())),
            Err(e) => Err(bad(format!("the referrals are not valid JSON: {e}"))),
        };
    }
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        out.push(
            serde_json::from_str(line)
                .map_err(|e| bad(format!("line {}: not valid JSON: {e}", i + 1)))?,
        );
    }
    Ok(out)
}

/// A facts error for one referral, saying which and under which rules.
fn at_referral(e: &Error, index: usize, which: &str) -> Error {
    let diagnostics = e
        .diagnostics()
        .iter()
        .cloned()
        .map(|mut d| {
            d.message = format!("referral {index} (under the {which} rules): {}", d.message);
            d
        })
        .collect();
    Error::facts(diagnostics)
}

/// Referrals text in (a JSON array or JSON lines), comparison JSON text out: the entry point
/// every binding shares.
pub fn compare_json(old: &Ruleset, new: &Ruleset, referrals: &str) -> Result<String, Error> {
    let c = compare(old, new, &referrals_from_text(referrals)?)?;
    serde_json::to_string(&c).map_err(|e| {
        Error::facts(vec![Diagnostic::error(
            Code::Internal,
            format!("the comparison does not serialise: {e}"),
        )])
    })
}
