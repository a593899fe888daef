//! The `thresholds` command end to end: outputs and exit codes (0 ok, 1 errors, 2 usage).

#![allow(
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers fail by panicking"
)]

use std::process::{Command, Stdio};

mod common;

use common::{run, ROOT};

#[test]
fn eval_json_prints_the_decision_alone() {
    let (code, out, _) = run(
        &["eval", "--facts", "-", "--format", "json"],
        r#"{"immediate_danger": true, "age_years": 9}"#,
    );
    assert_eq!(code, 0);
    let v: serde_json::Value =
        serde_json::from_str(out.trim_end()).expect("stdout is one JSON decision");
    assert_eq!(v["level"], "acute");
    assert_eq!(v["pathways"][0], "call_999");
    assert!(out.ends_with("}\n"));
}

#[test]
fn eval_text_is_for_practitioners() {
    let (code, out, _) = run(
        &[
            "eval",
            "--facts",
            "examples/referrals/01-school-absence-early-help.json",
        ],
        "",
    );
    assert_eq!(code, 0);
    assert!(out.starts_with("Level: Early help\n"), "{out}");
    assert!(
        out.contains("What to do, most urgent first:")
            && out.contains("Why:")
            && out.contains("Answers given:"),
        "{out}"
    );
    // The text is the core's summary, as every host gets it (`"summary": true`).
    let facts = std::fs::read_to_string(format!(
        "{ROOT}/examples/referrals/01-school-absence-early-help.json"
    ))
    .unwrap_or_default();
    let rs = thresholds::Ruleset::builtin().expect("the shipped rules load");
    let json = rs
        .evaluate_request_json(&facts, r#"{"summary": true}"#)
        .expect("the example evaluates");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap_or_default();
    assert_eq!(v["summary"]["text"].as_str(), Some(out.as_str()));
}

#[test]
fn eval_explain_says_what_would_change_the_level() {
    let file = "examples/referrals/04-county-lines-acute.json";
    let (code, out, err) = run(&["eval", "--facts", file, "--explain"], "");
    assert_eq!(code, 0, "{err}");
    let (_, x) = out
        .split_once("What would change the rules' level (Acute / child protection (s47))\n")
        .expect("the explanation follows the summary");
    // Acute: nothing above; lower by taking back the high-risk CCE indicators.
    assert!(!x.contains("Would become"), "{x}");
    assert!(
        x.contains("Would be Complex needs (Child in Need, s17) or lower if any one of:"),
        "{x}"
    );
    assert!(x.contains("cce indicators: remove "), "{x}");
    assert!(
        x.contains("(no longer: CCE risk high; CCE risk would be medium)"),
        "{x}"
    );
    // Without --explain, no explanation; in JSON, the `explain` field.
    let (_, plain, _) = run(&["eval", "--facts", file], "");
    assert!(!plain.contains("What would change"));
    let (_, json, _) = run(
        &["eval", "--facts", file, "--explain", "--format", "json"],
        "",
    );
    let v: serde_json::Value = serde_json::from_str(&json).expect("decision JSON");
    assert_eq!(v["explain"]["lower"]["level"], "complex");
    assert_eq!(v["explain"]["raise"], serde_json::json!([]));
}

#[test]
fn bad_facts_exit_1_with_a_coded_error_and_no_decision() {
    let (code, out, err) = run(&["eval", "--facts", "-"], r#"{"imediate_danger": true}"#);
    assert_eq!(code, 1);
    assert!(out.is_empty(), "{out}");
    assert!(
        err.contains("thr::facts::unknown_fact")
            && err.contains("did you mean `immediate_danger`?"),
        "{err}"
    );
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(run(&["evaluate"], "").0, 2);
    assert_eq!(run(&["eval"], "").0, 2);
}

#[test]
fn check_reports_every_mistake_with_locations_and_exits_1() {
    let dir = std::env::temp_dir().join(format!("thr-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("bad.thr");
    std::fs::write(
        &file,
        "ruleset \"x\" version \"1\"\nlevels { a \"A\" }\nfact n: int 0..9 { question \"n?\" }\nrule r { when m > 1 then level a }\nrule s { when n > 99 then level b }\n",
    )
    .expect("write");
    let (code, out, err) = run(&["check", file.to_str().expect("utf-8 path")], "");
    assert_eq!(code, 1);
    assert!(out.contains("(3 errors)"), "{out}");
    for needle in [
        "bad.thr:4:15",
        "thr::check::unknown_name",
        "bad.thr:5:15",
        "thr::check::out_of_range",
        "thr::check::unknown_name]: unknown level `b`",
    ] {
        assert!(err.contains(needle), "missing {needle} in:\n{err}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_shipped_rules_check_and_their_tests_fire_every_rule() {
    let (code, out, _) = run(&["test", "--coverage", "rules/threshold"], "");
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("coverage: 0 rules not fired by any test"),
        "{out}"
    );
    let (code, out, _) = run(&["check", "rules/"], "");
    assert_eq!(code, 0, "{out}");
}

#[test]
fn fmt_check_passes_on_the_corpus() {
    let (code, out, _) = run(&["fmt", "--check", "rules/"], "");
    assert_eq!(code, 0, "{out}");
}

#[test]
fn a_test_with_a_misspelt_fact_fails_by_name_with_a_suggestion() {
    // Issue #14: it reported only `FAIL file:line (unreadable test)`.
    let dir = std::env::temp_dir().join(format!("thr-cli-misspelt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("t.thr");
    std::fs::write(
        &file,
        "ruleset \"x\" version \"1\"\nguidance g \"G\"\nlevels { a \"A\" b \"B\" }\npathways { p \"P\" \"do\" }\nfact age_years: int 0..25 { question \"Age?\" }\nrule r { when age_years < 5 then level b cite g because \"r\" }\ntest \"young\" {\n  given { age_yaers: 3 }\n  expect level b\n}\n",
    )
    .expect("write rules");
    let path = file.display().to_string();
    let (code, out, _) = run(&["test", &path], "");
    assert_eq!(code, 1, "{out}");
    assert!(out.contains(&format!("FAIL {path}:8 young")), "{out}");
    assert!(
        out.contains("unknown fact `age_yaers` (did you mean `age_years`?)"),
        "{out}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn test_coverage_passes_on_the_tour() {
    // Issue #14: the example rule authors copy first failed `test --coverage`.
    let (code, out, _) = run(&["test", "--coverage", "rules/examples/tour"], "");
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("coverage: 0 rules not fired by any test"),
        "{out}"
    );
}

#[test]
fn a_reader_that_goes_away_ends_the_command_quietly() {
    // Found by hand while measuring the node budget: `thresholds eval ... | head -c 100`
    // panicked ("failed printing to stdout: Broken pipe", exit 101).
    let mut child = Command::new(env!("CARGO_BIN_EXE_thresholds"))
        .args(["facts"])
        .current_dir(ROOT)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    // Close the reading end before the command writes.
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn compare_reports_transitions_pathway_changes_and_each_changed_referral() {
    // Issue #12: impact analysis in core, from the command line. A real edit: attendance
    // problems now need a social-work assessment instead of early help.
    let old =
        std::fs::read_to_string(format!("{ROOT}/rules/examples/tour/tour.thr")).expect("tour");
    let new = old.replacen(
        "  when school_attendance == some_absence\n  then level early_help",
        "  when school_attendance == some_absence\n  then level complex",
        1,
    );
    assert_ne!(old, new, "the edit applies");
    let dir = std::env::temp_dir().join(format!("thr-compare-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let new_path = dir.join("tour-new.thr");
    std::fs::write(&new_path, new).expect("write");
    let facts = "{\"school_attendance\": \"some_absence\", \"immediate_danger\": false}\n\n{\"immediate_danger\": true, \"age_years\": 9}\n";
    let (code, out, err) = run(
        &[
            "compare",
            "--old",
            "rules/examples/tour",
            "--new",
            new_path.to_str().expect("utf-8 path"),
            "--facts",
            "-",
            "--format",
            "json",
        ],
        facts,
    );
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(v["total"], 2);
    assert_eq!(v["changed"], 1);
    assert_eq!(v["changes"][0]["index"], 0);
    assert_eq!(v["changes"][0]["new"]["level"], "complex");
    assert!(v["transitions"]
        .as_array()
        .expect("transitions")
        .iter()
        .any(|t| t["to"] == "complex" && t["count"] == 1 && t["from"] != "complex"));
    assert!(v["pathways"]
        .as_array()
        .expect("pathways")
        .iter()
        .any(|p| p["pathway"] == "irh_marf" && p["added"] == 1));
    // A referral that does not fit is an error naming it.
    let (code, out, _) = run(
        &[
            "compare",
            "--old",
            "rules/examples/tour",
            "--new",
            new_path.to_str().expect("path"),
            "--facts",
            "-",
            "--format",
            "json",
        ],
        "[{}, {\"age\": 3}]",
    );
    assert_eq!(code, 1);
    assert!(out.contains("referral 1 (under the old rules)"), "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The interview protocol's targets: a median of at most 4 answers until the level shown is
/// final and 8 until the decision is complete, and no case over 15 answers.
fn assert_interview_targets(cases: &str, at_least: usize) -> serde_json::Value {
    let (code, out, err) = run(&["interview", "--cases", "-", "--format", "json"], cases);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    let s = &v["summary"];
    assert!(
        s["cases"].as_u64().expect("count") >= at_least as u64,
        "{s}"
    );
    assert!(s["median_to_level"].as_f64().expect("median") <= 4.0, "{s}");
    assert!(
        s["median_to_complete"].as_f64().expect("median") <= 8.0,
        "{s}"
    );
    assert!(s["max_to_complete"].as_u64().expect("max") <= 15, "{s}");
    for r in v["runs"].as_array().expect("runs") {
        let asked = r["asked"].as_array().expect("asked");
        assert!(
            r["answers_to_complete"].as_u64() <= Some(asked.len() as u64),
            "{r}"
        );
    }
    v
}

#[test]
fn interview_meets_its_targets_on_the_committed_cases() {
    let text =
        std::fs::read_to_string(format!("{ROOT}/tests/interview/cases.json")).expect("cases");
    let v = assert_interview_targets(&text, 30);
    // Each case ends on the level written beside it.
    let cases: Vec<serde_json::Value> = serde_json::from_str(&text).expect("cases JSON");
    for (c, r) in cases.iter().zip(v["runs"].as_array().expect("runs")) {
        assert_eq!(c["id"], r["id"]);
        assert_eq!(c["level"], r["level"], "{}", c["id"]);
    }
    // The text form ends with the medians.
    let (code, out, _) = run(&["interview", "--cases", "tests/interview/cases.json"], "");
    assert_eq!(code, 0);
    assert!(out.contains("cases: median"), "{out}");
}

#[test]
fn interview_meets_its_targets_on_the_example_referrals() {
    let mut cases = Vec::new();
    let mut paths: Vec<_> = std::fs::read_dir(format!("{ROOT}/examples/referrals"))
        .expect("examples")
        .flatten()
        .map(|e| e.path())
        .collect();
    paths.sort();
    for p in paths {
        let facts: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&p).expect("read")).expect("JSON");
        cases.push(serde_json::json!({"id": p.display().to_string(), "facts": facts}));
    }
    assert_interview_targets(&serde_json::Value::Array(cases).to_string(), 10);
}

#[test]
fn interview_rejects_bad_cases_with_a_coded_error() {
    let (code, out, _) = run(
        &["interview", "--cases", "-", "--format", "json"],
        r#"[{"id": "x", "facts": {"age_years": "ten"}}]"#,
    );
    assert_eq!(code, 1);
    assert!(out.contains("thr::facts::wrong_type"), "{out}");
    let (code, _, err) = run(&["interview", "--cases", "-"], "{}");
    assert_eq!(code, 1);
    assert!(err.contains("JSON array"), "{err}");
}

#[test]
fn compile_writes_rules_that_decide_as_their_source_and_damage_is_a_coded_error() {
    let dir = std::env::temp_dir().join(format!("thr-compile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    let out = dir.join("tour.thrc");
    let out_s = out.display().to_string();
    let (code, text, err) = run(&["compile", "rules/examples/tour", "-o", &out_s], "");
    assert_eq!(code, 0, "{err}");
    assert!(text.contains("bytes"), "{text}");
    let facts = "examples/referrals/04-county-lines-acute.json";
    let from_source = run(
        &[
            "eval",
            "--rules",
            "rules/threshold",
            "--facts",
            facts,
            "--format",
            "json",
        ],
        "",
    );
    let shipped = dir.join("shipped.thrc").display().to_string();
    assert_eq!(run(&["compile", "-o", &shipped], "").0, 0);
    let precompiled = run(
        &[
            "eval", "--rules", &shipped, "--facts", facts, "--format", "json",
        ],
        "",
    );
    assert_eq!(from_source.0, 0);
    assert_eq!(precompiled, from_source, "the same decision, byte for byte");
    let mut bytes = std::fs::read(&shipped).expect("written");
    let last = bytes.len() - 1;
    bytes[last] ^= 0x40;
    let damaged = dir.join("damaged.thrc");
    std::fs::write(&damaged, &bytes).expect("written");
    let (code, out, err) = run(&["info", "--rules", &damaged.display().to_string()], "");
    assert_eq!(code, 1, "{out}");
    assert!(
        err.contains("thr::precompiled::invalid") && err.contains("checksum"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
