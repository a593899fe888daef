//! Batch evaluation for hosts that hold many referrals at once (data frames, record streams).
//!
//! Facts can be built column by column without JSON: a host hands over each column's distinct
//! values once ([`Ruleset::encode_values`], with the same checks and error codes as JSON facts)
//! and then one small integer per row saying which distinct value it holds ([`Columns::set`]).
//! [`Ruleset::evaluate_all`] evaluates many converted facts on several standard threads and
//! returns the decisions in input order; the result is the same as calling
//! [`Ruleset::evaluate`] on each, in any thread count.
//!
//! For a whole table, [`ColumnValues`] turns a host's column (numeric arrays as bytes, or cells
//! one at a time) into distinct values and codes, [`Columns::set_values`] checks and sets it
//! (an error names the first row at fault), and [`Ruleset::summarise`] evaluates every row on
//! several threads into per-row codes ([`BatchSummary`]), the same for any thread count.

use crate::decision::{CompactDecision, Decision, Options};
use crate::diag::did_you_mean;
use crate::diag::{Code, Diagnostic};
use crate::error::Error;
use crate::facts::{self, Facts};
use crate::host::View;
use crate::ruleset::Ruleset;
use serde_json::Value;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Batches smaller than this are evaluated on the calling thread.
const MIN_ROWS_PER_THREAD: usize = 512;

/// One fact's column: the encoded distinct values and one code per row into them.
type Column = (Vec<Option<i64>>, Vec<i64>);

/// Facts for many referrals, filled in one fact (column) at a time. Every fact starts unknown.
/// Stored by column (each set column keeps its table of distinct values and one code per
/// row), so filling is sequential and rows are gathered only when evaluated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Columns {
    width: usize,
    rows: usize,
    /// Per fact: the encoded distinct values and, per row, an index into them (negative:
    /// unknown; every non-negative code is checked to be in the table). `None`: all unknown.
    columns: Vec<Option<Column>>,
}

impl Columns {
    /// The number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Sets one fact for every row. `table` is what [`Ruleset::encode_values`] returned for
    /// the column's distinct values; `codes[row]` is an index into it, or negative for unknown.
    /// Errors (code `thr::facts::wrong_type`) when `codes` has the wrong length, the fact index
    /// is out of range, or a code points past the table.
    pub fn set(&mut self, fact: usize, table: &[Option<i64>], codes: &[i64]) -> Result<(), Error> {
        if fact >= self.width || codes.len() != self.rows {
            return Err(Error::facts(vec![Diagnostic::error(
                Code::FactType,
                format!(
                    "column {fact} has {} values for {} rows of {} facts",
                    codes.len(),
                    self.rows,
                    self.width
                ),
            )]));
        }
        if let Some((row, i)) = codes
            .iter()
            .enumerate()
            .find(|(_, c)| usize::try_from(**c).is_ok_and(|i| i >= table.len()))
        {
            return Err(Error::facts(vec![Diagnostic::error(
                Code::FactType,
                format!(
                    "row {row} of column {fact} refers to value {i} of {}",
                    table.len()
                ),
            )]));
        }
        if let Some(slot) = self.columns.get_mut(fact) {
            *slot = Some((table.to_vec(), codes.to_vec()));
        }
        Ok(())
    }

    /// Writes row `row`'s slots into `slots` (one per fact).
    fn fill(&self, row: usize, slots: &mut [Option<i64>]) {
        for (slot, column) in slots.iter_mut().zip(&self.columns) {
            *slot = column.as_ref().and_then(|(table, codes)| {
                let code = usize::try_from(*codes.get(row)?).ok()?;
                *table.get(code)?
            });
        }
    }

    /// The facts of one row, ready to evaluate; `None` past the last row.
    pub fn row(&self, row: usize) -> Option<Facts> {
        (row < self.rows).then(|| {
            let mut slots = vec![None; self.width];
            self.fill(row, &mut slots);
            Facts { slots }
        })
    }

