//! The brute-force oracle for `missing`, `changes`, `level` and `could_reach`, shared by the
//! property tests (`props.rs`, driven by proptest) and the differential fuzz target
//! (`fuzz/fuzz_targets/differential.rs`, driven by libFuzzer). Both turn a stream of choices
//! into a small rule set and a partial referral; [`check`] evaluates the referral and compares
//! the decision with what every completion of its unknown facts decides.
//!
//! Only `thresholds` and `serde_json` are used here, so the fuzz crate can include this file.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};
use thresholds::{Options, Ruleset, Status};

/// The facts of the generated rule sets, with every value each can take.
pub fn domains() -> Vec<(&'static str, Vec<Value>)> {
    vec![
        ("b1", vec![json!(false), json!(true)]),
        ("b2", vec![json!(false), json!(true)]),
        ("e1", vec![json!("x"), json!("y"), json!("z")]),
        ("n1", (0..5).map(|n| json!(n)).collect()),
        (
            "s1",
            vec![
                json!([]),
                json!(["p"]),
                json!(["q"]),
                json!(["r"]),
                json!(["p", "q"]),
                json!(["p", "r"]),
                json!(["q", "r"]),
                json!(["p", "q", "r"]),
            ],
        ),
    ]
}

/// The declarations every generated rule set starts with.
pub const HEADER: &str = r#"ruleset "generated" version "1"
guidance g "Generated guidance"
levels {
  l1 "One" -> pa
  l2 "Two"
  l3 "Three" -> pb
}
pathways {
  pa "A" "do a"
  pb "B" "do b"
  pc "C" "do c"
}
domains { d1, d2 }
fact b1: bool { question "b1?" }
fact b2: bool { question "b2?" }
fact e1: enum { x, y, z } { question "e1?" }
fact n1: int 0..4 { question "n1?" }
fact s1: set { p, q, r } { question "s1?" }
matrix m "M" {
  from s1
  categories none, low, high
  tier lo { p, q }
  tier hi { r }
  high when count(hi) >= 1 or count(lo) >= 2
  low when count(lo) >= 1
}
matrix sm "Scored" {
  from s1
  categories none, some, many
  tier all { p, q, r }
  score = 2 * count(all) + n1
  many when score >= 6
  some when score >= 3
}
"#;

/// A source of choices: each is the next value below `n`. The property tests draw them from
/// proptest, the fuzz target from libFuzzer's bytes.
pub trait Choices {
    /// A number in `0..n` (`n >= 1`).
    fn pick(&mut self, n: usize) -> usize;
}

/// Choices read from bytes, one byte per choice; zeros once the bytes run out.
#[derive(Debug)]
pub struct Bytes<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Bytes<'a> {
    /// Reads choices from `bytes`.
    pub fn new(bytes: &'a [u8]) -> Self {
        Bytes { bytes, pos: 0 }
    }
}

impl Choices for Bytes<'_> {
    fn pick(&mut self, n: usize) -> usize {
        let b = self.bytes.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        b as usize % n.max(1)
    }
}

fn one<'a>(c: &mut impl Choices, items: &[&'a str]) -> &'a str {
    items[c.pick(items.len())]
}

/// One condition atom over the generated facts and matrices.
pub fn atom(c: &mut impl Choices) -> String {
    match c.pick(17) {
        0 => "b1".into(),
        1 => "b2".into(),
        2 => "not b1".into(),
        3 => format!("e1 == {}", one(c, &["x", "y", "z"])),
        4 => "e1 in { x, y }".into(),
        5 => format!("n1 >= {}", c.pick(5)),
        6 => format!("n1 < {}", c.pick(5)),
        7 => format!("n1 + n1 > {}", c.pick(5)),
        8 => format!("s1 has {}", one(c, &["p", "q", "r"])),
        9 => format!("count(s1) >= {}", 1 + c.pick(2)),
        10 => "m >= low".into(),
        11 => "m == high".into(),
        12 => "sm >= some".into(),
        13 => "sm == many".into(),
        14 => "s1 has any { p, r }".into(),
        15 => "not (n1 == 2)".into(),
        _ => "b1 or b2".into(),
    }
}

