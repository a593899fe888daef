//! The timing table: medians of interleaved passes with min-max, ratios, load + compile, memory.

use std::hint::black_box;
use std::time::Instant;

use thresholds::Ruleset;

use crate::{
    native, rego, workload, zen_decision, zen_eval, zen_json_to_json, Args, Inputs, OFF, ON,
};

/// Median, min and max of samples.
#[derive(Debug, Clone, Copy)]
struct Stat {
    median: f64,
    min: f64,
    max: f64,
}

fn stat(mut xs: Vec<f64>) -> Stat {
    xs.sort_by(f64::total_cmp);
    let median = xs.get(xs.len() / 2).copied().unwrap_or(f64::NAN);
    Stat {
        median,
        min: xs.first().copied().unwrap_or(f64::NAN),
        max: xs.last().copied().unwrap_or(f64::NAN),
    }
}

type Case<'a> = (&'static str, Box<dyn FnMut() -> Result<(), String> + 'a>);

/// Runs each case once per pass, the cases interleaved (rotated) within a pass; returns ns per item.
fn interleaved(cases: &mut [Case<'_>], passes: usize, items: usize) -> Result<Vec<Stat>, String> {
    let k = cases.len();
    let mut samples = vec![Vec::with_capacity(passes); k];
    // One warm-up pass.
    for (_, f) in cases.iter_mut() {
        f()?;
    }
    for pass in 0..passes {
        for j in 0..k {
            let c = (j + pass) % k;
            if let Some((_, f)) = cases.get_mut(c) {
                let t = Instant::now();
                f()?;
                let ns = t.elapsed().as_nanos() as f64 / items.max(1) as f64;
                if let Some(s) = samples.get_mut(c) {
                    s.push(ns);
                }
            }
        }
    }
    Ok(samples.into_iter().map(stat).collect())
}

pub(crate) fn fmt_ns(x: f64) -> String {
    if x >= 1_000_000.0 {
        format!("{:.2} ms", x / 1_000_000.0)
    } else if x >= 100_000.0 {
        format!("{:.0} µs", x / 1000.0)
    } else if x >= 10_000.0 {
        format!("{:.1} µs", x / 1000.0)
    } else if x >= 1000.0 {
        format!("{:.2} µs", x / 1000.0)
    } else {
        format!("{x:.0} ns")
    }
}

fn print_table(title: &str, names: &[&str], stats: &[Stat], base: usize, peers: (usize, usize)) {
    println!("\n{title}");
    println!(
        "  {:<44} {:>10} {:>23} {:>10} {:>11} {:>11}",
        "", "median", "min–max", "× hand", "regorus ÷", "zen ÷"
    );
    let med = |i: usize| stats.get(i).map(|s| s.median).unwrap_or(f64::NAN);
    for (name, s) in names.iter().zip(stats) {
        println!(
            "  {:<44} {:>10} {:>23} {:>9.2}× {:>10.1}× {:>10.1}×",
            name,
            fmt_ns(s.median),
            format!("{} – {}", fmt_ns(s.min), fmt_ns(s.max)),
            s.median / med(base),
            med(peers.0) / s.median,
            med(peers.1) / s.median,
        );
    }
}

fn vm_hwm_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

pub(crate) fn run(
    a: &Args,
    rs: &Ruleset,
    vm: &mut regorus::rvm::vm::RegoVM,
    zd: &zen_engine::Decision,
    inp: &Inputs,
) -> Result<(), String> {
    let n = inp.texts.len();
    println!(
        "\n{n} referrals, seed {}, {} interleaved passes; figures per evaluation (median, min–max over passes)",
        a.seed, a.passes
    );
    println!("ratios: × hand = time ÷ hand-written; regorus ÷ and zen ÷ = peer time ÷ this time (how many times faster)");
    let vm = std::cell::RefCell::new(vm);

    // Already-converted facts.
    let names = [
        "hand-written Rust (typed struct)",
        "Thresholds (reasons, missing off)",
        "Thresholds (reasons, missing on)",
        "regorus 0.14 (RVM program)",
        "zen-engine 2.1 (JDM, compiled)",
    ];
    let mut cases: Vec<crate::timings::Case<'_>> = vec![
        (
            names[0],
            Box::new(|| {
                for r in &inp.typed {
                    black_box(native::decide(black_box(r)));
                }
                Ok(())
            }),
        ),
        (
            names[1],
            Box::new(|| {
                for f in &inp.facts {
                    black_box(rs.evaluate(black_box(f), OFF));
                }
                Ok(())
            }),
        ),
        (
            names[2],
            Box::new(|| {
                for f in &inp.facts {
                    black_box(rs.evaluate(black_box(f), ON));
                }
                Ok(())
            }),
        ),
        (
            names[3],
            Box::new(|| {
                let mut vm = vm.borrow_mut();
                for v in &inp.rego {
                    black_box(rego::eval(&mut vm, black_box(v))?);
                }
                Ok(())
            }),
        ),
        (
            names[4],
            Box::new(|| {
                for v in &inp.zen {
                    black_box(zen_eval(zd, black_box(v))?);
                }
                Ok(())
            }),
        ),
    ];
    let s = interleaved(&mut cases, a.passes, n)?;
    drop(cases);
    print_table("already-converted facts → decision", &names, &s, 0, (3, 4));

    // JSON text in, decision JSON text out.
    let names = [
        "hand-written Rust (serde → typed → serde)",
        "Thresholds (reasons, missing off)",
        "Thresholds (reasons, missing on)",
        "regorus 0.14 (RVM program)",
        "zen-engine 2.1 (JDM, compiled)",
    ];
    let mut cases: Vec<crate::timings::Case<'_>> = vec![
        (
            names[0],
            Box::new(|| {
                for t in &inp.texts {
                    black_box(native::json_to_json(black_box(t)).map_err(|e| e.to_string())?);
                }
                Ok(())
            }),
        ),
        (
            names[1],
            Box::new(|| {
                for t in &inp.texts {
                    black_box(
                        rs.evaluate_json_str_with(black_box(t), OFF)
                            .map_err(|e| e.to_string())?,
                    );
                }
                Ok(())
            }),
        ),
        (
            names[2],
            Box::new(|| {
                for t in &inp.texts {
                    black_box(
                        rs.evaluate_json_str_with(black_box(t), ON)
                            .map_err(|e| e.to_string())?,
                    );
                }
                Ok(())
            }),
        ),
        (
            names[3],
            Box::new(|| {
                let mut vm = vm.borrow_mut();
                for t in &inp.texts {
                    black_box(rego::json_to_json(&mut vm, black_box(t))?);
                }
                Ok(())
            }),
        ),
        (
            names[4],
            Box::new(|| {
                for t in &inp.texts {
                    black_box(zen_json_to_json(zd, black_box(t))?);
                }
                Ok(())
            }),
        ),
    ];
    let s = interleaved(&mut cases, a.passes, n)?;
    drop(cases);
    print_table(
        "facts JSON text → decision JSON text",
        &names,
        &s,
        0,
        (3, 4),
    );

    // Load + compile of each rule set.
    let names = [
        "Thresholds (parse, check, compile 6 files)",
        "regorus (parse, compile, RVM codegen)",
        "zen-engine (JDM from JSON, create, compile)",
        "Thresholds, these rules precompiled",
        "Thresholds, the shipped rules precompiled",
    ];
    let reps = 20;
    let image = crate::thresholds_rules()?
        .to_precompiled()
        .map_err(|e| e.to_string())?;
    let shipped = Ruleset::builtin()
        .and_then(|r| r.to_precompiled())
        .map_err(|e| e.to_string())?;
    // Loading, not dropping: the precompiled rule sets loaded are kept until the end (a few
    // hundred), so that freeing them is not timed as part of the load.
    let kept = std::cell::RefCell::new(Vec::new());
    let load = |bytes: &[u8]| -> Result<(), String> {
        let mut kept = kept.borrow_mut();
        for _ in 0..reps {
            kept.push(Ruleset::from_precompiled(black_box(bytes)).map_err(|e| e.to_string())?);
        }
        Ok(())
    };
    let mut cases: Vec<crate::timings::Case<'_>> = vec![
        (
            names[0],
            Box::new(move || {
                for _ in 0..reps {
                    black_box(crate::thresholds_rules()?);
                }
                Ok(())
            }),
        ),
        (
            names[1],
            Box::new(move || {
                for _ in 0..reps {
                    black_box(rego::compile()?);
                }
                Ok(())
            }),
        ),
        (
            names[2],
            Box::new(move || {
                for _ in 0..reps {
                    black_box(zen_decision()?);
                }
                Ok(())
            }),
        ),
        (names[3], Box::new(|| load(&image))),
        (names[4], Box::new(|| load(&shipped))),
    ];
    let s = interleaved(&mut cases, a.passes, reps)?;
    drop(cases);
    drop(kept);
    println!("\nload + compile of the rule set (no hand-written equivalent)");
    let med = |i: usize| s.get(i).map(|x| x.median).unwrap_or(f64::NAN);
    for (name, st) in names.iter().zip(&s) {
        println!(
            "  {:<44} {:>10} {:>23}   {:.2}× Thresholds",
            name,
            fmt_ns(st.median),
            format!("{} – {}", fmt_ns(st.min), fmt_ns(st.max)),
            st.median / med(0),
        );
    }

    Ok(())
}

