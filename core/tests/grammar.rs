//! Grammar: what parses and what does not, one check per construct.

use thresholds::Ruleset;

const BASE: &str = "ruleset \"g\" version \"1\"\nguidance g \"G\"\nlevels { a \"A\" b \"B\" }\nfact f: bool { question \"f?\" }\nfact n: int 0..9 { question \"n?\" }\nfact e: enum { x, y } { question \"e?\" }\nfact s: set { p, q } { question \"s?\" }\n";

/// Checks that `cond` is accepted in a rule (`Ok`) or rejected with `code` (`Err`).
fn check(cond: &str, expect: Result<(), &str>) {
    let src = format!("{BASE}rule r {{ when {cond} then level b cite g because \"r\" }}\n");
    match (Ruleset::from_source("g.thr", &src), expect) {
        (Ok(_), Ok(())) => {}
        (Err(e), Err(code)) => assert_eq!(e.code(), code, "{cond}: {}", e.to_json()),
        (Ok(_), Err(code)) => panic!("`{cond}` was accepted; expected {code}"),
        (Err(e), Ok(())) => panic!("`{cond}` was rejected: {}", e.to_json()),
    }
}

#[test]
fn boolean_operators_and_keywords_as_prefixes() {
    check("f and not f or f", Ok(()));
    let src = format!("{BASE}rule r {{ when not f or f then level b cite g because \"r\" }}\n");
    let rs = Ruleset::from_source("g.thr", &src).unwrap();
    let codes: Vec<&str> = rs.warnings().iter().map(|w| w.code()).collect();
    assert_eq!(codes, ["thr::check::always_true"]);
    let w = rs.warnings_detailed();
    assert_eq!(
        (w[0].file.as_deref(), w[0].line, w[0].severity.as_str()),
        (Some("g.thr"), Some(8), "warning")
    );
    check("f and n > 2", Ok(()));
    check("(f or n == 3) and not (e == x)", Ok(()));
}

#[test]
fn comparisons_membership_and_counts() {
    check("n >= 3", Ok(()));
    check("n - 1 < 4 and 2 * n > 3", Ok(()));
    check("e in { x }", Ok(()));
    check("e != y", Ok(()));
    check("s has p", Ok(()));
    check("s has any { p, q }", Ok(()));
    check("s has all { p, q }", Ok(()));
    check("count(s) >= 1", Ok(()));
    check("count(s, { q }) == 1", Ok(()));
}

#[test]
fn type_errors() {
    check("n", Err("thr::check::type_mismatch"));
    check("e < x", Err("thr::check::type_mismatch"));
    check("n * n > 3", Err("thr::check::nonlinear"));
    check("s == p", Err("thr::check::unknown_name"));
    check("e == w", Err("thr::check::unknown_name"));
    check("n > 10", Err("thr::check::out_of_range"));
    check("n < 1 and n > 5", Err("thr::check::unsatisfiable"));
    check("1 < n < 3", Err("thr::check::type_mismatch"));
    check("missing_fact", Err("thr::check::unknown_name"));
}

#[test]
fn syntax_errors() {
    check("n >", Err("thr::parse::syntax"));
    check("and f", Err("thr::parse::syntax"));
    check("f and", Err("thr::parse::syntax"));
}

#[test]
fn strings_with_escapes() {
    let src = format!(
        "{BASE}rule r {{ when f then level b cite g \"s \\\"1\\\"\" because \"a\\nb\" }}\n"
    );
    assert!(Ruleset::from_source("g.thr", &src).is_ok());
    let bad = format!("{BASE}rule r {{ when f then level b cite g \"\\q\" because \"x\" }}\n");
    assert_eq!(
        Ruleset::from_source("g.thr", &bad).unwrap_err().code(),
        "thr::parse::syntax"
    );
}
