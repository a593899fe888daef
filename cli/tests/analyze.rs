//! `thresholds analyze` and `thresholds diff` end to end: outputs and exit codes.

#![allow(
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers fail by panicking"
)]

use std::path::{Path, PathBuf};

mod common;

use common::{run, ROOT};

/// A fresh temporary directory for one test, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("thr-analyze-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        TempDir(dir)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn utf8(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// A copy of the shipped rules in `to`, with `from` replaced by `into` in `file` (exactly once)
/// when given.
fn copy_shipped(to: &Path, edit: Option<(&str, &str, &str)>) {
    std::fs::create_dir_all(to).expect("dir");
    let mut applied = edit.is_none();
    for entry in std::fs::read_dir(format!("{ROOT}/rules/threshold")).expect("rules") {
        let p = entry.expect("entry").path();
        let name = p.file_name().expect("name").to_owned();
        let mut text = std::fs::read_to_string(&p).expect("read");
        if let Some((file, from, into)) = edit {
            if name == file {
                assert_eq!(text.matches(from).count(), 1, "the edit applies once");
                text = text.replacen(from, into, 1);
                applied = true;
            }
        }
        std::fs::write(to.join(name), text).expect("write");
    }
    assert!(applied, "the edited file exists");
}

const ONLINE_GROOMING_FILE: &str = "20-exploitation.thr";
const ONLINE_GROOMING_FROM: &str = "known_exploitative_adults, online_grooming, clipping, assault_disclosed_withdrawn }\n  tier high { older_controlling_partner,";
const ONLINE_GROOMING_TO: &str = "known_exploitative_adults, clipping, assault_disclosed_withdrawn }\n  tier high { online_grooming, older_controlling_partner,";

/// Two copies of the shipped rules: as they are, and with `online_grooming` moved from tier
/// medium to tier high.
fn online_grooming_edit(tmp: &TempDir) -> (PathBuf, PathBuf) {
    let (old, new) = (tmp.path("old"), tmp.path("new"));
    copy_shipped(&old, None);
    copy_shipped(
        &new,
        Some((
            ONLINE_GROOMING_FILE,
            ONLINE_GROOMING_FROM,
            ONLINE_GROOMING_TO,
        )),
    );
    (old, new)
}

const SHADOWED: &str = r#"ruleset "shadowed" version "1"
guidance g "Guidance"
levels {
  low "Low"
  high "High"
}
fact worry: bool { question "Worry?" }
fact calm: bool { question "Calm?" }
rule worried { when worry then level high cite g because "w" }
rule worried_and_calm { when worry and calm then level high cite g because "b" }
test "w" { given { worry: true } expect level high }
test "b" { given { worry: true, calm: true } expect level high }
"#;

#[test]
fn analyze_passes_on_the_shipped_rules() {
    let (code, out, err) = run(&["analyze", "rules/threshold"], "");
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.starts_with("Lambeth threshold of need (version "),
        "{out}"
    );
    for check in [
        "monotonicity",
        "reachability",
        "shadowing",
        "bands",
        "coverage",
    ] {
        assert!(
            out.lines()
                .any(|l| l.starts_with(check) && l.contains(" passed ")),
            "{check} in {out}"
        );
    }
    assert!(out.ends_with("Every check passed.\n"), "{out}");
}

