//! The C ABI of the thresholds rules engine: `libthresholds.so` / `libthresholds.a` and
//! `include/thresholds.h` (generated from this file by cbindgen; see `cbindgen.toml`).
//!
//! Conventions (the same for every function; the header says them to C users):
//! inputs are `(pointer, length)` UTF-8, outputs are NUL-terminated and owned by the caller,
//! out-parameters are written only on success, `*err` only on failure, every export that could
//! panic goes through `fallible` or `infallible` (panics become `THR_PANIC`), and every `_free`
//! accepts NULL.
#![deny(missing_docs)]

mod convert;
mod errors;

use std::ffi::{c_char, CString};

use engine::{ErrorKind as Kind, Limits, Ruleset};

use convert::{error_str, fallible, input_ref, input_slice, input_str, release, Out};
pub use errors::{thr_error, thr_status};

/// The ABI version. It changes only when a change breaks binaries built against an older
/// header (a removed function, a changed signature or struct layout); compare it with
/// `thr_abi_version()` at start-up.
pub const THR_ABI_VERSION: u32 = 1;
/// Major version of the library (as in `thr_version()`).
pub const THR_VERSION_MAJOR: u32 = 0;
/// Minor version of the library.
pub const THR_VERSION_MINOR: u32 = 1;
/// Patch version of the library.
pub const THR_VERSION_PATCH: u32 = 0;

/// A checked and compiled rule set. Immutable once built: any number of threads may call
/// `thr_ruleset_evaluate_json` (and the other `const thr_ruleset *` functions) on one ruleset at
/// the same time, without locking. Create it with `thr_ruleset_default`, `thr_ruleset_compile` or
/// `thr_ruleset_compile_files`; release it with `thr_ruleset_free` once no thread uses it.
#[derive(Debug)]
#[expect(non_camel_case_types, reason = "the C name is the ABI contract")]
pub struct thr_ruleset(Ruleset);

/// One rule file for `thr_ruleset_compile_files`: its name (used in error locations and to order
/// the files) and its text, each as (pointer, length) UTF-8. The library copies both.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct thr_source {
    /// File name, e.g. `"10-facts.thr"`. Not NUL-terminated necessarily; `name_len` bytes.
    pub name: *const c_char,
    /// Length of `name` in bytes.
    pub name_len: usize,
    /// Rule text, `text_len` bytes.
    pub text: *const c_char,
    /// Length of `text` in bytes.
    pub text_len: usize,
}

fn new_ruleset(rules: Ruleset) -> *mut thr_ruleset {
    Box::into_raw(Box::new(thr_ruleset(rules)))
}

// ---------------------------------------------------------------------------------------------
// Version

/// The library version, e.g. `"0.1.0"`: a static NUL-terminated string; do not free it.
#[no_mangle]
pub extern "C" fn thr_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// The ABI version of the loaded library. A program built against this header should check
/// `thr_abi_version() == THR_ABI_VERSION` at start-up.
#[no_mangle]
pub extern "C" fn thr_abi_version() -> u32 {
    THR_ABI_VERSION
}

/// The default limits (the same the other functions use when none are given): change the
/// fields you need and pass them to `thr_ruleset_compile_files`. Exceeding a limit is an error
/// with a `THR_*_LIMIT` status, never a crash.
#[no_mangle]
pub extern "C" fn thr_limits_default() -> Limits {
    Limits::default()
}

// ---------------------------------------------------------------------------------------------
// Rulesets

/// Builds the shipped rule set (the partnership's threshold of need, embedded in the library).
///
/// On success writes a new ruleset to `*out` (free it with `thr_ruleset_free`) and returns
/// `THR_OK`. On failure returns the status and, if `err` is not NULL, writes an error to `*err`.
///
/// # Safety
/// `out` must point to writable storage for one pointer; `err` must be NULL or do the same.
#[no_mangle]
pub unsafe extern "C" fn thr_ruleset_default(
    out: *mut *mut thr_ruleset,
    err: *mut *mut thr_error,
) -> thr_status {
    fallible(err, || {
        // SAFETY: the caller guarantees `out` is writable.
        let out = unsafe { Out::new(out, "out") }?;
        out.write(new_ruleset(Ruleset::builtin()?))
    })
}

