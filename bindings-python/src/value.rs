//! Python values as core reads them: this module says only what a value is (`HostValue`); core
//! converts and checks it, by the rule every host follows.

use std::borrow::Cow;

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyFrozenSet, PyInt, PyList, PySet, PyString, PyTuple};
use thresholds::host::{self, HostValue, View};

use crate::errors::Res;

/// A Python value.
pub(crate) struct Obj<'py>(pub(crate) Bound<'py, PyAny>);

impl HostValue for Obj<'_> {
    /// `None`, pandas' `NA` and `NaT` are no value; numpy's scalars are read through
    /// `__index__` and `__float__`, its arrays as lists.
    fn view(&self) -> View<'_> {
        let v = &self.0;
        if v.is_none() {
            return View::Null;
        } else if let Ok(b) = v.cast::<PyBool>() {
            return View::Bool(b.is_true());
        } else if let Ok(s) = v.cast::<PyString>() {
            let text = s.to_str().map(|s| View::Text(Cow::Borrowed(s)));
            return text.unwrap_or_else(|_| View::Other("a string that is not valid text".into()));
        } else if let Ok(i) = v.cast::<PyInt>() {
            return int_view(i);
        } else if let Ok(f) = v.cast::<PyFloat>() {
            return View::float(f.value());
        } else if v.cast::<PyDict>().is_ok() {
            return View::Map;
        }
        let name = v
            .get_type()
            .name()
            .map_or_else(|_| "?".into(), |n| n.to_string());
        let sequence = v.cast::<PyList>().is_ok()
            || v.cast::<PyTuple>().is_ok()
            || v.cast::<PySet>().is_ok()
            || v.cast::<PyFrozenSet>().is_ok();
        match name.as_str() {
            _ if sequence => return View::List,
            "ndarray" => return View::List,
            "NAType" | "NaTType" => return View::Null,
            "bool_" | "bool" => {
                if let Ok(b) = v.is_truthy() {
                    return View::Bool(b);
                }
            }
            _ => {}
        }
        if let Ok(i) = v.call_method0("__index__") {
            if let Ok(i) = i.cast::<PyInt>() {
                return int_view(i);
            }
        }
        if !v.hasattr("__len__").unwrap_or(false) {
            if let Ok(f) = v.call_method0("__float__").and_then(|f| f.extract::<f64>()) {
                return View::float(f);
            }
        }
        View::Other(format!("a value of type {name}"))
    }

    fn items(&self, each: &mut dyn FnMut(&Self)) -> Result<(), String> {
        let v = &self.0;
        let unreadable = |_| "a sequence that cannot be read".to_string();
        if let Ok(list) = v.cast::<PyList>() {
            list.iter().for_each(|x| each(&Obj(x)));
        } else if v.cast::<PySet>().is_ok() || v.cast::<PyFrozenSet>().is_ok() {
            let items = v.try_iter().and_then(|i| i.collect::<PyResult<Vec<_>>>());
            let mut items: Vec<Obj<'_>> = items.map_err(unreadable)?.into_iter().map(Obj).collect();
            // A set's order varies between runs: sorted, nothing depends on it.
            items.sort_by_cached_key(|x| {
                host::to_json(x, None).map_or_else(|_| String::new(), |j| j.to_string())
            });
            items.iter().for_each(each);
        } else {
            for x in v.try_iter().map_err(unreadable)? {
                each(&Obj(x.map_err(unreadable)?));
            }
        }
        Ok(())
    }

    fn entries(&self, each: &mut dyn FnMut(View<'_>, &Self)) -> Result<(), String> {
        let d = self
            .0
            .cast::<PyDict>()
            .map_err(|_| "a mapping that cannot be read")?;
        for (k, x) in d.iter() {
            each(Obj(k).view(), &Obj(x));
        }
        Ok(())
    }

    /// The object's address: the caller holds every cell for the whole call.
    fn identity(&self) -> Option<u64> {
        Some(self.0.as_ptr() as u64)
    }
}

/// An integer: past `i64`, the float it is nearest (out of any fact's range, never unknown).
fn int_view(i: &Bound<'_, PyInt>) -> View<'static> {
    match i.extract::<i64>() {
        Ok(n) => View::Number(n.into()),
        Err(_) => View::float(i.extract::<f64>().unwrap_or(f64::INFINITY)),
    }
}

/// JSON text as Python values, read by Python's own `json` module (dicts keep the key order).
pub(crate) fn json_to_py<'py>(py: Python<'py>, text: &str) -> Res<Bound<'py, PyAny>> {
    Ok(py.import("json")?.call_method1("loads", (text,))?)
}

/// Any serde value as Python values, through its JSON.
pub(crate) fn ser_to_py<'py, T: serde::Serialize>(
    py: Python<'py>,
    v: &T,
) -> Res<Bound<'py, PyAny>> {
    let text = serde_json::to_string(v).map_err(|e| PyTypeError::new_err(e.to_string()))?;
    json_to_py(py, &text)
}
