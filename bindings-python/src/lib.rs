//! The native part of the Python package `thresholds`: conversion and error mapping only.
//! The pure-Python package (`python/thresholds/`) adds file loading and pandas.

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString, PyTuple, PyType};
use thresholds::{ColumnValues, Decision, Facts, Options, Ruleset};

mod convert;
mod errors;
mod fast;

/// A data-frame column as handed over: fact name, kind, values or cells, data bytes.
type RawColumn<'py> = (
    String,
    String,
    Option<Bound<'py, PyAny>>,
    Option<Bound<'py, PyBytes>>,
);

/// A record whose decision changes between two rule sets: its position, then both decisions.
type ChangedRecord = (usize, Decided, Decided);

/// How a rule set pickles: its class and its sources (or, loaded precompiled, its bytes).
type Reduced<'py> = (Bound<'py, PyType>, (Bound<'py, PyAny>,));

/// A checked, compiled rule set. Immutable and safe to share between threads; pickles as its
/// sources (rebuilt on unpickle).
#[pyclass(module = "thresholds", name = "Ruleset", subclass, frozen)]
#[derive(Debug)]
struct PyRuleset {
    rs: Ruleset,
    cache: fast::Cache,
}

fn options(reasons: bool, missing: bool) -> Options {
    Options { reasons, missing }
}

/// A facts dict to facts: the fast path when it applies, else through JSON values (which
/// reports every problem).
fn facts_of(
    py: Python<'_>,
    rs: &Ruleset,
    cache: &fast::Cache,
    v: &Bound<'_, PyAny>,
) -> PyResult<Facts> {
    if let Some(f) = cache.facts(rs, v) {
        return Ok(f);
    }
    let value = convert::to_json(v, "", 0).map_err(|u| errors::unconvertible(py, &u))?;
    rs.facts_from_value(&value)
        .map_err(|e| errors::to_pyerr(py, &e))
}

fn bytes_i32(py: Python<'_>, v: &[i32]) -> Py<PyBytes> {
    let mut buf = Vec::with_capacity(v.len() * 4);
    for x in v {
        buf.extend_from_slice(&x.to_le_bytes());
    }
    PyBytes::new(py, &buf).unbind()
}

#[pymethods]
impl PyRuleset {
    /// Builds a rule set from `(file name, text)` pairs, or loads precompiled bytes
    /// (`thresholds compile`, `to_precompiled`). Raises `RuleError`.
    #[new]
    fn new(py: Python<'_>, files: &Bound<'_, PyAny>) -> PyResult<Self> {
        let rs = if let Ok(bytes) = files.cast::<PyBytes>() {
            let bytes = bytes.as_bytes();
            py.detach(|| Ruleset::from_precompiled(bytes))
        } else {
            let files: Vec<(String, String)> = files.extract()?;
            py.detach(|| Ruleset::from_sources(files))
        }
        .map_err(|e| errors::to_pyerr(py, &e))?;
        let cache = fast::Cache::new(py, &rs)?;
        Ok(PyRuleset { rs, cache })
    }

    /// Evaluates one referral's facts (a dict; a missing key, None or NaN is unknown) as the
    /// request JSON asks (`Ruleset.evaluate` writes it from its keyword options).
    fn _evaluate(
        &self,
        py: Python<'_>,
        facts: &Bound<'_, PyAny>,
        request: &PyRequest,
    ) -> PyResult<Decided> {
        let f = facts_of(py, &self.rs, &self.cache, facts)?;
        let decided = self.rs.evaluate_request(&f, &request.0);
        decided.map(Decided).map_err(|e| errors::to_pyerr(py, &e))
    }

    /// The practitioner's summary (plain text, or HTML with `html`) of the decision on these
    /// facts under this request (its `summary` implied).
    fn _summary(
        &self,
        py: Python<'_>,
        facts: &Bound<'_, PyAny>,
        request: &PyRequest,
        html: bool,
    ) -> PyResult<String> {
        let f = facts_of(py, &self.rs, &self.cache, facts)?;
        let req = thresholds::Request {
            summary: true,
            ..request.0.clone()
        };
        let decided = self.rs.evaluate_request(&f, &req);
        let s = decided.map_err(|e| errors::to_pyerr(py, &e))?.summary;
        Ok(s.map(|s| if html { s.html() } else { s.text })
            .unwrap_or_default())
    }

    /// Facts JSON text in, decision JSON text out (byte-identical to every other host). With
    /// `request`, the core's request JSON (`{"reasons", "missing", "escalation": {"level",
    /// "reason"}, "questions", "answered", "summary", "explain"}`) instead of the keyword
    /// options.
    #[pyo3(signature = (facts_json, *, reasons = true, missing = true, request = None))]
    fn evaluate_json(
        &self,
        py: Python<'_>,
        facts_json: &str,
        reasons: bool,
        missing: bool,
        request: Option<&str>,
    ) -> PyResult<String> {
        match request {
            Some(r) => self.rs.evaluate_request_json(facts_json, r),
            None => self
                .rs
                .evaluate_json_str_with(facts_json, options(reasons, missing)),
        }
        .map_err(|e| errors::to_pyerr(py, &e))
    }

    /// Evaluates many referrals (an iterable of dicts), in order, without the GIL and on
    /// every core when there are many: their decisions. A bad record raises `FactsError`
    /// with `.row` set.
    #[pyo3(signature = (records, *, reasons = true, missing = true, threads = 0))]
    fn _evaluate_many(
        &self,
        py: Python<'_>,
        records: &Bound<'_, PyAny>,
        reasons: bool,
        missing: bool,
        threads: usize,
    ) -> PyResult<Vec<Decided>> {
        let mut facts = Vec::new();
        for (row, record) in records.try_iter()?.enumerate() {
            let f = facts_of(py, &self.rs, &self.cache, &record?).inspect_err(|e| {
                // Best effort: the row number helps find the record; the error stands anyway.
                let _ = e.value(py).setattr("row", row);
            })?;
            facts.push(f);
        }
        let rs = &self.rs;
        let decisions = py.detach(|| rs.evaluate_all(&facts, options(reasons, missing), threads));
        Ok(decisions.into_iter().map(Decided).collect())
    }

    /// Columnar evaluation for data frames. Each column is `(fact, kind, values, data)`:
    /// kind `codes`: `values` are the distinct values, `data` little-endian int64 codes into
    /// them (negative: unknown); `int64` / `float64` / `bool`: `data` holds the numpy values
    /// (float NaN: unknown); `objects`: `values` is a list of the cells. Returns per-row codes
    /// (level: int32, -1 none; status: uint8, 1 provisional; pathways and missing: int32 ids)
    /// and the tables they index (`levels`; `pathway_sets`, `missing_sets`: tuples of ids).
    #[pyo3(signature = (rows, columns, *, missing = true, threads = 0))]
    fn _evaluate_columns<'py>(
        &self,
        py: Python<'py>,
        rows: usize,
        columns: Vec<RawColumn<'py>>,
        missing: bool,
        threads: usize,
    ) -> PyResult<Bound<'py, PyDict>> {
        let rs = &self.rs;
        let mut cols = rs.columns(rows);
        let unconvertible = |u| errors::unconvertible(py, &u);
        for (name, kind, values, data) in &columns {
            rs.fact_index(name).map_err(|e| errors::to_pyerr(py, &e))?;
            let bytes = data.as_ref().map_or(&[][..], |b| b.as_bytes());
            let cells = || {
                let what = if kind == "codes" {
                    "no values"
                } else {
                    "no cells"
                };
                values
                    .as_ref()
                    .ok_or_else(|| errors::bad_column(py, name, what))
                    .and_then(|v| Ok(v.cast::<PyList>()?))
            };
            let col = match kind.as_str() {
                "int64" => ColumnValues::from_i64_le(bytes),
                "float64" => ColumnValues::from_f64_le(bytes),
                "bool" => ColumnValues::from_bool_bytes(bytes),
                "objects" => fast::column_of_objects(cells()?, name).map_err(unconvertible)?,
                "codes" => {
                    let distinct = cells()?
                        .iter()
                        .map(|u| convert::to_json(&u, name, 1))
                        .collect::<Result<_, _>>()
                        .map_err(unconvertible)?;
                    ColumnValues::from_codes_le(distinct, bytes)
                }
                other => {
                    let what = format!("unknown kind `{other}`");
                    return Err(errors::bad_column(py, name, &what));
                }
            };
            cols.set_values(rs, name, &col).map_err(|e| {
                let err = errors::to_pyerr(py, &e.error);
                if let Some(row) = e.row {
                    let _ = err.value(py).setattr("row", row);
                }
                err
            })?;
        }
        let summary = py.detach(|| rs.summarise(&cols, missing, threads));
        let cache = &self.cache;
        let out = PyDict::new(py);
        out.set_item("level", bytes_i32(py, &summary.level))?;
        out.set_item("levels", &cache.level_ids)?;
        out.set_item("status", PyBytes::new(py, &summary.status))?;
        out.set_item("pathways", bytes_i32(py, &summary.pathways))?;
        let sets = |sets: &[Vec<u32>], ids: &[Py<PyString>]| -> PyResult<Bound<'py, PyList>> {
            let l = PyList::empty(py);
            for v in sets {
                let items: Vec<&Bound<'py, PyString>> = v
                    .iter()
                    .filter_map(|x| ids.get(*x as usize).map(|s| s.bind(py)))
                    .collect();
                l.append(PyTuple::new(py, items)?)?;
            }
            Ok(l)
        };
        out.set_item(
            "pathway_sets",
            sets(&summary.pathway_sets, &cache.pathway_ids)?,
        )?;
        out.set_item("missing", bytes_i32(py, &summary.missing))?;
        out.set_item(
            "missing_sets",
            sets(&summary.missing_sets, &cache.fact_ids)?,
        )?;
        Ok(out)
    }

    /// The unanswered questions that could still change the decision on these facts, best
    /// first (dicts: id, text, kind, facts, items, changes). `answered`: question ids already
    /// answered whose facts may still be unknown (`"triage"`).
    #[pyo3(signature = (facts, *, answered = Vec::new()))]
    fn questions<'py>(
        &self,
        py: Python<'py>,
        facts: &Bound<'_, PyAny>,
        answered: Vec<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let f = facts_of(py, &self.rs, &self.cache, facts)?;
        let qs = py.detach(|| self.rs.questions(&f, &answered));
        convert::ser_to_py(py, &qs)
    }

    /// Applies an answer to one open question: the facts (a dict) with it applied. `answer`
    /// is the value for a question about one fact, or the list of item ids ticked for a
    /// checklist or the triage question. Raises `RequestError` or `FactsError`.
    #[pyo3(signature = (facts, question, answer, *, answered = Vec::new()))]
    fn answer<'py>(
        &self,
        py: Python<'py>,
        facts: &Bound<'_, PyAny>,
        question: &str,
        answer: &Bound<'_, PyAny>,
        answered: Vec<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let facts = convert::to_json(facts, "", 0).map_err(|u| errors::unconvertible(py, &u))?;
        let answer = convert::to_json(answer, "", 0).map_err(|u| errors::unconvertible(py, &u))?;
        let out = self
            .rs
            .answer_json(&facts.to_string(), &answered, question, &answer.to_string())
            .map_err(|e| errors::to_pyerr(py, &e))?;
        convert::json_to_py(py, &out)
    }

    /// The interview protocol on one child's truth (the facts given, and the benign answer to
    /// every other fact): answers until the level shown is final and until complete, the
    /// questions asked, and the final level and pathways (a dict).
    fn interview<'py>(
        &self,
        py: Python<'py>,
        facts: &Bound<'_, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let f = facts_of(py, &self.rs, &self.cache, facts)?;
        let run = py.detach(|| self.rs.interview(&f));
        convert::ser_to_py(py, &run)
    }

    /// The declared facts: id, type, min/max or values, question, help, domain, benign.
    #[getter]
    fn facts<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let facts = convert::ser_to_py(py, &self.rs.facts_info())?;
        // The ids and enum codes are the rule set's shared strings, so records built from them
        // are converted by identity.
        for (i, (f, id)) in facts.try_iter()?.zip(&self.cache.fact_ids).enumerate() {
            let f = f?;
            f.set_item("id", id.bind(py))?;
            if let Some(codes) = self.cache.enum_codes(i) {
                f.set_item("values", PyList::new(py, codes)?)?;
            }
        }
        Ok(facts)
    }

    /// Name, version, hash, levels, pathways, matrices, guidance and the number of rules.
    #[getter]
    fn info<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::ser_to_py(py, &self.rs.info())
    }

    /// Runs the tests written in the rule files: a dict of results and unfired rules.
    fn _run_tests<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let report = py.detach(|| self.rs.run_tests());
        convert::ser_to_py(py, &report)
    }

    /// The source files, as `(name, text)` pairs sorted by name.
    #[getter]
    fn files(&self) -> Vec<(String, String)> {
        self.rs.files().to_vec()
    }

    /// The warnings found while checking the rules, as the JSON list of core's diagnostics
    /// (`Ruleset.warnings` makes them `Diagnostic`s).
    #[getter]
    fn _warnings(&self) -> String {
        serde_json::to_string(&self.rs.warnings_detailed()).unwrap_or_default()
    }

    /// Rule-set name.
    #[getter]
    fn name(&self) -> &str {
        self.rs.name()
    }

    /// Rule-set version.
    #[getter]
    fn version(&self) -> &str {
        self.rs.version()
    }

    /// `sha256:` hash of the normalised source.
    #[getter]
    fn hash(&self) -> &str {
        self.rs.hash()
    }

    /// The rule set precompiled: bytes `Ruleset.from_precompiled` loads without parsing,
    /// checking or compiling (this engine version only).
    fn to_precompiled<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let bytes = self
            .rs
            .to_precompiled()
            .map_err(|e| errors::to_pyerr(py, &e))?;
        Ok(PyBytes::new(py, &bytes))
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Reduced<'py>> {
        let py = slf.py();
        let rs = &slf.get().rs;
        let state = if rs.files().is_empty() {
            slf.get().to_precompiled(py)?.into_any()
        } else {
            rs.files().to_vec().into_pyobject(py)?.into_any()
        };
        Ok((slf.get_type(), (state,)))
    }

    fn __repr__(&self) -> String {
        format!(
            "<Ruleset {:?} version {:?} {}>",
            self.rs.name(),
            self.rs.version(),
            self.rs.hash()
        )
    }
}