/// Parses, checks and compiles one rule file (`src_len` bytes of UTF-8 at `src`; no NUL needed).
/// The file is named `inline.thr` in error locations. Use `thr_ruleset_compile_files` for a rule
/// set split over several files, or to set limits.
///
/// On success writes a new ruleset to `*out` and returns `THR_OK`. Rule errors return
/// `THR_RULES_SYNTAX`, `THR_RULES_INVALID` or `THR_RULES_LIMIT`; the error (if `err` is not NULL)
/// lists every problem with its code, file, line and column.
///
/// # Safety
/// `src` must be NULL or point to `src_len` readable bytes; `out` must point to writable storage
/// for one pointer; `err` must be NULL or the same.
#[no_mangle]
pub unsafe extern "C" fn thr_ruleset_compile(
    src: *const c_char,
    src_len: usize,
    out: *mut *mut thr_ruleset,
    err: *mut *mut thr_error,
) -> thr_status {
    fallible(err, || {
        // SAFETY: the caller guarantees `out` is writable.
        let out = unsafe { Out::new(out, "out") }?;
        // SAFETY: the caller guarantees `src_len` readable bytes at a non-NULL `src`.
        let text = unsafe { input_str(src, src_len, "src", Kind::Rules) }?;
        out.write(new_ruleset(Ruleset::from_source("inline.thr", text)?))
    })
}

/// Builds one rule set from `count` rule files (at least one). The files are ordered by name, so
/// the result does not depend on the order given. `limits` may be NULL for the defaults
/// (`thr_limits_default()`).
///
/// Returns as `thr_ruleset_compile`; also `THR_INVALID_ARGUMENT` when `count` is 0, and
/// `THR_NULL_ARGUMENT` when `files`, or a name or text in it, is NULL.
///
/// # Safety
/// `files` must be NULL or point to `count` readable `thr_source`s whose pointers are valid for
/// their lengths; `limits` must be NULL or point to a `thr_limits`; `out` must point to writable
/// storage for one pointer; `err` must be NULL or the same.
#[no_mangle]
pub unsafe extern "C" fn thr_ruleset_compile_files(
    files: *const thr_source,
    count: usize,
    limits: *const Limits,
    out: *mut *mut thr_ruleset,
    err: *mut *mut thr_error,
) -> thr_status {
    fallible(err, || {
        // SAFETY: the caller guarantees `out` is writable.
        let out = unsafe { Out::new(out, "out") }?;
        // SAFETY: the caller guarantees `count` readable entries at a non-NULL `files`.
        let sources = unsafe { input_slice(files, count, "files") }?;
        if count == 0 {
            let why = "argument `count` is 0; a rule set needs at least one file";
            return Err(engine::Error::invalid_argument(why));
        }
        let mut owned = Vec::with_capacity(count);
        for (i, s) in sources.iter().enumerate() {
            let arg = |field| format!("files[{i}].{field}");
            // SAFETY: the caller guarantees each pointer is valid for its length.
            let name = unsafe { input_str(s.name, s.name_len, &arg("name"), Kind::Rules) }?;
            // SAFETY: as above.
            let text = unsafe { input_str(s.text, s.text_len, &arg("text"), Kind::Rules) }?;
            owned.push((name.to_string(), text.to_string()));
        }
        // SAFETY: the caller guarantees `limits` is NULL or points to a `thr_limits`.
        let limits = unsafe { limits.as_ref() }.copied().unwrap_or_default();
        let rules = Ruleset::from_sources_with_limits(owned, limits)?;
        out.write(new_ruleset(rules))
    })
}