/// A condition: atoms under `and`, `or` and `not`, at most `depth` levels deep.
pub fn cond(c: &mut impl Choices, depth: usize) -> String {
    if depth == 0 {
        return atom(c);
    }
    match c.pick(6) {
        0 => format!("({} and {})", cond(c, depth - 1), cond(c, depth - 1)),
        1 => format!("({} or {})", cond(c, depth - 1), cond(c, depth - 1)),
        2 => format!("not ({})", cond(c, depth - 1)),
        _ => atom(c),
    }
}

/// One rule effect.
pub fn effect(c: &mut impl Choices) -> String {
    match c.pick(4) {
        0 => format!("level {}", one(c, &["l1", "l2", "l3"])),
        1 => format!("level exactly {}", one(c, &["l1", "l2", "l3"])),
        2 => format!("pathway {}", one(c, &["pa", "pb", "pc"])),
        _ => format!("pathway {}, advisory", one(c, &["pa", "pb", "pc"])),
    }
}

/// A generated rule set: level and pathway rules, domain indicators, matrix floors, a step-up
/// rule and a rule that reads the decided level, each present or not.
pub fn ruleset_src(c: &mut impl Choices) -> String {
    let mut s = HEADER.to_string();
    for i in 0..1 + c.pick(4) {
        let (cd, e) = (cond(c, 2), effect(c));
        s.push_str(&format!(
            "rule r{i} {{ when {cd} then {e} cite g because \"r\" }}\n"
        ));
    }
    for i in 0..c.pick(4) {
        let (cd, d) = (atom(c), one(c, &["d1", "d2"]));
        s.push_str(&format!(
            "rule i{i} {{ domain {d} when {cd} then level l2 cite g because \"i\" }}\n"
        ));
    }
    if c.pick(2) == 1 {
        // Floors read facts only, not matrices.
        let mut f = atom(c);
        while f.starts_with('m') || f.starts_with("sm") {
            f = atom(c);
        }
        s.push_str(&format!(
            "rule fl {{ when {f} then m at least low cite g because \"f\" }}\n"
        ));
        s.push_str(&format!(
            "rule fs {{ when {f} and b1 then sm at least some cite g because \"f\" }}\n"
        ));
    }
    if c.pick(2) == 1 {
        s.push_str("rule up { when indicators(l2) >= 2 and domains(l2) >= 2 then level l3 cite g because \"u\" }\n");
    }
    if c.pick(3) != 0 {
        let p = one(c, &["level == l2", "level >= l2"]);
        s.push_str(&format!(
            "rule post {{ when {p} and b2 then pathway pc cite g because \"p\" }}\n"
        ));
    }
    s
}

/// Each fact: unknown (None) or the index of one of its values.
pub fn partial_facts(c: &mut impl Choices) -> Vec<Option<usize>> {
    domains()
        .iter()
        .map(|(_, vals)| {
            let k = c.pick(vals.len() + 1);
            (k < vals.len()).then_some(k)
        })
        .collect()
}

type Outcome = (Option<String>, Vec<String>);

/// The decision on a complete fact set: level, pathways, and whether the level is advisory.
fn outcome(
    rs: &Ruleset,
    facts: &serde_json::Map<String, Value>,
) -> Result<(Outcome, bool), String> {
    let f = rs
        .facts_from_value(&Value::Object(facts.clone()))
        .map_err(|e| format!("generated facts are invalid: {}", e.to_json()))?;
    let d = rs.evaluate(&f, Options::default());
    if d.status != Status::Complete {
        return Err(format!("a complete fact set is provisional: {facts:?}"));
    }
    if d.could_reach.is_some() {
        return Err(format!("a complete decision has an upper bound: {facts:?}"));
    }
    Ok(((d.level, d.pathways), d.advisory))
}

