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
