//! Snapshots of rendered diagnostics and decisions (message text is pinned here, and only here).

use thresholds::{Options, Ruleset};

fn render(src: &str) -> String {
    match Ruleset::from_source("bad.thr", src) {
        Ok(_) => "ok".to_string(),
        Err(e) => e.render(),
    }
}

#[test]
fn several_mistakes_are_all_reported_with_locations() {
    let src = r#"ruleset "Broken" version "1"
guidance g "Guidance"
levels { universal "Universal" complex "Complex" }
pathways { marf "MARF" "Send a MARF." }
fact age_years: int 0..25 { question "Age?" }
fact neglect: enum { none, some_concerns, chronic } { question "Neglect?" }
rule a { when age_yaers < 13 then level complex cite g because "a" }
rule b { when neglect == chronc then level complex, pathway marff cite g because "b" }
rule c { when age_years > 30 then level complex cite g because "c" }
rule a { when neglect == chronic then level complex cite g because "a again" }
rule d { when age_years < 13 and age_years > 15 then level complex cite g because "d" }
rule e { when neglect == none then level complex because "no citation" }
"#;
    insta::assert_snapshot!(render(src));
}

#[test]
fn a_syntax_error_points_at_the_token() {
    insta::assert_snapshot!(render(
        "ruleset \"x\" version \"1\"\nrule r { when age >= then level a }\nrule s { when ) }\n"
    ));
}

#[test]
fn facts_errors_name_the_fact_and_what_was_expected() {
    let src = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../rules/examples/tour/tour.thr"
    ))
    .unwrap();
    let rs = Ruleset::from_source("tour.thr", &src).unwrap();
    let e = rs.facts_from_json(r#"{"age_yeers": 3, "sexual_activity": "penetrativ", "immediate_danger": "yes", "age_years": 40}"#).unwrap_err();
    insta::assert_snapshot!(e.render());
    insta::assert_snapshot!("facts_error_json", e.to_json());
}

#[test]
fn a_decision_with_reasons_and_missing_facts() {
    let src = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../rules/examples/tour/tour.thr"
    ))
    .unwrap();
    let rs = Ruleset::from_source("tour.thr", &src).unwrap();
    let f = rs.facts_from_json(r#"{"age_years": 12, "cse_indicators": ["late_nights"], "school_attendance": "some_absence"}"#).unwrap();
    let d = rs.evaluate(&f, Options::default());
    insta::assert_json_snapshot!(d, { ".ruleset.hash" => "[hash]" });
}

