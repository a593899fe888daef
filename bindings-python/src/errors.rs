//! Errors: core's error, raised as the Python exception `thresholds._error` makes from its JSON
//! (the same JSON every binding gives), and the host's own failures shaped by core too.

use pyo3::prelude::*;
use thresholds::{Code, Error, ErrorKind};

use crate::convert::Unconvertible;

/// The Python exception for a core error: `RuleError`, `FactsError`, `RequestError` or
/// `ThresholdsError` (defined in the package), with the code, fact, kind, class, JSON and
/// diagnostics read from the error's JSON.
pub(crate) fn to_pyerr(py: Python<'_>, e: &Error) -> PyErr {
    let made = py
        .import("thresholds")
        .and_then(|m| m.getattr("_error")?.call1((e.to_string(), e.to_json())));
    match made {
        Ok(exception) => PyErr::from_value(exception),
        Err(err) => err,
    }
}

/// A Python value that is no fact value (`FactsError`, code `thr::facts::wrong_type`).
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

/// A data-frame column the binding cannot read (`FactsError`, code `thr::facts::wrong_type`).
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
