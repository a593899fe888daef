//! The boundary: `fallible` and `infallible`, which every export's body goes through, and the one place where C
//! pointers become Rust references, strings and boxes (and back).

use std::ffi::{c_char, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};

use engine::{Error, ErrorKind};

use super::errors::{thr_error, thr_status};

/// The body of an export that cannot fail: `body`'s value, or `default` if it panics.
pub(crate) fn infallible<T>(default: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(default)
}

/// The body of a fallible export, run catching panics: its status, and the error written to
/// `err_out` if asked for. The body writes its out-parameters itself, last, so they are written
/// only on success.
pub(crate) fn fallible(
    err_out: *mut *mut thr_error,
    body: impl FnOnce() -> Result<(), Error>,
) -> thr_status {
    let (status, error) = match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => return thr_status::THR_OK,
        Ok(Err(e)) => (thr_status::from(e.class()), e),
        Err(panic) => (
            thr_status::THR_PANIC,
            Error::recovered_panic(panic.as_ref()),
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
        infallible((), || free(ptr));
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
    infallible(std::ptr::null(), || {
        // SAFETY: guaranteed by the caller.
        let s = unsafe { e.as_ref() }.and_then(get);
        s.map_or(std::ptr::null(), CStr::as_ptr)
    })
}

/// Borrows `len` items at `ptr` (`len` bytes for text). NULL is an error, and so is a length
/// whose bytes would pass `PTRDIFF_MAX`.
///
/// # Safety
/// If `ptr` is not NULL it must point to `len` readable items that stay unchanged for `'a`.
pub(crate) unsafe fn input_slice<'a, T>(
    ptr: *const T,
    len: usize,
    arg: &str,
) -> Result<&'a [T], Error> {
    if ptr.is_null() {
        return Err(Error::null_argument(arg));
    }
    if len > isize::MAX as usize / std::mem::size_of::<T>().max(1) {
        let why = format!("argument `{arg}` has length {len}, larger than PTRDIFF_MAX bytes");
        return Err(Error::invalid_argument(why));
    }
    // SAFETY: non-NULL, `len` items fit `isize` bytes, and the caller guarantees them readable.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// Borrows `(ptr, len)` as UTF-8 text, which is `kind` in errors. NULL is an error even when
/// `len` is 0.
///
/// # Safety
/// As `input_slice`.
pub(crate) unsafe fn input_str<'a>(
    ptr: *const c_char,
    len: usize,
    arg: &str,
    kind: ErrorKind,
) -> Result<&'a str, Error> {
    // SAFETY: guaranteed by the caller.
    let bytes = unsafe { input_slice(ptr.cast::<u8>(), len, arg) }?;
    std::str::from_utf8(bytes).map_err(|e| Error::invalid_utf8(arg, kind, e.valid_up_to()))
}

/// Borrows a handle. NULL is an error.
///
/// # Safety
/// If `ptr` is not NULL it must come from this library and not have been freed.
pub(crate) unsafe fn input_ref<'a, T>(ptr: *const T, arg: &str) -> Result<&'a T, Error> {
    // SAFETY: the caller guarantees a live handle when non-NULL.
    unsafe { ptr.as_ref() }.ok_or_else(|| Error::null_argument(arg))
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
            .ok_or_else(|| Error::null_argument(arg))
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