    /// Every row's facts, in order.
    pub fn to_facts(&self) -> Vec<Facts> {
        (0..self.rows).filter_map(|r| self.row(r)).collect()
    }
}

/// A multiplicative hasher for keys that are bit patterns, addresses or small codes of this
/// process (no denial-of-service concern), for the per-cell lookups of a column.
#[derive(Default, Debug, Clone, Copy)]
pub(crate) struct CellHasher(u64);

impl Hasher for CellHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.write_u64(u64::from(*b));
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

/// A hash map keyed by bit patterns, addresses or codes ([`CellHasher`]).
pub(crate) type CellMap<K, V> = HashMap<K, V, BuildHasherDefault<CellHasher>>;

/// One column of a table on its way to a fact: its distinct values in order of first
/// appearance and, per row, the index of the row's value among them (-1: unknown). Each distinct
/// value is checked and encoded once, by [`Columns::set_values`].
#[derive(Debug, Default, Clone)]
pub struct ColumnValues {
    distinct: Vec<Value>,
    codes: Vec<i64>,
    /// Codes by a key the host chose (a bit pattern or an address), and by value JSON text.
    by_key: CellMap<u64, i64>,
    by_text: HashMap<String, i64>,
    /// The first row holding a value no fact can hold (an infinite float), and what it is.
    invalid: Option<(usize, String)>,
}

impl ColumnValues {
    /// An empty column with room for `rows` rows.
    pub fn with_rows(rows: usize) -> ColumnValues {
        ColumnValues {
            codes: Vec::with_capacity(rows),
            ..ColumnValues::default()
        }
    }

    /// Little-endian `int64` values, 8 bytes a row.
    pub fn from_i64_le(bytes: &[u8]) -> ColumnValues {
        let mut c = ColumnValues::with_rows(bytes.len() / 8);
        for w in words(bytes) {
            c.push_key(w, || Value::from(signed(w)));
        }
        c
    }

    /// Little-endian `float64` values, 8 bytes a row, by the rule for floats ([`View::float`]:
    /// NaN is unknown, a whole number is that integer; an infinite one is an error when the
    /// column is set, naming its row).
    pub fn from_f64_le(bytes: &[u8]) -> ColumnValues {
        let mut c = ColumnValues::with_rows(bytes.len() / 8);
        for (row, w) in words(bytes).enumerate() {
            match View::float(f64::from_bits(w)) {
                View::Number(n) => c.push_key(w, || Value::Number(n)),
                View::Null => c.codes.push(-1),
                other => {
                    c.invalid
                        .get_or_insert_with(|| (row, other.found().into_owned()));
                    c.codes.push(-1);
                }
            }
        }
        c
    }

    /// One byte a row, zero for `false` (numpy's booleans).
    pub fn from_bool_bytes(bytes: &[u8]) -> ColumnValues {
        let mut c = ColumnValues::with_rows(bytes.len());
        for b in bytes {
            c.push_key(u64::from(*b != 0), || Value::Bool(*b != 0));
        }
        c
    }

    /// Distinct values worked out by the host (a categorical column) and, per row, a
    /// little-endian `int64` index into them (negative: unknown).
    pub fn from_codes_le(distinct: Vec<Value>, bytes: &[u8]) -> ColumnValues {
        ColumnValues {
            distinct,
            codes: words(bytes).map(signed).collect(),
            ..ColumnValues::default()
        }
    }

    /// The number of rows so far.
    pub fn len(&self) -> usize {
        self.codes.len()
    }

