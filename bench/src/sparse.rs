//! The sparse workloads: what `missing` costs on the shipped rules when most facts are unknown,
//! as in real case-system data. Seeded referrals with 0 to 8 known facts (random answers, and
//! facts taken from the example referrals), and the empty referral, each evaluated with `missing` on and off; per-referral costs (the best of a few rounds, so a
//! busy machine inflates them less), their medians and worst cases, and the ratio on ÷ off per
//! referral.

use std::hint::black_box;
use std::time::Instant;

use serde_json::{json, Map, Value};
use thresholds::{FactInfo, Options, Ruleset};

use crate::Args;

/// A small deterministic generator (xorshift64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % u64::try_from(n.max(1)).unwrap_or(1)).unwrap_or(0)
    }
}

fn value(rng: &mut Rng, f: &FactInfo) -> Value {
    let codes = f.values.as_deref().unwrap_or(&[]);
    match f.r#type.as_str() {
        "bool" => json!(rng.below(2) == 1),
        "int" => {
            let (lo, hi) = (f.min.unwrap_or(0), f.max.unwrap_or(0));
            let span = u64::try_from(hi.saturating_sub(lo)).unwrap_or(0) + 1;
            json!(lo + i64::try_from(rng.next() % span).unwrap_or(0))
        }
        "enum" => json!(codes.get(rng.below(codes.len()))),
        _ => {
            let picked: Vec<&String> = codes.iter().filter(|_| rng.below(6) == 0).collect();
            json!(picked)
        }
    }
}

/// The empty referral, then `n` referrals with 0 to 8 known facts, as JSON text.
pub(crate) fn referrals(rs: &Ruleset, seed: u64, n: usize) -> Vec<String> {
    let info = rs.facts_info();
    let mut rng = Rng(seed | 1);
    let mut out = vec!["{}".to_string()];
    for _ in 0..n {
        let mut m = Map::new();
        for _ in 0..rng.below(9) {
            if let Some(f) = info.get(rng.below(info.len())) {
                m.insert(f.id.clone(), value(&mut rng, f));
            }
        }
        out.push(Value::Object(m).to_string());
    }
    out
}

/// Nanoseconds per call of `f`: the best of `rounds` rounds of `reps` calls.
fn time(rounds: usize, reps: usize, mut f: impl FnMut()) -> f64 {
    let mut best = f64::INFINITY;
    for _ in 0..rounds {
        let t = Instant::now();
        for _ in 0..reps {
            f();
        }
        let ns = t.elapsed().as_nanos() as f64 / reps as f64;
        best = best.min(ns);
    }
    best
}

fn quantile(xs: &[f64], q: f64) -> f64 {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    let i = ((v.len().saturating_sub(1)) as f64 * q).round() as usize;
    v.get(i).copied().unwrap_or(f64::NAN)
}

fn row(name: &str, xs: &[f64]) {
    println!(
        "  {name:<44} {:>10} {:>10} {:>10} {:>10}",
        crate::timings::fmt_ns(quantile(xs, 0.5)),
        crate::timings::fmt_ns(quantile(xs, 0.9)),
        crate::timings::fmt_ns(quantile(xs, 1.0)),
        crate::timings::fmt_ns(xs.first().copied().unwrap_or(f64::NAN)),
    );
}

fn ratios(name: &str, on: &[f64], off: &[f64]) {
    let r: Vec<f64> = on.iter().zip(off).map(|(a, b)| a / b).collect();
    println!(
        "  {name:<44} {:>9.1}× {:>9.1}× {:>9.1}× {:>9.1}×",
        quantile(&r, 0.5),
        quantile(&r, 0.9),
        quantile(&r, 1.0),
        r.first().copied().unwrap_or(f64::NAN)
    );
}

/// The empty referral, then `n` referrals that each record 0 to 8 of the facts of one of the
/// example referrals (`examples/referrals/`), as JSON text: sparse as case-system data is, but
/// with the concerns practitioners record rather than random answers. A known concern moves the
/// indicator and matrix counts, which restricts much more of the diagrams than a benign answer.
pub(crate) fn referrals_with_concerns(seed: u64, n: usize) -> Result<Vec<String>, String> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/referrals");
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| format!("{dir}: {e}"))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    let mut examples: Vec<Map<String, Value>> = Vec::new();
    for p in &paths {
        let text = std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
        if let Ok(Value::Object(m)) = serde_json::from_str(&text) {
            examples.push(m);
        }
    }
    let mut rng = Rng(seed | 1);
    let mut out = vec!["{}".to_string()];
    for _ in 0..n {
        let Some(ex) = examples.get(rng.below(examples.len())) else {
            break;
        };
        let keys: Vec<&String> = ex.keys().collect();
        let mut m = Map::new();
        for _ in 0..rng.below(9) {
            if let Some(k) = keys.get(rng.below(keys.len())) {
                if let Some(v) = ex.get(*k) {
                    m.insert((*k).clone(), v.clone());
                }
            }
        }
        out.push(Value::Object(m).to_string());
    }
    Ok(out)
}

/// Times the sparse workloads and prints their tables.
pub(crate) fn run(a: &Args, rs: &Ruleset) -> Result<(), String> {
    let n = a.n.clamp(1, 2_000);
    table(
        a,
        rs,
        &referrals(rs, a.seed, n),
        &format!(
            "the empty referral and {n} seeded referrals with 0-8 known facts, random answers"
        ),
    )?;
    table(
        a,
        rs,
        &referrals_with_concerns(a.seed, n)?,
        &format!(
            "the empty referral and {n} seeded referrals with 0-8 facts taken from the example referrals (concerns)"
        ),
    )
}

/// Times one workload, `missing` on and off, and prints its table.
fn table(a: &Args, rs: &Ruleset, texts: &[String], what: &str) -> Result<(), String> {
    let facts = texts
        .iter()
        .map(|t| rs.facts_from_json(t))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_json())?;
    let on = Options::default();
    let off = Options {
        reasons: true,
        missing: false,
    };
    // Compiles the diagrams before anything is timed.
    if let Some(f) = facts.first() {
        black_box(rs.evaluate(f, on));
    }
    let rounds = a.passes.max(3);
    let (mut json_on, mut json_off, mut compact_on, mut compact_off) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (t, f) in texts.iter().zip(&facts) {
        json_on.push(time(rounds, 5, || {
            black_box(rs.evaluate_json_str_with(black_box(t), on).ok());
        }));
        json_off.push(time(rounds, 5, || {
            black_box(rs.evaluate_json_str_with(black_box(t), off).ok());
        }));
        compact_on.push(time(rounds, 5, || {
            black_box(rs.evaluate_compact(black_box(f), true));
        }));
        compact_off.push(time(rounds, 5, || {
            black_box(rs.evaluate_compact(black_box(f), false));
        }));
    }
    println!(
        "\nsparse referrals on the shipped rules: {what} (seed {}); per referral, best of {rounds} rounds",
        a.seed
    );
    println!(
        "  {:<44} {:>10} {:>10} {:>10} {:>10}",
        "", "median", "p90", "worst", "empty"
    );
    row("JSON → JSON, reasons, missing off", &json_off);
    row("JSON → JSON, reasons, missing on", &json_on);
    ratios("  ratio on ÷ off (per referral)", &json_on, &json_off);
    row("evaluate_compact, missing off", &compact_off);
    row("evaluate_compact, missing on", &compact_on);
    ratios("  ratio on ÷ off (per referral)", &compact_on, &compact_off);
    Ok(())
}