/// What brute force over every completion of the unknown facts finds.
struct Truth {
    /// Facts for which changing the fact alone changes the outcome for some completion.
    relevant: BTreeSet<String>,
    /// Per relevant fact: whether it can change the level, and the pathways it can change.
    changes: BTreeMap<String, (bool, BTreeSet<String>)>,
    /// Every outcome (with its advisory flag) some completion gives.
    outcomes: BTreeSet<(Outcome, bool)>,
    /// The levels' ranks over the completions.
    min_rank: Option<usize>,
    max_rank: Option<usize>,
}

fn rank(level: &Option<String>) -> Option<usize> {
    ["l1", "l2", "l3"]
        .iter()
        .position(|l| Some(*l) == level.as_deref())
}

/// Every completion of the unknown facts of `known`, as value indexes (an odometer over the
/// unknown facts).
fn completions(known: &[Option<usize>]) -> Vec<Vec<usize>> {
    let doms = domains();
    let unknown: Vec<usize> = (0..doms.len()).filter(|i| known[*i].is_none()).collect();
    let mut assignment: Vec<usize> = known.iter().map(|k| k.unwrap_or(0)).collect();
    let mut out = Vec::new();
    loop {
        out.push(assignment.clone());
        let mut carry = true;
        for &u in &unknown {
            if !carry {
                break;
            }
            assignment[u] += 1;
            if assignment[u] == doms[u].1.len() {
                assignment[u] = 0;
            } else {
                carry = false;
            }
        }
        if carry {
            return out;
        }
    }
}

fn brute_force(rs: &Ruleset, known: &[Option<usize>]) -> Result<Truth, String> {
    let doms = domains();
    let unknown: Vec<usize> = (0..doms.len()).filter(|i| known[*i].is_none()).collect();
    let mut table = BTreeMap::new();
    for assignment in completions(known) {
        let mut m = serde_json::Map::new();
        for (i, (name, vals)) in doms.iter().enumerate() {
            m.insert(name.to_string(), vals[assignment[i]].clone());
        }
        let out = outcome(rs, &m)?;
        table.insert(assignment, out);
    }
    let mut relevant = BTreeSet::new();
    let mut changes = BTreeMap::new();
    for &u in &unknown {
        let (mut level, mut pathways) = (false, BTreeSet::new());
        for (a, ((lv, ps), _)) in &table {
            for v in 0..doms[u].1.len() {
                let mut b = a.clone();
                b[u] = v;
                let ((lv2, ps2), _) = &table[&b];
                level |= lv != lv2;
                for p in ps
                    .iter()
                    .filter(|p| !ps2.contains(p))
                    .chain(ps2.iter().filter(|p| !ps.contains(p)))
                {
                    pathways.insert(p.clone());
                }
            }
        }
        if level || !pathways.is_empty() {
            relevant.insert(doms[u].0.to_string());
            changes.insert(doms[u].0.to_string(), (level, pathways));
        }
    }
    let ranks: Vec<usize> = table.values().filter_map(|((l, _), _)| rank(l)).collect();
    Ok(Truth {
        relevant,
        changes,
        min_rank: ranks.iter().copied().min(),
        max_rank: ranks.iter().copied().max(),
        outcomes: table.into_values().collect(),
    })
}

macro_rules! ensure {
    ($cond:expr, $($arg:tt)+) => {
        if !$cond {
            return Err(format!($($arg)+));
        }
    };
}

