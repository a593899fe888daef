//! Rust-side checks of the C ABI that need only its public items (the C suite,
//! `tests/test_abi.c`, covers the rest).

use std::ffi::CStr;

use thresholds::{thr_version, THR_VERSION_MAJOR, THR_VERSION_MINOR, THR_VERSION_PATCH};

#[test]
fn version_constants_match_the_package() {
    let v = format!("{THR_VERSION_MAJOR}.{THR_VERSION_MINOR}.{THR_VERSION_PATCH}");
    assert_eq!(v, env!("CARGO_PKG_VERSION"));
    // SAFETY: a static NUL-terminated string.
    let s = unsafe { CStr::from_ptr(thr_version()) };
    assert_eq!(s.to_str().unwrap(), v);
}

#[test]
fn a_nul_inside_returned_text_comes_back_as_u_fffd() {
    use std::ptr::null_mut;
    use thresholds::{thr_decision_summary_text, thr_ruleset_default, thr_ruleset_free};
    use thresholds::{thr_status, thr_string_free};
    let (mut rs, mut out) = (null_mut(), null_mut());
    let request = r#"{"escalation": {"level": "acute", "reason": "seen a\u0000b"}}"#;
    // SAFETY: valid pointers and lengths; each result is freed once.
    unsafe {
        assert_eq!(thr_ruleset_default(&mut rs, null_mut()), thr_status::THR_OK);
        let (facts, req) = ("{}", request);
        let st = thr_decision_summary_text(
            rs,
            facts.as_ptr().cast(),
            facts.len(),
            req.as_ptr().cast(),
            req.len(),
            &mut out,
            null_mut(),
        );
        assert_eq!(st, thr_status::THR_OK);
        let text = CStr::from_ptr(out).to_str().unwrap().to_string();
        assert!(text.contains("seen a\u{FFFD}b"), "{text}");
        thr_string_free(out);
        thr_ruleset_free(rs);
    }
}
