//! Overhead of the C entry point (`thr_ruleset_evaluate_json` + `thr_string_free`, called
//! through `extern "C"` function pointers exactly as a C host calls them) over the Rust JSON entry
//! point (`Ruleset::evaluate_json_str`), on the same ruleset and facts, in the same run.
//!
//! `cargo bench -p thresholds-c --bench overhead` (THR_BENCH_ROUNDS=N to change the rounds).
//! The two are timed in alternating rounds and the median per-call time of each is compared.

// The library is a cdylib + staticlib (no rlib), so its source is compiled into this binary.
#[path = "../src/lib.rs"]
#[allow(dead_code, reason = "only the evaluate path is timed")]
#[allow(
    unused_imports,
    reason = "the library's unit tests are not run from here"
)]
mod thr;

use std::ffi::c_char;
use std::hint::black_box;
use std::time::Instant;

use thr::{thr_error, thr_ruleset, thr_status};

type EvalFn = unsafe extern "C" fn(
    *const thr_ruleset,
    *const c_char,
    usize,
    *mut *mut c_char,
    *mut *mut thr_error,
) -> thr_status;
type FreeFn = unsafe extern "C" fn(*mut c_char);

const CASES: &[(&str, &str)] = &[
    ("empty facts (provisional, every question)", "{}"),
    (
        "immediate danger at 9",
        r#"{"immediate_danger": true, "age_years": 9}"#,
    ),
    (
        "12-year-old, one low CSE indicator",
        r#"{"age_years": 12, "cse_indicators": ["late_nights"], "immediate_danger": false, "sexual_activity": "none", "school_attendance": "good"}"#,
    ),
];

fn main() {
    let rounds: usize = std::env::var("THR_BENCH_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(15);
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let path = format!("{root}/rules/examples/tour/tour.thr");
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let rules = match engine::Ruleset::from_source("tour.thr", &text) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{path}: {e}");
            std::process::exit(1);
        }
    };
    let mut handle: *mut thr_ruleset = std::ptr::null_mut();
    // SAFETY: valid (ptr, len) text and a writable out-parameter.
    let status = unsafe {
        thr::thr_ruleset_compile(
            text.as_ptr().cast(),
            text.len(),
            &mut handle,
            std::ptr::null_mut(),
        )
    };
    if status != thr_status::THR_OK {
        eprintln!("compile failed: {status:?}");
        std::process::exit(1);
    }
    let eval: EvalFn = black_box(thr::thr_ruleset_evaluate_json);
    let free: FreeFn = black_box(thr::thr_string_free);

    println!("C ABI vs Rust evaluate_json_str, rules/examples/tour, median of {rounds} rounds");
    let mut worst: f64 = 0.0;
    for (name, facts) in CASES {
        // Same output, or the comparison is meaningless.
        let want = rules.evaluate_json_str(facts).unwrap_or_default();
        let mut out: *mut c_char = std::ptr::null_mut();
        // SAFETY: live handle, valid (ptr, len), writable out-parameter.
        let st = unsafe {
            eval(
                handle,
                facts.as_ptr().cast(),
                facts.len(),
                &mut out,
                std::ptr::null_mut(),
            )
        };
        // SAFETY: `out` is a NUL-terminated string from the library on success.
        let got = if st == thr_status::THR_OK {
            // SAFETY: on success `out` is a NUL-terminated string from the library.
            let text = unsafe { std::ffi::CStr::from_ptr(out) };
            Some(text.to_string_lossy().into_owned())
        } else {
            None
        };
        // SAFETY: from the library, freed once.
        unsafe { free(out) };
        if got.as_deref() != Some(want.as_str()) {
            eprintln!("{name}: the C entry point's output differs from the Rust one");
            std::process::exit(1);
        }

        // Calibrate: enough iterations for about 20 ms a round.
        let t = Instant::now();
        let mut calib = 0u32;
        while t.elapsed().as_millis() < 20 {
            black_box(rules.evaluate_json_str(black_box(facts)).ok());
            calib += 1;
        }
        let iters = calib.max(10);
        let (mut rust, mut c) = (Vec::new(), Vec::new());
        for _ in 0..rounds {
            let t = Instant::now();
            for _ in 0..iters {
                black_box(rules.evaluate_json_str(black_box(facts)).ok());
            }
            rust.push(t.elapsed().as_nanos() as f64 / f64::from(iters));
            let t = Instant::now();
            for _ in 0..iters {
                let mut out: *mut c_char = std::ptr::null_mut();
                // SAFETY: as above; the string is freed right away.
                unsafe {
                    black_box(eval(
                        handle,
                        black_box(facts).as_ptr().cast(),
                        facts.len(),
                        &mut out,
                        std::ptr::null_mut(),
                    ));
                    free(black_box(out));
                }
            }
            c.push(t.elapsed().as_nanos() as f64 / f64::from(iters));
        }
        let (r, cc) = (median(&mut rust), median(&mut c));
        let overhead = (cc - r) / r * 100.0;
        worst = worst.max(overhead);
        println!("  {name:<45} rust {r:>9.0} ns   c {cc:>9.0} ns   overhead {overhead:+5.1}%");
    }
    // SAFETY: from the library, freed once.
    unsafe { thr::thr_ruleset_free(handle) };
    println!("worst overhead: {worst:+.1}% (target <= 10%)");
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}
