//! Asking: `asked when`, `benign`, `question when`, areas, checklists and triage; the ranked
//! questions of a decision; and the greedy ranking against the exact optimum.

use std::collections::HashMap;

use serde_json::{json, Value};
use thresholds::{Options, QuestionKind, Ruleset, Status};

use crate::diagnostics::errors;
use crate::oracle::{domains, ruleset_src, Choices, HEADER};

const BASE: &str = r#"ruleset "Q" version "1"
guidance g "G"
levels { low "Low" high "High" }
pathways { act "Act" "do it" }
fact age: int 0..17 { question "Age?" }
fact baby: bool {
  question "Not yet mobile?"
  asked when age < 2 otherwise false
}
fact hurt: bool { question "Hurt?" }
fact active: enum { none, some } {
  question "Active?"
  question when age < 13 "Any sign of sexual contact? Under 13 this is abuse."
  benign none
}
fact gap: int 0..40 {
  question "Gap?"
  asked when active != none otherwise 0
  benign 0
}
fact signs: set { a, b, c } { question "Signs?" }
rule r1 { when baby and hurt then level high cite g because "a baby who is hurt" }
rule r2 { when gap >= 5 then level high, pathway act cite g because "a gap" }
rule r3 { when signs has b or active == some then level high cite g because "signs" }
"#;

fn rs(extra: &str) -> Ruleset {
    Ruleset::from_source("q.thr", &format!("{BASE}{extra}")).expect("rules load")
}

fn decide(rs: &Ruleset, facts: Value) -> thresholds::Decision {
    let f = rs.facts_from_value(&facts).expect("facts");
    rs.evaluate(&f, Options::default())
}

fn missing(d: &thresholds::Decision) -> Vec<&str> {
    d.missing.iter().map(|m| &*m.fact).collect()
}

#[test]
fn a_fact_certainly_not_asked_takes_its_value_and_is_never_missing() {
    let rs = rs("");
    // At 5, `baby` is not asked: it is false, so `r1` cannot fire and `hurt` does not matter.
    let d = decide(&rs, json!({"age": 5, "active": "none", "signs": []}));
    assert_eq!(d.status, Status::Complete, "{d:?}");
    assert!(missing(&d).is_empty());
    // Under 2 it is asked.
    let d = decide(&rs, json!({"age": 1, "active": "none", "signs": []}));
    assert_eq!(missing(&d), ["baby", "hurt"]);
    // With the age unknown, whether it is asked is unknown: it may still matter.
    let d = decide(&rs, json!({"hurt": true, "active": "none", "signs": []}));
    assert!(missing(&d).contains(&"baby"), "{:?}", missing(&d));
    // A chain: with no sexual activity, the gap is not asked and is 0.
    let d = decide(&rs, json!({"age": 15, "active": "none", "signs": []}));
    assert!(!missing(&d).contains(&"gap"));
    let d = decide(&rs, json!({"age": 15, "active": "some", "signs": []}));
    assert_eq!(d.level.as_deref(), Some("high"));
}

#[test]
fn an_explicit_answer_always_wins_over_applicability() {
    let rs = rs("");
    // A five-year-old declared not yet mobile (say, a disabled child): the answer stands.
    let d = decide(&rs, json!({"age": 5, "baby": true, "hurt": true}));
    assert_eq!(d.level.as_deref(), Some("high"));
    assert!(d.reasons.iter().any(|r| r.rule == "r1"));
    let d = decide(&rs, json!({"age": 15, "active": "none", "gap": 9}));
    assert_eq!(d.level.as_deref(), Some("high"));
    assert_eq!(d.pathways, ["act"]);
}

#[test]
fn a_question_is_put_differently_for_a_younger_child_not_dropped() {
    let rs = rs("");
    let d = decide(&rs, json!({"age": 8}));
    let m = d
        .missing
        .iter()
        .find(|m| &*m.fact == "active")
        .expect("asked at 8");
    assert_eq!(
        &*m.question,
        "Any sign of sexual contact? Under 13 this is abuse."
    );
    let d = decide(&rs, json!({"age": 14}));
    let m = d
        .missing
        .iter()
        .find(|m| &*m.fact == "active")
        .expect("asked at 14");
    assert_eq!(&*m.question, "Active?");
}