/// Evaluates facts: `facts_len` bytes of UTF-8 JSON at `facts_json` (an object such as
/// `{"age_years": 14, "immediate_danger": false}`; absent or `null` facts are unknown; no NUL
/// needed). On success writes the decision JSON to `*decision_json_out` (NUL-terminated, compact,
/// byte-identical to every other binding; free it with `thr_string_free`) and returns `THR_OK`.
///
/// The decision has `level`, `pathways` (most urgent first), `exploitation`, `status`
/// (`complete` or `provisional`), `missing` (unknown facts that could change the decision, each
/// with its question and `changes`: `{"level": bool, "pathways": [...]}`, what answering it could
/// change), `reasons` and `ruleset` (name, version, hash). A provisional decision also has
/// `could_reach`: the highest level the missing facts could still lead to (`level` is then the
/// lowest, "at least").
///
/// Bad facts return `THR_FACTS_INVALID_JSON`, `THR_FACTS_INVALID` (every problem is listed, each
/// naming its fact) or `THR_FACTS_LIMIT`; nothing is evaluated then.
///
/// Thread safety: may be called from any number of threads on the same `rs` at once.
///
/// # Safety
/// `rs` must be NULL or a live ruleset; `facts_json` must be NULL or point to `facts_len`
/// readable bytes; `decision_json_out` must point to writable storage for one pointer; `err` must
/// be NULL or the same.
#[no_mangle]
pub unsafe extern "C" fn thr_ruleset_evaluate_json(
    rs: *const thr_ruleset,
    facts_json: *const c_char,
    facts_len: usize,
    decision_json_out: *mut *mut c_char,
    err: *mut *mut thr_error,
) -> thr_status {
    fallible(err, || {
        // SAFETY: the caller guarantees a live ruleset when non-NULL.
        let rs = unsafe { input_ref(rs, "rs") }?;
        // SAFETY: the caller guarantees `decision_json_out` is writable.
        let out = unsafe { Out::new(decision_json_out, "decision_json_out") }?;
        // SAFETY: the caller guarantees `facts_len` readable bytes at a non-NULL `facts_json`.
        let facts = unsafe { input_str(facts_json, facts_len, "facts_json", Kind::Facts) }?;
        out.write_string(rs.0.evaluate_json_str(facts)?)
    })
}

/// As `thr_ruleset_evaluate_json`, with a request: `request_len` bytes of UTF-8 JSON at
/// `request_json`, an object with any of `"reasons"` and `"missing"` (booleans, default true),
/// `"escalation"`: `{"level": "<level id>", "reason": "<the practitioner's reason>"}`,
/// `"questions"` (the ranked open questions), `"answered"` (question ids) and `"summary"` (the
/// practitioner's summary; needs the reasons), both booleans default false.
///
/// An escalation never lowers the level. Above the level the rules decide, the decision takes
/// the escalated level, that level's pathways (in urgency order) and the pathways of the rules
/// that read the level; either way the decision records it as `"escalation": {"level",
/// "reason", "from", "raised"}`. A malformed request (unknown key, unknown level, empty reason)
/// returns `THR_INVALID_ARGUMENT` with code `thr::request::invalid`; otherwise as
/// `thr_ruleset_evaluate_json`.
///
/// # Safety
/// As `thr_ruleset_evaluate_json`; `request_json` must be NULL or point to `request_len`
/// readable bytes.
#[no_mangle]
pub unsafe extern "C" fn thr_ruleset_evaluate_json_with(
    rs: *const thr_ruleset,
    facts_json: *const c_char,
    facts_len: usize,
    request_json: *const c_char,
    request_len: usize,
    decision_json_out: *mut *mut c_char,
    err: *mut *mut thr_error,
) -> thr_status {
    fallible(err, || {
        // SAFETY: the caller guarantees a live ruleset when non-NULL.
        let rs = unsafe { input_ref(rs, "rs") }?;
        // SAFETY: the caller guarantees `decision_json_out` is writable.
        let out = unsafe { Out::new(decision_json_out, "decision_json_out") }?;
        // SAFETY: the caller guarantees each length's readable bytes at its non-NULL pointer.
        let facts = unsafe { input_str(facts_json, facts_len, "facts_json", Kind::Facts) }?;
        // SAFETY: as above.
        let req = unsafe { input_str(request_json, request_len, "request_json", Kind::Request) }?;
        out.write_string(rs.0.evaluate_request_json(facts, req)?)
    })
}

