//! Batch evaluation for hosts that hold many referrals at once (data frames, record streams).
//!
//! Facts can be built column by column without JSON: a host hands over each column's distinct
//! values once ([`Ruleset::encode_values`], with the same checks and error codes as JSON facts)
//! and then one small integer per row saying which distinct value it holds ([`Columns::set`]).
//! [`Ruleset::evaluate_all`] evaluates many converted facts on several standard threads and
//! returns the decisions in input order; the result is the same as calling
//! [`Ruleset::evaluate`] on each, in any thread count.

use crate::decision::{CompactDecision, Decision, Options};
use crate::diag::did_you_mean;
use crate::diag::{Code, Diagnostic};
use crate::error::Error;
use crate::facts::{self, Facts};
use crate::ruleset::Ruleset;

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
            match facts::value_from_json(f, v) {
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

    /// Facts with every fact unknown, to fill in with [`Ruleset::set_encoded`].
    pub fn unknown_facts(&self) -> Facts {
        Facts {
            slots: vec![None; self.program().facts.len()],
        }
    }

    /// Sets one fact to a value that [`Ruleset::encode_values`] returned for that fact (hosts
    /// cache those to convert records without JSON). A value that encoding could not have
    /// produced, or a fact index past the declared facts, is an error `thr::facts::wrong_type`.
    pub fn set_encoded(
        &self,
        facts: &mut Facts,
        fact: usize,
        value: Option<i64>,
    ) -> Result<(), Error> {
        use crate::ir::FactTy;
        let valid = self.program().facts.get(fact).is_some_and(|f| {
            value.is_none_or(|v| match &f.ty {
                FactTy::Bool => v == 0 || v == 1,
                FactTy::Int { lo, hi } => *lo <= v && v <= *hi,
                FactTy::Enum(codes) => usize::try_from(v).is_ok_and(|i| i < codes.len()),
                FactTy::Set(codes) => codes.len() >= 63 || (0..1i64 << codes.len()).contains(&v),
            })
        });
        match facts.slots.get_mut(fact) {
            Some(slot) if valid => {
                *slot = value;
                Ok(())
            }
            _ => Err(Error::facts(vec![Diagnostic::error(
                Code::FactType,
                format!("value {value:?} is not an encoded value of fact {fact}"),
            )])),
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

/// `f` on every item, in order, on up to `threads` standard threads (0: the machine's cores).
/// Small batches stay on the calling thread.
fn par_map<T: Sync, R: Send>(items: &[T], threads: usize, f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let wanted = if threads == 0 {
        Ruleset::cores()
    } else {
        threads
    };
    let threads = wanted.min(items.len() / MIN_ROWS_PER_THREAD).max(1);
    if threads == 1 {
        return items.iter().map(&f).collect();
    }
    let chunk = items.len().div_ceil(threads);
    let f = &f;
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(f).collect::<Vec<_>>()))
            .collect();
        let mut out = Vec::with_capacity(items.len());
        for (h, part) in handles.into_iter().zip(items.chunks(chunk)) {
            match h.join() {
                Ok(mut rs) => out.append(&mut rs),
                // A worker cannot panic (evaluation never does); if one did, redo its part
                // here so the caller still gets every result.
                Err(_) => out.extend(part.iter().map(f)),
            }
        }
        out
    })
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
        let mut f = rs.unknown_facts();
        assert!(rs.set_encoded(&mut f, kind, Some(2)).is_err());
        assert!(rs.set_encoded(&mut f, 99, None).is_err());
        let age = rs.fact_index("age").unwrap();
        assert!(rs.set_encoded(&mut f, age, Some(26)).is_err());
        rs.set_encoded(&mut f, age, Some(3)).unwrap();
        rs.set_encoded(&mut f, kind, Some(1)).unwrap();
        assert_eq!(f, rs.facts_from_json(r#"{"age":3,"kind":"y"}"#).unwrap());
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
}
