//! Errors: core's error, raised as the Python exception `thresholds._error` makes from its JSON
//! (the same JSON every binding gives), and the binding's own failures shaped by core too.

use pyo3::prelude::*;
use thresholds::{Code, Error, ErrorKind};

/// An error on its way to Python: core's, or Python's own (a value of the wrong Python type).
pub(crate) enum Raise {
    /// Core's error, and the record or row it is about (its position, set as `.row`).
    Core(Error, Option<usize>),
    Py(PyErr),
}

/// What the binding's functions return: `?` takes core's errors and Python's alike.
pub(crate) type Res<T> = Result<T, Raise>;

impl From<Error> for Raise {
    fn from(e: Error) -> Self {
        Raise::Core(e, None)
    }
}

impl From<PyErr> for Raise {
    fn from(e: PyErr) -> Self {
        Raise::Py(e)
    }
}

impl From<Raise> for PyErr {
    /// A core error becomes `RuleError`, `FactsError`, `RequestError` or `ThresholdsError`
    /// (defined in the package), with the code, fact, kind, class, JSON and diagnostics read
    /// from the error's JSON, and `.row` when the error is about one record or row.
    fn from(r: Raise) -> PyErr {
        let (e, row) = match r {
            Raise::Core(e, row) => (e, row),
            Raise::Py(e) => return e,
        };
        Python::attach(|py| {
            let module = py.import("thresholds")?;
            let exception = module
                .getattr("_error")?
                .call1((e.to_string(), e.to_json()))?;
            if let Some(row) = row {
                exception.setattr("row", row)?;
            }
            Ok(PyErr::from_value(exception))
        })
        .unwrap_or_else(|err| err)
    }
}

/// A data-frame column the binding cannot read (`FactsError`, code `thr::facts::wrong_type`).
pub(crate) fn bad_column(name: &str, what: &str) -> Raise {
    let message = format!("column `{name}`: {what}");
    let fact = Some(name.into());
    Error::host(ErrorKind::Facts, Code::FactType, message, None, fact).into()
}
