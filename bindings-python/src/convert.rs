//! Python values <-> JSON values. No semantics: the engine checks every value itself.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyFrozenSet, PyInt, PyList, PySet, PyString, PyTuple};
use serde_json::{Map, Number, Value};

/// Deepest nesting converted; deeper values are reported instead of recursing further.
const MAX_DEPTH: usize = 64;

/// Why a Python value could not become JSON.
#[derive(Debug)]
pub(crate) struct Unconvertible {
    /// The dotted path to the value, starting with the fact name when there is one.
    pub(crate) at: String,
    /// What was found.
    pub(crate) found: String,
}

fn unconvertible(at: &str, found: String) -> Unconvertible {
    Unconvertible {
        at: at.to_string(),
        found,
    }
}

/// Converts a Python value into JSON. `None` and float NaN are `null` (unknown); a float with
/// a whole value is an integer (pandas stores int columns with gaps as floats); numpy scalars
/// are taken through `__index__` / `__bool__` / `__float__`.
pub(crate) fn to_json(
    v: &Bound<'_, PyAny>,
    at: &str,
    depth: usize,
) -> Result<Value, Unconvertible> {
    if depth > MAX_DEPTH {
        return Err(unconvertible(at, "values nested too deeply".into()));
    }
    if v.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(b) = v.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if let Ok(i) = v.cast::<PyInt>() {
        return Ok(int_value(i));
    }
    if let Ok(f) = v.cast::<PyFloat>() {
        return Ok(thresholds::number_value(f.value()));
    }
    if let Ok(s) = v.cast::<PyString>() {
        return s
            .to_cow()
            .map(|s| Value::String(s.into_owned()))
            .map_err(|_| unconvertible(at, "a string that is not valid text".into()));
    }
    if let Ok(d) = v.cast::<PyDict>() {
        let mut map = Map::new();
        for (k, x) in d.iter() {
            let key = k
                .cast::<PyString>()
                .ok()
                .and_then(|s| s.to_cow().ok().map(std::borrow::Cow::into_owned))
                .ok_or_else(|| unconvertible(at, format!("a key of type {}", type_name(&k))))?;
            let path = if at.is_empty() {
                key.clone()
            } else {
                format!("{at}.{key}")
            };
            map.insert(key, to_json(&x, &path, depth + 1)?);
        }
        return Ok(Value::Object(map));
    }
    if v.cast::<PyList>().is_ok()
        || v.cast::<PyTuple>().is_ok()
        || v.cast::<PySet>().is_ok()
        || v.cast::<PyFrozenSet>().is_ok()
        || is_numpy_array(v)
    {
        let mut items = Vec::new();
        let iter = v.try_iter().map_err(|_| unconvertible(at, type_name(v)))?;
        for x in iter {
            let x = x.map_err(|_| unconvertible(at, type_name(v)))?;
            items.push(to_json(&x, at, depth + 1)?);
        }
        if v.cast::<PySet>().is_ok() || v.cast::<PyFrozenSet>().is_ok() {
            // Set iteration order varies between runs; sort so output never depends on it.
            items.sort_by_key(Value::to_string);
        }
        return Ok(Value::Array(items));
    }
    // numpy and other scalar types that are not Python subclasses.
    let tname = type_name(v);
    if tname == "bool_" || tname == "bool" {
        if let Ok(b) = v.is_truthy() {
            return Ok(Value::Bool(b));
        }
    }
    if v.hasattr("__index__").unwrap_or(false) {
        if let Ok(i) = v.call_method0("__index__") {
            if let Ok(i) = i.cast::<PyInt>() {
                return Ok(int_value(i));
            }
        }
    }
    if v.hasattr("__float__").unwrap_or(false) && !v.hasattr("__len__").unwrap_or(false) {
        if let Ok(f) = v.call_method0("__float__").and_then(|f| f.extract::<f64>()) {
            return Ok(thresholds::number_value(f));
        }
    }
    // pandas.NA and pandas.NaT mean "missing".
    if tname == "NAType" || tname == "NaTType" {
        return Ok(Value::Null);
    }
    Err(unconvertible(at, format!("a value of type {tname}")))
}

fn is_numpy_array(v: &Bound<'_, PyAny>) -> bool {
    type_name(v) == "ndarray"
}

fn int_value(i: &Bound<'_, PyInt>) -> Value {
    match i.extract::<i64>() {
        Ok(n) => Value::from(n),
        // Beyond i64: out of any declared range; a float keeps it a number.
        Err(_) => i
            .extract::<f64>()
            .ok()
            .and_then(Number::from_f64)
            .map_or(Value::Null, Value::Number),
    }
}

pub(crate) fn type_name(v: &Bound<'_, PyAny>) -> String {
    v.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".into())
}

/// JSON text as Python values, read by Python's own `json` module (dicts keep the key order).
pub(crate) fn json_to_py<'py>(py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyAny>> {
    py.import("json")?.call_method1("loads", (text,))
}

/// Any serde value as Python values, through its JSON.
pub(crate) fn ser_to_py<'py, T: serde::Serialize>(
    py: Python<'py>,
    v: &T,
) -> PyResult<Bound<'py, PyAny>> {
    let text = serde_json::to_string(v).map_err(|e| PyTypeError::new_err(e.to_string()))?;
    json_to_py(py, &text)
}
