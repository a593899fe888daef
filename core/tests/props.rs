//! Property tests: the `missing` list is exactly what brute force finds; evaluation never
//! panics on any facts; formatting round-trips.

use std::collections::BTreeSet;

use proptest::prelude::*;
use serde_json::{json, Value};
use thresholds::{Options, Ruleset, Status};

/// The facts of the generated rule sets, with every value each can take.
fn domains() -> Vec<(&'static str, Vec<Value>)> {
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

const HEADER: &str = r#"ruleset "generated" version "1"
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

fn atom() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("b1".to_string()),
        Just("b2".to_string()),
        Just("not b1".to_string()),
        prop_oneof![Just("x"), Just("y"), Just("z")].prop_map(|c| format!("e1 == {c}")),
        Just("e1 in { x, y }".to_string()),
        (0..5i64).prop_map(|k| format!("n1 >= {k}")),
        (0..5i64).prop_map(|k| format!("n1 < {k}")),
        (0..5i64).prop_map(|k| format!("n1 + n1 > {k}")),
        prop_oneof![Just("p"), Just("q"), Just("r")].prop_map(|c| format!("s1 has {c}")),
        (1..3i64).prop_map(|k| format!("count(s1) >= {k}")),
        Just("m >= low".to_string()),
        Just("m == high".to_string()),
        Just("sm >= some".to_string()),
        Just("sm == many".to_string()),
    ]
}

fn cond() -> impl Strategy<Value = String> {
    atom().prop_recursive(2, 6, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} and {b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} or {b})")),
            inner.prop_map(|a| format!("not ({a})")),
        ]
    })
}

fn effect() -> impl Strategy<Value = String> {
    prop_oneof![
        prop_oneof![Just("l1"), Just("l2"), Just("l3")].prop_map(|l| format!("level {l}")),
        prop_oneof![Just("l1"), Just("l2"), Just("l3")].prop_map(|l| format!("level exactly {l}")),
        prop_oneof![Just("pa"), Just("pb"), Just("pc")].prop_map(|p| format!("pathway {p}")),
        prop_oneof![Just("pa"), Just("pb"), Just("pc")]
            .prop_map(|p| format!("pathway {p}, advisory")),
    ]
}

fn ruleset_src() -> impl Strategy<Value = String> {
    let rules = prop::collection::vec((cond(), effect()), 1..5);
    let indicators = prop::collection::vec((atom(), prop_oneof![Just("d1"), Just("d2")]), 0..4);
    let floor = proptest::option::of(atom().prop_filter("floors read facts only", |a| {
        !a.starts_with('m') && !a.starts_with("sm")
    }));
    let post = proptest::option::of(prop_oneof![Just("level == l2"), Just("level >= l2")]);
    let stepup = any::<bool>();
    (rules, indicators, floor, post, stepup).prop_map(|(rules, indicators, floor, post, stepup)| {
        let mut s = HEADER.to_string();
        for (i, (c, e)) in rules.iter().enumerate() {
            s.push_str(&format!("rule r{i} {{ when {c} then {e} cite g because \"r\" }}\n"));
        }
        for (i, (c, d)) in indicators.iter().enumerate() {
            s.push_str(&format!("rule i{i} {{ domain {d} when {c} then level l2 cite g because \"i\" }}\n"));
        }
        if let Some(f) = floor {
            s.push_str(&format!("rule fl {{ when {f} then m at least low cite g because \"f\" }}\n"));
            s.push_str(&format!("rule fs {{ when {f} and b1 then sm at least some cite g because \"f\" }}\n"));
        }
        if stepup {
            s.push_str("rule up { when indicators(l2) >= 2 and domains(l2) >= 2 then level l3 cite g because \"u\" }\n");
        }
        if let Some(p) = post {
            s.push_str(&format!("rule post {{ when {p} and b2 then pathway pc cite g because \"p\" }}\n"));
        }
        s
    })
}

/// Each fact: unknown (None) or the index of one of its values.
fn partial_facts() -> impl Strategy<Value = Vec<Option<usize>>> {
    let doms = domains();
    doms.iter()
        .map(|(_, vals)| proptest::option::of(0..vals.len()))
        .collect::<Vec<_>>()
}

