//! `Ruleset::analyze` and `Ruleset::diff`: the corpus passes every check; small rule sets that
//! each break one property fail exactly that check; real edits of the shipped rules give the
//! regions they should. Every example is evaluated again through the public API, completed with
//! the benign answers the analysis assumes, and must show the decision it claims.

use serde_json::{Map, Value};
use thresholds::{Analysis, Brief, Check, Decision, Diff, FactInfo, Options, Ruleset, Status};

const RULES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../rules");

// ---- Loading ----

/// The `.thr` files of a rule set (a file, or a directory's files), named by their path under
/// `rules/`.
fn sources(path: &str) -> Vec<(String, String)> {
    let full = std::path::Path::new(RULES).join(path);
    let mut paths: Vec<_> = if full.is_dir() {
        std::fs::read_dir(&full)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "thr"))
            .collect()
    } else {
        vec![full]
    };
    paths.sort();
    paths
        .iter()
        .map(|p| {
            let name = p.strip_prefix(RULES).unwrap_or(p).display().to_string();
            (name, std::fs::read_to_string(p).unwrap())
        })
        .collect()
}

fn build(files: Vec<(String, String)>) -> Ruleset {
    Ruleset::from_sources(files).unwrap_or_else(|e| panic!("{}", e.to_json()))
}

fn mini(rules: &str) -> Ruleset {
    build(vec![("mini.thr".to_string(), format!("{HEADER}{rules}"))])
}

/// `files` with `from` replaced by `to` in the file whose name ends with `file` (exactly once).
fn edited(files: &[(String, String)], file: &str, from: &str, to: &str) -> Vec<(String, String)> {
    let mut hits = 0;
    let out = files
        .iter()
        .map(|(name, text)| {
            if name.ends_with(file) {
                hits += text.matches(from).count();
                (name.clone(), text.replacen(from, to, 1))
            } else {
                (name.clone(), text.clone())
            }
        })
        .collect();
    assert_eq!(hits, 1, "the edit of {file} applies exactly once");
    out
}

/// A small rule set's header: three levels, two pathways (default pathways of the lowest and
/// highest levels), two yes/no facts and a set.
const HEADER: &str = r#"ruleset "mini" version "1"
guidance g "Guidance"
levels {
  low "Low" -> pa
  mid "Mid"
  high "High" -> pb
}
pathways {
  pa "A" "do a"
  pb "B" "do b"
}
fact worry: bool { question "Worry?" }
fact calm: bool { question "Calm?" }
fact signs: set { a, b, c, d } { question "Signs?" }
"#;

// ---- Evaluating examples through the public API ----

/// The answer an example assumes for a fact it leaves out: the benign answer, else the lowest
/// value (an int) or the first code (an enum); a yes/no fact `false`, a set `[]`.
fn assumed(f: &FactInfo) -> Value {
    if let Some(b) = &f.benign {
        return b.clone();
    }
    match f.r#type.as_str() {
        "bool" => Value::Bool(false),
        "int" => Value::from(f.min.unwrap()),
        "enum" => Value::String(f.values.as_ref().unwrap()[0].clone()),
        "set" => Value::Array(Vec::new()),
        t => panic!("unknown fact type {t}"),
    }
}

/// `facts` completed with the assumed answer of every other fact of `sets` (the first rule set
/// that declares a fact gives its answer).
fn complete(sets: &[&Ruleset], facts: &Map<String, Value>) -> Map<String, Value> {
    let mut full = facts.clone();
    for rs in sets {
        for f in rs.facts_info() {
            if !full.contains_key(&f.id) {
                full.insert(f.id.clone(), assumed(&f));
            }
        }
    }
    full
}

/// What `rs` decides for complete facts, as a `Brief`; `None` when `rs` cannot take them (a
/// code it does not declare for an enum fact, an int outside its range). Facts `rs` does not
/// declare are left out, and so are set codes it does not declare: it never reads them.
fn decide(rs: &Ruleset, full: &Map<String, Value>) -> Option<Brief> {
    decision(rs, full).map(|d| brief_of(rs, &d))
}

/// The decision behind [`decide`].
fn decision(rs: &Ruleset, full: &Map<String, Value>) -> Option<Decision> {
    let infos = rs.facts_info();
    let mut facts = Map::new();
    for f in &infos {
        let v = full
            .get(&f.id)
            .unwrap_or_else(|| panic!("{} is not given", f.id));
        let codes = f.values.clone().unwrap_or_default();
        let v = match f.r#type.as_str() {
            "set" => Value::Array(
                v.as_array()
                    .unwrap()
                    .iter()
                    .filter(|c| codes.iter().any(|x| Some(x.as_str()) == c.as_str()))
                    .cloned()
                    .collect(),
            ),
            "enum" if !codes.iter().any(|x| Some(x.as_str()) == v.as_str()) => return None,
            "int" if !(f.min.unwrap()..=f.max.unwrap()).contains(&v.as_i64().unwrap()) => {
                return None
            }
            _ => v.clone(),
        };
        facts.insert(f.id.clone(), v);
    }
    let d = rs.evaluate(
        &rs.facts_from_value(&Value::Object(facts))
            .unwrap_or_else(|e| panic!("{}", e.to_json())),
        Options::default(),
    );
    assert_eq!(d.status, Status::Complete, "every fact is known: {d:?}");
    Some(d)
}

