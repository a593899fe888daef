//! Fast conversion paths: a facts dict straight to fact slots, data-frame columns to codes,
//! and compact decisions to per-row codes. Every value is still encoded by the core
//! (`encode_values`); anything unusual takes the general path, so results and errors are
//! exactly those of the JSON route.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString};
use serde_json::Value;
use thresholds::{Columns, CompactDecision, Facts, Ruleset};

use crate::convert;

/// A multiplicative hasher for pointer and small-integer keys (no DoS concern: the keys are
/// addresses and codes of this process).
#[derive(Default, Debug)]
pub(crate) struct AddrHasher(u64);

impl Hasher for AddrHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 =
                (self.0.rotate_left(5) ^ u64::from(*b)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }
    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
}

type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<AddrHasher>>;

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

/// One data-frame column on its way to codes: distinct values (first appearance order) and
/// one code per row (-1 unknown).
#[derive(Default)]
pub(crate) struct ColumnCodes {
    pub(crate) distinct: Vec<Value>,
    pub(crate) codes: Vec<i64>,
    by_bits: FastMap<u64, i64>,
    by_ptr: FastMap<usize, i64>,
    by_text: HashMap<String, i64>,
}

impl ColumnCodes {
    fn with_rows(rows: usize) -> ColumnCodes {
        ColumnCodes {
            codes: Vec::with_capacity(rows),
            ..ColumnCodes::default()
        }
    }

    fn push_keyed(&mut self, key: u64, make: impl FnOnce() -> Value) {
        let next = self.distinct.len();
        let code = *self.by_bits.entry(key).or_insert_with(|| {
            self.distinct.push(make());
            i64::try_from(next).unwrap_or(i64::MAX)
        });
        self.codes.push(code);
    }

    /// Distinct values and codes already worked out (a categorical column).
    pub(crate) fn from_parts(distinct: Vec<Value>, codes: Vec<i64>) -> ColumnCodes {
        ColumnCodes {
            distinct,
            codes,
            ..ColumnCodes::default()
        }
    }

    /// Little-endian int64 values.
    pub(crate) fn from_i64(bytes: &[u8]) -> ColumnCodes {
        let mut c = ColumnCodes::with_rows(bytes.len() / 8);
        for b in bytes.chunks_exact(8) {
            let mut a = [0u8; 8];
            a.copy_from_slice(b);
            let n = i64::from_le_bytes(a);
            c.push_keyed(u64::from_le_bytes(a), || Value::from(n));
        }
        c
    }

    /// Little-endian float64 values; NaN is unknown.
    pub(crate) fn from_f64(bytes: &[u8]) -> ColumnCodes {
        let mut c = ColumnCodes::with_rows(bytes.len() / 8);
        for b in bytes.chunks_exact(8) {
            let mut a = [0u8; 8];
            a.copy_from_slice(b);
            let f = f64::from_le_bytes(a);
            if f.is_nan() {
                c.codes.push(-1);
            } else {
                c.push_keyed(f.to_bits(), || convert::float_value(f));
            }
        }
        c
    }

    /// One byte per row, 0 or 1: numpy booleans.
    pub(crate) fn from_bool(bytes: &[u8]) -> ColumnCodes {
        let mut c = ColumnCodes::with_rows(bytes.len());
        for b in bytes {
            c.push_keyed(u64::from(*b != 0), || Value::Bool(*b != 0));
        }
        c
    }

    /// Python objects, converted once per distinct object (and once per distinct text, or
    /// per distinct list of the same string objects).
    pub(crate) fn from_objects(
        list: &Bound<'_, PyList>,
        name: &str,
    ) -> Result<ColumnCodes, convert::Unconvertible> {
        let mut c = ColumnCodes::with_rows(list.len());
        // The list holds every cell (and so every item of a list cell) for the whole call,
        // so an address stays one object.
        let mut by_items: FastMap<Vec<usize>, i64> = FastMap::default();
        let mut last = (0usize, -1i64);
        for x in list.iter() {
            let ptr = x.as_ptr() as usize;
            if ptr == last.0 {
                c.codes.push(last.1);
                continue;
            }
            if let Some(code) = c.by_ptr.get(&ptr) {
                last = (ptr, *code);
                c.codes.push(*code);
                continue;
            }
            let code = if let Ok(s) = x.cast_exact::<PyString>() {
                let text = s.to_cow().map_err(|_| convert::Unconvertible {
                    at: name.to_string(),
                    found: "a string that is not valid text".into(),
                })?;
                c.text_code(&text, || Value::String(text.to_string()))
            } else if let Some(items) = string_items(&x) {
                match by_items.get(&items) {
                    Some(code) => *code,
                    None => {
                        let code = c.json_code(convert::to_json(&x, name, 1)?);
                        by_items.insert(items, code);
                        code
                    }
                }
            } else {
                c.json_code(convert::to_json(&x, name, 1)?)
            };
            if !x.is_exact_instance_of::<PyList>() {
                c.by_ptr.insert(ptr, code);
            }
            last = (ptr, code);
            c.codes.push(code);
        }
        Ok(c)
    }