    /// Whether there are no rows yet.
    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }

    /// Appends a row holding the value of an earlier row's code, or -1 for unknown.
    pub(crate) fn push_code(&mut self, code: i64) {
        self.codes.push(code);
    }

    /// Appends a row holding `v` (`null` is unknown); returns its code.
    #[cfg(test)]
    pub(crate) fn push_value(&mut self, v: Value) -> i64 {
        let code = self.code_of(v);
        self.codes.push(code);
        code
    }

    /// The code a host's key was given ([`ColumnValues::set_key`]).
    pub(crate) fn code_of_key(&self, key: u64) -> Option<i64> {
        self.by_key.get(&key).copied()
    }

    /// Gives a host's key (an address, say) the code of the value it stands for.
    pub(crate) fn set_key(&mut self, key: u64, code: i64) {
        self.by_key.insert(key, code);
    }

    /// Appends a row whose value the host identifies by `key`: `make` runs only for a key not
    /// seen before in this column.
    fn push_key(&mut self, key: u64, make: impl FnOnce() -> Value) {
        let code = match self.code_of_key(key) {
            Some(code) => code,
            None => {
                let code = self.code_of(make());
                self.set_key(key, code);
                code
            }
        };
        self.codes.push(code);
    }

    /// The code of `v` among the distinct values, added if new (equal JSON, one code).
    pub(crate) fn code_of(&mut self, v: Value) -> i64 {
        if v.is_null() {
            return -1;
        }
        let text = v.to_string();
        if let Some(code) = self.by_text.get(&text) {
            return *code;
        }
        let code = i64::try_from(self.distinct.len()).unwrap_or(i64::MAX);
        self.distinct.push(v);
        self.by_text.insert(text, code);
        code
    }
}

/// Eight-byte little-endian words.
fn words(bytes: &[u8]) -> impl Iterator<Item = u64> + '_ {
    bytes.chunks_exact(8).map(|b| {
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        u64::from_le_bytes(a)
    })
}

/// The two's-complement reading of a word.
fn signed(w: u64) -> i64 {
    i64::from_ne_bytes(w.to_ne_bytes())
}

/// A column that cannot be set: the error, and the first row holding a value at fault.
#[derive(Debug)]
pub struct ColumnError {
    /// The coded error (kind `facts`).
    pub error: Error,
    /// The row of the first value at fault, when one is.
    pub row: Option<usize>,
}

impl Columns {
    /// Sets fact `name`'s column from a host's values, each distinct value checked and encoded
    /// once ([`Ruleset::encode_values`], so with the errors JSON facts get). Errors: an unknown
    /// fact (`thr::facts::unknown_fact`), a row count other than this table's
    /// (`thr::facts::wrong_type`), or a value the fact cannot take, with the first row
    /// holding it.
    pub fn set_values(
        &mut self,
        rs: &Ruleset,
        name: &str,
        values: &ColumnValues,
    ) -> Result<(), ColumnError> {
        let at = |error, row| ColumnError { error, row };
        let fact = rs.fact_index(name).map_err(|e| at(e, None))?;
        if values.codes.len() != self.rows {
            let message = format!(
                "column `{name}`: {} values for {} rows",
                values.codes.len(),
                self.rows
            );
            let e = Error::host(
                crate::ErrorKind::Facts,
                Code::FactType,
                message,
                None,
                Some(name.into()),
            );
            return Err(at(e, None));
        }
        if let Some((row, found)) = &values.invalid {
            return Err(at(crate::host::cannot(found, Some(name)), Some(*row)));
        }
        let table = rs.encode_values(fact, &values.distinct).map_err(|e| {
            let bad = values
                .distinct
                .iter()
                .position(|v| rs.encode_values(fact, std::slice::from_ref(v)).is_err());
            let row = bad.and_then(|k| {
                values
                    .codes
                    .iter()
                    .position(|c| usize::try_from(*c).is_ok_and(|c| c == k))
            });
            at(e, row)
        })?;
        self.set(fact, &table, &values.codes)
            .map_err(|e| at(e, None))
    }
}

/// Every row's decision as codes ([`Ruleset::summarise`]): per row, the level's index in
/// `info().levels` (-1: none), whether it is provisional, and the ids of its pathways and its
/// missing facts among the distinct lists, which are each held once.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct BatchSummary {
    /// Per row: the level's index, or -1.
    pub level: Vec<i32>,
    /// Per row: 1 when provisional, else 0.
    pub status: Vec<u8>,
    /// Per row: an index into `pathway_sets`.
    pub pathways: Vec<i32>,
    /// Per row: an index into `missing_sets`.
    pub missing: Vec<i32>,
    /// The distinct pathway lists (indexes into `info().pathways`, most urgent first).
    pub pathway_sets: Vec<Vec<u32>>,
    /// The distinct missing-fact lists (fact indexes, most decisive first).
    pub missing_sets: Vec<Vec<u32>>,
}

