//! Status codes and the `thr_error` object: a core `Error` (or a boundary failure such as a NULL
//! argument) turned into C strings once, when the call fails.

use std::any::Any;
use std::ffi::{c_char, CStr, CString};

use engine::{Code, ErrorClass, ErrorKind};

use super::convert::c_string;

/// The result of every fallible call. The values are fixed and never renumbered; they are grouped
/// by kind: 1-99 the caller's arguments, 100-199 the rules, 200-299 the facts, 300-399 limits,
/// 900-999 the library itself. A new status may be added in a group; treat an unknown value as
/// its group (e.g. any 2xx is "the facts are wrong").
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[expect(
    non_camel_case_types,
    reason = "the C names (`thr_status`, `THR_OK`) are the ABI contract"
)]
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

/// Why a call failed: an engine error, or one the boundary found (a NULL or non-UTF-8 argument,
/// a recovered panic), which core shapes too (`Error::host`: `thr::ffi::*` codes, kind
/// `argument`), so every error's JSON comes from core.
#[derive(Debug)]
pub(crate) struct Failure {
    error: engine::Error,
    /// A recovered panic: `THR_PANIC` rather than the `THR_INTERNAL` of its class.
    panicked: bool,
}

impl Failure {
    fn host(kind: ErrorKind, code: Code, message: String) -> Failure {
        Failure::from(engine::Error::host(kind, code, message, None, None))
    }

    pub(crate) fn null(arg: &str) -> Failure {
        let message = format!("argument `{arg}` is NULL");
        Failure::host(ErrorKind::Argument, Code::FfiNullArgument, message)
    }

    pub(crate) fn invalid_argument(message: String) -> Failure {
        Failure::host(ErrorKind::Argument, Code::FfiInvalidArgument, message)
    }

    pub(crate) fn utf8(arg: &str, kind: ErrorKind, e: std::str::Utf8Error) -> Failure {
        let message = format!(
            "argument `{arg}` is not valid UTF-8 (first bad byte at offset {})",
            e.valid_up_to()
        );
        Failure::host(kind, Code::FfiInvalidUtf8, message)
    }

    pub(crate) fn panic(payload: &(dyn Any + Send)) -> Failure {
        let what = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_string());
        let message = format!("internal error (recovered panic): {what}");
        Failure {
            panicked: true,
            ..Failure::host(ErrorKind::Internal, Code::Internal, message)
        }
    }

    /// The status: one per core class, and `THR_PANIC` for a recovered panic.
    pub(crate) fn status(&self) -> thr_status {
        if self.panicked {
            return thr_status::THR_PANIC;
        }
        match self.error.class() {
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

impl From<engine::Error> for Failure {
    fn from(error: engine::Error) -> Self {
        Failure {
            error,
            panicked: false,
        }
    }
}

/// One diagnostic of an error, as C strings.
#[derive(Debug)]
struct Diag {
    code: CString,
    severity: &'static CStr,
    message: CString,
}

/// An error: the status, the first error's code and message, every diagnostic, and the full JSON
/// (the same JSON the other bindings produce). Immutable once made; freed with `thr_error_free`.
#[derive(Debug)]
#[expect(
    non_camel_case_types,
    reason = "the C name `thr_error` is the ABI contract"
)]
pub struct thr_error {
    pub(crate) status: thr_status,
    pub(crate) code: CString,
    pub(crate) message: CString,
    pub(crate) json: CString,
    diagnostics: Vec<Diag>,
}

fn severity(s: &str) -> &'static CStr {
    if s == "error" {
        c"error"
    } else {
        c"warning"
    }
}

impl thr_error {
    pub(crate) fn new(failure: Failure) -> thr_error {
        let status = failure.status();
        let e = failure.error;
        let diagnostics = e
            .detailed()
            .into_iter()
            .map(|d| Diag {
                code: c_string(d.code),
                severity: severity(&d.severity),
                message: c_string(d.message),
            })
            .collect();
        let message = e
            .diagnostics()
            .first()
            .map(|d| d.message().to_string())
            .unwrap_or_default();
        thr_error {
            status,
            code: c_string(e.code().to_string()),
            message: c_string(message),
            json: c_string(e.to_json()),
            diagnostics,
        }
    }

    pub(crate) fn diagnostic_count(&self) -> usize {
        self.diagnostics.len()
    }

    pub(crate) fn diagnostic_code(&self, i: usize) -> *const c_char {
        self.diagnostics
            .get(i)
            .map_or(std::ptr::null(), |d| d.code.as_ptr())
    }

    pub(crate) fn diagnostic_severity(&self, i: usize) -> *const c_char {
        self.diagnostics
            .get(i)
            .map_or(std::ptr::null(), |d| d.severity.as_ptr())
    }

    pub(crate) fn diagnostic_message(&self, i: usize) -> *const c_char {
        self.diagnostics
            .get(i)
            .map_or(std::ptr::null(), |d| d.message.as_ptr())
    }
}