fn brief_of(rs: &Ruleset, d: &Decision) -> Brief {
    let categories = rs
        .info()
        .matrices
        .iter()
        .filter_map(|m| {
            let c = d.exploitation.get(&m.id)?.as_str()?;
            (m.categories.first().map(String::as_str) != Some(c)).then(|| format!("{}: {c}", m.id))
        })
        .collect();
    Brief {
        level: d.level.clone(),
        pathways: d.pathways.clone(),
        categories,
    }
}

/// The rules that fire for complete facts.
fn fired(rs: &Ruleset, full: &Map<String, Value>) -> Vec<String> {
    let facts = rs.facts_from_value(&Value::Object(full.clone())).unwrap();
    rs.evaluate(&facts, Options::default())
        .reasons
        .into_iter()
        .map(|r| r.rule)
        .collect()
}

fn rank(rs: &Ruleset, level: Option<&str>) -> usize {
    rs.info()
        .levels
        .iter()
        .position(|l| Some(l.id.as_str()) == level)
        .unwrap_or_else(|| panic!("unknown level {level:?}"))
}

// ---- Analysis ----

const CHECKS: [&str; 5] = [
    "monotonicity",
    "reachability",
    "shadowing",
    "bands",
    "coverage",
];

fn assert_passes(a: &Analysis) {
    let names: Vec<&str> = a.checks.iter().map(|c| c.name).collect();
    assert_eq!(names, CHECKS);
    for c in &a.checks {
        assert!(c.passed && c.findings.is_empty(), "{}", a.text());
    }
    assert!(a.passed());
    assert!(
        a.text().ends_with("\nEvery check passed.\n"),
        "{}",
        a.text()
    );
}

/// The analysis fails exactly the checks `failing` (in check order); returns them.
fn failing<'a>(a: &'a Analysis, failing: &[&str]) -> Vec<&'a Check> {
    let failed: Vec<&Check> = a.checks.iter().filter(|c| !c.passed).collect();
    let names: Vec<&str> = failed.iter().map(|c| c.name).collect();
    assert_eq!(names, failing, "{}", a.text());
    for c in &failed {
        assert!(!c.findings.is_empty(), "{}", a.text());
    }
    assert!(!a.passed());
    assert!(
        a.text()
            .ends_with(&format!("\n{} of 5 checks failed.\n", failing.len())),
        "{}",
        a.text()
    );
    failed
}

/// The one check the analysis fails.
fn failing_only<'a>(a: &'a Analysis, name: &str) -> &'a Check {
    failing(a, &[name])[0]
}

/// The only finding of a check.
fn only_finding(c: &Check) -> &thresholds::Finding {
    assert_eq!(c.findings.len(), 1, "{:#?}", c.findings);
    &c.findings[0]
}

#[test]
fn the_shipped_rules_pass_every_check() {
    // The slowest test (about 5 s in debug): one analysis, every assertion on it.
    let rs = build(sources("threshold"));
    let a = rs.analyze().unwrap();
    assert_passes(&a);
    assert_eq!(a.ruleset, rs.name());
    assert_eq!(a.version, rs.version());
    // The child's age is not a risk fact: its monotonicity is not measured, and says so.
    let mono = &a.checks[0];
    assert!(
        mono.notes.iter().any(|n| n.contains("age_years")),
        "{:?}",
        mono.notes
    );
    // Coverage ran the rule files' own tests, all of them passing.
    let cov = &a.checks[4];
    let tests = rs.run_tests();
    assert!(tests.results.len() > 100);
    assert_eq!(
        cov.notes,
        [format!(
            "{} tests, {} passed",
            tests.results.len(),
            tests.results.len()
        )]
    );
    // The JSON form has the same checks.
    let v: Value = serde_json::from_str(&a.to_json()).unwrap();
    let names: Vec<&str> = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, CHECKS);
    assert!(v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["passed"] == true));
}

#[test]
fn the_other_rule_sets_pass_every_check() {
    let si = build(sources("serious-incident")).analyze().unwrap();
    assert_passes(&si);
    // D1 and D2 only give the reason for `do_not_notify`: checked to fire, not to change.
    assert!(
        si.checks[2]
            .notes
            .iter()
            .any(|n| n.contains("lowest level") && n.contains("D1") && n.contains("D2")),
        "{:?}",
        si.checks[2].notes
    );
    let seraf = build(sources("examples/seraf.thr")).analyze().unwrap();
    assert_passes(&seraf);
    // A scored matrix's gaps are left to monotonicity.
    assert!(
        seraf.checks[3]
            .notes
            .iter()
            .any(|n| n.contains("scored") && n.contains("seraf")),
        "{:?}",
        seraf.checks[3].notes
    );
    assert_passes(&build(sources("examples/tour")).analyze().unwrap());
}

/// A monotonicity finding's example shows what it claims: the decision for its facts, and a
/// lower level for its facts with the raised answer.
fn assert_monotonicity_example(rs: &Ruleset, f: &thresholds::Finding) -> (Brief, Brief) {
    let e = f
        .example
        .as_ref()
        .expect("a monotonicity finding has an example");
    let raised = e.raised.as_ref().expect("and the answer raised");
    let decision = decide(rs, &complete(&[rs], &e.facts)).unwrap();
    assert_eq!(decision, e.decision, "{f:#?}");
    let mut facts = e.facts.clone();
    facts.extend(raised.clone());
    let after = decide(rs, &complete(&[rs], &facts)).unwrap();
    assert_eq!(Some(&after), e.raised_decision.as_ref(), "{f:#?}");
    (decision, after)
}

