//! What would change a decision (`explain`), against brute force: on small generated rule sets
//! and partial referrals, every change set reported reaches its level and loses it when any one
//! change is dropped, and the smallest sets brute force finds are the ones reported.

use std::collections::BTreeMap;

use proptest::prelude::*;
use serde_json::{json, Value};
use thresholds::{Explanation, Request, Ruleset, Target, MAX_CHANGES};

use crate::oracle::{domains, partial_facts, ruleset_src, Bytes};

/// One change: a scalar fact's new value (by index), or a code of the set fact `s1` added,
/// removed, or (unknown set) the set answered "none of these".
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Elem {
    Value(usize, usize),
    Add(&'static str),
    Remove(&'static str),
    Empty,
}

const SET: usize = 4;
const CODES: [&str; 3] = ["p", "q", "r"];

fn universe(known: &[Option<usize>]) -> Vec<Elem> {
    let doms = domains();
    let mut out = Vec::new();
    for (i, (_, vals)) in doms.iter().enumerate().take(SET) {
        for v in 0..vals.len() {
            if known[i] != Some(v) {
                out.push(Elem::Value(i, v));
            }
        }
    }
    match known[SET] {
        Some(k) => {
            let codes = &doms[SET].1[k];
            for c in CODES {
                if codes.as_array().unwrap().contains(&json!(c)) {
                    out.push(Elem::Remove(c));
                } else {
                    out.push(Elem::Add(c));
                }
            }
        }
        None => {
            out.extend(CODES.iter().map(|c| Elem::Add(c)));
            out.push(Elem::Empty);
        }
    }
    out
}

/// The facts with the changes made; `None` when two changes contradict each other.
fn apply(known: &[Option<usize>], set: &[Elem]) -> Option<serde_json::Map<String, Value>> {
    let doms = domains();
    let mut m = serde_json::Map::new();
    for (i, (name, vals)) in doms.iter().enumerate() {
        if let Some(k) = known[i] {
            m.insert(name.to_string(), vals[k].clone());
        }
    }
    let mut seen = [false; SET];
    let mut codes: Option<Vec<&str>> = known[SET].map(|k| {
        CODES
            .iter()
            .copied()
            .filter(|c| doms[SET].1[k].as_array().unwrap().contains(&json!(c)))
            .collect()
    });
    let (mut added, mut empty) = (false, false);
    for e in set {
        match e {
            Elem::Value(i, v) => {
                if std::mem::replace(&mut seen[*i], true) {
                    return None;
                }
                m.insert(doms[*i].0.to_string(), doms[*i].1[*v].clone());
            }
            Elem::Add(c) => {
                added = true;
                codes.get_or_insert_with(Vec::new).push(c);
            }
            Elem::Remove(c) => codes.get_or_insert_with(Vec::new).retain(|x| x != c),
            Elem::Empty => {
                empty = true;
                codes.get_or_insert_with(Vec::new);
            }
        }
    }
    if added && empty {
        return None;
    }
    if let Some(mut c) = codes {
        c.sort_unstable();
        m.insert("s1".to_string(), json!(c));
    }
    Some(m)
}

fn rank_of(rs: &Ruleset, facts: &serde_json::Map<String, Value>) -> usize {
    let f = rs.facts_from_value(&Value::Object(facts.clone())).unwrap();
    let d = rs.evaluate(&f, thresholds::Options::default());
    ["l1", "l2", "l3"]
        .iter()
        .position(|l| Some(*l) == d.level.as_deref())
        .map_or(0, |i| i + 1)
}

/// Every change set of at most `MAX_CHANGES` changes, with the level rank it gives.
fn table(rs: &Ruleset, known: &[Option<usize>], only_known: bool) -> BTreeMap<Vec<Elem>, usize> {
    let all: Vec<Elem> = universe(known)
        .into_iter()
        .filter(|e| {
            !only_known
                || match e {
                    Elem::Value(i, _) => known[*i].is_some(),
                    _ => known[SET].is_some(),
                }
        })
        .collect();
    let mut out = BTreeMap::new();
    let mut frontier: Vec<Vec<Elem>> = vec![Vec::new()];
    for _ in 0..=MAX_CHANGES {
        let mut next = Vec::new();
        for set in frontier {
            if let Some(facts) = apply(known, &set) {
                let mut key = set.clone();
                key.sort();
                out.insert(key, rank_of(rs, &facts));
                if set.len() < MAX_CHANGES {
                    let start = set
                        .last()
                        .map_or(0, |l| all.iter().position(|e| e == l).unwrap() + 1);
                    for e in &all[start..] {
                        let mut s = set.clone();
                        s.push(e.clone());
                        next.push(s);
                    }
                }
            }
        }
        frontier = next;
    }
    out
}

/// An engine change set as changes of this test's kind; an int range as one set per value.
fn elems_of(known: &[Option<usize>], changes: &[thresholds::ExplainChange]) -> Vec<Vec<Elem>> {
    let doms = domains();
    let mut sets: Vec<Vec<Elem>> = vec![Vec::new()];
    for c in changes {
        let i = doms.iter().position(|(n, _)| *n == c.fact).unwrap();
        let mut options: Vec<Vec<Elem>> = Vec::new();
        if i == SET {
            let now: Vec<&str> = c
                .value
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap())
                .collect();
            let was: Option<Vec<&str>> = c.from.as_ref().map(|f| {
                f.as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_str().unwrap())
                    .collect()
            });
            let mut es = Vec::new();
            for code in CODES {
                let (n, w) = (
                    now.contains(&code),
                    was.as_ref().is_some_and(|w| w.contains(&code)),
                );
                if n && !w {
                    es.push(Elem::Add(code));
                } else if w && !n {
                    es.push(Elem::Remove(code));
                }
            }
            if was.is_none() && now.is_empty() {
                es.push(Elem::Empty);
            }
            options.push(es);
        } else if let Some(to) = c.up_to {
            let lo = c.value.as_i64().unwrap();
            for v in lo..=to {
                let k = doms[i].1.iter().position(|x| *x == json!(v)).unwrap();
                options.push(vec![Elem::Value(i, k)]);
            }
        } else {
            let k = doms[i].1.iter().position(|x| *x == c.value).unwrap();
            options.push(vec![Elem::Value(i, k)]);
        }
        assert!(
            known[i].is_none() || c.from.is_some(),
            "a change to a known fact says what it was: {c:?}"
        );
        sets = sets
            .iter()
            .flat_map(|s| {
                options.iter().map(move |o| {
                    let mut s = s.clone();
                    s.extend(o.iter().cloned());
                    s.sort();
                    s
                })
            })
            .collect();
    }
    sets
}

