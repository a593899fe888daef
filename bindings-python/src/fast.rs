//! Fast conversion paths: a facts dict straight to fact slots, data-frame columns to codes,
//! and compact decisions to per-row codes. Every value is still encoded by the core
//! (`encode_values`); anything unusual takes the general path, so results and errors are
//! exactly those of the JSON route.

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString};
use serde_json::Value;
use thresholds::{CellMap, ColumnValues, Facts, Ruleset};

use crate::convert;

/// How one fact's Python values are converted on the fast path.
#[derive(Debug)]
enum Kind {
    /// Encoded `false` and `true`.
    Bool([Option<i64>; 2]),
    /// Whole numbers, encoded one at a time.
    Int,
    /// Code text to encoded value; and the shared code strings (the ones `Ruleset.facts`
    /// hands out), matched by identity first.
    Enum(Py<PyDict>, Vec<(Py<PyString>, Option<i64>)>),
    /// Everything else goes through JSON values.
    Other,
}

/// Per rule set: fact names and kinds, and the id strings that output tuples share.
#[derive(Debug)]
pub(crate) struct Cache {
    /// Fact name to index.
    names: Py<PyDict>,
    kinds: Vec<Kind>,
    /// Fact ids, pathway ids (as Python strings) and level ids.
    pub(crate) fact_ids: Vec<Py<PyString>>,
    pub(crate) pathway_ids: Vec<Py<PyString>>,
    pub(crate) level_ids: Vec<String>,
}

impl Cache {
    pub(crate) fn new(py: Python<'_>, rs: &Ruleset) -> PyResult<Cache> {
        let names = PyDict::new(py);
        let mut kinds = Vec::new();
        let mut fact_ids = Vec::new();
        for (i, f) in rs.facts_info().into_iter().enumerate() {
            let id = PyString::intern(py, &f.id);
            names.set_item(&id, i)?;
            fact_ids.push(id.unbind());
            let kind = match f.r#type.as_str() {
                "bool" => match rs.encode_values(i, &[Value::Bool(false), Value::Bool(true)]) {
                    Ok(t) => {
                        Kind::Bool([t.first().copied().flatten(), t.get(1).copied().flatten()])
                    }
                    Err(_) => Kind::Other,
                },
                "int" => Kind::Int,
                "enum" => {
                    let codes = f.values.unwrap_or_default();
                    let json: Vec<Value> = codes.iter().cloned().map(Value::String).collect();
                    match rs.encode_values(i, &json) {
                        Ok(t) => {
                            let d = PyDict::new(py);
                            let mut shared = Vec::new();
                            for (c, v) in codes.iter().zip(t) {
                                let c = PyString::intern(py, c);
                                d.set_item(&c, v)?;
                                shared.push((c.unbind(), v));
                            }
                            Kind::Enum(d.unbind(), shared)
                        }
                        Err(_) => Kind::Other,
                    }
                }
                _ => Kind::Other,
            };
            kinds.push(kind);
        }
        let info = rs.info();
        Ok(Cache {
            names: names.unbind(),
            kinds,
            fact_ids,
            pathway_ids: info
                .pathways
                .iter()
                .map(|p| PyString::intern(py, &p.id).unbind())
                .collect(),
            level_ids: info.levels.into_iter().map(|l| l.id).collect(),
        })
    }

    /// The shared code strings of fact `i` when it is an enum.
    pub(crate) fn enum_codes(&self, i: usize) -> Option<Vec<&Py<PyString>>> {
        match self.kinds.get(i)? {
            Kind::Enum(_, shared) => Some(shared.iter().map(|(c, _)| c).collect()),
            _ => None,
        }
    }

    /// Converts a facts dict without JSON. `None` when anything is unusual (not a dict, an
    /// unknown name, a bad value): the caller then takes the general path, which reports it.
    pub(crate) fn facts(&self, rs: &Ruleset, v: &Bound<'_, PyAny>) -> Option<Facts> {
        let py = v.py();
        let d = v.cast_exact::<PyDict>().ok()?;
        let names = self.names.bind(py);
        let mut facts = rs.unknown_facts();
        // Records usually list facts in declaration order with the shared id strings: try the
        // fact after the last one by identity before looking the name up.
        let mut next = 0;
        for (k, x) in d.iter() {
            let i = match self.fact_ids.get(next) {
                Some(id) if id.as_ptr() == k.as_ptr() => next,
                _ => names.get_item(&k).ok()??.extract().ok()?,
            };
            next = i + 1;
            let value = self.value(rs, i, &x)?;
            rs.set_encoded(&mut facts, i, value).ok()?;
        }
        Some(facts)
    }

    fn value(&self, rs: &Ruleset, i: usize, x: &Bound<'_, PyAny>) -> Option<Option<i64>> {
        if x.is_none() {
            return Some(None);
        }
        match self.kinds.get(i)? {
            Kind::Bool(t) if x.is_exact_instance_of::<PyBool>() => {
                return Some(if x.is_truthy().ok()? { t[1] } else { t[0] });
            }
            Kind::Int if x.is_exact_instance_of::<PyInt>() => {
                let n: i64 = x.extract().ok()?;
                return rs
                    .encode_values(i, &[Value::from(n)])
                    .ok()?
                    .first()
                    .copied();
            }
            Kind::Enum(codes, shared) if x.is_exact_instance_of::<PyString>() => {
                if let Some((_, v)) = shared.iter().find(|(c, _)| c.as_ptr() == x.as_ptr()) {
                    return Some(*v);
                }
                return codes.bind(x.py()).get_item(x).ok()??.extract().ok();
            }
            _ => {}
        }
        if x.is_exact_instance_of::<PyFloat>() && x.extract::<f64>().ok()?.is_nan() {
            return Some(None);
        }
        let json = convert::to_json(x, "", 1).ok()?;
        rs.encode_values(i, &[json]).ok()?.first().copied()
    }
}

