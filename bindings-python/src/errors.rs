//! Engine errors as Python exceptions: `RuleError`, `FactsError` and `RequestError`, all
//! `ThresholdsError`.

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use thresholds::{Code, DetailedError, Error, ErrorKind};

use crate::convert::Unconvertible;

create_exception!(
    thresholds,
    ThresholdsError,
    PyException,
    "Base class of every error the engine reports. `.code` is the first error's stable code."
);
create_exception!(
    thresholds,
    RuleError,
    ThresholdsError,
    "The rules do not parse or check. `.diagnostics` lists every error and warning."
);
create_exception!(
    thresholds,
    FactsError,
    ThresholdsError,
    "The facts are not valid for the rule set. `.fact` names the first fact at fault."
);

create_exception!(
    thresholds,
    RequestError,
    ThresholdsError,
    "The request is malformed: an escalation to an unknown level or without a reason."
);

/// One error or warning, with where it is.
#[pyclass(module = "thresholds", name = "Diagnostic", frozen, get_all)]
#[derive(Debug, Clone)]
pub(crate) struct PyDiagnostic {
    /// Stable code, e.g. `thr::facts::unknown_fact`.
    code: String,
    /// One-line message.
    message: String,
    /// `error` or `warning`.
    severity: String,
    /// How to fix it.
    help: Option<String>,
    /// The fact a facts error is about.
    fact: Option<String>,
    /// Rule file.
    file: Option<String>,
    /// 1-based line.
    line: Option<u32>,
    /// 1-based column.
    column: Option<u32>,
    /// Other places involved, as `file:line:col: note`.
    related: Vec<String>,
}

/// The constructor arguments of a diagnostic, for pickling.
type DiagnosticArgs = (
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<u32>,
    Option<u32>,
    Vec<String>,
);

#[pymethods]
impl PyDiagnostic {
    /// A diagnostic from its fields (as pickle rebuilds one; errors raised in a worker process
    /// travel back with their diagnostics).
    #[new]
    #[pyo3(signature = (code, message, severity, help = None, fact = None, file = None, line = None, column = None, related = Vec::new()))]
    #[allow(
        clippy::too_many_arguments,
        reason = "one argument per field, as pickle passes them"
    )]
    fn new(
        code: String,
        message: String,
        severity: String,
        help: Option<String>,
        fact: Option<String>,
        file: Option<String>,
        line: Option<u32>,
        column: Option<u32>,
        related: Vec<String>,
    ) -> Self {
        PyDiagnostic {
            code,
            message,
            severity,
            help,
            fact,
            file,
            line,
            column,
            related,
        }
    }

    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> PyResult<(Bound<'py, pyo3::types::PyType>, DiagnosticArgs)> {
        let d = slf.get();
        Ok((
            slf.get_type(),
            (
                d.code.clone(),
                d.message.clone(),
                d.severity.clone(),
                d.help.clone(),
                d.fact.clone(),
                d.file.clone(),
                d.line,
                d.column,
                d.related.clone(),
            ),
        ))
    }

    /// The diagnostic as a dict (the `DetailedError` JSON shape, every key present).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("code", &self.code)?;
        d.set_item("message", &self.message)?;
        d.set_item("severity", &self.severity)?;
        d.set_item("help", &self.help)?;
        d.set_item("fact", &self.fact)?;
        d.set_item("file", &self.file)?;
        d.set_item("line", self.line)?;
        d.set_item("column", self.column)?;
        d.set_item("related", &self.related)?;
        Ok(d)
    }

    fn __repr__(&self) -> String {
        let place = match (&self.file, self.line, self.column) {
            (Some(f), Some(l), Some(c)) => format!(" at {f}:{l}:{c}"),
            _ => String::new(),
        };
        format!(
            "<Diagnostic {} {}{place}: {}>",
            self.severity, self.code, self.message
        )
    }
}

impl From<DetailedError> for PyDiagnostic {
    fn from(d: DetailedError) -> Self {
        PyDiagnostic {
            code: d.code,
            message: d.message,
            severity: d.severity,
            help: d.help,
            fact: d.fact,
            file: d.file,
            line: d.line,
            column: d.column,
            related: d.related,
        }
    }
}

/// An engine error as `RuleError`, `FactsError` or `RequestError` (a kind only the C binding
/// reports, `argument` or `internal`, as `ThresholdsError`), with the core's code, class,
/// diagnostics and JSON.
pub(crate) fn to_pyerr(py: Python<'_>, e: &Error) -> PyErr {
    let message = e.to_string();
    let err = match e.kind() {
        ErrorKind::Rules => RuleError::new_err(message),
        ErrorKind::Facts => FactsError::new_err(message),
        ErrorKind::Request => RequestError::new_err(message),
        ErrorKind::Argument | ErrorKind::Internal => ThresholdsError::new_err(message),
    };
    let diagnostics: Vec<PyDiagnostic> = e.detailed().into_iter().map(PyDiagnostic::from).collect();
    let first = diagnostics.iter().find(|d| d.severity == "error");
    let code = first.map(|d| d.code.clone());
    let fact = first.and_then(|d| d.fact.clone());
    let value = err.value(py);
    let set = || -> PyResult<()> {
        value.setattr("code", code)?;
        value.setattr("fact", fact)?;
        value.setattr("kind", e.kind().as_str())?;
        value.setattr("error_class", e.class().as_str())?;
        value.setattr("json", e.to_json())?;
        value.setattr("diagnostics", PyList::new(py, diagnostics)?)?;
        Ok(())
    };
    match set() {
        Ok(()) => err,
        Err(e) => e,
    }
}

/// A Python value that cannot become a fact value, as a `FactsError` (`thr::facts::wrong_type`).
pub(crate) fn unconvertible(py: Python<'_>, u: &Unconvertible) -> PyErr {
    let fact =
        u.at.split('.')
            .next()
            .filter(|s| !s.is_empty())
            .map(str::to_string);
    let message = match &fact {
        Some(f) => format!("fact `{f}` cannot be {}", u.found),
        None => format!("facts cannot be {}", u.found),
    };
    let help = "use None, or leave the fact out, when it is not known";
    let e = Error::host(
        ErrorKind::Facts,
        Code::FactType,
        message,
        Some(help.into()),
        fact,
    );
    to_pyerr(py, &e)
}

/// A column of `evaluate_columns` that cannot become fact values (`thr::facts::wrong_type`).
pub(crate) fn bad_column(py: Python<'_>, name: &str, what: &str) -> PyErr {
    let message = format!("column `{name}`: {what}");
    let e = Error::host(
        ErrorKind::Facts,
        Code::FactType,
        message,
        None,
        Some(name.into()),
    );
    to_pyerr(py, &e)
}
