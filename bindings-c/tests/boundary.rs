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
