//! Impact analysis: what changes when a new version of the rules replaces the old one, over a
//! set of referrals. Every host's `compare` is this function.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::decision::{Decision, Options};
use crate::diag::{Code, Diagnostic};
use crate::error::Error;
use crate::facts::Facts;
use crate::ruleset::Ruleset;

/// What changes when `new` replaces `old`, over a set of referrals.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(rename = "ComparisonChange")
)]
pub struct Change {
    /// Its position in the input (0-based).
    pub index: usize,
    /// Its facts, as given.
    #[cfg_attr(
        feature = "schema",
        schemars(with = "std::collections::BTreeMap<String, crate::facts::FactValue>")
    )]
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
    let mut old_facts = Vec::with_capacity(referrals.len());
    let mut new_facts = Vec::with_capacity(referrals.len());
    for (index, facts) in referrals.iter().enumerate() {
        let convert = |rs: &Ruleset, which: &str| {
            rs.facts_from_value(facts)
                .map_err(|e| at_referral(&e, index, which))
        };
        old_facts.push(convert(old, "old")?);
        new_facts.push(convert(new, "new")?);
    }
    compare_with(old, new, &old_facts, &new_facts, 1, |i| {
        referrals.get(i).cloned().unwrap_or_default()
    })
}

/// [`compare`] over referrals already converted for each rule set (`old_facts[i]` and
/// `new_facts[i]` are referral `i`), on up to `threads` threads (0: every core). Every referral
/// is first decided compactly under both; only those whose level or pathways change are decided
/// in full (with reasons and `missing`). A change's `facts` are its known facts as the new rules
/// read them.
pub fn compare_converted(
    old: &Ruleset,
    new: &Ruleset,
    old_facts: &[Facts],
    new_facts: &[Facts],
    threads: usize,
) -> Result<Comparison, Error> {
    compare_with(old, new, old_facts, new_facts, threads, |i| {
        new_facts
            .get(i)
            .map(|g| new.facts_to_json(g))
            .unwrap_or_default()
    })
}