#[test]
fn analyze_json_has_every_check_by_name() {
    let (code, out, err) = run(&["analyze", "rules/examples/tour", "--format", "json"], "");
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(v["ruleset"], "Language tour");
    let names: Vec<&str> = v["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .map(|c| c["name"].as_str().expect("name"))
        .collect();
    assert_eq!(
        names,
        [
            "monotonicity",
            "reachability",
            "shadowing",
            "bands",
            "coverage"
        ]
    );
}

#[test]
fn analyze_a_shadowed_rule_exits_1_and_names_it() {
    let tmp = TempDir::new("shadowed");
    let file = tmp.path("shadowed.thr");
    std::fs::write(&file, SHADOWED).expect("write");
    let (code, out, err) = run(&["analyze", utf8(&file)], "");
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.lines()
            .any(|l| l.starts_with("shadowing") && l.contains("FAILED")),
        "{out}"
    );
    assert!(
        out.contains("  - rule worried_and_calm: never changes a decision"),
        "{out}"
    );
    assert!(out.ends_with("1 of 5 checks failed.\n"), "{out}");
    // The same as JSON: still exit 1, the finding under `shadowing`.
    let (code, out, _) = run(&["analyze", utf8(&file), "--format", "json"], "");
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    let shadowing = v["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|c| c["name"] == "shadowing")
        .expect("the shadowing check");
    assert_eq!(shadowing["passed"], false);
    assert_eq!(shadowing["findings"][0]["subject"], "rule worried_and_calm");
}

#[test]
fn analyze_a_rule_set_that_does_not_check_exits_1() {
    let tmp = TempDir::new("bad");
    let file = tmp.path("bad.thr");
    std::fs::write(&file, SHADOWED.replace("level high", "level higher")).expect("write");
    let (code, out, err) = run(&["analyze", utf8(&file)], "");
    assert_eq!(code, 1, "{out}");
    assert!(err.contains("thr::check::unknown_name"), "{err}");
}

#[test]
fn diff_prints_each_transition_with_an_example() {
    let tmp = TempDir::new("diff");
    let (old, new) = online_grooming_edit(&tmp);
    let (code, out, err) = run(&["diff", utf8(&old), utf8(&new)], "");
    assert_eq!(code, 0, "{err}");
    for needle in [
        "kinds of referral are decided differently:",
        "  level: complex → acute\n",
        "  cse: medium → high\n",
        "  pathway strategy_discussion added\n",
        "  pathway irh_marf removed\n",
        "    e.g. {\"cse_indicators\":[\"online_grooming\"]}\n",
        "      old: complex; irh_marf, exploitation_panel; cse: medium\n",
        "      new: acute; irh_phone_now, strategy_discussion, exploitation_panel; cse: high\n",
    ] {
        assert!(out.contains(needle), "{needle:?} in:\n{out}");
    }
    // The level transition's example has the indicator too.
    let level = out
        .split("\n\n  ")
        .find(|s| s.starts_with("level: complex → acute"))
        .expect("the level region");
    assert!(level.contains("\"online_grooming\""), "{level}");
    // JSON: the diff, and no comparison without --facts.
    let (code, out, err) = run(&["diff", utf8(&old), utf8(&new), "--format", "json"], "");
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert!(v["comparison"].is_null(), "{v}");
    let regions = v["diff"]["regions"].as_array().expect("regions");
    let cse = regions
        .iter()
        .find(|r| r["what"] == "category" && r["subject"] == "cse")
        .expect("the cse region");
    assert_eq!(
        (&cse["from"], &cse["to"]),
        (&"medium".into(), &"high".into())
    );
    assert_eq!(cse["example"]["old"]["level"], "complex");
    assert_eq!(cse["example"]["new"]["level"], "acute");
    // The unchanged copy against itself: no difference, exit 0.
    let (code, out, _) = run(&["diff", utf8(&old), utf8(&old)], "");
    assert_eq!(code, 0);
    assert!(
        out.ends_with("No referral is decided differently.\n"),
        "{out}"
    );
}

#[test]
fn diff_with_facts_counts_the_referrals_that_change() {
    let tmp = TempDir::new("diff-facts");
    let (old, new) = online_grooming_edit(&tmp);
    // JSON lines: one referral changes (complex → acute), two do not.
    let facts = tmp.path("referrals.jsonl");
    std::fs::write(
        &facts,
        "{\"age_years\": 15, \"cse_indicators\": [\"online_grooming\"]}\n\
         {\"age_years\": 15, \"cse_indicators\": [\"clipping\"]}\n\
         \n\
         {\"age_years\": 9, \"immediate_danger\": true}\n",
    )
    .expect("write");
    let (code, out, err) = run(
        &["diff", utf8(&old), utf8(&new), "--facts", utf8(&facts)],
        "",
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("  level: complex → acute\n"), "{out}");
    assert!(out.contains("\nOver the referrals given:\n"), "{out}");
    assert!(
        out.contains("1 of 3 referrals change level or pathways"),
        "{out}"
    );
    assert!(out.contains("  complex → acute: 1  *\n"), "{out}");
    assert!(out.contains("  #0: complex → acute;"), "{out}");
    // The same from standard input, as a JSON array, in JSON.
    let (code, out, err) = run(
        &[
            "diff",
            utf8(&old),
            utf8(&new),
            "--facts",
            "-",
            "--format",
            "json",
        ],
        r#"[{"age_years": 15, "cse_indicators": ["online_grooming"]}, {"age_years": 15}]"#,
    );
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(v["comparison"]["total"], 2);
    assert_eq!(v["comparison"]["changed"], 1);
    assert_eq!(v["comparison"]["changes"][0]["index"], 0);
    assert_eq!(v["comparison"]["changes"][0]["new"]["level"], "acute");
    assert!(!v["diff"]["regions"].as_array().expect("regions").is_empty());
}

#[test]
fn diff_of_a_fact_whose_type_changes_exits_1_with_the_code() {
    let tmp = TempDir::new("diff-type");
    let (old, new) = (tmp.path("old.thr"), tmp.path("new.thr"));
    std::fs::write(&old, SHADOWED).expect("write");
    std::fs::write(
        &new,
        SHADOWED
            .replace(
                "fact calm: bool {",
                "fact calm: enum { never, sometimes, always } {",
            )
            .replace("worry and calm", "worry and calm == always")
            .replace("calm: true", "calm: always"),
    )
    .expect("write");
    let (code, out, err) = run(&["diff", utf8(&old), utf8(&new)], "");
    assert_eq!(code, 1, "{out}");
    assert!(
        err.contains("thr::diff::incompatible") && err.contains("`calm`"),
        "{err}"
    );
}