/// `not calm` gives a higher level: answering `calm` (away from its benign `false`) lowers it.
const RESTLESS: &str = r#"rule worried { when worry then level high cite g because "w" }
rule restless { when not calm then level mid cite g because "r" }
test "w" { given { worry: true } expect level high }
test "r" { given { calm: false } expect level mid }
"#;

#[test]
fn monotonicity_a_rule_that_needs_a_benign_answer() {
    let rs = mini(RESTLESS);
    let a = rs.analyze().unwrap();
    let mono = failing_only(&a, "monotonicity");
    let f = only_finding(mono);
    assert_eq!(f.subject, "calm");
    assert_eq!(f.message, "raising this answer can lower the level");
    let e = f.example.as_ref().unwrap();
    // Benign answers are left out of the example: worry and calm are both false.
    assert!(e.facts.is_empty(), "{:?}", e.facts);
    assert_eq!(e.raised.as_ref().unwrap()["calm"], true);
    let (before, after) = assert_monotonicity_example(&rs, f);
    assert_eq!(before.level.as_deref(), Some("mid"));
    assert_eq!(after.level.as_deref(), Some("low"));
    assert_eq!(after.pathways, ["pa"]);
}

#[test]
fn monotonicity_level_exactly_a_lower_level_when_a_concern_is_present() {
    let rs = mini(
        r#"rule worried { when worry then level high cite g because "w" }
rule some { when count(signs) >= 1 then level mid cite g because "s" }
rule settled { when calm then level exactly low cite g because "c" }
test "w" { given { worry: true, calm: false } expect level high }
test "s" { given { signs: [a], calm: false } expect level mid }
test "c" { given { worry: true, calm: true } expect level low }
"#,
    );
    let a = rs.analyze().unwrap();
    let mono = failing_only(&a, "monotonicity");
    let f = only_finding(mono);
    assert_eq!(f.subject, "calm");
    assert!(f.message.contains("lower the level"), "{}", f.message);
    let (before, after) = assert_monotonicity_example(&rs, f);
    assert!(
        rank(&rs, after.level.as_deref()) < rank(&rs, before.level.as_deref()),
        "{before:?} → {after:?}"
    );
    assert_eq!(after.level.as_deref(), Some("low"));
}

#[test]
fn monotonicity_an_int_away_from_its_benign_value() {
    // n = 1 is high, n < 5 is mid: going from 1 down to 0 (further from the benign 5) lowers
    // the level. The enum is not ordered: only steps away from `fine` are measured, so `lots`
    // (mid) after `some` (high) is no finding.
    let rs = build(vec![(
        "ints.thr".to_string(),
        r#"ruleset "ints" version "1"
guidance g "Guidance"
levels { low "Low" mid "Mid" high "High" }
fact n: int 0..10 { question "n?" benign 5 }
fact e: enum { fine, some, lots } { question "e?" benign fine }
rule one { when n == 1 then level high cite g because "o" }
rule few { when n < 5 then level mid cite g because "f" }
rule some { when e == some then level high cite g because "s" }
rule lots { when e == lots then level mid cite g because "l" }
test "o" { given { n: 1 } expect level high }
test "f" { given { n: 3 } expect level mid }
test "s" { given { e: some } expect level high }
test "l" { given { e: lots } expect level mid }
"#
        .to_string(),
    )]);
    let a = rs.analyze().unwrap();
    let mono = failing_only(&a, "monotonicity");
    let f = only_finding(mono);
    assert_eq!(f.subject, "n = 0");
    let e = f.example.as_ref().unwrap();
    assert_eq!(Value::Object(e.facts.clone()), serde_json::json!({"n": 1}));
    assert_eq!(
        Value::Object(e.raised.clone().unwrap()),
        serde_json::json!({"n": 0})
    );
    let (before, after) = assert_monotonicity_example(&rs, f);
    assert_eq!(before.level.as_deref(), Some("high"));
    assert_eq!(after.level.as_deref(), Some("mid"));
}

#[test]
fn monotonicity_a_pathway_lost_at_the_same_level() {
    // Answering `calm` removes pathway pb while the level stays low.
    let rs = mini(
        r#"rule worried { when worry then level high cite g because "w" }
rule some { when count(signs) >= 1 then level mid cite g because "s" }
rule unsettled { when not calm then pathway pb cite g because "u" }
test "w" { given { worry: true } expect level high }
test "s" { given { signs: [a] } expect level mid }
test "u" { given { calm: false } expect pathway pb }
"#,
    );
    let a = rs.analyze().unwrap();
    let mono = failing_only(&a, "monotonicity");
    let f = only_finding(mono);
    assert_eq!(f.subject, "calm");
    assert_eq!(f.message, "raising this answer can remove pathway pb");
    let (before, after) = assert_monotonicity_example(&rs, f);
    assert_eq!(before.level, after.level);
    assert!(before.pathways.iter().any(|p| p == "pb"), "{before:?}");
    assert!(!after.pathways.iter().any(|p| p == "pb"), "{after:?}");
}