/// The practitioner's summary of the decision on `facts_json`, as plain text (the text the CLI
/// prints and the checker copies: level, what to do, exploitation risk, why, the answers given,
/// what is still unknown), written to `*text_out` (free it with `thr_string_free`). The request
/// is as for `thr_ruleset_evaluate_json_with` (`"summary"` is implied; it needs the reasons).
/// The text is NUL-terminated UTF-8; a NUL inside a reason given in the request comes back as
/// U+FFFD.
///
/// # Safety
/// As `thr_ruleset_evaluate_json_with`.
#[no_mangle]
pub unsafe extern "C" fn thr_decision_summary_text(
    rs: *const thr_ruleset,
    facts_json: *const c_char,
    facts_len: usize,
    request_json: *const c_char,
    request_len: usize,
    text_out: *mut *mut c_char,
    err: *mut *mut thr_error,
) -> thr_status {
    fallible(err, || {
        // SAFETY: the caller guarantees a live ruleset when non-NULL.
        let rs = unsafe { input_ref(rs, "rs") }?;
        // SAFETY: the caller guarantees `text_out` is writable.
        let out = unsafe { Out::new(text_out, "text_out") }?;
        // SAFETY: the caller guarantees each length's readable bytes at its non-NULL pointer.
        let facts = unsafe { input_str(facts_json, facts_len, "facts_json", Kind::Facts) }?;
        // SAFETY: as above.
        let req = unsafe { input_str(request_json, request_len, "request_json", Kind::Request) }?;
        out.write_string(rs.0.summary_text_json(facts, req)?)
    })
}

/// Impact analysis: evaluates every referral under `old` and `new` and writes the comparison
/// JSON to `*out` (free it with `thr_string_free`): `total`, `changed`, `transitions` (`from`,
/// `to`, `count` per pair of levels), `pathways` (`pathway`, `added`, `removed`) and `changes`
/// (each changed referral's `index`, `facts` and both decisions, `old` and `new`). The referrals
/// are `referrals_len` bytes of UTF-8: a JSON array of facts objects, or JSON lines.
///
/// A referral that does not fit either rule set returns `THR_FACTS_INVALID` naming it
/// (`referral 3 (under the new rules): ...`); text that is not JSON `THR_FACTS_INVALID_JSON`.
///
/// # Safety
/// `old` and `new` must be NULL or live rulesets; `referrals_json` must be NULL or point to
/// `referrals_len` readable bytes; `out` must point to writable storage for one pointer; `err`
/// must be NULL or the same.
#[no_mangle]
pub unsafe extern "C" fn thr_ruleset_compare_json(
    old: *const thr_ruleset,
    new: *const thr_ruleset,
    referrals_json: *const c_char,
    referrals_len: usize,
    out: *mut *mut c_char,
    err: *mut *mut thr_error,
) -> thr_status {
    fallible(err, || {
        // SAFETY: the caller guarantees live rulesets when non-NULL.
        let old = unsafe { input_ref(old, "old") }?;
        // SAFETY: as above.
        let new = unsafe { input_ref(new, "new") }?;
        // SAFETY: the caller guarantees `out` is writable.
        let out = unsafe { Out::new(out, "out") }?;
        let arg = "referrals_json";
        // SAFETY: the caller guarantees `referrals_len` readable bytes at a non-NULL pointer.
        let text = unsafe { input_str(referrals_json, referrals_len, arg, Kind::Facts) }?;
        out.write_string(engine::compare_json(&old.0, &new.0, text)?)
    })
}