fn holds(rank: usize, t: usize, up: bool) -> bool {
    if up {
        rank >= t
    } else {
        rank <= t
    }
}

/// The sets no single change of which can be dropped (the last code of an unknown set's answer
/// dropped leaves "none of these"), that reach the target as the engine lists them (to raise
/// below the top level: exactly that level).
fn minimal(
    tab: &BTreeMap<Vec<Elem>, usize>,
    t: usize,
    up: bool,
    top: usize,
    known_set_unknown: bool,
) -> Vec<Vec<Elem>> {
    tab.iter()
        .filter(|(set, r)| {
            !set.is_empty()
                && holds(**r, t, up)
                && (!up || t == top || **r == t)
                && (0..set.len()).all(|i| {
                    let mut less = (*set).clone();
                    let dropped = less.remove(i);
                    let fails = |s: &Vec<Elem>| tab.get(s).is_none_or(|r| !holds(*r, t, up));
                    // The last code of an unknown set's answer: the smaller answer is "none of
                    // these".
                    let last_code = matches!(dropped, Elem::Add(_))
                        && known_set_unknown
                        && !less.iter().any(|e| matches!(e, Elem::Add(_) | Elem::Empty));
                    fails(&less)
                        && (!last_code || {
                            let mut empty = less.clone();
                            empty.push(Elem::Empty);
                            empty.sort();
                            fails(&empty)
                        })
                })
        })
        .map(|(s, _)| s.clone())
        .collect()
}

fn compare(
    rs: &Ruleset,
    known: &[Option<usize>],
    target: &Target,
    t: usize,
    up: bool,
) -> Result<(), String> {
    let tab = table(rs, known, !up);
    let truth = minimal(&tab, t, up, 3, known[SET].is_none());
    let mut reported = Vec::new();
    for w in &target.ways {
        for s in &w.sets {
            for set in elems_of(known, s) {
                let Some(r) = tab.get(&set) else {
                    return Err(format!("set {set:?} is not a valid change set"));
                };
                if !holds(*r, t, up) {
                    return Err(format!("set {set:?} gives rank {r}, not the target {t}"));
                }
                if !truth.contains(&set) {
                    return Err(format!(
                        "set {set:?} is not minimal (brute force: {truth:?})"
                    ));
                }
                reported.push(set);
            }
        }
    }
    let smallest = truth.iter().map(Vec::len).min();
    let engine_smallest = reported.iter().map(Vec::len).min();
    if smallest != engine_smallest {
        return Err(format!(
            "smallest set: brute force {smallest:?}, engine {engine_smallest:?} (truth {truth:?}, reported {reported:?})"
        ));
    }
    let truncated = target.truncated || target.more > 0 || target.ways.iter().any(|w| w.more > 0);
    if !truncated {
        for s in truth.iter().filter(|s| Some(s.len()) == smallest) {
            if !reported.contains(s) {
                return Err(format!("smallest set {s:?} is not reported ({reported:?})"));
            }
        }
    }
    Ok(())
}

