//! Runs every conformance vector through the Rust API. `THR_TEST=substr` filters by name.

use thresholds::Ruleset;
use thresholds_tests::{vector_facts_text, vector_files, vector_sources};

/// Vectors known to fail here. Must stay empty in CI.
const SKIP: &[&str] = &[];

#[test]
fn vectors() {
    let filter = std::env::var("THR_TEST").unwrap_or_default();
    let (mut passed, mut failed, mut total) = (0, Vec::new(), 0);
    for (file, doc) in vector_files() {
        let vectors = doc
            .get("vectors")
            .and_then(|v| v.as_array())
            .cloned()
            .unwrap_or_default();
        assert!(!vectors.is_empty(), "{file} has no vectors");
        for v in vectors {
            let name = v
                .get("name")
                .and_then(|n| n.as_str())
                .unwrap_or("?")
                .to_string();
            if !name.contains(&filter) || SKIP.contains(&name.as_str()) {
                continue;
            }
            total += 1;
            match run_one(&v) {
                Ok(()) => passed += 1,
                Err(e) => failed.push(format!("{file} / {name}: {e}")),
            }
        }
    }
    println!("vectors: {passed} passed, {} failed", failed.len());
    assert!(total > 0, "no vectors ran");
    assert!(failed.is_empty(), "failed vectors:\n{}", failed.join("\n"));
}

type Files = Vec<(String, String)>;

thread_local! {
    /// Each rule set's precompiled bytes, by its files.
    static PRECOMPILED: std::cell::RefCell<std::collections::HashMap<Files, Vec<u8>>> =
        std::cell::RefCell::default();
}

/// Runs a vector on its rules loaded from source and, when they load, on the same rules
/// precompiled and loaded back (`Ruleset::to_precompiled`, `from_precompiled`): both must give
/// exactly what the vector expects.
fn run_one(v: &serde_json::Value) -> Result<(), String> {
    let expect = v.get("expect").ok_or("no `expect`")?;
    let files = vector_sources(v)?;
    let facts = vector_facts_text(v);
    let eval = |rs: Ruleset| match v.get("request") {
        Some(r) => rs.evaluate_request_json(&facts, &r.to_string()),
        None => rs.evaluate_json_str(&facts),
    };
    match Ruleset::from_sources(files.clone()) {
        Ok(rs) => {
            // Precompiled once per rule set (many vectors share one): writing works out the
            // diagrams and the first questions.
            let bytes = PRECOMPILED.with_borrow_mut(|cache| match cache.get(&files) {
                Some(bytes) => Ok(bytes.clone()),
                None => rs.to_precompiled().inspect(|bytes| {
                    cache.insert(files.clone(), bytes.clone());
                }),
            });
            let pre = bytes
                .and_then(|bytes| Ruleset::from_precompiled(&bytes))
                .map_err(|e| format!("precompiled: does not load back: {}", e.to_json()))?;
            check(eval(rs), expect).map_err(|e| format!("from source: {e}"))?;
            check(eval(pre), expect).map_err(|e| format!("precompiled: {e}"))
        }
        Err(e) => check(Err(e), expect),
    }
}

fn check(
    result: Result<String, thresholds::Error>,
    expect: &serde_json::Value,
) -> Result<(), String> {
    match (result, expect.get("decision"), expect.get("errorCodes")) {
        (Ok(out), Some(want), _) => {
            let want = serde_json::to_string(want).map_err(|e| e.to_string())?;
            if out == want {
                Ok(())
            } else {
                Err(format!("decision differs\n  got:  {out}\n  want: {want}"))
            }
        }
        (Err(e), _, Some(codes)) => {
            let got: Vec<String> = e
                .detailed()
                .into_iter()
                .filter(|d| d.severity == "error")
                .map(|d| d.code)
                .collect();
            let want: Vec<String> =
                serde_json::from_value(codes.clone()).map_err(|e| e.to_string())?;
            if got == want {
                Ok(())
            } else {
                Err(format!("error codes differ: got {got:?}, want {want:?}"))
            }
        }
        (Ok(out), None, _) => Err(format!("expected errors, got a decision: {out}")),
        (Err(e), _, None) => Err(format!("expected a decision, got error: {}", e.to_json())),
    }
}