/// Evaluates the partial referral `known` on the rule set `src` and compares the decision, in
/// both its forms, with brute force over every completion. `Err` says what disagreed.
pub fn check(src: &str, known: &[Option<usize>]) -> Result<(), String> {
    let rs = match Ruleset::from_source("gen.thr", src) {
        Ok(rs) => rs,
        // Generated conditions can be contradictory; the checker rejects those.
        Err(e) => {
            ensure!(
                e.code() == "thr::check::unsatisfiable",
                "unexpected error {}\n{src}",
                e.to_json()
            );
            return Ok(());
        }
    };
    let doms = domains();
    let mut m = serde_json::Map::new();
    for (i, (name, vals)) in doms.iter().enumerate() {
        if let Some(k) = known[i] {
            m.insert(name.to_string(), vals[k].clone());
        }
    }
    let converted = rs
        .facts_from_value(&Value::Object(m.clone()))
        .map_err(|e| e.to_json())?;
    let d = rs.evaluate(&converted, Options::default());
    let ctx = format!("facts {m:?}\nrules:\n{src}");
    // The compact form says the same thing, as indexes.
    let c = rs.evaluate_compact(&converted, true);
    let info = rs.info();
    let facts_info = rs.facts_info();
    ensure!(
        c.level.map(|l| info.levels[l as usize].id.clone()) == d.level,
        "compact level\n{ctx}"
    );
    ensure!(
        c.pathways
            .iter()
            .map(|p| info.pathways[*p as usize].id.clone())
            .collect::<Vec<_>>()
            == d.pathways,
        "compact pathways\n{ctx}"
    );
    ensure!(
        c.missing
            .iter()
            .map(|f| facts_info[*f as usize].id.clone())
            .collect::<Vec<_>>()
            == d.missing
                .iter()
                .map(|x| x.fact.to_string())
                .collect::<Vec<_>>(),
        "compact missing\n{ctx}"
    );
    ensure!(
        c.provisional == (d.status == Status::Provisional),
        "compact status\n{ctx}"
    );
    let truth = brute_force(&rs, known)?;
    let got: BTreeSet<String> = d.missing.iter().map(|x| x.fact.to_string()).collect();
    ensure!(
        got == truth.relevant,
        "missing {got:?}, brute force {:?}\n{ctx}",
        truth.relevant
    );
    ensure!(
        (d.status == Status::Provisional) != truth.relevant.is_empty(),
        "status\n{ctx}"
    );
    // What each missing fact could change.
    for mf in &d.missing {
        let (level, pathways) = &truth.changes[&*mf.fact];
        ensure!(
            mf.changes.level == *level,
            "{} changes the level: {}, brute force {level}\n{ctx}",
            mf.fact,
            mf.changes.level
        );
        let got: BTreeSet<String> = mf.changes.pathways.iter().map(|p| p.to_string()).collect();
        ensure!(
            &got == pathways,
            "pathways {} changes: {got:?}, brute force {pathways:?}\n{ctx}",
            mf.fact
        );
    }
    // The level is the lowest over the completions; could_reach the highest.
    ensure!(
        rank(&d.level) == truth.min_rank,
        "level {:?}\n{ctx}",
        d.level
    );
    ensure!(
        c.level.map(|l| l as usize) == truth.min_rank,
        "compact level\n{ctx}"
    );
    if d.status == Status::Provisional {
        ensure!(
            rank(&d.could_reach) == truth.max_rank,
            "could_reach {:?}\n{ctx}",
            d.could_reach
        );
        ensure!(
            c.could_reach.map(|l| l as usize) == truth.max_rank,
            "compact could_reach\n{ctx}"
        );
    } else {
        ensure!(d.could_reach.is_none(), "could_reach when settled\n{ctx}");
    }
    if truth.relevant.is_empty() {
        // Every completion agrees, and the decision is that outcome.
        let outcomes: BTreeSet<&Outcome> = truth.outcomes.iter().map(|(o, _)| o).collect();
        ensure!(outcomes.len() == 1, "completions disagree\n{ctx}");
        let only = outcomes.iter().next().map(|o| (*o).clone());
        ensure!(
            Some((d.level.clone(), d.pathways.clone())) == only,
            "settled outcome\n{ctx}"
        );
        // Advisory when every completion is advisory.
        if truth.outcomes.iter().all(|(_, a)| *a) {
            ensure!(d.advisory, "advisory\n{ctx}");
        }
    }
    Ok(())
}

