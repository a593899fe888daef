//! Criterion benchmarks on the shipped rules: already-converted facts, JSON text to JSON text,
//! and parse + check + compile.

#![allow(
    clippy::unwrap_used,
    reason = "a benchmark fails loudly on broken fixtures"
)]

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use thresholds::{Options, Ruleset};

/// A referral with about two thirds of the facts known and a few unknown.
const REFERRAL: &str = r#"{"age_years": 14, "immediate_danger": false, "sexual_activity": "none",
  "school_attendance": "some_absence", "basic_care": "inconsistent", "financial_hardship": true,
  "consent": "given", "cse_indicators": ["late_nights"]}"#;

fn files() -> Vec<(String, String)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../rules/threshold");
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "thr"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| (p.display().to_string(), std::fs::read_to_string(p).unwrap()))
        .collect()
}

fn referral(rs: &Ruleset) -> String {
    // Keep only the facts the shipped rules declare, so the bench survives rule edits.
    let v: serde_json::Value = serde_json::from_str(REFERRAL).unwrap();
    let declared: Vec<String> = rs.facts_info().into_iter().map(|f| f.id).collect();
    let m: serde_json::Map<_, _> = v
        .as_object()
        .unwrap()
        .iter()
        .filter(|(k, _)| declared.contains(k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    serde_json::Value::Object(m).to_string()
}

/// The first example referral: every declared fact answered.
fn complete_referral(rs: &Ruleset) -> String {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/referrals/03-neglect-several-needs-complex.json"
    );
    let text = std::fs::read_to_string(path).unwrap();
    rs.facts_from_json(&text).unwrap();
    text
}

fn bench(c: &mut Criterion) {
    let rs = Ruleset::builtin().unwrap();
    let text = referral(&rs);
    let facts = rs.facts_from_json(&text).unwrap();
    let lean = Options {
        reasons: false,
        missing: false,
    };
    c.bench_function("evaluate/converted facts, no reasons or missing", |b| {
        b.iter(|| rs.evaluate(black_box(&facts), lean))
    });
    c.bench_function("evaluate_compact/converted facts, missing", |b| {
        b.iter(|| rs.evaluate_compact(black_box(&facts), true))
    });
    let complete = rs.facts_from_json(&complete_referral(&rs)).unwrap();
    c.bench_function("evaluate/complete referral, reasons and missing", |b| {
        b.iter(|| rs.evaluate(black_box(&complete), Options::default()))
    });
    let complete_text = complete_referral(&rs);
    c.bench_function(
        "evaluate_json_str/complete referral, JSON text to decision JSON text",
        |b| b.iter(|| rs.evaluate_json_str(black_box(&complete_text)).unwrap()),
    );
    c.bench_function("evaluate_compact/complete referral, missing", |b| {
        b.iter(|| rs.evaluate_compact(black_box(&complete), true))
    });
    c.bench_function("evaluate/converted facts, reasons and missing", |b| {
        b.iter(|| rs.evaluate(black_box(&facts), Options::default()))
    });
    c.bench_function("evaluate_json_str/JSON text to decision JSON text", |b| {
        b.iter(|| rs.evaluate_json_str(black_box(&text)).unwrap())
    });
    // What would change this: off by default; priced against the decision it explains.
    let explain = thresholds::Request {
        explain: true,
        ..thresholds::Request::default()
    };
    c.bench_function("evaluate_request/complete referral, explain", |b| {
        b.iter(|| rs.evaluate_request(black_box(&complete), &explain).unwrap())
    });
    c.bench_function("evaluate_request/partial referral, explain", |b| {
        b.iter(|| rs.evaluate_request(black_box(&facts), &explain).unwrap())
    });
    let files = files();
    c.bench_function("load/parse + check + compile the shipped rules", |b| {
        b.iter(|| Ruleset::from_sources(black_box(files.clone())).unwrap())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
