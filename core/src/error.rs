//! The error every entry point returns, and its JSON form (the same in every binding).

use serde::Serialize;

use crate::diag::{Code, Diagnostic, Severity, Sources};

/// What kind of input was at fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum ErrorKind {
    /// The rules do not parse or check.
    Rules,
    /// The facts are not valid for the rule set.
    Facts,
    /// The request (options, escalation) is malformed.
    Request,
    /// A host's argument, before the engine saw it: a NULL pointer, text that is not UTF-8, a
    /// length out of range (the C binding's `thr::ffi::*` codes).
    Argument,
    /// A bug: the host recovered from a panic in the engine.
    Internal,
}

impl ErrorKind {
    /// The kind as hosts name it (`rules`, `facts`, ...), as in the error JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Rules => "rules",
            ErrorKind::Facts => "facts",
            ErrorKind::Request => "request",
            ErrorKind::Argument => "argument",
            ErrorKind::Internal => "internal",
        }
    }
}

/// What kind of failure an error is, finer than [`ErrorKind`]: what a host reports it as (the C
/// binding's status, an exception's `error_class`). Decided here, from the first error's code,
/// so that every host classifies alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum ErrorClass {
    /// The rules do not parse (`thr::parse::*`).
    RulesSyntax,
    /// The rules parse but do not check (`thr::check::*`).
    RulesInvalid,
    /// The rules exceed a limit: size, nesting, expression length, set size, rule count.
    RulesLimit,
    /// The facts text is not valid JSON.
    FactsInvalidJson,
    /// The facts are JSON but do not fit the rule set.
    FactsInvalid,
    /// The facts text is larger than the limit.
    FactsLimit,
    /// Evaluation exceeded a limit.
    EvalLimit,
    /// The request (options, escalation, summary) is malformed.
    Request,
    /// A bug in the engine.
    Internal,
    /// A pointer argument that must not be NULL was NULL (`thr::ffi::null_argument`).
    NullArgument,
    /// A text argument is not valid UTF-8 (`thr::ffi::invalid_utf8`).
    InvalidUtf8,
    /// An argument out of its domain, e.g. a length above `PTRDIFF_MAX`
    /// (`thr::ffi::invalid_argument`).
    InvalidArgument,
}

impl ErrorClass {
    /// The class as hosts name it (`rules_syntax`, `facts_invalid`, ...), as in the error JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorClass::RulesSyntax => "rules_syntax",
            ErrorClass::RulesInvalid => "rules_invalid",
            ErrorClass::RulesLimit => "rules_limit",
            ErrorClass::FactsInvalidJson => "facts_invalid_json",
            ErrorClass::FactsInvalid => "facts_invalid",
            ErrorClass::FactsLimit => "facts_limit",
            ErrorClass::EvalLimit => "eval_limit",
            ErrorClass::Request => "request",
            ErrorClass::Internal => "internal",
            ErrorClass::NullArgument => "null_argument",
            ErrorClass::InvalidUtf8 => "invalid_utf8",
            ErrorClass::InvalidArgument => "invalid_argument",
        }
    }
}

/// Rules or facts errors, all of them, with warnings alongside.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{}", summary(.kind, .diagnostics))]
pub struct Error {
    kind: ErrorKind,
    diagnostics: Vec<Diagnostic>,
    sources: Option<Box<Sources>>,
}

fn summary(kind: &ErrorKind, diags: &[Diagnostic]) -> String {
    let errors: Vec<&Diagnostic> = diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .collect();
    let what = match kind {
        ErrorKind::Rules => "rule",
        other => other.as_str(),
    };
    match errors.as_slice() {
        [one] => format!("{}: {}", one.code(), one.message),
        many => format!(
            "{} {what} errors; first: {}",
            many.len(),
            many.first().map_or("", |d| d.message.as_str())
        ),
    }
}

/// One diagnostic as JSON: the `DetailedError` shape every binding returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct DetailedError {
    /// Stable code.
    pub code: String,
    /// One-line message.
    pub message: String,
    /// `error` or `warning`.
    pub severity: String,
    /// How to fix it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// The fact a facts error is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fact: Option<String>,
    /// Rule file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// 1-based line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// 1-based column.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
    /// Other places involved, as `file:line:col: note`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<String>,
}

/// The JSON body of an error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ErrorBody {
    /// `rules`, `facts` or `request`.
    pub kind: ErrorKind,
    /// What a host reports it as (`rules_syntax`, `facts_invalid`, ...).
    pub class: ErrorClass,
    /// The first error's code.
    pub code: String,
    /// The first error's message.
    pub message: String,
    /// Every error and warning.
    pub diagnostics: Vec<DetailedError>,
}