#[test]
fn mistakes_in_asking_are_coded_errors_with_locations() {
    let cases: &[(&str, &str, u32)] = &[
        // The condition reads the level.
        (
            "fact x: bool { question \"X?\"\n asked when level == high otherwise false }\n",
            "thr::check::misplaced",
            2,
        ),
        // `otherwise` of the wrong type.
        (
            "fact x: bool { question \"X?\"\n asked when age < 3 otherwise 4 }\n",
            "thr::facts::wrong_type",
            2,
        ),
        // Out of range.
        (
            "fact x: int 0..3 { question \"X?\"\n benign 9 }\n",
            "thr::facts::out_of_range",
            2,
        ),
        // Null is not an answer.
        (
            "fact x: bool { question \"X?\"\n benign null }\n",
            "thr::check::type_mismatch",
            2,
        ),
        // Two facts each asked only when the other is answered.
        (
            "fact x: bool { question \"X?\"\n asked when y otherwise false }\nfact y: bool { question \"Y?\"\n asked when x otherwise false }\n",
            "thr::check::misplaced",
            4,
        ),
        // An area naming an unknown fact; a triage naming an unknown area.
        ("area a \"A\" { nope }\n", "thr::check::unknown_name", 1),
        ("triage \"T?\" { nope }\n", "thr::check::unknown_name", 1),
        // A fact in two areas.
        (
            "area a \"A\" { hurt }\narea b \"B\" { hurt }\n",
            "thr::check::duplicate",
            2,
        ),
        // An area's int fact without a benign answer.
        ("area a \"A\" { age }\n", "thr::check::misplaced", 1),
        // A checklist item that is neither yes/no nor a set.
        ("checklist c \"C?\" { active }\n", "thr::check::type_mismatch", 1),
        // A question id that is a fact id.
        ("checklist hurt \"C?\" { baby }\n", "thr::check::duplicate", 1),
        // Two triage questions.
        (
            "area a \"A\" { hurt }\ntriage \"T?\" { a }\ntriage \"U?\" { a }\n",
            "thr::check::duplicate",
            3,
        ),
    ];
    // Lines are counted from the first line after the base rules.
    let base = u32::try_from(BASE.lines().count()).unwrap();
    for (extra, code, line) in cases {
        let got = errors(&format!("{BASE}{extra}"));
        assert_eq!(
            got.first(),
            Some(&(code.to_string(), base + line)),
            "{extra}: {got:?}"
        );
    }
}

#[test]
fn asking_is_formatted_canonically_and_round_trips() {
    let src = format!(
        "{BASE}area a \"Worries\" {{ hurt, signs }}\nchecklist c \"Any of these?\" {{ hurt, signs }}\ntriage \"What worries you?\" {{ a }}\n"
    );
    let once = thresholds::format_source("q.thr", &src).expect("formats");
    let twice = thresholds::format_source("q.thr", &once).expect("formats");
    assert_eq!(once, twice);
    for part in [
        "asked when age < 2 otherwise false",
        "question when age < 13 \"Any sign",
        "benign none",
        "area a \"Worries\" {\n  hurt,\n  signs\n}",
        "checklist c \"Any of these?\" {",
        "triage \"What worries you?\" {\n  a\n}",
    ] {
        assert!(once.contains(part), "{part} not in\n{once}");
    }
    let a = Ruleset::from_source("q.thr", &src).expect("loads");
    let b = Ruleset::from_source("q.thr", &once).expect("loads");
    assert_eq!(a.hash(), b.hash());
}

fn questions(rs: &Ruleset, facts: Value, answered: &[&str]) -> Vec<thresholds::Question> {
    let f = rs.facts_from_value(&facts).expect("facts");
    let answered: Vec<String> = answered.iter().map(|s| s.to_string()).collect();
    rs.questions(&f, &answered)
}

