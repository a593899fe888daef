//! The boundary: the `ffi_boundary!` macro every export goes through, and the one place where C
//! pointers become Rust references, strings and boxes (and back).

use std::ffi::{c_char, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};

use engine::ErrorKind;

use super::errors::{thr_error, thr_status, Failure};

/// Runs the body of a fallible export: catches panics, turns a `Failure` into a status and, if
/// the caller passed a non-NULL `err`, a `thr_error`. The body returns `Result<(), Failure>` and
/// writes its out-parameters itself, last, so they are written only on success.
/// The call site must have `thr_error`, `Failure` and `finish` in scope.
macro_rules! ffi_boundary {
    (err = $err:expr, $body:block) => {{
        let err_out: *mut *mut thr_error = $err;
        let run = || -> Result<(), Failure> { $body };
        finish(
            ::std::panic::catch_unwind(::std::panic::AssertUnwindSafe(run)),
            err_out,
        )
    }};
    (default = $default:expr, $body:block) => {{
        ::std::panic::catch_unwind(::std::panic::AssertUnwindSafe(|| $body)).unwrap_or($default)
    }};
}
pub(crate) use ffi_boundary;

/// The end of a fallible call: the status, and the error written to `err_out` if asked for.
pub(crate) fn finish(
    result: std::thread::Result<Result<(), Failure>>,
    err_out: *mut *mut thr_error,
) -> thr_status {
    let failure = match result {
        Ok(Ok(())) => return thr_status::THR_OK,
        Ok(Err(f)) => f,
        Err(payload) => Failure::panic(payload.as_ref()),
    };
    let status = failure.status();
    if !err_out.is_null() {
        // Building the error allocates; if even that panics, the status alone is returned.
        if let Ok(e) = catch_unwind(AssertUnwindSafe(|| thr_error::new(failure))) {
            // SAFETY: `err_out` is non-NULL and, by the documented contract, points to writable
            // storage for one `thr_error *`.
            unsafe { err_out.write(Box::into_raw(Box::new(e))) };
        }
    }
    status
}

/// Borrows `(ptr, len)` as UTF-8 text. NULL is an error even when `len` is 0.
///
/// # Safety
/// If `ptr` is not NULL it must point to `len` readable bytes that stay unchanged for `'a`.
pub(crate) unsafe fn input_str<'a>(
    ptr: *const c_char,
    len: usize,
    arg: &str,
    kind: ErrorKind,
) -> Result<&'a str, Failure> {
    // SAFETY: guaranteed by the caller.
    let bytes = unsafe { input_bytes(ptr.cast::<u8>(), len, arg) }?;
    std::str::from_utf8(bytes).map_err(|e| Failure::utf8(arg, kind, e))
}

/// Borrows the facts text and the request text of an evaluation with a request.
///
/// # Safety
/// As `input_str`, for both.
pub(crate) unsafe fn facts_and_request<'a>(
    facts: *const c_char,
    facts_len: usize,
    request: *const c_char,
    request_len: usize,
) -> Result<(&'a str, &'a str), Failure> {
    // SAFETY: guaranteed by the caller.
    let facts = unsafe { input_str(facts, facts_len, "facts_json", ErrorKind::Facts) }?;
    // SAFETY: guaranteed by the caller.
    let request = unsafe { input_str(request, request_len, "request_json", ErrorKind::Request) }?;
    Ok((facts, request))
}

/// Borrows `len` bytes at `ptr`. NULL is an error.
///
/// # Safety
/// If `ptr` is not NULL it must point to `len` readable bytes.
pub(crate) unsafe fn input_bytes<'a>(
    ptr: *const u8,
    len: usize,
    arg: &str,
) -> Result<&'a [u8], Failure> {
    if ptr.is_null() {
        return Err(Failure::null(arg));
    }
    if len > isize::MAX as usize {
        return Err(Failure::invalid_argument(format!(
            "argument `{arg}` has length {len}, larger than PTRDIFF_MAX"
        )));
    }
    // SAFETY: non-NULL, `len` fits `isize`, and the caller guarantees `len` readable bytes.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// Borrows a handle. NULL is an error.
///
/// # Safety
/// If `ptr` is not NULL it must come from this library and not have been freed.
pub(crate) unsafe fn input_ref<'a, T>(ptr: *const T, arg: &str) -> Result<&'a T, Failure> {
    // SAFETY: the caller guarantees a live handle when non-NULL.
    unsafe { ptr.as_ref() }.ok_or_else(|| Failure::null(arg))
}

/// Checks an out-parameter before any work is done, so that a NULL one costs nothing.
pub(crate) fn check_out<T>(ptr: *mut *mut T, arg: &str) -> Result<(), Failure> {
    if ptr.is_null() {
        Err(Failure::null(arg))
    } else {
        Ok(())
    }
}

/// Writes an out-parameter (checked non-NULL by `check_out` first).
///
/// # Safety
/// `ptr` must be non-NULL and point to writable storage for one `*mut T`.
pub(crate) unsafe fn write_out<T>(ptr: *mut *mut T, value: *mut T) {
    // SAFETY: guaranteed by the caller.
    unsafe { ptr.write(value) };
}

/// Text for C: NUL-terminated. Engine output is JSON (which escapes NUL as `\u0000`) or a message;
/// an interior NUL in a message, which C could not represent, becomes U+FFFD.
pub(crate) fn c_string(s: String) -> CString {
    match CString::new(s) {
        Ok(c) => c,
        Err(e) => {
            let fixed = String::from_utf8_lossy(&e.into_vec()).replace('\0', "\u{FFFD}");
            CString::new(fixed).unwrap_or_default()
        }
    }
}

/// A caller-owned output string, released by `thr_string_free`.
pub(crate) fn owned_string(s: String) -> *mut c_char {
    c_string(s).into_raw()
}