/// What a [`BatchSummary`]'s codes stand for: the level ids (lowest first), the pathway ids
/// (`pathway_sets` index them) and the fact ids (`missing_sets` index them).
pub type IdTables<'a> = (Vec<&'a str>, Vec<&'a str>, Vec<&'a str>);

impl BatchSummary {
    /// The ids the codes index, of `rs` (the rule set that made the summary). A host makes each
    /// id once, and shares it between the distinct lists that hold it.
    pub fn ids<'a>(&self, rs: &'a Ruleset) -> IdTables<'a> {
        let p = rs.program();
        (
            p.levels.iter().map(|l| l.id.as_str()).collect(),
            p.pathways.iter().map(|x| x.id.as_str()).collect(),
            p.facts.iter().map(|f| f.id.as_str()).collect(),
        )
    }
}

/// Interns equal index lists, so a host builds each distinct one once.
#[derive(Default)]
struct Interner {
    ids: CellMap<Vec<u32>, i32>,
    values: Vec<Vec<u32>>,
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

/// A [`BatchSummary`] being built, one chunk of rows.
#[derive(Default)]
struct Chunk {
    level: Vec<i32>,
    status: Vec<u8>,
    pathways: Vec<i32>,
    missing: Vec<i32>,
    pathway_sets: Interner,
    missing_sets: Interner,
}

impl Chunk {
    fn with_rows(rows: usize) -> Chunk {
        Chunk {
            level: Vec::with_capacity(rows),
            status: Vec::with_capacity(rows),
            pathways: Vec::with_capacity(rows),
            missing: Vec::with_capacity(rows),
            ..Chunk::default()
        }
    }

    fn push(&mut self, d: &CompactDecision) {
        self.level
            .push(d.level.and_then(|l| i32::try_from(l).ok()).unwrap_or(-1));
        self.status.push(u8::from(d.provisional));
        self.pathways.push(self.pathway_sets.id(&d.pathways));
        self.missing.push(self.missing_sets.id(&d.missing));
    }