#[test]
fn questions_cover_the_missing_facts_with_checklists_and_triage() {
    let rs = rs("area harm \"Harm\" { baby, hurt }\narea sex \"Sexual\" { active, gap, signs }\nchecklist now \"Any of these?\" { hurt, signs }\ntriage \"What worries you?\" { harm, sex }\n");
    let qs = questions(&rs, json!({}), &[]);
    let ids: Vec<&str> = qs.iter().map(|q| q.id.as_str()).collect();
    // Triage settles most, so it comes first; every fact that could matter is covered once
    // (the age only decides whether `baby` is asked, which alone does not make it matter).
    assert_eq!(ids.first(), Some(&"triage"), "{ids:?}");
    let mut covered: Vec<&str> = qs
        .iter()
        .filter(|q| q.id != "triage")
        .flat_map(|q| q.facts.iter().map(String::as_str))
        .collect();
    covered.sort_unstable();
    assert_eq!(covered, ["active", "baby", "gap", "hurt", "signs"]);
    let triage = &qs[0];
    assert_eq!(triage.kind, QuestionKind::Areas);
    assert_eq!(triage.items.len(), 2);
    let now = qs.iter().find(|q| q.id == "now").expect("the checklist");
    assert_eq!(now.kind, QuestionKind::Checklist);
    // One item per yes/no fact, one per set code.
    let items: Vec<&str> = now.items.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(items, ["hurt", "signs:a", "signs:b", "signs:c"]);
    assert!(now.changes.level);
    // Once triage is answered it is not offered again; nor once an area is partly answered.
    let qs = questions(&rs, json!({}), &["triage"]);
    assert!(qs.iter().all(|q| q.id != "triage"));
    // Answered: no questions.
    let qs = questions(
        &rs,
        json!({"age": 9, "hurt": false, "signs": [], "active": "none"}),
        &[],
    );
    assert!(qs.is_empty(), "{qs:?}");
}

#[test]
fn the_request_asks_for_questions() {
    let rs = rs("checklist now \"Any of these?\" { hurt, signs }\n");
    let out = rs
        .evaluate_request_json(r#"{"age": 1}"#, r#"{"questions": true, "reasons": false}"#)
        .expect("evaluates");
    let v: Value = serde_json::from_str(&out).unwrap();
    let qs = v["questions"].as_array().expect("questions");
    assert!(!qs.is_empty());
    assert!(qs
        .iter()
        .any(|q| q["id"] == "now" && q["kind"] == "checklist"));
    // Without asking, the decision has no `questions` key: byte-identical to before.
    let out = rs.evaluate_request_json(r#"{"age": 1}"#, "{}").unwrap();
    assert!(!out.contains("\"questions\""));
    for bad in [
        r#"{"questions": 1}"#,
        r#"{"answered": "triage"}"#,
        r#"{"answered": [1]}"#,
    ] {
        let e = rs.evaluate_request_json("{}", bad).unwrap_err();
        assert_eq!(e.code(), "thr::request::invalid", "{bad}");
    }
}

#[test]
fn the_shipped_rules_settle_the_example_referrals_in_a_handful_of_answers() {
    let rs = Ruleset::builtin().expect("shipped rules");
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/referrals");
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    names.sort();
    assert!(names.len() >= 10);
    for p in names {
        let facts: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
        let f = rs.facts_from_value(&facts).unwrap();
        let run = rs.interview(&f);
        // The interview ends on the decision the child's whole truth gives.
        let mut truth = facts.as_object().cloned().unwrap_or_default();
        for info in rs.facts_info() {
            if let (false, Some(b)) = (truth.contains_key(&info.id), info.benign.clone()) {
                truth.insert(info.id.clone(), b);
            }
        }
        let d = decide(&rs, Value::Object(truth));
        assert_eq!(run.level, d.level, "{}", p.display());
        assert_eq!(run.pathways, d.pathways, "{}", p.display());
        assert!(run.answers_to_level <= run.answers_to_complete);
        assert!(run.answers_to_complete <= 15, "{}: {run:?}", p.display());
    }
}

/// Choices from a seeded generator, for the optimality test's rule sets.
struct Lcg(u64);

impl Choices for Lcg {
    fn pick(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) as usize) % n.max(1)
    }
}