type Outcome = (Option<String>, Vec<String>);

/// The decision on a complete fact set: level, pathways, and whether the level is advisory.
fn outcome(rs: &Ruleset, facts: &serde_json::Map<String, Value>) -> (Outcome, bool) {
    let f = rs
        .facts_from_value(&Value::Object(facts.clone()))
        .expect("generated facts are valid");
    let d = rs.evaluate(&f, Options::default());
    assert_eq!(
        d.status,
        Status::Complete,
        "a complete fact set is complete"
    );
    assert_eq!(
        d.could_reach, None,
        "a complete decision has no upper bound"
    );
    ((d.level, d.pathways), d.advisory)
}

/// What brute force over every completion of the unknown facts finds.
struct Truth {
    /// Facts for which changing the fact alone changes the outcome for some completion.
    relevant: BTreeSet<String>,
    /// Per relevant fact: whether it can change the level, and the pathways it can change.
    changes: std::collections::BTreeMap<String, (bool, BTreeSet<String>)>,
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

fn brute_force(rs: &Ruleset, known: &[Option<usize>]) -> Truth {
    let doms = domains();
    let unknown: Vec<usize> = (0..doms.len()).filter(|i| known[*i].is_none()).collect();
    let mut assignment: Vec<usize> = known.iter().map(|k| k.unwrap_or(0)).collect();
    let mut table = std::collections::BTreeMap::new();
    loop {
        let mut m = serde_json::Map::new();
        for (i, (name, vals)) in doms.iter().enumerate() {
            m.insert(name.to_string(), vals[assignment[i]].clone());
        }
        table.insert(assignment.clone(), outcome(rs, &m));
        // Next completion (odometer over the unknown facts).
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
            break;
        }
    }
    let mut relevant = BTreeSet::new();
    let mut changes = std::collections::BTreeMap::new();
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
    Truth {
        relevant,
        changes,
        min_rank: ranks.iter().copied().min(),
        max_rank: ranks.iter().copied().max(),
        outcomes: table.into_values().collect(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn missing_is_exactly_what_brute_force_finds(src in ruleset_src(), known in partial_facts()) {
        let rs = match Ruleset::from_source("gen.thr", &src) {
            Ok(rs) => rs,
            // Generated conditions can be contradictory; the checker rejects those.
            Err(e) => {
                prop_assert_eq!(e.code(), "thr::check::unsatisfiable", "{}\n{}", e.to_json(), src);
                return Ok(());
            }
        };
        let doms = domains();
        let mut m = serde_json::Map::new();
        for (i, (name, vals)) in doms.iter().enumerate() {
            if let Some(k) = known[i] { m.insert(name.to_string(), vals[k].clone()); }
        }
        let converted = rs.facts_from_value(&Value::Object(m)).unwrap();
        let d = rs.evaluate(&converted, Options::default());
        // The compact form says the same thing, as indexes.
        let c = rs.evaluate_compact(&converted, true);
        let info = rs.info();
        let facts_info = rs.facts_info();
        prop_assert_eq!(c.level.map(|l| info.levels[l as usize].id.clone()), d.level.clone());
        prop_assert_eq!(c.pathways.iter().map(|p| info.pathways[*p as usize].id.clone()).collect::<Vec<_>>(), d.pathways.clone());
        prop_assert_eq!(c.missing.iter().map(|f| facts_info[*f as usize].id.clone()).collect::<Vec<_>>(), d.missing.iter().map(|x| x.fact.clone()).collect::<Vec<_>>());
        prop_assert_eq!(c.provisional, d.status == Status::Provisional);
        let truth = brute_force(&rs, &known);
        let got: BTreeSet<String> = d.missing.iter().map(|x| x.fact.clone()).collect();
        prop_assert_eq!(&got, &truth.relevant, "rules:\n{}", src);
        prop_assert_eq!(d.status == Status::Provisional, !truth.relevant.is_empty());
        // What each missing fact could change.
        for m in &d.missing {
            let (level, pathways) = &truth.changes[&m.fact];
            prop_assert_eq!(m.changes.level, *level, "{} changes the level\nrules:\n{}", m.fact, src);
            let got: BTreeSet<String> = m.changes.pathways.iter().cloned().collect();
            prop_assert_eq!(&got, pathways, "pathways {} changes\nrules:\n{}", m.fact, src);
        }
        // The level is the lowest over the completions; could_reach the highest.
        prop_assert_eq!(rank(&d.level), truth.min_rank, "level\nrules:\n{}", src);
        prop_assert_eq!(c.level.map(|l| l as usize), truth.min_rank);
        if d.status == Status::Provisional {
            prop_assert_eq!(rank(&d.could_reach), truth.max_rank, "could_reach\nrules:\n{}", src);
            prop_assert_eq!(c.could_reach.map(|l| l as usize), truth.max_rank);
        } else {
            prop_assert_eq!(&d.could_reach, &None);
        }
        if truth.relevant.is_empty() {
            // Every completion agrees, and the decision is that outcome.
            let outcomes: BTreeSet<&Outcome> = truth.outcomes.iter().map(|(o, _)| o).collect();
            prop_assert_eq!(outcomes.len(), 1);
            let only = (*outcomes.iter().next().unwrap()).clone();
            prop_assert_eq!((d.level.clone(), d.pathways.clone()), only, "rules:\n{}", src);
            // Advisory when every completion is advisory.
            if truth.outcomes.iter().all(|(_, a)| *a) {
                prop_assert!(d.advisory, "advisory\nrules:\n{}", src);
            }
        }
    }

    #[test]
    fn evaluation_never_panics_on_any_facts(v in arb_json(), keys in prop::collection::vec(prop_oneof![Just("b1"), Just("n1"), Just("e1"), Just("s1"), Just("zz")], 0..4)) {
        let rs = Ruleset::from_source("gen.thr", &format!("{HEADER}rule r {{ when b1 then level l3 cite g because \"r\" }}\n")).unwrap();
        let mut m = serde_json::Map::new();
        for k in keys { m.insert(k.to_string(), v.clone()); }
        // Either a decision or a coded facts error: never a panic.
        match rs.evaluate_json_str(&Value::Object(m).to_string()) {
            Ok(out) => prop_assert!(out.starts_with(r#"{"level":"#), "{}", out),
            Err(e) => prop_assert!(e.code().starts_with("thr::facts::")),
        }
        let _ = rs.evaluate_json_str(&v.to_string());
    }

    #[test]
    fn formatting_round_trips(src in ruleset_src()) {
        let once = thresholds::format_source("gen.thr", &src).unwrap();
        let twice = thresholds::format_source("gen.thr", &once).unwrap();
        prop_assert_eq!(&once, &twice);
        // The formatted text means the same rules: same normalised hash.
        if let (Ok(a), Ok(b)) = (Ruleset::from_source("a.thr", &src), Ruleset::from_source("b.thr", &once)) {
            prop_assert_eq!(a.hash(), b.hash());
        }
    }
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        "[a-z_]{0,8}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec(("[a-z0-9_]{1,6}", inner), 0..4)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// Over the node budget `missing` is a conservative superset, and the level it reports is still
/// a lower bound: a `level exactly` rule that may fire can set a lower level.
#[test]
fn over_the_node_budget_the_level_is_still_at_least() {
    let src = format!(
        "{HEADER}rule a {{ when b1 then level l3 cite g because \"a\" }}\nrule e {{ when b2 then level exactly l1 cite g because \"e\" }}\n"
    );
    let limits = thresholds::Limits {
        max_relevance_nodes: 1,
        ..thresholds::Limits::default()
    };
    let rs = Ruleset::from_sources_with_limits(vec![("gen.thr".into(), src)], limits).unwrap();
    let d = rs.evaluate(
        &rs.facts_from_json(r#"{"b1": true}"#).unwrap(),
        Options::default(),
    );
    assert_eq!(d.status, Status::Provisional);
    // b2 true gives l1, b2 false gives l3: at least l1, could reach l3.
    assert_eq!(d.level.as_deref(), Some("l1"));
    assert_eq!(d.could_reach.as_deref(), Some("l3"));
    assert!(d.missing.iter().any(|m| m.fact == "b2" && m.changes.level));
}
