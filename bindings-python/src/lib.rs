//! The native part of the Python package `thresholds`: conversion and error mapping only.
//! The pure-Python package (`python/thresholds/`) adds file loading and pandas.

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString, PyTuple, PyType};
use thresholds::{host, ColumnValues, Decision, Facts, Options, Ruleset};

use crate::errors::{bad_column, Raise, Res};
use crate::value::{json_to_py, ser_to_py, Obj};

mod errors;
mod value;

/// A data-frame column as handed over: fact name, kind, values or cells, data bytes.
type RawColumn<'py> = (
    String,
    String,
    Option<Bound<'py, PyList>>,
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
}

/// A Python value as JSON text (core converts it; `fact` names it in errors).
fn json_text(v: &Bound<'_, PyAny>, fact: Option<&str>) -> Res<String> {
    Ok(host::to_json(&Obj(v.clone()), fact)?.to_string())
}

/// A facts dict to facts, read and checked by core (every problem reported).
fn facts_of(rs: &Ruleset, v: &Bound<'_, PyAny>) -> Result<Facts, thresholds::Error> {
    rs.facts_from_host(&Obj(v.clone()))
}

#[pymethods]
impl PyRuleset {
    /// Builds a rule set from `(file name, text)` pairs, or loads precompiled bytes
    /// (`thresholds compile`, `to_precompiled`). Raises `RuleError`.
    #[new]
    fn new(py: Python<'_>, files: &Bound<'_, PyAny>) -> Res<Self> {
        let rs = if let Ok(bytes) = files.cast::<PyBytes>() {
            let bytes = bytes.as_bytes();
            py.detach(|| Ruleset::from_precompiled(bytes))
        } else {
            let files: Vec<(String, String)> = files.extract()?;
            py.detach(|| Ruleset::from_sources(files))
        }?;
        Ok(PyRuleset { rs })
    }

    /// Evaluates one referral's facts (a dict; a missing key, None or NaN is unknown) as the
    /// request JSON asks (`Ruleset.evaluate` writes it from its keyword options).
    fn _evaluate(&self, facts: &Bound<'_, PyAny>, request: &PyRequest) -> Res<Decided> {
        let f = facts_of(&self.rs, facts)?;
        Ok(Decided(self.rs.evaluate_request(&f, &request.0)?))
    }

    /// The practitioner's summary (plain text, or HTML with `html`) of the decision on these
    /// facts under this request (its `summary` implied).
    fn _summary(&self, facts: &Bound<'_, PyAny>, request: &PyRequest, html: bool) -> Res<String> {
        let f = facts_of(&self.rs, facts)?;
        let req = thresholds::Request {
            summary: true,
            ..request.0.clone()
        };
        let summary = self.rs.evaluate_request(&f, &req)?.summary;
        Ok(summary.map_or_else(String::new, |s| if html { s.html() } else { s.text }))
    }