/// The generated rule sets' header with asking declared: benign answers, `b2` asked only
/// when `n1 >= 1`, and a checklist over the two yes/no facts.
fn asking_header() -> String {
    HEADER
        .replace(
            "fact b2: bool { question \"b2?\" }",
            "fact b2: bool {\n  question \"b2?\"\n  asked when n1 >= 1 otherwise false\n}",
        )
        .replace(
            "fact e1: enum { x, y, z } { question \"e1?\" }",
            "fact e1: enum { x, y, z } {\n  question \"e1?\"\n  benign x\n}",
        )
        .replace(
            "fact n1: int 0..4 { question \"n1?\" }",
            "fact n1: int 0..4 {\n  question \"n1?\"\n  benign 0\n}",
        )
        + "checklist bb \"b1 or b2?\" { b1, b2 }\n"
}

/// The true prior of the optimality test: facts independent, each at its benign answer with
/// probability `BENIGN` and otherwise spread evenly; each set code present with probability
/// `1 - BENIGN`.
fn prior(fact: &str, value: &Value) -> f64 {
    let p = thresholds::BENIGN;
    match fact {
        "s1" => {
            let k = value.as_array().map_or(0, Vec::len) as i32;
            (1.0 - p).powi(k) * p.powi(3 - k)
        }
        "b1" | "b2" => {
            if value == &json!(false) {
                p
            } else {
                1.0 - p
            }
        }
        "e1" => {
            if value == &json!("x") {
                p
            } else {
                (1.0 - p) / 2.0
            }
        }
        _ => {
            if value == &json!(0) {
                p
            } else {
                (1.0 - p) / 4.0
            }
        }
    }
}

type State = Vec<Option<usize>>;

struct Dp<'a> {
    rs: &'a Ruleset,
    /// Goal: the level is settled (`true`) or the decision is complete (`false`).
    level_only: bool,
    optimal: HashMap<State, f64>,
    greedy: HashMap<State, f64>,
}

impl Dp<'_> {
    fn facts(&self, s: &State) -> thresholds::Facts {
        let mut m = serde_json::Map::new();
        for ((name, vals), v) in domains().iter().zip(s) {
            if let Some(i) = v {
                m.insert(name.to_string(), vals[*i].clone());
            }
        }
        self.rs.facts_from_value(&Value::Object(m)).unwrap()
    }

    fn done(&self, s: &State) -> bool {
        let d = self.rs.evaluate(
            &self.facts(s),
            Options {
                reasons: false,
                missing: true,
            },
        );
        if self.level_only {
            d.could_reach.is_none() || d.could_reach == d.level
        } else {
            d.status == Status::Complete
        }
    }

    /// Each answer to a question covering `facts` (the joint values of those still
    /// unknown), with its probability.
    fn outcomes(&self, s: &State, facts: &[String]) -> Vec<(State, f64)> {
        let doms = domains();
        let mut out = vec![(s.clone(), 1.0)];
        for f in facts {
            let Some(i) = doms.iter().position(|(n, _)| n == f) else {
                continue;
            };
            if s[i].is_some() {
                continue;
            }
            let mut next = Vec::new();
            for (st, p) in &out {
                for (vi, v) in doms[i].1.iter().enumerate() {
                    let mut st2 = st.clone();
                    st2[i] = Some(vi);
                    next.push((st2, p * prior(f, v)));
                }
            }
            out = next;
        }
        out
    }

    fn expected(&mut self, s: &State, greedy: bool) -> f64 {
        let memo = if greedy { &self.greedy } else { &self.optimal };
        if let Some(v) = memo.get(s) {
            return *v;
        }
        let v = if self.done(s) {
            0.0
        } else {
            let qs = self.rs.questions(&self.facts(s), &[]);
            let take = if greedy { 1 } else { qs.len() };
            let mut best = f64::INFINITY;
            for q in qs.iter().take(take) {
                let mut e = 1.0;
                for (next, p) in self.outcomes(s, &q.facts) {
                    e += p * self.expected(&next, greedy);
                }
                best = best.min(e);
            }
            assert!(
                best.is_finite(),
                "an open decision offers no question: {s:?}"
            );
            best
        };
        let memo = if greedy {
            &mut self.greedy
        } else {
            &mut self.optimal
        };
        memo.insert(s.clone(), v);
        v
    }
}