/// A column of Python objects as values and codes: each distinct object is converted once
/// (and each distinct text, or list of the same string objects, once).
pub(crate) fn column_of_objects(
    list: &Bound<'_, PyList>,
    name: &str,
) -> Result<ColumnValues, convert::Unconvertible> {
    let mut c = ColumnValues::with_rows(list.len());
    // The list holds every cell (and so every item of a list cell) for the whole call, so an
    // address stays one object.
    let mut by_items: CellMap<Vec<usize>, i64> = CellMap::default();
    // The codes of recently seen objects, by address (a column holds few distinct objects:
    // None, True, False, a fact's codes), so most cells cost no hash lookup.
    let mut recent = [(0usize, -1i64); 16];
    for x in list.iter() {
        let ptr = x.as_ptr() as usize;
        let slot = (ptr >> 4) % recent.len();
        if let Some((_, code)) = recent.get(slot).filter(|(p, _)| *p == ptr) {
            c.push_code(*code);
            continue;
        }
        // A list cell is not cached by address (its items could differ); one of strings is
        // cached by its items' addresses.
        let code = if !x.is_exact_instance_of::<PyList>() {
            c.push_keyed(ptr as u64, || convert::to_json(&x, name, 1))?
        } else {
            let items = string_items(&x);
            match items.as_ref().and_then(|i| by_items.get(i)).copied() {
                Some(code) => {
                    c.push_code(code);
                    code
                }
                None => {
                    let code = c.push_value(convert::to_json(&x, name, 1)?);
                    if let Some(items) = items {
                        by_items.insert(items, code);
                    }
                    code
                }
            }
        };
        if !x.is_exact_instance_of::<PyList>() {
            if let Some(r) = recent.get_mut(slot) {
                *r = (ptr, code);
            }
        }
    }
    Ok(c)
}

/// The item addresses of a list cell whose items are all exact strings (a set fact's codes).
fn string_items(x: &Bound<'_, PyAny>) -> Option<Vec<usize>> {
    let l = x.cast_exact::<PyList>().ok()?;
    let mut items = Vec::with_capacity(l.len());
    for i in l.iter() {
        if !i.is_exact_instance_of::<PyString>() {
            return None;
        }
        items.push(i.as_ptr() as usize);
    }
    Some(items)
}