    /// Facts JSON text in, decision JSON text out (byte-identical to every other host). With
    /// `request`, the core's request JSON (`{"reasons", "missing", "escalation": {"level",
    /// "reason"}, "questions", "answered", "summary", "explain"}`) instead of the keyword
    /// options.
    #[pyo3(signature = (facts_json, *, reasons = true, missing = true, request = None))]
    fn evaluate_json(
        &self,
        facts_json: &str,
        reasons: bool,
        missing: bool,
        request: Option<&str>,
    ) -> Res<String> {
        Ok(match request {
            Some(r) => self.rs.evaluate_request_json(facts_json, r),
            None => self
                .rs
                .evaluate_json_str_with(facts_json, Options { reasons, missing }),
        }?)
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
    ) -> Res<Vec<Decided>> {
        let mut facts = Vec::new();
        for (row, record) in records.try_iter()?.enumerate() {
            facts.push(facts_of(&self.rs, &record?).map_err(|e| Raise::Core(e, Some(row)))?);
        }
        let rs = &self.rs;
        let decisions =
            py.detach(|| rs.evaluate_all(&facts, Options { reasons, missing }, threads));
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
    ) -> Res<Bound<'py, PyDict>> {
        let rs = &self.rs;
        let mut cols = rs.columns(rows);
        for (name, kind, values, data) in &columns {
            rs.fact_index(name)?;
            let bytes = data.as_ref().map_or(&[][..], |b| b.as_bytes());
            let cells = || values.as_ref().ok_or_else(|| bad_column(name, "no cells"));
            let col = match kind.as_str() {
                "int64" => ColumnValues::from_i64_le(bytes),
                "float64" => ColumnValues::from_f64_le(bytes),
                "bool" => ColumnValues::from_bool_bytes(bytes),
                "objects" => host::column_of(cells()?.iter().map(Obj), name)?,
                "codes" => {
                    let distinct = cells()?
                        .iter()
                        .map(|u| host::to_json(&Obj(u), Some(name)))
                        .collect::<Result<_, _>>()?;
                    ColumnValues::from_codes_le(distinct, bytes)
                }
                other => return Err(bad_column(name, &format!("unknown kind `{other}`"))),
            };
            cols.set_values(rs, name, &col)
                .map_err(|e| Raise::Core(e.error, e.row))?;
        }
        let summary = py.detach(|| rs.summarise(&cols, missing, threads));
        let (levels, pathways, facts) = summary.ids(rs);
        let tuples = |sets: &[Vec<u32>], ids: Vec<&str>| -> PyResult<Vec<_>> {
            // One Python string per id, shared by every tuple holding it.
            let ids: Vec<_> = ids.into_iter().map(|s| PyString::new(py, s)).collect();
            let items = |s: &Vec<u32>| -> Vec<_> {
                s.iter().filter_map(|i| ids.get(*i as usize)).collect()
            };
            sets.iter().map(|s| PyTuple::new(py, items(s))).collect()
        };
        let le = |v: &[i32]| v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
        let out = PyDict::new(py);
        out.set_item("level", PyBytes::new(py, &le(&summary.level)))?;
        out.set_item("levels", levels)?;
        out.set_item("status", PyBytes::new(py, &summary.status))?;
        out.set_item("pathways", PyBytes::new(py, &le(&summary.pathways)))?;
        out.set_item("pathway_sets", tuples(&summary.pathway_sets, pathways)?)?;
        out.set_item("missing", PyBytes::new(py, &le(&summary.missing)))?;
        out.set_item("missing_sets", tuples(&summary.missing_sets, facts)?)?;
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
    ) -> Res<Bound<'py, PyAny>> {
        let f = facts_of(&self.rs, facts)?;
        let qs = py.detach(|| self.rs.questions(&f, &answered));
        ser_to_py(py, &qs)
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
    ) -> Res<Bound<'py, PyAny>> {
        let facts = json_text(facts, None)?;
        let answer = json_text(answer, Some(question))?;
        let out = self.rs.answer_json(&facts, &answered, question, &answer);
        json_to_py(py, &out?)
    }

    /// The interview protocol on one child's truth (the facts given, and the benign answer to
    /// every other fact): answers until the level shown is final and until complete, the
    /// questions asked, and the final level and pathways (a dict).
    fn interview<'py>(&self, py: Python<'py>, facts: &Bound<'_, PyAny>) -> Res<Bound<'py, PyAny>> {
        let f = facts_of(&self.rs, facts)?;
        let run = py.detach(|| self.rs.interview(&f));
        ser_to_py(py, &run)
    }

    /// The declared facts: id, type, min/max or values, question, help, domain, benign.
    #[getter]
    fn facts<'py>(&self, py: Python<'py>) -> Res<Bound<'py, PyAny>> {
        ser_to_py(py, &self.rs.facts_info())
    }

    /// Name, version, hash, levels, pathways, matrices, guidance and the number of rules.
    #[getter]
    fn info<'py>(&self, py: Python<'py>) -> Res<Bound<'py, PyAny>> {
        ser_to_py(py, &self.rs.info())
    }

    /// Runs the tests written in the rule files: a dict of results and unfired rules.
    fn _run_tests<'py>(&self, py: Python<'py>) -> Res<Bound<'py, PyAny>> {
        let report = py.detach(|| self.rs.run_tests());
        ser_to_py(py, &report)
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
    fn to_precompiled<'py>(&self, py: Python<'py>) -> Res<Bound<'py, PyBytes>> {
        Ok(PyBytes::new(py, &self.rs.to_precompiled()?))
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> Res<Reduced<'py>> {
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
        let r = &self.rs;
        format!(
            "<Ruleset {:?} version {:?} {}>",
            r.name(),
            r.version(),
            r.hash()
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
    fn new(text: &str) -> Res<Self> {
        Ok(PyRequest(thresholds::Request::from_json(text)?))
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
) -> Res<(Bound<'py, PyAny>, Vec<ChangedRecord>)> {
    let (old, new) = (old.get(), new.get());
    let (mut old_facts, mut new_facts) = (Vec::new(), Vec::new());
    for (row, record) in records.try_iter()?.enumerate() {
        let record = record?;
        let both = facts_of(&old.rs, &record).and_then(|a| Ok((a, facts_of(&new.rs, &record)?)));
        let (a, b) = both.map_err(|e| Raise::Core(e, Some(row)))?;
        old_facts.push(a);
        new_facts.push(b);
    }
    let mut c = py.detach(|| {
        thresholds::compare_converted(&old.rs, &new.rs, &old_facts, &new_facts, threads)
    })?;
    let changes = std::mem::take(&mut c.changes)
        .into_iter()
        .map(|ch| (ch.index, Decided(ch.old), Decided(ch.new)))
        .collect();
    Ok((ser_to_py(py, &c)?, changes))
}

/// The shipped rule set's sources, as `(name, text)` pairs.
#[pyfunction]
fn builtin_sources() -> Res<Vec<(String, String)>> {
    Ok(Ruleset::builtin()?.files().to_vec())
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