impl Error {
    pub(crate) fn rules(mut diagnostics: Vec<Diagnostic>, sources: Sources) -> Self {
        // Errors first, syntax errors before the others (the rest of the file is checked
        // too, but the first code, and so a binding's status, says the rules do not parse),
        // then in file order.
        crate::sort::sort_by_key(&mut diagnostics, |d| {
            (
                d.severity,
                !d.code().starts_with("thr::parse::"),
                d.labels.first().map(|l| (l.span.source, l.span.start)),
            )
        });
        Error {
            kind: ErrorKind::Rules,
            diagnostics,
            sources: Some(Box::new(sources)),
        }
    }

    pub(crate) fn facts(diagnostics: Vec<Diagnostic>) -> Self {
        Error {
            kind: ErrorKind::Facts,
            diagnostics,
            sources: None,
        }
    }

    pub(crate) fn request(diagnostic: Diagnostic) -> Self {
        Error {
            kind: ErrorKind::Request,
            diagnostics: vec![diagnostic],
            sources: None,
        }
    }

    /// An error a host finds before the engine sees its input: a NULL or non-UTF-8 argument
    /// (the C binding, `thr::ffi::*`), a host value that cannot be a fact value, a request the
    /// host cannot pass on, a recovered panic (`thr::internal`, kind `Internal`). Made here so
    /// that its JSON, class and diagnostics are shaped as every other error's.
    pub fn host(
        kind: ErrorKind,
        code: crate::diag::Code,
        message: impl Into<String>,
        help: Option<String>,
        fact: Option<String>,
    ) -> Self {
        let mut d = Diagnostic::error(code, message).help_opt(help);
        if let Some(f) = fact {
            d = d.for_fact(f);
        }
        Error {
            kind,
            diagnostics: vec![d],
            sources: None,
        }
    }

    /// A pointer argument that must not be NULL was (`thr::ffi::null_argument`).
    pub fn null_argument(arg: &str) -> Self {
        let message = format!("argument `{arg}` is NULL");
        Error::host(
            ErrorKind::Argument,
            Code::FfiNullArgument,
            message,
            None,
            None,
        )
    }

