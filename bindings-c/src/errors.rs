//! Status codes, and the `thr_error` object: a core `Error` turned into C strings once, when the
//! call fails. The errors the boundary finds itself (a NULL or non-UTF-8 argument, a recovered
//! panic) are made by core too (`Error::null_argument`, ...), so every error's JSON comes from core.

use std::ffi::CString;

use engine::{DetailedError, Error, ErrorClass};

use super::convert::c_string;

/// The result of every fallible call. The values are fixed and never renumbered; they are grouped
/// by kind: 1-99 the caller's arguments, 100-199 the rules, 200-299 the facts, 300-399 limits,
/// 900-999 the library itself. A new status may be added in a group; treat an unknown value as
/// its group (e.g. any 2xx is "the facts are wrong").
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[expect(non_camel_case_types, reason = "the C names are the ABI contract")]
pub enum thr_status {
    /// Success. Out-parameters were written; `*err` was not touched.
    THR_OK = 0,
    /// A pointer argument that must not be NULL was NULL (error code `thr::ffi::null_argument`).
    THR_NULL_ARGUMENT = 1,
    /// A text argument is not valid UTF-8 (error code `thr::ffi::invalid_utf8`).
    THR_INVALID_UTF8 = 2,
    /// An argument is out of its domain, e.g. a length above `PTRDIFF_MAX` or zero rule files
    /// (error code `thr::ffi::invalid_argument`), or a malformed request to
    /// `thr_ruleset_evaluate_json_with` (error code `thr::request::invalid`).
    THR_INVALID_ARGUMENT = 3,
    /// The rules do not parse: a `thr::parse::*` code.
    THR_RULES_SYNTAX = 100,
    /// The rules parse but do not check (unknown name, type mismatch, duplicate, ...): a
    /// `thr::check::*` code; or bytes that are not a precompiled rule set of this engine
    /// (`thr::precompiled::invalid`).
    THR_RULES_INVALID = 101,
    /// The facts text is not valid JSON (`thr::facts::invalid_json`; also JSON nested too deep).
    THR_FACTS_INVALID_JSON = 200,
    /// The facts are JSON but do not fit the rule set: not an object, an unknown fact, a wrong
    /// type, a number out of range or an unknown code (`thr::facts::*`). Every problem is listed
    /// in the error's diagnostics.
    THR_FACTS_INVALID = 201,
    /// The rules exceed a limit: file size, nesting depth, expression length, set size or rule
    /// count (`thr::parse::source_too_large`, `thr::parse::too_deep`,
    /// `thr::parse::expression_too_long`, `thr::check::set_too_large`, `thr::check::too_many_rules`).
    THR_RULES_LIMIT = 300,
    /// The facts text is larger than the limit (`thr::facts::too_large`).
    THR_FACTS_LIMIT = 301,
    /// Evaluation exceeded a limit (`thr::eval::limit_exceeded`).
    THR_EVAL_LIMIT = 302,
    /// An internal error reported by the engine (`thr::internal`): a bug, please report it.
    THR_INTERNAL = 900,
    /// The library panicked and recovered; nothing was written except `*err` (`thr::internal`).
    /// A bug, please report it. The ruleset you passed is still usable.
    THR_PANIC = 901,
}

impl From<ErrorClass> for thr_status {
    /// One status per core class (a recovered panic, class `internal`, is `THR_PANIC` instead).
    fn from(class: ErrorClass) -> Self {
        match class {
            ErrorClass::RulesSyntax => thr_status::THR_RULES_SYNTAX,
            ErrorClass::RulesInvalid => thr_status::THR_RULES_INVALID,
            ErrorClass::RulesLimit => thr_status::THR_RULES_LIMIT,
            ErrorClass::FactsInvalidJson => thr_status::THR_FACTS_INVALID_JSON,
            ErrorClass::FactsInvalid => thr_status::THR_FACTS_INVALID,
            ErrorClass::FactsLimit => thr_status::THR_FACTS_LIMIT,
            ErrorClass::EvalLimit => thr_status::THR_EVAL_LIMIT,
            ErrorClass::Request | ErrorClass::InvalidArgument => thr_status::THR_INVALID_ARGUMENT,
            ErrorClass::NullArgument => thr_status::THR_NULL_ARGUMENT,
            ErrorClass::InvalidUtf8 => thr_status::THR_INVALID_UTF8,
            ErrorClass::Internal => thr_status::THR_INTERNAL,
        }
    }
}

/// One diagnostic of an error, as C strings.
#[derive(Debug)]
pub(crate) struct Diag {
    pub(crate) code: CString,
    pub(crate) severity: CString,
    pub(crate) message: CString,
}

/// An error: the status, the first error's code and message, every diagnostic, and the full JSON
/// (the same JSON the other bindings produce). Immutable once made; freed with `thr_error_free`.
#[derive(Debug)]
#[expect(non_camel_case_types, reason = "the C name is the ABI contract")]
pub struct thr_error {
    pub(crate) status: thr_status,
    pub(crate) code: CString,
    pub(crate) message: CString,
    pub(crate) json: CString,
    pub(crate) diagnostics: Vec<Diag>,
}

impl thr_error {
    pub(crate) fn new(status: thr_status, e: &Error) -> thr_error {
        let message = e.diagnostics().first().map_or("", |d| d.message());
        let diag = |d: DetailedError| Diag {
            code: c_string(d.code),
            severity: c_string(d.severity),
            message: c_string(d.message),
        };
        thr_error {
            status,
            code: c_string(e.code()),
            message: c_string(message),
            json: c_string(e.to_json()),
            diagnostics: e.detailed().into_iter().map(diag).collect(),
        }
    }
}