/// The greedy ranking against the exact optimum: on small random rule sets, dynamic
/// programming over answer states gives the least expected number of answers any policy
/// needs (to a settled level, and to a complete decision) under the prior; the greedy policy
/// answers the top-ranked question. The ratio is printed and bounded.
#[test]
fn the_greedy_ranking_is_close_to_the_optimum() {
    let header = asking_header();
    let mut ratios: Vec<(bool, f64)> = Vec::new();
    let mut seed = 0u64;
    while ratios.len() < 2 * 24 {
        seed += 1;
        let mut c = Lcg(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x5EED);
        let src = ruleset_src(&mut c).replacen(HEADER, &header, 1);
        // A generated condition can be unsatisfiable, which the checker rejects.
        let Ok(rs) = Ruleset::from_source("gen.thr", &src) else {
            continue;
        };
        let start: State = vec![None; domains().len()];
        for level_only in [true, false] {
            let mut dp = Dp {
                rs: &rs,
                level_only,
                optimal: HashMap::new(),
                greedy: HashMap::new(),
            };
            let opt = dp.expected(&start, false);
            let greedy = dp.expected(&start, true);
            assert!(greedy + 1e-9 >= opt, "the optimum is a lower bound");
            let ratio = if opt == 0.0 { 1.0 } else { greedy / opt };
            ratios.push((level_only, ratio));
        }
    }
    for (level_only, what) in [(true, "a settled level"), (false, "a complete decision")] {
        let r: Vec<f64> = ratios
            .iter()
            .filter(|(l, _)| *l == level_only)
            .map(|(_, r)| *r)
            .collect();
        let mean = r.iter().sum::<f64>() / r.len() as f64;
        let max = r.iter().copied().fold(0.0, f64::max);
        println!(
            "greedy/optimum expected answers to {what}: mean {mean:.3}, max {max:.3} over {} rule sets",
            r.len()
        );
        assert!(mean <= 1.10, "mean ratio {mean}");
        assert!(max <= 1.35, "max ratio {max}");
    }
}

#[test]
fn answering_a_question_applies_it_to_the_facts() {
    let rs = rs("area harm \"Harm\" { baby, hurt }\narea sex \"Sexual\" { active, gap, signs }\nchecklist now \"Any of these?\" { hurt, signs }\ntriage \"What worries you?\" { harm, sex }\n");
    let answer = |facts: &str, answered: &[&str], q: &str, a: &str| {
        let answered: Vec<String> = answered.iter().map(|s| s.to_string()).collect();
        rs.answer_json(facts, &answered, q, a)
    };
    // Triage: the area left unticked is answered benign; the ticked one stays open.
    let out = answer("{}", &[], "triage", r#"["harm"]"#).unwrap();
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v, json!({"active": "none", "gap": 0, "signs": []}));
    // A checklist: ticked items are yes (or the code), the rest no.
    let out = answer(r#"{"age": 1}"#, &["triage"], "now", r#"["signs:b"]"#).unwrap();
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v, json!({"age": 1, "hurt": false, "signs": ["b"]}));
    // One fact: its value, checked as facts are.
    let out = answer(r#"{"age": 1}"#, &[], "baby", "true").unwrap();
    assert_eq!(out, r#"{"age":1,"baby":true}"#);
    let e = answer(r#"{"age": 1}"#, &[], "baby", "3").unwrap_err();
    assert_eq!(e.code(), "thr::facts::wrong_type");
    // Not open, or of the wrong shape: a request error.
    for (q, a) in [
        ("age", "3"),
        ("nope", "true"),
        ("now", "true"),
        ("now", r#"["zz"]"#),
        ("baby", "["),
    ] {
        let e = answer(r#"{"age": 1, "active": "none"}"#, &[], q, a).unwrap_err();
        assert_eq!(e.code(), "thr::request::invalid", "{q} {a}");
    }
}