    /// An argument out of its domain, such as a length past `PTRDIFF_MAX`
    /// (`thr::ffi::invalid_argument`).
    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Error::host(
            ErrorKind::Argument,
            Code::FfiInvalidArgument,
            message,
            None,
            None,
        )
    }

    /// A text argument that is not UTF-8 (`thr::ffi::invalid_utf8`), valid up to byte
    /// `valid_up_to`; `kind` is what the text is (rules, facts, request).
    pub fn invalid_utf8(arg: &str, kind: ErrorKind, valid_up_to: usize) -> Self {
        let message =
            format!("argument `{arg}` is not valid UTF-8 (first bad byte at offset {valid_up_to})");
        Error::host(kind, Code::FfiInvalidUtf8, message, None, None)
    }

    /// A panic a host caught (`thr::internal`, kind `internal`): a bug, with its message.
    pub fn recovered_panic(payload: &(dyn std::any::Any + Send)) -> Self {
        let what = (payload.downcast_ref::<&str>().copied())
            .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
            .unwrap_or("unknown panic");
        let message = format!("internal error (recovered panic): {what}");
        Error::host(ErrorKind::Internal, Code::Internal, message, None, None)
    }

    /// Rules, facts, request, argument or internal.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// Every diagnostic, errors first.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// What a host reports this error as, from its first error's code.
    pub fn class(&self) -> ErrorClass {
        use crate::diag::Code as C;
        let code = self.diagnostics.first().map_or(C::Internal, |d| d.code);
        match code {
            C::SourceTooLarge | C::TooDeep | C::ExprTooLong | C::SetTooLarge | C::TooManyRules => {
                ErrorClass::RulesLimit
            }
            C::FactsTooLarge => ErrorClass::FactsLimit,
            C::EvalLimit => ErrorClass::EvalLimit,
            C::FactsJson => ErrorClass::FactsInvalidJson,
            C::Internal => ErrorClass::Internal,
            C::FfiNullArgument => ErrorClass::NullArgument,
            C::FfiInvalidUtf8 => ErrorClass::InvalidUtf8,
            C::FfiInvalidArgument => ErrorClass::InvalidArgument,
            c if c.as_str().starts_with("thr::parse::") => ErrorClass::RulesSyntax,
            _ => match self.kind {
                ErrorKind::Rules => ErrorClass::RulesInvalid,
                ErrorKind::Facts => ErrorClass::FactsInvalid,
                ErrorKind::Request | ErrorKind::Argument => ErrorClass::Request,
                ErrorKind::Internal => ErrorClass::Internal,
            },
        }
    }

    /// The first error's code.
    pub fn code(&self) -> &'static str {
        self.diagnostics
            .first()
            .map_or(crate::diag::Code::Internal.as_str(), |d| d.code())
    }

    /// Every diagnostic as `DetailedError`s.
    pub fn detailed(&self) -> Vec<DetailedError> {
        self.diagnostics.iter().map(|d| self.detail(d)).collect()
    }

    fn detail(&self, d: &Diagnostic) -> DetailedError {
        let mut out = DetailedError {
            code: d.code().to_string(),
            message: d.message.clone(),
            severity: d.severity.as_str().to_string(),
            help: d.help.clone(),
            fact: d.fact.clone(),
            file: None,
            line: None,
            column: None,
            related: Vec::new(),
        };
        if let Some(sources) = &self.sources {
            for (i, l) in d.labels.iter().enumerate() {
                let file = sources
                    .get(l.span.source)
                    .map(|f| f.name.clone())
                    .unwrap_or_default();
                let (line, col) = sources.line_col(l.span.source, l.span.start);
                if i == 0 {
                    out.file = Some(file);
                    out.line = Some(line);
                    out.column = Some(col);
                } else {
                    out.related.push(format!("{file}:{line}:{col}: {}", l.text));
                }
            }
        }
        out
    }

    /// The error as JSON text.
    pub fn to_json(&self) -> String {
        let first = self.diagnostics.first();
        crate::ruleset::to_json(&ErrorBody {
            kind: self.kind,
            class: self.class(),
            code: self.code().to_string(),
            message: first.map(|d| d.message.clone()).unwrap_or_default(),
            diagnostics: self.detailed(),
        })
    }

    /// Renders every diagnostic with source snippets, for a terminal.
    #[cfg(feature = "render")]
    pub fn render(&self) -> String {
        match &self.sources {
            Some(s) => crate::render::render_all(&self.diagnostics, s),
            None => self
                .diagnostics
                .iter()
                .map(crate::render::render_plain)
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Error, ErrorClass as K, ErrorKind};
    use crate::diag::Code;

    #[test]
    fn a_host_error_is_shaped_as_every_other() {
        let cases = [
            (ErrorKind::Argument, Code::FfiNullArgument, "null_argument"),
            (ErrorKind::Facts, Code::FfiInvalidUtf8, "invalid_utf8"),
            (
                ErrorKind::Argument,
                Code::FfiInvalidArgument,
                "invalid_argument",
            ),
            (ErrorKind::Internal, Code::Internal, "internal"),
            (ErrorKind::Facts, Code::FactType, "facts_invalid"),
            (ErrorKind::Request, Code::BadRequest, "request"),
        ];
        for (kind, code, class) in cases {
            let e = Error::host(kind, code, "what", Some("how".into()), Some("age".into()));
            assert_eq!(e.class().as_str(), class, "{code:?}");
            let json: serde_json::Value = serde_json::from_str(&e.to_json()).unwrap_or_default();
            let expected = serde_json::json!({
                "kind": kind.as_str(), "class": class, "code": code.as_str(), "message": "what",
                "diagnostics": [{"code": code.as_str(), "message": "what", "severity": "error",
                                 "help": "how", "fact": "age"}],
            });
            assert_eq!(json, expected);
            assert_eq!(e.to_string(), format!("{}: what", code.as_str()));
        }
    }

    #[test]
    fn each_class_is_named_as_in_the_error_json() {
        for k in [
            K::RulesSyntax,
            K::RulesInvalid,
            K::RulesLimit,
            K::FactsInvalidJson,
            K::FactsInvalid,
            K::FactsLimit,
            K::EvalLimit,
            K::Request,
            K::Internal,
            K::NullArgument,
            K::InvalidUtf8,
            K::InvalidArgument,
        ] {
            let json = serde_json::to_string(&k).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", k.as_str()));
        }
        for k in [
            ErrorKind::Rules,
            ErrorKind::Facts,
            ErrorKind::Request,
            ErrorKind::Argument,
            ErrorKind::Internal,
        ] {
            let json = serde_json::to_string(&k).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", k.as_str()));
        }
    }
}