/// Loads a rule set precompiled by `thresholds compile` or `thr_ruleset_precompile` (`len`
/// bytes at `data`) without parsing, checking or compiling it. Only the engine version that
/// wrote the bytes reads them.
///
/// On success writes a new ruleset to `*out` and returns `THR_OK`. Bytes that are not a
/// precompiled rule set (damaged, truncated, another engine version) return `THR_RULES_INVALID`
/// with the code `thr::precompiled::invalid`.
///
/// # Safety
/// `data` must be NULL or point to `len` readable bytes; `out` must point to writable storage
/// for one pointer; `err` must be NULL or the same.
#[no_mangle]
pub unsafe extern "C" fn thr_ruleset_load_precompiled(
    data: *const u8,
    len: usize,
    out: *mut *mut thr_ruleset,
    err: *mut *mut thr_error,
) -> thr_status {
    fallible(err, || {
        // SAFETY: the caller guarantees `out` is writable.
        let out = unsafe { Out::new(out, "out") }?;
        // SAFETY: the caller guarantees `len` readable bytes at a non-NULL `data`.
        let bytes = unsafe { input_slice(data, len, "data") }?;
        out.write(new_ruleset(Ruleset::from_precompiled(bytes)?))
    })
}

/// The rule set precompiled, for `thr_ruleset_load_precompiled`: on success writes the bytes to
/// `*out` and their number to `*out_len` (free them with `thr_bytes_free`).
///
/// # Safety
/// `rs` must be NULL or a live ruleset; `out` and `out_len` must point to writable storage;
/// `err` must be NULL or the same.
#[no_mangle]
pub unsafe extern "C" fn thr_ruleset_precompile(
    rs: *const thr_ruleset,
    out: *mut *mut u8,
    out_len: *mut usize,
    err: *mut *mut thr_error,
) -> thr_status {
    fallible(err, || {
        // SAFETY: the caller guarantees a live ruleset when non-NULL.
        let rs = unsafe { input_ref(rs, "rs") }?;
        // SAFETY: the caller guarantees `out` is writable.
        let out = unsafe { Out::new(out, "out") }?;
        // SAFETY: the caller guarantees `out_len` is writable.
        let out_len = unsafe { Out::new(out_len, "out_len") }?;
        let bytes = rs.0.to_precompiled()?.into_boxed_slice();
        out_len.write(bytes.len())?;
        out.write(Box::into_raw(bytes).cast::<u8>())
    })
}

/// Frees bytes returned by this library (`thr_ruleset_precompile`), with the length it gave.
/// NULL is a no-op.
///
/// # Safety
/// `data` must be NULL or bytes from this library not yet freed, and `len` their length.
#[no_mangle]
pub unsafe extern "C" fn thr_bytes_free(data: *mut u8, len: usize) {
    let bytes = std::ptr::slice_from_raw_parts_mut(data, len);
    // SAFETY: the caller guarantees `data` and `len` came from `thr_ruleset_precompile`, which
    // gave away a boxed slice of exactly that length.
    release(bytes, |p| drop(unsafe { Box::from_raw(p) }));
}

/// The facts the rule set declares, as a JSON array: for each, `id`, `type` (`bool`, `int`,
/// `enum`, `set`), `min`/`max` (int), `values` (enum and set codes), `question`, `help`, `domain`.
/// Use it to build forms or to map case-system fields. On success writes the JSON to `*out`
/// (free it with `thr_string_free`).
///
/// # Safety
/// `rs` must be NULL or a live ruleset; `out` must point to writable storage for one pointer;
/// `err` must be NULL or the same.
#[no_mangle]
pub unsafe extern "C" fn thr_ruleset_facts_json(
    rs: *const thr_ruleset,
    out: *mut *mut c_char,
    err: *mut *mut thr_error,
) -> thr_status {
    fallible(err, || {
        // SAFETY: the caller guarantees a live ruleset when non-NULL.
        let rs = unsafe { input_ref(rs, "rs") }?;
        // SAFETY: the caller guarantees `out` is writable.
        unsafe { Out::new(out, "out") }?.write_string(rs.0.facts_json())
    })
}