/// An evaluation request, read once from its JSON (`Ruleset.evaluate` keeps the common ones).
#[pyclass(module = "thresholds", name = "Request", frozen)]
struct PyRequest(thresholds::Request);

#[pymethods]
impl PyRequest {
    /// The request JSON (`{"reasons", "missing", "escalation": {"level", "reason"},
    /// "questions", "answered", "summary", "explain"}`); a malformed one raises `RequestError`.
    #[new]
    fn new(py: Python<'_>, text: &str) -> PyResult<Self> {
        thresholds::Request::from_json(text)
            .map(PyRequest)
            .map_err(|e| errors::to_pyerr(py, &e))
    }
}

/// A decision, kept as the engine's value until its JSON is asked for (`thresholds.Decision`
/// wraps it and reads that JSON).
#[pyclass(module = "thresholds", frozen)]
struct Decided(Decision);

#[pymethods]
impl Decided {
    /// The decision JSON (byte-identical to every other host's).
    fn to_json(&self) -> String {
        self.0.to_json()
    }
}

/// What changes when `new` replaces `old` over records (an iterable of facts dicts): the core's
/// comparison, as `(counts, changes)`: `counts` is its JSON without the changes; each change is
/// `(position, old decision, new decision)`. A bad record raises `FactsError` with `.row`.
#[pyfunction]
#[pyo3(signature = (old, new, records, *, threads = 0))]
fn _compare<'py>(
    py: Python<'py>,
    old: &Bound<'py, PyRuleset>,
    new: &Bound<'py, PyRuleset>,
    records: &Bound<'py, PyAny>,
    threads: usize,
) -> PyResult<(Bound<'py, PyAny>, Vec<ChangedRecord>)> {
    let (old, new) = (old.get(), new.get());
    let (mut old_facts, mut new_facts) = (Vec::new(), Vec::new());
    for (row, record) in records.try_iter()?.enumerate() {
        let record = record?;
        let both = facts_of(py, &old.rs, &old.cache, &record)
            .and_then(|a| Ok((a, facts_of(py, &new.rs, &new.cache, &record)?)));
        let (a, b) = both.inspect_err(|e| {
            // Best effort: the row number helps find the record; the error stands anyway.
            let _ = e.value(py).setattr("row", row);
        })?;
        old_facts.push(a);
        new_facts.push(b);
    }
    let mut c = py
        .detach(|| thresholds::compare_converted(&old.rs, &new.rs, &old_facts, &new_facts, threads))
        .map_err(|e| errors::to_pyerr(py, &e))?;
    let changes = std::mem::take(&mut c.changes)
        .into_iter()
        .map(|ch| (ch.index, Decided(ch.old), Decided(ch.new)))
        .collect();
    Ok((convert::ser_to_py(py, &c)?, changes))
}

/// The shipped rule set's sources, as `(name, text)` pairs.
#[pyfunction]
fn builtin_sources(py: Python<'_>) -> PyResult<Vec<(String, String)>> {
    Ruleset::builtin()
        .map(|rs| rs.files().to_vec())
        .map_err(|e| errors::to_pyerr(py, &e))
}

/// The native module `thresholds._thresholds`.
#[pymodule]
fn _thresholds(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyRuleset>()?;
    m.add_class::<Decided>()?;
    m.add_class::<PyRequest>()?;
    m.add_function(wrap_pyfunction!(builtin_sources, m)?)?;
    m.add_function(wrap_pyfunction!(_compare, m)?)?;
    Ok(())
}