    /// Appends another chunk's rows, re-numbering its lists into this one's: the ids are then
    /// those a single pass would give, so the result does not depend on the chunking.
    fn append(&mut self, other: Chunk) {
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

impl Ruleset {
    /// The machine's cores (what a thread count of 0 means), read once: asking the system
    /// takes tens of microseconds (cgroup files), which small batches should not pay per call.
    pub fn cores() -> usize {
        static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
        *CORES.get_or_init(|| {
            std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
        })
    }

    /// The position of a declared fact, for [`Columns::set`]. An undeclared name is a facts
    /// error `thr::facts::unknown_fact` naming it, with a "did you mean".
    pub fn fact_index(&self, name: &str) -> Result<usize, Error> {
        let facts = &self.program().facts;
        facts.iter().position(|f| f.id == name).ok_or_else(|| {
            Error::facts(vec![Diagnostic::error(
                Code::UnknownFact,
                format!("unknown fact `{name}`"),
            )
            .for_fact(name)
            .help_opt(did_you_mean(name, facts.iter().map(|f| f.id.as_str())))])
        })
    }

    /// Converts a column's distinct values (as JSON values; `null` is unknown) for the fact
    /// at `fact`. The checks and error codes are those of JSON facts; every bad value is
    /// reported.
    pub fn encode_values(
        &self,
        fact: usize,
        values: &[serde_json::Value],
    ) -> Result<Vec<Option<i64>>, Error> {
        let Some(f) = self.program().facts.get(fact) else {
            return Err(Error::facts(vec![Diagnostic::error(
                Code::UnknownFact,
                format!(
                    "fact index {fact} is past the {} declared facts",
                    self.program().facts.len()
                ),
            )]));
        };
        let mut errors = Vec::new();
        let mut out = Vec::with_capacity(values.len());
        for v in values {
            match facts::value_from_host(f, v) {
                Ok(x) => out.push(x),
                Err(d) => {
                    out.push(None);
                    errors.push(d);
                }
            }
        }
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(Error::facts(errors))
        }
    }

    /// Empty columns (every fact unknown) for `rows` referrals.
    pub fn columns(&self, rows: usize) -> Columns {
        let width = self.program().facts.len();
        Columns {
            width,
            rows,
            columns: vec![None; width],
        }
    }

    /// Evaluates rows `rows` of `columns` into compact decisions (see
    /// [`Ruleset::evaluate_compact`]), in order, passing each to `each` with its row number.
    /// No per-row facts are kept: one buffer is refilled for every row. Rows past the end are
    /// skipped. Hosts split a large batch into row ranges, one per thread.
    pub fn evaluate_rows_compact(
        &self,
        columns: &Columns,
        rows: std::ops::Range<usize>,
        missing: bool,
        mut each: impl FnMut(usize, CompactDecision),
    ) {
        let mut facts = Facts {
            slots: vec![None; columns.width],
        };
        for row in rows.start..rows.end.min(columns.rows) {
            columns.fill(row, &mut facts.slots);
            each(row, self.evaluate_compact(&facts, missing));
        }
    }

    /// Evaluates every row of `columns` on up to `threads` threads (0: every core) into codes,
    /// with `missing` worked out or not ([`Ruleset::evaluate_compact`]). Large tables are split
    /// into chunks of rows; the result is the same for any thread count.
    pub fn summarise(&self, columns: &Columns, missing: bool, threads: usize) -> BatchSummary {
        let rows = columns.rows;
        let run = |range: std::ops::Range<usize>| {
            let mut c = Chunk::with_rows(range.len());
            self.evaluate_rows_compact(columns, range, missing, |_, d| c.push(&d));
            c
        };
        let mut parts = par_chunks(rows, threads, run).into_iter();
        let mut out = parts.next().unwrap_or_default();
        for p in parts {
            out.append(p);
        }
        let Chunk {
            level,
            status,
            pathways,
            missing,
            pathway_sets,
            missing_sets,
        } = out;
        BatchSummary {
            level,
            status,
            pathways,
            missing,
            pathway_sets: pathway_sets.values,
            missing_sets: missing_sets.values,
        }
    }

    /// Evaluates every facts value, in order, on up to `threads` threads (0 means as many as
    /// the machine has). Small batches stay on the calling thread.
    pub fn evaluate_all(&self, facts: &[Facts], options: Options, threads: usize) -> Vec<Decision> {
        par_map(facts, threads, |f| self.evaluate(f, options))
    }

    /// [`Ruleset::evaluate_compact`] on every facts value, in order, on up to `threads` threads
    /// (0 means as many as the machine has).
    pub fn evaluate_compact_all(
        &self,
        facts: &[Facts],
        missing: bool,
        threads: usize,
    ) -> Vec<CompactDecision> {
        par_map(facts, threads, |f| self.evaluate_compact(f, missing))
    }
}

/// `run` on consecutive ranges of `0..rows`, on up to `threads` standard threads (0: the
/// machine's cores), the results in order. Ranges are never smaller than
/// [`MIN_ROWS_PER_THREAD`], so small batches stay on the calling thread.
fn par_chunks<R: Send>(
    rows: usize,
    threads: usize,
    run: impl Fn(std::ops::Range<usize>) -> R + Sync,
) -> Vec<R> {
    let wanted = if threads == 0 {
        Ruleset::cores()
    } else {
        threads
    };
    let threads = wanted.min(rows / MIN_ROWS_PER_THREAD).max(1);
    if threads == 1 {
        return vec![run(0..rows)];
    }
    let chunk = rows.div_ceil(threads);
    let ranges: Vec<_> = (0..threads)
        .map(|t| (t * chunk).min(rows)..((t + 1) * chunk).min(rows))
        .collect();
    let run = &run;
    std::thread::scope(|scope| {
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
            // A worker cannot panic (evaluation never does); if one did, its range is redone
            // here so the caller still gets every result.
            .map(|(h, r)| h.join().unwrap_or_else(|_| run(r.clone())))
            .collect()
    })
}

/// `f` on every item, in order, on up to `threads` standard threads (0: the machine's cores).
fn par_map<T: Sync, R: Send>(items: &[T], threads: usize, f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    par_chunks(items.len(), threads, |r| {
        items
            .get(r)
            .unwrap_or(&[])
            .iter()
            .map(&f)
            .collect::<Vec<_>>()
    })
    .into_iter()
    .flatten()
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: &str = r#"
ruleset "batch" version "1"
levels { low "Low" -> a  high "High" -> b }
pathways { a "A" "Do a."  b "B" "Do b." }
fact age: int 0..25 { question "Age?" }
fact danger: bool { question "Danger?" }
fact kind: enum { x, y } { question "Kind?" }
rule r1 { when danger then level high because "Danger." }
rule r2 { when age < 5 and kind == y then level high because "Young y." }
"#;

    fn rules() -> Ruleset {
        Ruleset::from_source("batch.thr", RULES).unwrap()
    }

    #[test]
    fn columns_match_json_facts() {
        let rs = rules();
        let age = rs.fact_index("age").unwrap();
        let danger = rs.fact_index("danger").unwrap();
        let mut cols = rs.columns(3);
        let t = rs
            .encode_values(age, &[serde_json::json!(3), serde_json::json!(9)])
            .unwrap();
        cols.set(age, &t, &[0, 1, -1]).unwrap();
        let t = rs
            .encode_values(danger, &[serde_json::json!(true)])
            .unwrap();
        cols.set(danger, &t, &[-1, -1, 0]).unwrap();
        let texts = [r#"{"age":3}"#, r#"{"age":9}"#, r#"{"danger":true}"#];
        for (i, text) in texts.iter().enumerate() {
            assert_eq!(cols.row(i).unwrap(), rs.facts_from_json(text).unwrap());
        }
        assert_eq!(cols.row(3), None);
        let facts = cols.to_facts();
        let mut compact = Vec::new();
        rs.evaluate_rows_compact(&cols, 1..9, true, |row, d| compact.push((row, d)));
        let want: Vec<_> = (1..3)
            .filter_map(|r| Some((r, rs.evaluate_compact(&cols.row(r)?, true))))
            .collect();
        assert_eq!(compact, want);
        let one: Vec<Decision> = facts
            .iter()
            .map(|f| rs.evaluate(f, Options::default()))
            .collect();
        assert_eq!(rs.evaluate_all(&facts, Options::default(), 1), one);
    }

    #[test]
    fn bad_values_and_names_are_coded_errors() {
        let rs = rules();
        let e = rs.fact_index("dangr").unwrap_err();
        assert_eq!(e.code(), "thr::facts::unknown_fact");
        assert_eq!(
            e.detailed().first().and_then(|d| d.fact.as_deref()),
            Some("dangr")
        );
        let kind = rs.fact_index("kind").unwrap();
        let e = rs
            .encode_values(
                kind,
                &[
                    serde_json::json!("x"),
                    serde_json::json!("z"),
                    serde_json::json!(1),
                ],
            )
            .unwrap_err();
        let codes: Vec<String> = e.detailed().into_iter().map(|d| d.code).collect();
        assert_eq!(
            codes,
            ["thr::facts::unknown_code", "thr::facts::wrong_type"]
        );
        let mut cols = rs.columns(2);
        assert!(cols.set(kind, &[Some(0)], &[0]).is_err());
        assert!(cols.set(kind, &[Some(0)], &[0, 1]).is_err());
        assert!(cols.set(99, &[Some(0)], &[0, 0]).is_err());
        assert!(rs.encode_values(99, &[]).is_err());
    }

    #[test]
    fn threads_do_not_change_decisions() {
        let rs = rules();
        let facts: Vec<Facts> = (0..5_000)
            .map(|i| {
                let text = match i % 4 {
                    0 => format!(r#"{{"age":{}}}"#, i % 26),
                    1 => format!(r#"{{"age":{},"kind":"y"}}"#, i % 26),
                    2 => r#"{"danger":false}"#.to_string(),
                    _ => r#"{"danger":true,"kind":"x"}"#.to_string(),
                };
                rs.facts_from_json(&text).unwrap()
            })
            .collect();
        let one = rs.evaluate_all(&facts, Options::default(), 1);
        assert_eq!(one.len(), facts.len());
        assert_eq!(rs.evaluate_all(&facts, Options::default(), 2), one);
        assert_eq!(rs.evaluate_all(&facts, Options::default(), 0), one);
        assert_eq!(
            facts
                .get(1)
                .map(|f| rs.evaluate(f, Options::default()))
                .as_ref(),
            one.get(1)
        );
        assert!(rs.evaluate_all(&[], Options::default(), 2).is_empty());
    }

    fn le<T: Copy>(xs: &[T], bytes: impl Fn(T) -> [u8; 8]) -> Vec<u8> {
        xs.iter().flat_map(|x| bytes(*x)).collect()
    }

    #[test]
    fn a_host_column_becomes_the_facts_its_values_are() {
        let rs = rules();
        let rows = 5;
        let mut cols = rs.columns(rows);
        let ages =
            ColumnValues::from_f64_le(&le(&[3.0, f64::NAN, 9.0, 3.0, 12.0], f64::to_le_bytes));
        assert_eq!(ages.len(), rows);
        cols.set_values(&rs, "age", &ages).unwrap();
        let danger = ColumnValues::from_bool_bytes(&[0, 1, 0, 0, 2]);
        cols.set_values(&rs, "danger", &danger).unwrap();
        let mut kinds = ColumnValues::with_rows(rows);
        assert_eq!(kinds.push_value(serde_json::json!("y")), 0);
        kinds.push_key(7, || serde_json::json!("x"));
        assert_eq!(kinds.code_of_key(7), Some(1));
        kinds.push_key(7, || unreachable!("a key seen before is not made again"));
        kinds.push_code(-1);
        assert_eq!(kinds.push_value(serde_json::json!(null)), -1);
        cols.set_values(&rs, "kind", &kinds).unwrap();
        let want = [
            r#"{"age":3,"danger":false,"kind":"y"}"#,
            r#"{"danger":true,"kind":"x"}"#,
            r#"{"age":9,"danger":false,"kind":"x"}"#,
            r#"{"age":3,"danger":false}"#,
            r#"{"age":12,"danger":true}"#,
        ];
        for (i, text) in want.iter().enumerate() {
            assert_eq!(
                cols.row(i).unwrap(),
                rs.facts_from_json(text).unwrap(),
                "row {i}"
            );
        }
        let ints = ColumnValues::from_i64_le(&le(&[3i64, 9, 3, 3, 3], i64::to_le_bytes));
        let coded = ColumnValues::from_codes_le(
            vec![serde_json::json!(3), serde_json::json!(9)],
            &le(&[0i64, 1, 0, 0, 0], i64::to_le_bytes),
        );
        let (mut a, mut b) = (rs.columns(rows), rs.columns(rows));
        a.set_values(&rs, "age", &ints).unwrap();
        b.set_values(&rs, "age", &coded).unwrap();
        assert_eq!(a, b);
        let mut c = rs.columns(3);
        let inf = ColumnValues::from_f64_le(&le(&[9.0, f64::INFINITY, 2.0], f64::to_le_bytes));
        let e = c.set_values(&rs, "age", &inf).unwrap_err();
        assert_eq!((e.error.code(), e.row), ("thr::facts::wrong_type", Some(1)));
        assert!(e.error.to_string().contains("`inf`"), "{}", e.error);
    }

    #[test]
    fn a_column_that_cannot_be_set_says_which_row() {
        let rs = rules();
        let mut cols = rs.columns(3);
        let ages = ColumnValues::from_i64_le(&le(&[3i64, 3, 40], i64::to_le_bytes));
        let e = cols.set_values(&rs, "age", &ages).unwrap_err();
        assert_eq!(
            (e.error.code(), e.row),
            ("thr::facts::out_of_range", Some(2))
        );
        let mut kinds = ColumnValues::default();
        for v in ["x", "z", "z"] {
            kinds.push_value(serde_json::json!(v));
        }
        let e = cols.set_values(&rs, "kind", &kinds).unwrap_err();
        assert_eq!(
            (e.error.code(), e.row),
            ("thr::facts::unknown_code", Some(1))
        );
        let e = cols.set_values(&rs, "agee", &ages).unwrap_err();
        assert_eq!((e.error.code(), e.row), ("thr::facts::unknown_fact", None));
        let short = ColumnValues::from_bool_bytes(&[1, 0]);
        let e = cols.set_values(&rs, "danger", &short).unwrap_err();
        assert_eq!((e.error.code(), e.row), ("thr::facts::wrong_type", None));
        assert_eq!(
            e.error.to_string(),
            "thr::facts::wrong_type: column `danger`: 2 values for 3 rows"
        );
        let past = ColumnValues::from_codes_le(
            vec![serde_json::json!(true)],
            &le(&[0i64, 1, 0], i64::to_le_bytes),
        );
        assert!(cols.set_values(&rs, "danger", &past).is_err());
    }

    #[test]
    fn a_summary_is_each_rows_compact_decision_in_any_thread_count() {
        let rs = rules();
        let rows = 3_000;
        let mut cols = rs.columns(rows);
        let age: Vec<i64> = (0..rows).map(|i| i64::try_from(i % 26).unwrap()).collect();
        let mut ages = ColumnValues::from_i64_le(&le(&age, i64::to_le_bytes));
        // Every seventh row's age unknown.
        ages = ColumnValues::from_codes_le(
            ages.distinct.clone(),
            &le(
                &ages
                    .codes
                    .iter()
                    .enumerate()
                    .map(|(i, c)| if i % 7 == 0 { -1 } else { *c })
                    .collect::<Vec<_>>(),
                i64::to_le_bytes,
            ),
        );
        cols.set_values(&rs, "age", &ages).unwrap();
        let kinds: Vec<u8> = (0..rows).map(|i| u8::from(i % 3 == 0)).collect();
        let mut kind = ColumnValues::with_rows(rows);
        for k in kinds {
            kind.push_value(serde_json::json!(if k == 1 { "y" } else { "x" }));
        }
        cols.set_values(&rs, "kind", &kind).unwrap();
        let one = rs.summarise(&cols, true, 1);
        assert_eq!(one.level.len(), rows);
        for row in [0, 1, 3, 7, 2_999] {
            let d = rs.evaluate_compact(&cols.row(row).unwrap(), true);
            let at = |ids: &[i32], sets: &[Vec<u32>]| {
                sets.get(usize::try_from(ids[row]).unwrap())
                    .cloned()
                    .unwrap()
            };
            assert_eq!(one.level[row], i32::try_from(d.level.unwrap()).unwrap());
            assert_eq!(one.status[row], u8::from(d.provisional));
            assert_eq!(at(&one.pathways, &one.pathway_sets), d.pathways);
            assert_eq!(at(&one.missing, &one.missing_sets), d.missing);
        }
        assert!(
            one.missing_sets.iter().any(|m| !m.is_empty()),
            "some rows miss facts"
        );
        for threads in [2, 3, 0] {
            assert_eq!(rs.summarise(&cols, true, threads), one, "{threads} threads");
        }
        assert_eq!(
            rs.summarise(&rs.columns(0), false, 2),
            BatchSummary::default()
        );
    }
}