/// What the rule set contains, as a JSON object: `name`, `version`, `hash` (`sha256:...` of the
/// normalised rules), `levels` (`id`, `label`, default `pathways`; lowest first), `pathways`
/// (`id`, `label`, `todo`: what the practitioner does; most urgent first), `matrices`, `guidance`
/// and `rules` (how many). Use it to show a decision's level and pathway ids as text. On success
/// writes the JSON to `*out` (free it with `thr_string_free`).
///
/// # Safety
/// `rs` must be NULL or a live ruleset; `out` must point to writable storage for one pointer;
/// `err` must be NULL or the same.
#[no_mangle]
pub unsafe extern "C" fn thr_ruleset_info_json(
    rs: *const thr_ruleset,
    out: *mut *mut c_char,
    err: *mut *mut thr_error,
) -> thr_status {
    fallible(err, || {
        // SAFETY: the caller guarantees a live ruleset when non-NULL.
        let rs = unsafe { input_ref(rs, "rs") }?;
        // SAFETY: the caller guarantees `out` is writable.
        unsafe { Out::new(out, "out") }?.write_string(rs.0.info_json())
    })
}

/// Frees a ruleset. NULL is a no-op. No thread may use `rs` during or after the call; freeing
/// the same ruleset twice is undefined behaviour.
///
/// # Safety
/// `rs` must be NULL or a ruleset from this library not yet freed.
#[no_mangle]
pub unsafe extern "C" fn thr_ruleset_free(rs: *mut thr_ruleset) {
    // SAFETY: the caller guarantees `rs` came from `Box::into_raw` here and is not freed.
    release(rs, |rs| drop(unsafe { Box::from_raw(rs) }));
}

/// Frees a string returned by this library (a decision, facts or info JSON). NULL is a no-op.
/// Do not pass it to `free()`, and do not pass the `const char *` of `thr_version` or of a
/// `thr_error_*` accessor.
///
/// # Safety
/// `s` must be NULL or a string from this library not yet freed.
#[no_mangle]
pub unsafe extern "C" fn thr_string_free(s: *mut c_char) {
    // SAFETY: the caller guarantees `s` came from `CString::into_raw` here.
    release(s, |s| drop(unsafe { CString::from_raw(s) }));
}

// ---------------------------------------------------------------------------------------------
// Errors

/// The status of the call that made this error; `THR_NULL_ARGUMENT` if `e` is NULL.
///
/// # Safety
/// `e` must be NULL or a live error.
#[no_mangle]
pub unsafe extern "C" fn thr_error_status(e: *const thr_error) -> thr_status {
    // SAFETY: the caller guarantees a live error when non-NULL. (Reading a field cannot panic.)
    unsafe { e.as_ref() }.map_or(thr_status::THR_NULL_ARGUMENT, |e| e.status)
}

/// The stable code of the first error, e.g. `"thr::facts::unknown_fact"`: the same codes as every
/// other binding (`thr::parse::*`, `thr::check::*`, `thr::facts::*`, `thr::eval::*`,
/// `thr::internal`), plus `thr::ffi::null_argument`, `thr::ffi::invalid_utf8` and
/// `thr::ffi::invalid_argument` for argument errors. Compare codes, not messages. Owned by `e`
/// (valid until `thr_error_free(e)`); NULL if `e` is NULL.
///
/// # Safety
/// `e` must be NULL or a live error.
#[no_mangle]
pub unsafe extern "C" fn thr_error_code(e: *const thr_error) -> *const c_char {
    // SAFETY: the caller guarantees a live error when non-NULL.
    unsafe { error_str(e, |e| Some(&e.code)) }
}

/// The first error's one-line message, in English, for logs and people (its wording may change
/// between versions). Owned by `e`; NULL if `e` is NULL.
///
/// # Safety
/// `e` must be NULL or a live error.
#[no_mangle]
pub unsafe extern "C" fn thr_error_message(e: *const thr_error) -> *const c_char {
    // SAFETY: the caller guarantees a live error when non-NULL.
    unsafe { error_str(e, |e| Some(&e.message)) }
}