#[test]
fn a_fact_named_by_one_word_of_its_id_gets_a_suggestion() {
    // Issue #14: `age` had no "did you mean `age_years`" although misspellings did.
    let rs = Ruleset::builtin().unwrap();
    let e = rs.facts_from_json(r#"{"age": 12}"#).unwrap_err();
    let d = &e.detailed()[0];
    assert_eq!(d.code, "thr::facts::unknown_fact");
    assert_eq!(d.help.as_deref(), Some("did you mean `age_years`?"));
    // A word or a prefix of an id: `learning` for `learning_disability`, `traffick` for
    // `trafficking_suspected`.
    let e = rs
        .facts_from_json(r#"{"learning": true, "traffick": true}"#)
        .unwrap_err();
    let helps: Vec<Option<String>> = e.detailed().into_iter().map(|d| d.help).collect();
    assert_eq!(
        helps,
        [
            Some("did you mean `learning_disability`?".to_string()),
            Some("did you mean `trafficking_suspected`?".to_string())
        ]
    );
    // A misspelling still wins over a word match, and a short word suggests nothing.
    let e = rs
        .facts_from_json(r#"{"age_yeers": 12, "no": true}"#)
        .unwrap_err();
    let helps: Vec<Option<String>> = e.detailed().into_iter().map(|d| d.help).collect();
    assert_eq!(helps[0].as_deref(), Some("did you mean `age_years`?"));
    assert!(
        helps[1]
            .as_deref()
            .is_none_or(|h| !h.contains("did you mean")),
        "{helps:?}"
    );
}

#[test]
fn a_fact_given_twice_is_an_error_naming_it() {
    // Issue #14: `{"unborn": true, "unborn": null}` evaluated as unknown (the last value won).
    let rs = Ruleset::builtin().unwrap();
    let e = rs
        .evaluate_json_str(r#"{"unborn": true, "age_years": 0, "unborn": null}"#)
        .unwrap_err();
    let d = &e.detailed()[0];
    assert_eq!(
        (d.code.as_str(), d.fact.as_deref()),
        ("thr::facts::duplicate_fact", Some("unborn"))
    );
    assert_eq!(e.detailed().len(), 1);
}

#[test]
fn a_diagnostic_on_a_very_long_line_renders_clipped() {
    // Issue #14: a column past 65,535 made the renderer panic (exit 101 in `thresholds check`).
    let src = format!(
        "ruleset \"x\" version \"1\"\nfact a: bool {{ question \"{}\" }} levle\n",
        "q".repeat(70_000)
    );
    let out = render(&src);
    assert!(
        out.starts_with("bad.thr:2:70030: error[thr::parse::syntax]"),
        "{}",
        &out[..200.min(out.len())]
    );
    assert!(out.contains("(line clipped: 70034 characters)"));
    assert!(
        out.lines().all(|l| l.chars().count() < 300),
        "every rendered line is short"
    );
}

/// The codes and lines of every error, in order.
/// The codes and lines of a rule text's errors (none when it loads).
pub(crate) fn errors(src: &str) -> Vec<(String, u32)> {
    match Ruleset::from_source("bad.thr", src) {
        Ok(_) => Vec::new(),
        Err(e) => e
            .detailed()
            .into_iter()
            .filter(|d| d.severity == "error")
            .map(|d| (d.code, d.line.unwrap_or(0)))
            .collect(),
    }
}

const BROKEN: &str = r#"ruleset "T" version "1"
guidance g "G"
levels { universal "U" early "E" complex "C" }
pathways { p "P" "do" }
fact x: bool { question "X?" }
rul r0 { when x then level early cite g because "b" }
rule r1 "R" { when x then levle complex cite g because "b" }
rule r2 "R" {
  when x
  then level complex
  becuse "b"
}
fact z: bol { question "Z?" }
rule r3 "R" { when y and z then level early cite g because "b" }
rule r4 "R" { when x then pathway q cite g because "b" }
"#;

#[test]
fn a_syntax_error_hides_no_other_error() {
    // Issue #14: each broken item is reported, and the items that parsed are still checked.
    // `z` is declared by the broken `fact z` line, so using it is not also an error.
    let thr = |s: &str| s.to_string();
    assert_eq!(
        errors(BROKEN),
        vec![
            (thr("thr::parse::syntax"), 6),
            (thr("thr::parse::syntax"), 7),
            (thr("thr::parse::syntax"), 11),
            (thr("thr::parse::syntax"), 13),
            (thr("thr::check::unknown_name"), 14),
            (thr("thr::check::unknown_name"), 15),
        ]
    );
    insta::assert_snapshot!(render(BROKEN));
}

#[test]
fn a_misspelt_effect_says_what_an_effect_is() {
    // Issue #14: `then levle complex` said "unexpected `complex`; expected `at`".
    let e = Ruleset::from_source("bad.thr", BROKEN).unwrap_err();
    let d = &e.detailed()[1];
    assert_eq!(
        d.message,
        "unexpected `levle complex`; expected an effect: `level <level>`, `level exactly <level>`, \
         `pathway <pathway>`, `advisory` or `<matrix> at least <category>`"
    );
    assert_eq!((d.line, d.column), (Some(7), Some(27)));
    assert_eq!(d.help.as_deref(), Some("did you mean `level`?"));
    let misspelt_keyword = &e.detailed()[2];
    assert_eq!(
        misspelt_keyword.help.as_deref(),
        Some("did you mean `because`?")
    );
}

#[test]
fn each_diagnostic_says_its_code_and_message_once() {
    // Issue #14: the location line and miette's heading both said them.
    let out = render(BROKEN);
    assert_eq!(out.matches("unknown pathway `q`").count(), 1, "{out}");
    assert_eq!(out.matches("thr::check::unknown_name").count(), 2, "{out}");
}

#[test]
fn a_second_block_is_labelled_on_its_keyword_line_only() {
    // Issue #14: a duplicate `pathways` block's snippet spanned the whole 44-line block.
    let src = format!(
        "ruleset \"x\" version \"1\"\npathways {{\n{}}}\npathways {{\n  b \"B\" \"do\"\n}}\n",
        (0..40)
            .map(|i| format!("  p{i} \"P\" \"do\"\n"))
            .collect::<String>()
    );
    let out = render(&src);
    assert!(
        out.contains("pathways are declared in one `pathways` block"),
        "{out}"
    );
    assert!(out.lines().count() < 20, "{out}");
}

#[test]
fn a_file_that_does_not_parse_is_a_syntax_error_first() {
    // The rest is checked too (here: no header), but the error's code, and so the C status
    // `THR_RULES_SYNTAX`, says the rules do not parse.
    let e = Ruleset::from_source("bad.thr", "rule x {").unwrap_err();
    assert_eq!(e.code(), "thr::parse::syntax");
    let codes: Vec<String> = e.detailed().into_iter().map(|d| d.code).collect();
    assert_eq!(codes, ["thr::parse::syntax", "thr::check::missing_header"]);
}

/// Facts text is converted as it is parsed; a facts value is converted after. Both must give the
/// same facts, or the same errors, for every kind of JSON value given to every type of fact.
#[test]
fn facts_text_and_facts_value_convert_alike() {
    let rs = Ruleset::from_source(
        "t.thr",
        r#"
ruleset "t" version "1"
levels {
  one "One"
}
fact flag: bool { question "Flag?" }
fact age: int 0..25 { question "Age?" }
fact kind: enum { a, b, c_d } { question "Kind?" }
fact tags: set { x, y, z } { question "Tags?" }
"#,
    )
    .unwrap();
    let deep = format!("{}1{}", "[".repeat(200), "]".repeat(200));
    let values = [
        "null".to_string(),
        "true".into(),
        "false".into(),
        "0".into(),
        "7".into(),
        "-0".into(),
        "9.0".into(),
        "9e0".into(),
        "9.5".into(),
        "-3".into(),
        "26".into(),
        "18446744073709551615".into(),
        "1e300".into(),
        r#""a""#.into(),
        r#""c_d""#.into(),
        r#""c\u005fd""#.into(),
        r#""e""#.into(),
        r#""""#.into(),
        "[]".into(),
        r#"["x"]"#.into(),
        r#"["z", "x", "x"]"#.into(),
        r#"["x", "w"]"#.into(),
        r#"["w", 1]"#.into(),
        r#"[1, "w"]"#.into(),
        r#"["x", null]"#.into(),
        r#"["x", true]"#.into(),
        r#"["x", ["y"]]"#.into(),
        r#"["x", {"y": 1}]"#.into(),
        "{}".into(),
        r#"{"a": [1, {"b": null}]}"#.into(),
        deep.clone(),
        format!("[\"x\", {deep}]"),
    ];
    let mut compared = 0;
    for fact in ["flag", "age", "kind", "tags"] {
        for v in &values {
            let text = format!(r#"{{"{fact}": {v}, "nope": 1}}"#);
            let from_text = rs.facts_from_json(&text);
            let from_value = serde_json::from_str::<serde_json::Value>(&text)
                .map_err(|e| e.to_string())
                .map(|j| rs.facts_from_value(&j));
            match (from_text, from_value) {
                (Ok(a), Ok(Ok(b))) => assert_eq!(a, b, "{text}"),
                (Err(a), Ok(Err(b))) => assert_eq!(a.to_json(), b.to_json(), "{text}"),
                // Both refuse text that is not JSON (or nested too deep).
                (Err(a), Err(_)) => assert_eq!(a.code(), "thr::facts::invalid_json", "{text}"),
                (a, b) => panic!("{text}: text gives {a:?}, value gives {b:?}"),
            }
            compared += 1;
        }
    }
    assert_eq!(compared, 4 * values.len());
}