#[test]
fn reachability_a_level_no_rule_sets() {
    let rs = mini(
        r#"rule worried { when worry then level high cite g because "w" }
test "w" { given { worry: true } expect level high }
"#,
    );
    let a = rs.analyze().unwrap();
    let reach = failing_only(&a, "reachability");
    let f = only_finding(reach);
    assert_eq!(f.subject, "level mid");
    assert_eq!(f.message, "no referral is decided at this level");
    assert!(f.example.is_none());
}

#[test]
fn reachability_a_pathway_behind_a_condition_that_never_holds() {
    // `m == high` needs a sign of tier hi, so `m == high and count(signs) == 0` never holds
    // (the checker does not see through the matrix; the diagrams do). Its pathway pc is
    // unreachable, the rule never fires, and no test can fire it: three checks fail.
    let src = format!(
        "{}{}",
        HEADER.replace(
            "  pb \"B\" \"do b\"\n",
            "  pb \"B\" \"do b\"\n  pc \"C\" \"do c\"\n"
        ),
        r#"matrix m "M" {
  from signs
  categories none, low, high
  tier lo { a, b }
  tier hi { c, d }
  high when count(hi) >= 1
  low when count(lo) >= 1
}
rule m_low { when m >= low then level mid cite g because "l" }
rule m_high { when m == high then level high cite g because "h" }
rule never { when m == high and count(signs) == 0 then pathway pc cite g because "n" }
rule worried { when worry then pathway pb cite g because "w" }
test "l" { given { signs: [a] } expect m low expect level mid }
test "h" { given { signs: [c] } expect m high expect level high }
test "w" { given { worry: true } expect pathway pb }
"#
    );
    assert!(src.contains("pc \"C\""), "the header edit applies");
    let rs = build(vec![("mini.thr".to_string(), src)]);
    let a = rs.analyze().unwrap();
    let [reach, shadow, cov] = failing(&a, &["reachability", "shadowing", "coverage"])[..] else {
        unreachable!()
    };
    let f = only_finding(reach);
    assert_eq!(f.subject, "pathway pc");
    assert_eq!(f.message, "no complete referral gets this pathway");
    let f = only_finding(shadow);
    assert_eq!(f.subject, "rule never");
    assert_eq!(f.message, "never fires: no referral meets its condition");
    assert_eq!(only_finding(cov).subject, "rule never");
}

#[test]
fn shadowing_a_rule_another_always_fires_with() {
    // `both` fires only when `worried` does, with the same effect.
    let rs = mini(
        r#"rule worried { when worry then level high cite g because "w" }
rule some { when count(signs) >= 1 then level mid cite g because "s" }
rule both { when worry and calm then level high cite g because "b" }
test "w" { given { worry: true } expect level high }
test "s" { given { signs: [a] } expect level mid }
test "b" { given { worry: true, calm: true } expect level high }
"#,
    );
    let a = rs.analyze().unwrap();
    let shadow = failing_only(&a, "shadowing");
    let f = only_finding(shadow);
    assert_eq!(f.subject, "rule both");
    assert!(
        f.message.starts_with("never changes a decision"),
        "{}",
        f.message
    );
    // The rule does fire (a test fires it), so coverage passes: it is redundant, not dead.
    let full = complete(
        &[&rs],
        &Map::from_iter([
            ("worry".to_string(), Value::Bool(true)),
            ("calm".to_string(), Value::Bool(true)),
        ]),
    );
    assert!(fired(&rs, &full).iter().any(|r| r == "both"));
}

#[test]
fn bands_a_band_wholly_covered_by_a_higher_one() {
    // `low when count(lo) >= 2` implies `high` (count(lo) >= 1): the low band never decides.
    // The floor keeps category low reachable, so only the bands check fails.
    let rs = mini(
        r#"matrix m "M" {
  from signs
  categories none, low, high
  tier lo { a, b }
  tier hi { c, d }
  high when count(hi) >= 1 or count(lo) >= 1
  low when count(lo) >= 2
}
rule floor { when calm then m at least low cite g because "f" }
rule m_low { when m >= low then level mid cite g because "l" }
rule m_high { when m == high then level high cite g because "h" }
rule worried { when worry then pathway pb cite g because "w" }
test "f" { given { calm: true, signs: [] } expect m low expect level mid }
test "h" { given { signs: [c] } expect m high expect level high }
test "w" { given { worry: true } expect pathway pb }
"#,
    );
    let a = rs.analyze().unwrap();
    let bands = failing_only(&a, "bands");
    let f = only_finding(bands);
    assert_eq!(f.subject, "m band low");
    assert!(f.message.starts_with("overlaps"), "{}", f.message);
}

#[test]
fn bands_a_tier_no_band_reads_leaves_a_gap() {
    // Tier `other` is read by no band: a referral with only sign d stays at none.
    let rs = mini(
        r#"matrix m "M" {
  from signs
  categories none, low, high
  tier lo { a, b }
  tier hi { c }
  tier other { d }
  high when count(hi) >= 1
  low when count(lo) >= 1
}
rule m_low { when m >= low then level mid cite g because "l" }
rule m_high { when m == high then level high cite g because "h" }
rule worried { when worry or calm then pathway pb cite g because "w" }
test "l" { given { signs: [a] } expect m low expect level mid }
test "h" { given { signs: [c] } expect m high expect level high }
test "w" { given { worry: true } expect pathway pb }
"#,
    );
    let a = rs.analyze().unwrap();
    let bands = failing_only(&a, "bands");
    let f = only_finding(bands);
    assert_eq!(f.subject, "m and signs");
    assert!(
        f.message.contains("leaves a gap") && f.message.contains("stays none"),
        "{}",
        f.message
    );
    let e = f.example.as_ref().unwrap();
    assert_eq!(
        Value::Object(e.facts.clone()),
        serde_json::json!({"signs": ["d"]})
    );
    let decision = decide(&rs, &complete(&[&rs], &e.facts)).unwrap();
    assert_eq!(decision, e.decision);
    // The category stays the first (not listed), and the level the lowest.
    assert!(decision.categories.is_empty(), "{decision:?}");
    assert_eq!(decision.level.as_deref(), Some("low"));
}

