//! The boundary: the `ffi_boundary!` macro every export goes through, and the one place where C
//! pointers become Rust references, strings and boxes (and back).

use std::ffi::{c_char, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};

use engine::{Error, ErrorKind};

use super::errors::{self, thr_error, thr_status};

/// Runs the body of an export, catching panics.
///
/// `err = ...`: a fallible export (through `fallible`, which the call site must have in scope).
/// The body returns `Result<(), engine::Error>` and writes its out-parameters itself, last, so
/// they are written only on success.
///
/// `default = ...`: an export that cannot fail; a panic returns the default.
macro_rules! ffi_boundary {
    (err = $err:expr, $body:block) => {
        fallible($err, || $body)
    };
    (default = $default:expr, $body:block) => {
        ::std::panic::catch_unwind(::std::panic::AssertUnwindSafe(|| $body)).unwrap_or($default)
    };
}
pub(crate) use ffi_boundary;

/// The end of a fallible call: its status, and the error written to `err_out` if asked for.
pub(crate) fn fallible(
    err_out: *mut *mut thr_error,
    body: impl FnOnce() -> Result<(), Error>,
) -> thr_status {
    let (status, error) = match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => return thr_status::THR_OK,
        Ok(Err(e)) => (thr_status::from(e.class()), e),
        Err(payload) => (
            thr_status::THR_PANIC,
            errors::recovered_panic(payload.as_ref()),
        ),
    };
    if !err_out.is_null() {
        // Building the error allocates; if even that panics, the status alone is returned.
        if let Ok(e) = catch_unwind(AssertUnwindSafe(|| thr_error::new(status, &error))) {
            // SAFETY: `err_out` is non-NULL and, by the documented contract, points to writable
            // storage for one `thr_error *`.
            unsafe { err_out.write(Box::into_raw(Box::new(e))) };
        }
    }
    status
}

/// The body of every `_free` export: releases `ptr` with `free` unless it is NULL.
pub(crate) fn release<T: ?Sized>(ptr: *mut T, free: impl FnOnce(*mut T)) {
    if !ptr.is_null() {
        ffi_boundary!(default = (), { free(ptr) });
    }
}

/// A string owned by the error `e`, for the `thr_error_*` accessors: NULL if `e` is NULL or
/// `get` finds no such string.
///
/// # Safety
/// `e` must be NULL or a live error.
pub(crate) unsafe fn error_str(
    e: *const thr_error,
    get: impl FnOnce(&thr_error) -> Option<&CStr>,
) -> *const c_char {
    ffi_boundary!(default = std::ptr::null(), {
        // SAFETY: guaranteed by the caller.
        let s = unsafe { e.as_ref() }.and_then(get);
        s.map_or(std::ptr::null(), CStr::as_ptr)
    })
}

/// Borrows `len` bytes at `ptr`. NULL is an error.
///
/// # Safety
/// If `ptr` is not NULL it must point to `len` readable bytes that stay unchanged for `'a`.
pub(crate) unsafe fn input_bytes<'a>(
    ptr: *const u8,
    len: usize,
    arg: &str,
) -> Result<&'a [u8], Error> {
    if ptr.is_null() {
        return Err(errors::null(arg));
    }
    if len > isize::MAX as usize {
        let why = format!("argument `{arg}` has length {len}, larger than PTRDIFF_MAX");
        return Err(errors::invalid_argument(why));
    }
    // SAFETY: non-NULL, `len` fits `isize`, and the caller guarantees `len` readable bytes.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// Borrows `(ptr, len)` as UTF-8 text, which is `kind` in errors. NULL is an error even when
/// `len` is 0.
///
/// # Safety
/// As `input_bytes`.
pub(crate) unsafe fn input_str<'a>(
    ptr: *const c_char,
    len: usize,
    arg: &str,
    kind: ErrorKind,
) -> Result<&'a str, Error> {
    // SAFETY: guaranteed by the caller.
    let bytes = unsafe { input_bytes(ptr.cast::<u8>(), len, arg) }?;
    std::str::from_utf8(bytes).map_err(|e| errors::invalid_utf8(arg, kind, e))
}

/// Borrows a handle. NULL is an error.
///
/// # Safety
/// If `ptr` is not NULL it must come from this library and not have been freed.
pub(crate) unsafe fn input_ref<'a, T>(ptr: *const T, arg: &str) -> Result<&'a T, Error> {
    // SAFETY: the caller guarantees a live handle when non-NULL.
    unsafe { ptr.as_ref() }.ok_or_else(|| errors::null(arg))
}

/// An out-parameter: checked non-NULL before any work is done (so that a NULL one costs
/// nothing), and written last, once the work has succeeded.
pub(crate) struct Out<T>(*mut T);

impl<T> Out<T> {
    /// Checks the out-parameter `ptr`, named `arg` in the error if it is NULL.
    ///
    /// # Safety
    /// `ptr` must be NULL or point to writable storage for one `T`.
    pub(crate) unsafe fn new(ptr: *mut T, arg: &str) -> Result<Out<T>, Error> {
        (!ptr.is_null())
            .then_some(Out(ptr))
            .ok_or_else(|| errors::null(arg))
    }

    /// Writes `value`: the last step of a successful call (hence the `Ok`).
    pub(crate) fn write(self, value: T) -> Result<(), Error> {
        // SAFETY: non-NULL, and writable as `new`'s caller guaranteed.
        unsafe { self.0.write(value) };
        Ok(())
    }
}

impl Out<*mut c_char> {
    /// Writes `s` as a caller-owned string, released by `thr_string_free`.
    pub(crate) fn write_string(self, s: String) -> Result<(), Error> {
        self.write(c_string(s).into_raw())
    }
}

/// Text for C: NUL-terminated. Engine output is JSON (which escapes NUL as `\u0000`) or a message;
/// an interior NUL in a message, which C could not represent, becomes U+FFFD.
pub(crate) fn c_string(s: impl Into<Vec<u8>>) -> CString {
    CString::new(s).unwrap_or_else(|e| {
        let fixed = String::from_utf8_lossy(&e.into_vec()).replace('\0', "\u{FFFD}");
        CString::new(fixed).unwrap_or_default()
    })
}