/// A practitioner's escalation to level `l1`, `l2` or `l3` (`e` = 0, 1, 2) on the partial
/// referral: the level is the higher of the rules' and the escalated one, and `missing` is a
/// superset of the facts that change the escalated outcome on some completion; with none
/// missing, every completion gives the same escalated outcome.
pub fn check_escalation(src: &str, known: &[Option<usize>], e: usize) -> Result<(), String> {
    let Ok(rs) = Ruleset::from_source("gen.thr", src) else {
        return Ok(());
    };
    let level = ["l1", "l2", "l3"][e].to_string();
    let esc = thresholds::Escalation {
        level: level.clone(),
        reason: "generated".to_string(),
    };
    let doms = domains();
    let facts_of = |assignment: &[Option<usize>]| {
        let mut m = serde_json::Map::new();
        for (i, (name, vals)) in doms.iter().enumerate() {
            if let Some(k) = assignment[i] {
                m.insert(name.to_string(), vals[k].clone());
            }
        }
        rs.facts_from_value(&Value::Object(m))
            .map_err(|e| e.to_json())
    };
    let escalated = |assignment: &[Option<usize>]| -> Result<thresholds::Decision, String> {
        rs.evaluate_escalated(&facts_of(assignment)?, Options::default(), &esc)
            .map_err(|e| e.to_json())
    };
    let ctx = format!("escalated to {level}, facts {known:?}\nrules:\n{src}");
    let plain = rs.evaluate(&facts_of(known)?, Options::default());
    let d = escalated(known)?;
    let want = rank(&plain.level).map_or(e, |r| r.max(e));
    ensure!(rank(&d.level) == Some(want), "level {:?}\n{ctx}", d.level);
    let rec = d
        .escalation
        .as_ref()
        .ok_or(format!("no escalation recorded\n{ctx}"))?;
    ensure!(
        rec.raised == rank(&plain.level).is_none_or(|r| e > r),
        "raised\n{ctx}"
    );
    if !rec.raised {
        ensure!(
            (d.level.clone(), d.pathways.clone(), d.status)
                == (plain.level.clone(), plain.pathways.clone(), plain.status),
            "an escalation that does not raise changes nothing\n{ctx}"
        );
    }
    // Every completion's escalated outcome.
    let unknown: Vec<usize> = (0..doms.len()).filter(|i| known[*i].is_none()).collect();
    let mut table = BTreeMap::new();
    for assignment in completions(known) {
        let full: Vec<Option<usize>> = assignment.iter().map(|a| Some(*a)).collect();
        let c = escalated(&full)?;
        ensure!(
            c.status == Status::Complete,
            "a complete referral is complete\n{ctx}"
        );
        table.insert(assignment, (c.level, c.pathways));
    }
    let listed: BTreeSet<String> = d.missing.iter().map(|m| m.fact.to_string()).collect();
    for &u in &unknown {
        let matters = table.iter().any(|(a, out)| {
            (0..doms[u].1.len()).any(|v| {
                let mut b = a.clone();
                b[u] = v;
                table.get(&b) != Some(out)
            })
        });
        ensure!(
            !matters || listed.contains(doms[u].0),
            "{} changes the escalated decision but is not missing\n{ctx}",
            doms[u].0
        );
    }
    if d.status == Status::Complete {
        let outs: BTreeSet<_> = table.values().collect();
        ensure!(outs.len() == 1, "complete, but completions disagree\n{ctx}");
        ensure!(
            outs.into_iter().next() == Some(&(d.level.clone(), d.pathways.clone())),
            "complete, but not what every completion decides\n{ctx}"
        );
    } else {
        let top = table.values().filter_map(|(l, _)| rank(l)).max();
        ensure!(
            rank(&d.could_reach) >= top,
            "could_reach below a completion\n{ctx}"
        );
    }
    Ok(())
}