/// The comparison; `facts_of(i)` is what a change says referral `i`'s facts were.
fn compare_with(
    old: &Ruleset,
    new: &Ruleset,
    old_facts: &[Facts],
    new_facts: &[Facts],
    threads: usize,
    facts_of: impl Fn(usize) -> serde_json::Value,
) -> Result<Comparison, Error> {
    if old_facts.len() != new_facts.len() {
        return Err(Error::request(Diagnostic::error(
            Code::BadRequest,
            format!(
                "{} referrals under the old rules and {} under the new: compare needs both \
                 for each referral",
                old_facts.len(),
                new_facts.len()
            ),
        )));
    }
    let a = old.evaluate_compact_all(old_facts, true, threads);
    let b = new.evaluate_compact_all(new_facts, true, threads);
    let (op, np) = (old.program(), new.program());
    let level_id = |p: &crate::ir::Program, l: Option<u32>| {
        l.and_then(|i| p.levels.get(i as usize))
            .map(|x| x.id.clone())
    };
    let pathway_ids = |p: &crate::ir::Program, ps: &[u32]| -> Vec<String> {
        ps.iter()
            .map(|i| p.pathways.of(crate::ir::PathwayId::new(*i)).id.clone())
            .collect()
    };

    let mut transitions: BTreeMap<(Option<String>, Option<String>), usize> = BTreeMap::new();
    let mut added: BTreeMap<String, usize> = BTreeMap::new();
    let mut removed: BTreeMap<String, usize> = BTreeMap::new();
    let mut changed = Vec::new();
    for (index, (x, y)) in a.iter().zip(&b).enumerate() {
        let (from, to) = (level_id(op, x.level), level_id(np, y.level));
        let (was, now) = (pathway_ids(op, &x.pathways), pathway_ids(np, &y.pathways));
        let same = from == to && was == now;
        *transitions.entry((from, to)).or_insert(0) += 1;
        if same {
            continue;
        }
        for p in now.iter().filter(|p| !was.contains(p)) {
            *added.entry(p.clone()).or_insert(0) += 1;
        }
        for p in was.iter().filter(|p| !now.contains(p)) {
            *removed.entry(p.clone()).or_insert(0) += 1;
        }
        changed.push(index);
    }
    let changes = changed
        .into_iter()
        .filter_map(|index| {
            let (f, g) = (old_facts.get(index)?, new_facts.get(index)?);
            Some(Change {
                index,
                facts: facts_of(index),
                old: old.evaluate(f, Options::default()),
                new: new.evaluate(g, Options::default()),
            })
        })
        .collect::<Vec<_>>();

    // Levels in rank order (the new rules', then any only the old rules have); no level last.
    let rank = |l: &Option<String>| match l {
        Some(id) => np
            .levels
            .iter()
            .position(|x| x.id == *id)
            .or_else(|| {
                op.levels
                    .iter()
                    .position(|x| x.id == *id)
                    .map(|i| i + np.levels.len())
            })
            .unwrap_or(usize::MAX - 1),
        None => usize::MAX,
    };
    let mut transitions: Vec<Transition> = transitions
        .into_iter()
        .map(|((from, to), count)| Transition { from, to, count })
        .collect();
    crate::sort::sort_by_key(&mut transitions, |t| (rank(&t.from), rank(&t.to)));
    // Pathways most urgent first: the new rules' order, then the old rules'.
    let urgency = |id: &str| {
        np.pathways.iter().position(|p| p.id == id).or_else(|| {
            op.pathways
                .iter()
                .position(|p| p.id == id)
                .map(|i| i + np.pathways.len())
        })
    };
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
    crate::sort::sort_by_key(&mut pathways, |p| urgency(&p.pathway));
    Ok(Comparison {
        total: a.len(),
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
        return match crate::json_reader::parse(text) {
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
            crate::json_reader::parse(line)
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The shipped rules, and the same with one threshold moved (two missing episodes in 90
    /// days no longer make complex needs; four do).
    fn versions() -> (Ruleset, Ruleset) {
        let files: Vec<(String, String)> = crate::default_rules::FILES
            .iter()
            .map(|(n, t)| (n.to_string(), t.to_string()))
            .collect();
        let edited = files
            .iter()
            .map(|(n, t)| {
                (
                    n.clone(),
                    t.replace("missing_episodes_90d >= 2", "missing_episodes_90d >= 4"),
                )
            })
            .collect::<Vec<_>>();
        assert_ne!(files, edited, "the edit applies");
        (
            Ruleset::from_sources(files).unwrap(),
            Ruleset::from_sources(edited).unwrap(),
        )
    }

    /// Referrals that reach the edited rule from several sides: the example referrals, and the
    /// same with the episode count at each value around the thresholds, known or not.
    fn referrals() -> Vec<serde_json::Value> {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/referrals");
        let mut names: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        names.sort();
        let mut out = vec![serde_json::json!({})];
        for p in names {
            let v: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap();
            let facts = v.get("facts").cloned().unwrap_or(v);
            for n in [None, Some(0), Some(1), Some(2), Some(3), Some(4), Some(6)] {
                let mut f = facts.clone();
                if let Some(m) = f.as_object_mut() {
                    match n {
                        Some(n) => m.insert("missing_episodes_90d".into(), n.into()),
                        None => m.remove("missing_episodes_90d"),
                    };
                }
                out.push(f);
            }
        }
        out
    }

    #[test]
    fn compare_reports_what_full_decisions_differ_in() {
        let (old, new) = versions();
        let refs = referrals();
        let c = compare(&old, &new, &refs).unwrap();
        // The reference: both full decisions for every referral.
        let mut changed = Vec::new();
        let mut counts: BTreeMap<(Option<String>, Option<String>), usize> = BTreeMap::new();
        for (i, r) in refs.iter().enumerate() {
            let a = old.evaluate(&old.facts_from_value(r).unwrap(), Options::default());
            let b = new.evaluate(&new.facts_from_value(r).unwrap(), Options::default());
            *counts
                .entry((a.level.clone(), b.level.clone()))
                .or_insert(0) += 1;
            if a.level != b.level || a.pathways != b.pathways {
                changed.push((i, a, b));
            }
        }
        assert!(!changed.is_empty(), "the edit changes some referral");
        assert!(changed.len() < refs.len(), "and not every referral");
        assert_eq!(c.total, refs.len());
        assert_eq!(c.changed, changed.len());
        for (got, (i, a, b)) in c.changes.iter().zip(&changed) {
            assert_eq!(got.index, *i);
            assert_eq!(got.facts, refs[*i]);
            assert_eq!(got.old.to_json(), a.to_json());
            assert_eq!(got.new.to_json(), b.to_json());
        }
        let got: BTreeMap<_, _> = c
            .transitions
            .iter()
            .map(|t| ((t.from.clone(), t.to.clone()), t.count))
            .collect();
        assert_eq!(got, counts);
        let total: usize = c.transitions.iter().map(|t| t.count).sum();
        assert_eq!(total, refs.len());
    }

    #[test]
    fn threads_and_conversion_do_not_change_the_comparison() {
        let (old, new) = versions();
        // Enough referrals that the batch is split between threads.
        let refs: Vec<serde_json::Value> = std::iter::repeat_n(referrals(), 16).flatten().collect();
        assert!(refs.len() >= 2 * 512);
        let of: Vec<Facts> = refs
            .iter()
            .map(|r| old.facts_from_value(r).unwrap())
            .collect();
        let nf: Vec<Facts> = refs
            .iter()
            .map(|r| new.facts_from_value(r).unwrap())
            .collect();
        let one = serde_json::to_string(&compare(&old, &new, &refs).unwrap()).unwrap();
        for threads in [1, 2, 3] {
            let mut c = compare_converted(&old, &new, &of, &nf, threads).unwrap();
            for ch in &mut c.changes {
                // As the new rules read them: the same facts, in declaration order.
                assert_eq!(
                    new.facts_from_value(&ch.facts).unwrap().slots,
                    nf[ch.index].slots
                );
                ch.facts = refs[ch.index].clone();
            }
            assert_eq!(serde_json::to_string(&c).unwrap(), one, "{threads} threads");
        }
        let short = compare_converted(&old, &new, &of, &nf[1..], 1).unwrap_err();
        assert_eq!(short.code(), "thr::request::invalid");
    }
}