#[test]
fn coverage_a_rule_no_test_fires_and_a_failing_test() {
    let rs = mini(
        r#"rule worried { when worry then level high cite g because "w" }
rule some { when count(signs) >= 1 then level mid cite g because "s" }
rule calm_pb { when calm then pathway pb cite g because "c" }
test "w" { given { worry: true } expect level high }
test "s" { given { signs: [a] } expect level mid }
"#,
    );
    let a = rs.analyze().unwrap();
    let cov = failing_only(&a, "coverage");
    let f = only_finding(cov);
    assert_eq!(f.subject, "rule calm_pb");
    assert_eq!(f.message, "no test of the rule set fires it");
    assert_eq!(cov.notes, ["2 tests, 2 passed"]);

    // A test that fails is a finding too, by name and line.
    let rs = mini(
        r#"rule worried { when worry then level high cite g because "w" }
rule some { when count(signs) >= 1 then level mid cite g because "s" }
test "w" { given { worry: true } expect level high }
test "s" { given { signs: [a] } expect level high }
"#,
    );
    let a = rs.analyze().unwrap();
    let cov = failing_only(&a, "coverage");
    let f = only_finding(cov);
    let line = HEADER.lines().count() + 4;
    assert_eq!(f.subject, format!("test \"s\" (mini.thr:{line})"));
    assert!(f.message.starts_with("fails: "), "{}", f.message);
    assert_eq!(cov.notes, ["2 tests, 1 passed"]);
}

#[test]
fn the_analysis_text_and_json() {
    let rs = mini(RESTLESS);
    let a = rs.analyze().unwrap();
    let v: Value = serde_json::from_str(&a.to_json()).unwrap();
    assert_eq!(v["ruleset"], "mini");
    let mono = &v["checks"][0];
    assert_eq!(mono["name"], "monotonicity");
    assert_eq!(mono["passed"], false);
    assert_eq!(mono["findings"][0]["subject"], "calm");
    assert_eq!(
        mono["findings"][0]["example"]["raised_decision"]["level"],
        "low"
    );
    // A finding without an example has no `example` key.
    assert!(v["checks"][1]["findings"].as_array().unwrap().is_empty());
    insta::with_settings!({ prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!("analysis_text_monotonicity", a.text());
    });
}

// ---- Diff ----

/// Every region's example shows what the region says, under both rule sets: its briefs are
/// what the public API decides for the example (completed with the assumed answers), and the
/// old and new decisions differ as the region says. Examples that use a code or a value one
/// version cannot take are checked under the other only.
fn assert_examples(old: &Ruleset, new: &Ruleset, d: &Diff) {
    for r in &d.regions {
        let e = &r.example;
        let full = complete(&[old, new], &e.facts);
        let (o, n) = (decision(old, &full), decision(new, &full));
        assert!(o.is_some() || n.is_some(), "{r:#?}");
        if let Some(o) = &o {
            assert_eq!(brief_of(old, o), e.old, "old decision of {r:#?}");
        }
        if let Some(n) = &n {
            assert_eq!(brief_of(new, n), e.new, "new decision of {r:#?}");
        }
        match (r.what, r.subject.as_deref()) {
            ("advisory", None) => {
                // The briefs do not carry it: the decisions do.
                assert_eq!(o.map(|d| d.advisory), Some(r.from == "yes"), "{r:#?}");
                assert_eq!(n.map(|d| d.advisory), Some(r.to == "yes"), "{r:#?}");
                assert_ne!(r.from, r.to);
            }
            ("level", None) => {
                assert_eq!(e.old.level.as_deref(), Some(r.from.as_str()), "{r:#?}");
                assert_eq!(e.new.level.as_deref(), Some(r.to.as_str()), "{r:#?}");
            }
            ("pathway", Some(p)) => {
                let has = |b: &Brief| b.pathways.iter().any(|x| x == p);
                assert_eq!(has(&e.old), r.from == "present", "{r:#?}");
                assert_eq!(has(&e.new), r.to == "present", "{r:#?}");
                assert_ne!(r.from, r.to);
            }
            ("category", Some(m)) => {
                let cat = |rs: &Ruleset, b: &Brief| {
                    let prefix = format!("{m}: ");
                    b.categories
                        .iter()
                        .find_map(|c| c.strip_prefix(&prefix).map(str::to_string))
                        .unwrap_or_else(|| {
                            let info = rs.info();
                            let mi = info.matrices.iter().find(|x| x.id == m).unwrap();
                            mi.categories[0].clone()
                        })
                };
                assert_eq!(cat(old, &e.old), r.from, "{r:#?}");
                assert_eq!(cat(new, &e.new), r.to, "{r:#?}");
            }
            other => panic!("unexpected region {other:?}"),
        }
    }
}