    fn json_code(&mut self, v: Value) -> i64 {
        if v.is_null() {
            return -1;
        }
        let key = v.to_string();
        self.text_code(&key, || v)
    }

    fn text_code(&mut self, key: &str, make: impl FnOnce() -> Value) -> i64 {
        if let Some(code) = self.by_text.get(key) {
            return *code;
        }
        let code = i64::try_from(self.distinct.len()).unwrap_or(i64::MAX);
        self.distinct.push(make());
        self.by_text.insert(key.to_string(), code);
        code
    }
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

/// Interns equal index lists so each distinct one is built in Python once.
#[derive(Default)]
pub(crate) struct Interner {
    ids: FastMap<Vec<u32>, i32>,
    pub(crate) values: Vec<Vec<u32>>,
}

impl Interner {
    fn id(&mut self, v: &[u32]) -> i32 {
        if let Some(i) = self.ids.get(v) {
            return *i;
        }
        let i = i32::try_from(self.values.len()).unwrap_or(i32::MAX);
        self.values.push(v.to_vec());
        self.ids.insert(v.to_vec(), i);
        i
    }
}

/// Per-row codes of a batch: level index (-1 none), provisional (0/1), and ids into the
/// interned pathway and missing-fact lists.
#[derive(Default)]
pub(crate) struct Summary {
    pub(crate) level: Vec<i32>,
    pub(crate) status: Vec<u8>,
    pub(crate) pathways: Vec<i32>,
    pub(crate) missing: Vec<i32>,
    pub(crate) pathway_sets: Interner,
    pub(crate) missing_sets: Interner,
}

impl Summary {
    fn push(&mut self, d: &CompactDecision) {
        self.level
            .push(d.level.and_then(|l| i32::try_from(l).ok()).unwrap_or(-1));
        self.status.push(u8::from(d.provisional));
        self.pathways.push(self.pathway_sets.id(&d.pathways));
        self.missing.push(self.missing_sets.id(&d.missing));
    }

    /// Appends another chunk's rows, re-numbering its lists into this interner: the ids are
    /// then those a single pass would give, so the result does not depend on the chunking.
    fn append(&mut self, other: Summary) {
        let remap = |mine: &mut Interner, theirs: &Interner| -> Vec<i32> {
            theirs.values.iter().map(|v| mine.id(v)).collect()
        };
        let p = remap(&mut self.pathway_sets, &other.pathway_sets);
        let m = remap(&mut self.missing_sets, &other.missing_sets);
        let at = |t: &[i32], i: i32| usize::try_from(i).ok().and_then(|i| t.get(i).copied());
        self.level.extend(other.level);
        self.status.extend(other.status);
        self.pathways
            .extend(other.pathways.iter().map(|i| at(&p, *i).unwrap_or(-1)));
        self.missing
            .extend(other.missing.iter().map(|i| at(&m, *i).unwrap_or(-1)));
    }
}

/// Batches smaller than this per thread stay on fewer threads.
const MIN_ROWS_PER_THREAD: usize = 2048;

/// Evaluates every row of `cols` compactly on up to `threads` threads (0: every core), in
/// row chunks; the result is identical for any thread count.
pub(crate) fn summarise(rs: &Ruleset, cols: &Columns, missing: bool, threads: usize) -> Summary {
    let rows = cols.rows();
    let wanted = if threads == 0 {
        Ruleset::cores()
    } else {
        threads
    };
    let threads = wanted.min(rows / MIN_ROWS_PER_THREAD).max(1);
    let run = |range: std::ops::Range<usize>| {
        let mut s = Summary::default();
        s.level.reserve(range.len());
        s.status.reserve(range.len());
        s.pathways.reserve(range.len());
        s.missing.reserve(range.len());
        rs.evaluate_rows_compact(cols, range, missing, |_, d| s.push(&d));
        s
    };
    if threads == 1 {
        return run(0..rows);
    }
    let chunk = rows.div_ceil(threads);
    let ranges: Vec<_> = (0..threads)
        .map(|t| (t * chunk).min(rows)..((t + 1) * chunk).min(rows))
        .collect();
    let parts: Vec<Summary> = std::thread::scope(|scope| {
        let handles: Vec<_> = ranges
            .iter()
            .map(|r| {
                let r = r.clone();
                scope.spawn(move || run(r))
            })
            .collect();
        handles
            .into_iter()
            .zip(&ranges)
            // Evaluation does not panic; if a worker did, its rows are redone here.
            .map(|(h, r)| h.join().unwrap_or_else(|_| run(r.clone())))
            .collect()
    });
    let mut out = Summary::default();
    for p in parts {
        out.append(p);
    }
    out
}
