//! The C ABI entry points with arbitrary bytes: rules and facts that need not be UTF-8, NULL
//! pointers, zero and mismatched counts. Every call returns a documented status; an error reads
//! back through every accessor; a decision is byte-identical to the core's; nothing panics
//! (the library turns a panic into `THR_PANIC`, which fails here).
#![no_main]

use std::ffi::{c_char, CStr};
use std::ptr;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use thresholds_c::{
    thr_error, thr_error_code, thr_error_diagnostic_code, thr_error_diagnostic_count,
    thr_error_diagnostic_message, thr_error_diagnostic_severity, thr_error_free, thr_error_json,
    thr_error_message, thr_error_status, thr_limits_default, thr_ruleset, thr_ruleset_compile,
    thr_ruleset_compile_files, thr_ruleset_default, thr_ruleset_evaluate_json,
    thr_ruleset_facts_json, thr_ruleset_free, thr_source, thr_status, thr_string_free,
};

/// The shipped rule set through the C ABI, built once.
struct Shipped(*mut thr_ruleset);
// SAFETY: a `thr_ruleset` may be used from any thread (documented in the header).
unsafe impl Send for Shipped {}
// SAFETY: as above.
unsafe impl Sync for Shipped {}

fn shipped() -> *const thr_ruleset {
    static RS: OnceLock<Shipped> = OnceLock::new();
    RS.get_or_init(|| {
        let mut rs = ptr::null_mut();
        // SAFETY: valid out-pointers.
        let st = unsafe { thr_ruleset_default(&mut rs, ptr::null_mut()) };
        assert_eq!(st, thr_status::THR_OK);
        Shipped(rs)
    })
    .0
}

/// The shipped rule set in the core, for comparison.
fn core_shipped() -> &'static thresholds::Ruleset {
    static RS: OnceLock<thresholds::Ruleset> = OnceLock::new();
    RS.get_or_init(|| thresholds::Ruleset::builtin().expect("the shipped rules check"))
}

fn text(p: *const c_char) -> String {
    assert!(!p.is_null());
    // SAFETY: the library returns NUL-terminated strings that live as long as their owner.
    let s = unsafe { CStr::from_ptr(p) };
    s.to_str().expect("the library returns UTF-8").to_string()
}

/// Reads an error through every accessor, checks it and frees it.
fn read_error(st: thr_status, e: *mut thr_error) {
    assert!(
        !matches!(st, thr_status::THR_PANIC | thr_status::THR_INTERNAL),
        "internal error: {}",
        // SAFETY: `e` came from the call that returned `st`.
        text(unsafe { thr_error_json(e) })
    );
    assert!(!e.is_null(), "a failing call writes its error");
    // SAFETY: `e` is a live error from the library.
    unsafe {
        assert_eq!(thr_error_status(e), st);
        let code = text(thr_error_code(e));
        assert!(code.starts_with("thr::"), "{code}");
        assert!(!text(thr_error_message(e)).is_empty());
        let json: serde_json::Value =
            serde_json::from_str(&text(thr_error_json(e))).expect("error JSON");
        assert_eq!(json["code"], code.as_str());
        let n = thr_error_diagnostic_count(e);
        for i in 0..=n {
            let (c, s, m) = (
                thr_error_diagnostic_code(e, i),
                thr_error_diagnostic_severity(e, i),
                thr_error_diagnostic_message(e, i),
            );
            if i < n {
                assert!(text(c).starts_with("thr::"));
                assert!(matches!(text(s).as_str(), "error" | "warning"));
                let _ = text(m);
            } else {
                // Past the end: NULL, not a read out of bounds.
                assert!(c.is_null() && s.is_null() && m.is_null());
            }
        }
        thr_error_free(e);
    }
}