/// The regions as `what subject: from → to`.
fn regions(d: &Diff) -> Vec<String> {
    d.regions
        .iter()
        .map(|r| {
            format!(
                "{} {}: {} → {}",
                r.what,
                r.subject.as_deref().unwrap_or("-"),
                r.from,
                r.to
            )
        })
        .collect()
}

fn region<'a>(
    d: &'a Diff,
    what: &str,
    subject: Option<&str>,
    from: &str,
    to: &str,
) -> &'a thresholds::Region {
    d.regions
        .iter()
        .find(|r| r.what == what && r.subject.as_deref() == subject && r.from == from && r.to == to)
        .unwrap_or_else(|| {
            panic!(
                "no region {what} {subject:?} {from} → {to} in {:#?}",
                regions(d)
            )
        })
}

fn codes(facts: &Map<String, Value>, fact: &str) -> Vec<String> {
    facts
        .get(fact)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|c| c.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn diff_moving_online_grooming_to_tier_high() {
    let files = sources("threshold");
    let old = build(files.clone());
    let new = build(edited(
        &files,
        "20-exploitation.thr",
        "known_exploitative_adults, online_grooming, clipping, assault_disclosed_withdrawn }\n  tier high { older_controlling_partner,",
        "known_exploitative_adults, clipping, assault_disclosed_withdrawn }\n  tier high { online_grooming, older_controlling_partner,",
    ));
    let d = old.diff(&new).unwrap();
    assert!(d.notes.is_empty(), "{:?}", d.notes);
    assert_examples(&old, &new, &d);
    // Every referral that changes has online_grooming, and only goes up.
    for r in &d.regions {
        assert!(
            codes(&r.example.facts, "cse_indicators")
                .iter()
                .any(|c| c == "online_grooming"),
            "{r:#?}"
        );
    }
    // The category: medium → high, and nothing else.
    let cats: Vec<String> = regions(&d)
        .into_iter()
        .filter(|r| r.starts_with("category"))
        .collect();
    assert_eq!(cats, ["category cse: medium → high"]);
    let cse = region(&d, "category", Some("cse"), "medium", "high");
    assert!(cse
        .example
        .old
        .categories
        .iter()
        .any(|c| c == "cse: medium"));
    assert!(cse.example.new.categories.iter().any(|c| c == "cse: high"));
    // The level: complex → acute, and nothing else (O4 keeps the old category at least medium).
    let levels: Vec<String> = regions(&d)
        .into_iter()
        .filter(|r| r.starts_with("level"))
        .collect();
    assert_eq!(levels, ["level -: complex → acute"]);
    let lvl = region(&d, "level", None, "complex", "acute");
    assert_eq!(lvl.example.old.level.as_deref(), Some("complex"));
    assert_eq!(lvl.example.new.level.as_deref(), Some("acute"));
    // The acute response comes with it; the MARF goes with complex.
    region(
        &d,
        "pathway",
        Some("strategy_discussion"),
        "absent",
        "present",
    );
    region(&d, "pathway", Some("irh_phone_now"), "absent", "present");
    region(&d, "pathway", Some("irh_marf"), "present", "absent");
    // The text names the transitions and shows an example.
    let text = d.text();
    for needle in [
        "cse: medium → high",
        "level: complex → acute",
        "online_grooming",
        "pathway strategy_discussion added",
    ] {
        assert!(text.contains(needle), "{needle} in {text}");
    }
}

#[test]
fn diff_a_new_level_2_indicator() {
    // Inconsistent engagement becomes a parenting indicator of early help: alone it is early
    // help; with other early-help needs it steps up to complex.
    let files = sources("threshold");
    let old = build(files.clone());
    let rule = r#"

rule L2_parent_engagement "Parents engage inconsistently" {
  domain parenting
  when parent_engagement == inconsistent
  then level early_help
  cite pan_london "Level 2: parenting capacity"
  because "Parents who engage with services only some of the time need support to stay engaged."
}
"#;
    let mut new_files = files.clone();
    for (name, text) in &mut new_files {
        if name.ends_with("40-level2.thr") {
            text.push_str(rule);
        }
    }
    let new = build(new_files);
    let d = old.diff(&new).unwrap();
    assert_examples(&old, &new, &d);
    let levels: Vec<String> = regions(&d)
        .into_iter()
        .filter(|r| r.starts_with("level"))
        .collect();
    assert_eq!(
        levels,
        [
            "level -: universal → early_help",
            "level -: early_help → complex"
        ]
    );
    for r in &d.regions {
        assert_eq!(
            r.example
                .facts
                .get("parent_engagement")
                .and_then(Value::as_str),
            Some("inconsistent"),
            "{r:#?}"
        );
    }
    let up = region(&d, "level", None, "universal", "early_help");
    let full = complete(&[&old, &new], &up.example.facts);
    assert!(fired(&new, &full)
        .iter()
        .any(|r| r == "L2_parent_engagement"));
    assert!(!fired(&old, &full).iter().any(|r| r.starts_with("L2_")));
    // The step up: the new indicator is one of the early-help needs that add up to complex.
    let step = region(&d, "level", None, "early_help", "complex");
    let full = complete(&[&old, &new], &step.example.facts);
    let rules = fired(&new, &full);
    assert!(
        rules.iter().any(|r| r == "L2_parent_engagement"),
        "{rules:?}"
    );
    assert!(
        rules
            .iter()
            .any(|r| r == "step_up" || r == "L3_housing_with_needs"),
        "{rules:?}"
    );
    region(
        &d,
        "pathway",
        Some("early_help_assessment"),
        "absent",
        "present",
    );
    region(
        &d,
        "pathway",
        Some("universal_services"),
        "present",
        "absent",
    );
    region(&d, "pathway", Some("irh_marf"), "absent", "present");
    // No category changes: the rule reads no matrix.
    assert!(
        d.regions.iter().all(|r| r.what != "category"),
        "{:#?}",
        regions(&d)
    );
}

#[test]
fn diff_of_a_rule_set_with_itself_is_empty() {
    let shipped = build(sources("threshold"));
    for (a, b) in [
        (&shipped, &shipped),
        (&shipped, &Ruleset::builtin().unwrap()),
    ] {
        let d = a.diff(b).unwrap();
        assert!(d.is_empty(), "{:#?}", regions(&d));
        assert!(d.notes.is_empty(), "{:?}", d.notes);
        assert!(d
            .text()
            .ends_with("\nNo referral is decided differently.\n"));
    }
    let tour = build(sources("examples/tour"));
    assert!(tour.diff(&tour).unwrap().is_empty());
}

const CODES_OLD: &str = r#"ruleset "d" version "1"
guidance g "Guidance"
levels { low "Low" mid "Mid" high "High" }
pathways { pa "A" "do a" pb "B" "do b" }
fact n: int 0..10 { question "n?" }
fact e: enum { fine, some, lots } { question "e?" benign fine asked when n > 2 otherwise some }
fact s: set { a, b, c } { question "s?" }
fact gone: bool { question "gone?" }
rule r1 { when e == some then level mid cite g because "o" }
rule r2 { when e in { lots } and n >= 3 then level high, pathway pa cite g because "f" }
rule r3 { when s has b then pathway pb cite g because "s" }
rule r4 { when count(s) >= 2 or gone then level high cite g because "s" }
"#;

#[test]
fn diff_reordered_facts_and_codes_change_nothing() {
    // The same rules with the facts declared in another order, and the enum's and the set's
    // codes too: codes are matched by name, not by position.
    let new = r#"ruleset "d" version "2"
guidance g "Guidance"
levels { low "Low" mid "Mid" high "High" }
pathways { pa "A" "do a" pb "B" "do b" }
fact s: set { c, b, a } { question "s?" }
fact e: enum { lots, fine, some } { question "e?" benign fine asked when n > 2 otherwise some }
fact gone: bool { question "gone?" }
fact n: int 0..10 { question "n?" }
rule r1 { when e == some then level mid cite g because "o" }
rule r2 { when e in { lots } and n >= 3 then level high, pathway pa cite g because "f" }
rule r3 { when s has b then pathway pb cite g because "s" }
rule r4 { when count(s) >= 2 or gone then level high cite g because "s" }
"#;
    let old = Ruleset::from_source("old.thr", CODES_OLD).unwrap();
    let new = Ruleset::from_source("new.thr", new).unwrap();
    for (a, b) in [(&old, &new), (&new, &old)] {
        let d = a.diff(b).unwrap();
        assert!(d.is_empty(), "{:#?}", regions(&d));
        assert_eq!(d.old, format!("d {}", a.version()));
        assert_eq!(d.new, format!("d {}", b.version()));
    }
}

#[test]
fn diff_new_codes_wider_ranges_and_facts_added_or_gone() {
    let new = r#"ruleset "d" version "3"
guidance g "Guidance"
levels { low "Low" mid "Mid" high "High" }
pathways { pa "A" "do a" pb "B" "do b" }
fact s: set { b, a, z } { question "s?" }
fact e: enum { lots, fine, some, extra } { question "e?" benign fine }
fact n: int 0..20 { question "n?" }
fact fresh: bool { question "fresh?" }
rule r1 { when e == some then level mid cite g because "o" }
rule r2 { when e in { lots, extra } and n >= 3 then level high, pathway pa cite g because "f" }
rule r3 { when s has b or s has z then pathway pb cite g because "s" }
rule r4 { when count(s) >= 2 or fresh or n > 15 then level high cite g because "s" }
"#;
    let old = Ruleset::from_source("old.thr", CODES_OLD).unwrap();
    let new = Ruleset::from_source("new.thr", new).unwrap();
    let d = old.diff(&new).unwrap();
    for note in [
        "s has a new code z",
        "s has lost the code c: the new rules never read it",
        "e has a new code extra",
        "n: range 0..10 became 0..20; both are compared over 0..20",
        "fresh is new: the old rules never read it",
        "gone is gone: the new rules never read it",
    ] {
        assert!(d.notes.iter().any(|n| n == note), "{note} in {:?}", d.notes);
    }
    assert_examples(&old, &new, &d);
    // The new code z gives pb.
    let pb = region(&d, "pathway", Some("pb"), "absent", "present");
    assert_eq!(codes(&pb.example.facts, "s"), ["z"]);
    // The new enum code `extra` with n >= 3 gives pa (the old rules cannot take `extra`).
    let pa = region(&d, "pathway", Some("pa"), "absent", "present");
    assert_eq!(
        pa.example.facts.get("e").and_then(Value::as_str),
        Some("extra")
    );
    // `gone` no longer raises the level; `fresh` and n > 15 now do.
    let down = region(&d, "level", None, "high", "low");
    assert_eq!(down.example.facts.get("gone"), Some(&Value::Bool(true)));
    region(&d, "level", None, "low", "high");
    region(&d, "level", None, "mid", "high");
    region(&d, "level", None, "high", "mid");
    assert!(d.regions.iter().all(|r| r.what != "category"));
}

#[test]
fn diff_a_fact_whose_type_changes_is_incompatible() {
    // The tour's `financial_hardship` becomes an enum.
    let files = sources("examples/tour");
    let old = build(files.clone());
    let new = edited(
        &files,
        "tour.thr",
        "fact financial_hardship: bool {",
        "fact financial_hardship: enum { none, some, severe } {",
    );
    let new = build(edited(
        &new,
        "tour.thr",
        "when financial_hardship\n",
        "when financial_hardship in { some, severe }\n",
    ));
    for (a, b, from, to) in [(&old, &new, "bool", "enum"), (&new, &old, "enum", "bool")] {
        let e = a.diff(b).unwrap_err();
        assert_eq!(e.code(), "thr::diff::incompatible");
        let message = e.diagnostics()[0].message();
        assert!(
            message.contains("`financial_hardship`")
                && message.contains(&format!("is {from} in the old rules and {to} in the new")),
            "{message}"
        );
    }
}

#[test]
fn diff_a_level_that_is_no_longer_advice_only() {
    // O14 without `advisory`: the same level and pathways for a young adult, but the level is
    // no longer advice only. Found while writing these tests: the diff said "No referral is
    // decided differently".
    let files = sources("threshold");
    let old = build(files.clone());
    let new = build(edited(
        &files,
        "30-overrides.thr",
        "then pathway adult_safeguarding, advisory\n",
        "then pathway adult_safeguarding\n",
    ));
    let d = old.diff(&new).unwrap();
    assert_eq!(regions(&d), ["advisory -: yes → no"]);
    assert_examples(&old, &new, &d);
    let r = &d.regions[0];
    let age = r.example.facts["age_years"].as_i64().unwrap();
    assert!((18..=25).contains(&age), "{r:#?}");
    assert_eq!(r.example.old, r.example.new);
    let text = d.text();
    assert!(
        text.contains("1 kind of referral is decided differently")
            && text.contains("the level is no longer advice only")
            && text.contains("(advice only)\n      new: "),
        "{text}"
    );
    // And back: the level becomes advice only.
    let back = new.diff(&old).unwrap();
    assert_eq!(regions(&back), ["advisory -: no → yes"]);
    assert_examples(&new, &old, &back);
}

#[test]
fn diff_a_new_step_up_domain() {
    // Money becomes an area of its own: financial hardship no longer shares the family area,
    // so three early-help needs that were all about the family now span two areas and step up.
    let files = sources("threshold");
    let old = build(files.clone());
    let files = edited(
        &files,
        "00-ruleset.thr",
        "domains { developmental, parenting, family }",
        "domains { developmental, parenting, family, income }",
    );
    let files = edited(
        &files,
        "40-level2.thr",
        "rule L2_financial \"Financial hardship or no recourse to public funds\" {\n  domain family",
        "rule L2_financial \"Financial hardship or no recourse to public funds\" {\n  domain income",
    );
    let new = build(files);
    let d = old.diff(&new).unwrap();
    assert_examples(&old, &new, &d);
    let levels: Vec<String> = regions(&d)
        .into_iter()
        .filter(|r| r.starts_with("level"))
        .collect();
    assert_eq!(levels, ["level -: early_help → complex"]);
    let step = region(&d, "level", None, "early_help", "complex");
    let full = complete(&[&old, &new], &step.example.facts);
    let new_rules = fired(&new, &full);
    let old_rules = fired(&old, &full);
    assert!(new_rules.iter().any(|r| r == "step_up"), "{new_rules:?}");
    assert!(!old_rules.iter().any(|r| r == "step_up"), "{old_rules:?}");
    assert!(
        new_rules.iter().any(|r| r == "L2_financial"),
        "{new_rules:?}"
    );
    // Three early-help needs: the financial one and two more, none of them a level-3 need.
    let l2 = new_rules.iter().filter(|r| r.starts_with("L2_")).count();
    assert!(l2 >= 3, "{new_rules:?}");
    // Nothing else changes: no category, no lowered level.
    assert!(
        d.regions.iter().all(|r| r.what != "category"),
        "{:#?}",
        regions(&d)
    );
}

#[test]
fn bands_a_set_code_in_no_tier_is_not_a_gap() {
    // Sign d belongs to no tier: it is not an indicator of the matrix, so leaving the category
    // at none is no gap.
    let rs = mini(
        r#"matrix m "M" {
  from signs
  categories none, low, high
  tier lo { a, b }
  tier hi { c }
  high when count(hi) >= 1
  low when count(lo) >= 1
}
rule m_low { when m >= low then level mid cite g because "l" }
rule m_high { when m == high then level high cite g because "h" }
rule worried { when worry or calm or signs has d then pathway pb cite g because "w" }
test "l" { given { signs: [a] } expect m low expect level mid }
test "h" { given { signs: [c] } expect m high expect level high }
test "w" { given { worry: true } expect pathway pb }
"#,
    );
    let a = rs.analyze().unwrap();
    assert_passes(&a);
}