/// The full error as JSON, the same as every other binding:
/// `{"kind","class","code","message","diagnostics":[{"code","message","severity","help","fact",
/// "file","line","column","related"}]}` (absent fields are omitted). `kind` is `rules`, `facts`,
/// `request`, `argument` or `internal`; `class` is the engine's class of the failure
/// (`rules_syntax`, `rules_invalid`, `rules_limit`, `facts_invalid_json`, `facts_invalid`,
/// `facts_limit`, `eval_limit`, `request`, `internal`; each has one status) or, for a failure at
/// the boundary, `null_argument`, `invalid_utf8`, `invalid_argument` or `internal` (a recovered
/// panic, `THR_PANIC`).
/// Owned by `e`; NULL if `e` is NULL.
///
/// # Safety
/// `e` must be NULL or a live error.
#[no_mangle]
pub unsafe extern "C" fn thr_error_json(e: *const thr_error) -> *const c_char {
    // SAFETY: the caller guarantees a live error when non-NULL.
    unsafe { error_str(e, |e| Some(&e.json)) }
}

/// How many diagnostics the error has (errors first, then warnings); 0 if `e` is NULL.
///
/// # Safety
/// `e` must be NULL or a live error.
#[no_mangle]
pub unsafe extern "C" fn thr_error_diagnostic_count(e: *const thr_error) -> usize {
    // SAFETY: the caller guarantees a live error when non-NULL. (Nothing here can panic.)
    unsafe { e.as_ref() }.map_or(0, |e| e.diagnostics.len())
}

/// The code of diagnostic `i` (0-based). Owned by `e`; NULL if `e` is NULL or `i` is out of range.
///
/// # Safety
/// `e` must be NULL or a live error.
#[no_mangle]
pub unsafe extern "C" fn thr_error_diagnostic_code(e: *const thr_error, i: usize) -> *const c_char {
    // SAFETY: the caller guarantees a live error when non-NULL.
    unsafe { error_str(e, |e| Some(&e.diagnostics.get(i)?.code)) }
}

/// The severity of diagnostic `i`: `"error"` or `"warning"`. Owned by `e`; NULL if `e` is NULL or
/// `i` is out of range.
///
/// # Safety
/// `e` must be NULL or a live error.
#[no_mangle]
pub unsafe extern "C" fn thr_error_diagnostic_severity(
    e: *const thr_error,
    i: usize,
) -> *const c_char {
    // SAFETY: the caller guarantees a live error when non-NULL.
    unsafe { error_str(e, |e| Some(&e.diagnostics.get(i)?.severity)) }
}

/// The message of diagnostic `i`. Owned by `e`; NULL if `e` is NULL or `i` is out of range.
///
/// # Safety
/// `e` must be NULL or a live error.
#[no_mangle]
pub unsafe extern "C" fn thr_error_diagnostic_message(
    e: *const thr_error,
    i: usize,
) -> *const c_char {
    // SAFETY: the caller guarantees a live error when non-NULL.
    unsafe { error_str(e, |e| Some(&e.diagnostics.get(i)?.message)) }
}

/// Frees an error. NULL is a no-op; freeing twice is undefined behaviour. The strings its
/// accessors returned become invalid.
///
/// # Safety
/// `e` must be NULL or an error from this library not yet freed.
#[no_mangle]
pub unsafe extern "C" fn thr_error_free(e: *mut thr_error) {
    // SAFETY: the caller guarantees `e` came from `Box::into_raw` here and is not freed.
    release(e, |e| drop(unsafe { Box::from_raw(e) }));
}

#[cfg(test)]
mod tests {
    use super::convert::infallible;
    use super::*;

    #[test]
    fn a_panic_in_a_body_becomes_thr_panic_with_an_error() {
        let mut err: *mut thr_error = std::ptr::null_mut();
        assert_eq!(fallible(&mut err, || panic!("boom")), thr_status::THR_PANIC);
        // SAFETY: `err` was just written by the boundary, and is freed here.
        let e = unsafe { Box::from_raw(err) };
        assert_eq!(e.status, thr_status::THR_PANIC);
        assert_eq!(e.code.to_str().unwrap(), "thr::internal");
        assert!(e.message.to_str().unwrap().contains("boom"));
        assert_eq!(infallible(7, || panic!("boom")), 7);
    }
}
