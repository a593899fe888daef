//! The sparse workload: what `missing` costs on the shipped rules when most facts are unknown,
//! as in real case-system data. Seeded referrals with 0 to 8 known facts, and the empty referral,
//! each evaluated with `missing` on and off; per-referral costs (the best of a few rounds, so a
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

/// Times the sparse workload and prints its table.
pub(crate) fn run(a: &Args, rs: &Ruleset) -> Result<(), String> {
    let n = a.n.clamp(1, 2_000);
    let texts = referrals(rs, a.seed, n);
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
        "\nsparse referrals on the shipped rules: the empty referral and {n} seeded referrals with 0-8 known facts (seed {}); per referral, best of {rounds} rounds",
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