fn explain(rs: &Ruleset, known: &[Option<usize>]) -> Explanation {
    let facts = apply(known, &[]).unwrap();
    let f = rs.facts_from_value(&Value::Object(facts)).unwrap();
    let req = Request {
        explain: true,
        ..Request::default()
    };
    rs.evaluate_request(&f, &req).unwrap().explain.unwrap()
}

fn check(src: &str, known: &[Option<usize>]) -> Result<(), String> {
    let Ok(rs) = Ruleset::from_source("gen.thr", src) else {
        return Ok(());
    };
    let x = explain(&rs, known);
    let now = rank_of(&rs, &apply(known, &[]).unwrap());
    if x.unavailable.is_some() {
        return Err("small rule sets are always explained".to_string());
    }
    let levels: Vec<usize> = x
        .raise
        .iter()
        .map(|t| {
            ["l1", "l2", "l3"]
                .iter()
                .position(|l| *l == t.level)
                .unwrap()
                + 1
        })
        .collect();
    if levels != (now + 1..=3).collect::<Vec<_>>() {
        return Err(format!("raise lists levels {levels:?} above rank {now}"));
    }
    for (t, target) in levels.iter().zip(&x.raise) {
        compare(&rs, known, target, *t, true).map_err(|e| format!("raise to {t}: {e}"))?;
    }
    if now > 1 {
        let tab = table(&rs, known, true);
        let truth = minimal(&tab, now - 1, false, 3, known[SET].is_none());
        match &x.lower {
            Some(target) => {
                compare(&rs, known, target, now - 1, false).map_err(|e| format!("lower: {e}"))?;
            }
            None if truth.is_empty() => {}
            None => return Err(format!("lower is absent, brute force finds {truth:?}")),
        }
    } else if x.lower.is_some() {
        return Err("nothing is below the lowest level".to_string());
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 150, ..ProptestConfig::default() })]

    #[test]
    fn change_sets_are_minimal_and_the_smallest_are_found(choices in prop::collection::vec(any::<u8>(), 16..128)) {
        let mut c = Bytes::new(&choices);
        let src = ruleset_src(&mut c);
        let known = partial_facts(&mut c);
        if let Err(e) = check(&src, &known) {
            prop_assert!(false, "{}\nrules:\n{}\nknown: {:?}", e, src, known);
        }
    }
}

/// The shipped rules on a school-absence referral: acute by an unexplained injury, lower by
/// changing the two answers that make it early help, and the text says so.
#[test]
fn shipped_rules_explain_a_referral() {
    let rs = Ruleset::builtin().unwrap();
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/referrals/01-school-absence-early-help.json"
    ))
    .unwrap();
    let facts_text = text;
    let f = rs.facts_from_json(&facts_text).unwrap();
    let req = Request {
        explain: true,
        ..Request::default()
    };
    let d = rs.evaluate_request(&f, &req).unwrap();
    assert_eq!(d.level.as_deref(), Some("early_help"));
    let x = d.explain.unwrap();
    let levels: Vec<&str> = x.raise.iter().map(|t| t.level.as_str()).collect();
    assert_eq!(levels, ["complex", "acute"]);
    let acute = &x.raise[1];
    assert!(
        acute.ways.iter().any(|w| w.sets.iter().any(|s| s.len() == 1
            && s[0].fact == "injury_unexplained"
            && s[0].value == json!(true))),
        "{acute:?}"
    );
    let lower = x.lower.as_ref().unwrap();
    assert_eq!(lower.level, "universal");
    let facts: Vec<&str> = lower.ways[0].sets[0]
        .iter()
        .map(|c| c.fact.as_str())
        .collect();
    assert_eq!(facts, ["school_attendance", "emotional_difficulty"]);
    let text = x.text();
    assert!(
        text.contains("Would become Acute / child protection (s47) if any one of:"),
        "{text}"
    );
    assert!(text.contains("injury unexplained: yes"), "{text}");
    assert!(text.contains("Would be Universal if any one of:"), "{text}");
    // Asked for in JSON, the same explanation.
    let json = rs
        .evaluate_request_json(&facts_text, r#"{"explain": true}"#)
        .unwrap();
    let v: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["explain"], serde_json::to_value(&x).unwrap());
}