/// Evaluates `facts` (any bytes) on `rs` and compares with the core when they are UTF-8.
fn evaluate(rs: *const thr_ruleset, facts: &[u8], core: Option<&thresholds::Ruleset>) {
    let (mut out, mut err) = (ptr::null_mut(), ptr::null_mut());
    // SAFETY: `facts` is readable for its length; the out-pointers are valid.
    let st = unsafe {
        thr_ruleset_evaluate_json(rs, facts.as_ptr().cast(), facts.len(), &mut out, &mut err)
    };
    let expected = std::str::from_utf8(facts)
        .ok()
        .zip(core)
        .map(|(f, core)| core.evaluate_json_str(f));
    if st == thr_status::THR_OK {
        let got = text(out);
        // SAFETY: `out` is a string from the library, freed once.
        unsafe { thr_string_free(out) };
        if let Some(expected) = expected {
            assert_eq!(Some(got), expected.ok(), "C and core disagree");
        }
    } else {
        if std::str::from_utf8(facts).is_err() {
            assert_eq!(st, thr_status::THR_INVALID_UTF8);
        } else if let Some(expected) = expected {
            assert!(expected.is_err(), "the core evaluates what C rejects");
        }
        read_error(st, err);
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    // Rules and facts, split at the first NUL.
    let (rules, facts) = match rest.iter().position(|b| *b == 0) {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, &b"{}"[..]),
    };
    match mode % 4 {
        // The shipped rules, with the whole input as facts.
        0 => evaluate(shipped(), rest, Some(core_shipped())),
        1 => {
            let (mut rs, mut err) = (ptr::null_mut(), ptr::null_mut());
            // SAFETY: `rules` is readable for its length; the out-pointers are valid.
            let st = unsafe {
                thr_ruleset_compile(rules.as_ptr().cast(), rules.len(), &mut rs, &mut err)
            };
            if st == thr_status::THR_OK {
                let core = std::str::from_utf8(rules)
                    .ok()
                    .and_then(|t| thresholds::Ruleset::from_source("inline.thr", t).ok());
                evaluate(rs, facts, core.as_ref());
                let (mut out, mut err) = (ptr::null_mut(), ptr::null_mut());
                // SAFETY: `rs` is live; valid out-pointers.
                let st = unsafe { thr_ruleset_facts_json(rs, &mut out, &mut err) };
                assert_eq!(st, thr_status::THR_OK);
                // SAFETY: freed once each.
                unsafe {
                    thr_string_free(out);
                    thr_ruleset_free(rs);
                }
            } else {
                assert!(rs.is_null(), "no ruleset on failure");
                read_error(st, err);
            }
        }
        2 => {
            // Two files, split again at the first newline, with limits from the input.
            let (a, b) = rules.split_at(rules.iter().position(|c| *c == b'\n').unwrap_or(0));
            let files = [
                thr_source {
                    name: c"a.thr".as_ptr(),
                    name_len: 5,
                    text: a.as_ptr().cast(),
                    text_len: a.len(),
                },
                thr_source {
                    name: c"b.thr".as_ptr(),
                    name_len: 5,
                    text: b.as_ptr().cast(),
                    text_len: b.len(),
                },
            ];
            let mut limits = thr_limits_default();
            limits.max_relevance_nodes = facts.len() * 64;
            limits.max_depth = facts.first().map_or(64, |d| *d as usize);
            let (mut rs, mut err) = (ptr::null_mut(), ptr::null_mut());
            // SAFETY: `files` holds two valid entries; the out-pointers are valid.
            let st =
                unsafe { thr_ruleset_compile_files(files.as_ptr(), 2, &limits, &mut rs, &mut err) };
            if st == thr_status::THR_OK {
                evaluate(rs, facts, None);
                // SAFETY: freed once.
                unsafe { thr_ruleset_free(rs) };
            } else {
                read_error(st, err);
            }
        }
        _ => {
            // NULL and zero arguments: coded errors, never a crash.
            let (mut rs, mut err) = (ptr::null_mut(), ptr::null_mut());
            // SAFETY: NULL inputs are documented as errors; the out-pointers are valid.
            unsafe {
                let st = thr_ruleset_compile(ptr::null(), rules.len(), &mut rs, &mut err);
                assert_eq!(st, thr_status::THR_NULL_ARGUMENT);
                read_error(st, err);
                let mut err = ptr::null_mut();
                let st = thr_ruleset_compile_files(ptr::null(), 1, ptr::null(), &mut rs, &mut err);
                assert_eq!(st, thr_status::THR_NULL_ARGUMENT);
                read_error(st, err);
                let mut err = ptr::null_mut();
                let files = [thr_source {
                    name: ptr::null(),
                    name_len: 0,
                    text: ptr::null(),
                    text_len: 0,
                }];
                let st =
                    thr_ruleset_compile_files(files.as_ptr(), 0, ptr::null(), &mut rs, &mut err);
                assert_eq!(st, thr_status::THR_INVALID_ARGUMENT);
                read_error(st, err);
                let mut err = ptr::null_mut();
                let mut out = ptr::null_mut();
                let st = thr_ruleset_evaluate_json(
                    ptr::null(),
                    facts.as_ptr().cast(),
                    facts.len(),
                    &mut out,
                    &mut err,
                );
                assert_eq!(st, thr_status::THR_NULL_ARGUMENT);
                read_error(st, err);
                // Without an error out-pointer, the status alone.
                let st =
                    thr_ruleset_evaluate_json(shipped(), ptr::null(), 3, &mut out, ptr::null_mut());
                assert_eq!(st, thr_status::THR_NULL_ARGUMENT);
            }
        }
    }
});