/// Peak memory (VmHWM) while streaming generated referrals through the JSON entry point; run before
/// anything else is loaded so that the peak is the engine's.
pub(crate) fn stream(a: &Args, rs: &Ruleset) -> Result<(), String> {
    if a.stream == 0 {
        return Ok(());
    }
    let start = vm_hwm_kib();
    let mut rng = workload::Rng::new(a.seed ^ 0x5EED);
    let mut marks = Vec::new();
    let t = Instant::now();
    for i in 1..=a.stream {
        let text = workload::referral(&mut rng).to_string();
        black_box(
            rs.evaluate_json_str_with(&text, OFF)
                .map_err(|e| e.to_string())?,
        );
        if i == a.stream / 10 || i == a.stream {
            marks.push((i, vm_hwm_kib()));
        }
    }
    println!(
        "\npeak memory (VmHWM) streaming {} generated referrals through Thresholds JSON → JSON, reasons and missing off ({:.1} s)",
        a.stream,
        t.elapsed().as_secs_f64()
    );
    println!("  {:<16} {:.1} MiB", "before:", start as f64 / 1024.0);
    for (i, kib) in marks {
        println!(
            "  {:<16} {:.1} MiB",
            format!("after {i}:"),
            kib as f64 / 1024.0
        );
    }
    Ok(())
}
