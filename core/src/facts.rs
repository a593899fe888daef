//! Facts: converting a JSON object (or a rule-file test's `given`) into fact slots, and back.
//!
//! A slot holds `None` (unknown), a bool as 0/1, an int, an enum code's index, or a set as a bit mask.

#[cfg(feature = "source")]
use crate::ast;
use crate::diag::did_you_mean;
use crate::diag::{Code, Diagnostic};
use crate::host::{HostValue, View};
use crate::ir::{Fact, FactTy, Program};
use crate::json_reader::{JsonError, Kind, Reader};

/// Converted facts, one slot per declared fact; ready to evaluate many times.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    pub(crate) slots: Vec<Option<i64>>,
}

impl Facts {
    /// How many facts are known.
    pub fn known_count(&self) -> usize {
        self.slots.iter().filter(|s| s.is_some()).count()
    }
}

fn expected(fact: &Fact) -> String {
    match &fact.ty {
        FactTy::Bool => "true or false".into(),
        FactTy::Int { lo, hi } => format!("a whole number from {lo} to {hi}"),
        FactTy::Enum(codes) => format!(
            "one of {}",
            codes
                .iter()
                .map(|c| format!("\"{c}\""))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        FactTy::Set(codes) => format!(
            "a list of codes from {}",
            codes
                .iter()
                .map(|c| format!("\"{c}\""))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn wrong_type(fact: &Fact, found: &str) -> Diagnostic {
    Diagnostic::error(
        Code::FactType,
        format!(
            "fact `{}` must be {}, found {found}",
            fact.id,
            expected(fact)
        ),
    )
    .for_fact(&fact.id)
    .help("use null, or leave the fact out, when it is not known")
}

fn code_index(fact: &Fact, codes: &[String], code: &str) -> Result<usize, Diagnostic> {
    codes.iter().position(|c| c == code).ok_or_else(|| {
        let mut d = Diagnostic::error(
            Code::UnknownCode,
            format!("`{code}` is not a value of fact `{}`", fact.id),
        )
        .for_fact(&fact.id)
        .help_opt(did_you_mean(code, codes.iter().map(String::as_str)));
        if d.help.is_none() {
            d = d.help(format!("expected {}", expected(fact)));
        }
        d
    })
}

/// The integer a float stands for, when it has a whole value within ±2^53 (where every
/// integer is exact).
pub(crate) fn whole(f: f64) -> Option<i64> {
    const EXACT: f64 = 9_007_199_254_740_992.0;
    if f.fract() == 0.0 && f.abs() <= EXACT {
        #[expect(clippy::cast_possible_truncation, reason = "whole and within ±2^53")]
        Some(f as i64)
    } else {
        None
    }
}

/// A JSON boolean for `fact`.
fn bool_value(fact: &Fact, b: bool) -> Result<Option<i64>, Diagnostic> {
    match fact.ty {
        FactTy::Bool => Ok(Some(i64::from(b))),
        _ => Err(wrong_type(fact, "a boolean")),
    }
}

/// A JSON number for `fact`.
fn number_value(fact: &Fact, n: &serde_json::Number) -> Result<Option<i64>, Diagnostic> {
    let FactTy::Int { lo, hi } = fact.ty else {
        return Err(wrong_type(fact, "a number"));
    };
    // The one rule every host follows: a number with a whole value is that integer
    // (`9`, `9.0`, `9e0`, `-0`), so a case system or a spreadsheet that writes whole
    // numbers as decimals gives the same decision; `9.5` is a wrong type.
    let Some(n) = n.as_i64().or_else(|| n.as_f64().and_then(whole)) else {
        return Err(wrong_type(fact, &format!("`{n}`")));
    };
    if n < lo || n > hi {
        return Err(Diagnostic::error(
            Code::FactRange,
            format!("fact `{}` is {n}; it must be from {lo} to {hi}", fact.id),
        )
        .for_fact(&fact.id));
    }
    Ok(Some(n))
}

/// Converts one value for `fact`: a JSON value, or a host's ([`HostValue`]). The one
/// coercion rule every host follows lives here and in [`value_from_text`], which reads the same
/// values from text.
pub(crate) fn value_from_host<V: HostValue + ?Sized>(
    fact: &Fact,
    v: &V,
) -> Result<Option<i64>, Diagnostic> {
    match (&fact.ty, v.view()) {
        (_, View::Null) => Ok(None),
        (_, View::Bool(b)) => bool_value(fact, b),
        (_, View::Number(n)) => number_value(fact, &n),
        (FactTy::Enum(codes), View::Text(s)) => Ok(Some(code_index(fact, codes, &s)? as i64)),
        (FactTy::Set(codes), View::List) => {
            // The first problem in list order.
            let mut out: Result<u64, Diagnostic> = Ok(0);
            v.items(&mut |item| {
                let Ok(mask) = &mut out else { return };
                match item.view() {
                    View::Text(s) => match code_index(fact, codes, &s) {
                        Ok(i) => *mask |= 1u64 << (i as u32).min(63),
                        Err(d) => out = Err(d),
                    },
                    other => {
                        let found = format!("a list containing {}", other.found());
                        out = Err(wrong_type(fact, &found));
                    }
                }
            })
            .map_err(|why| wrong_type(fact, &why))?;
            out.map(|m| Some(m as i64))
        }
        (_, view) => Err(wrong_type(fact, &view.found())),
    }
}

/// Converts a facts object: a JSON value, or a host's map. Every problem is reported; nothing is
/// evaluated if there is one.
pub(crate) fn from_host<V: HostValue + ?Sized>(
    program: &Program,
    v: &V,
) -> Result<Facts, Vec<Diagnostic>> {
    let view = v.view();
    if view != View::Map {
        return Err(vec![not_an_object(&view.found())]);
    }
    let mut slots = vec![None; program.facts.len()];
    let mut seen = vec![false; program.facts.len()];
    let mut errors = Vec::new();
    let mut after = 0;
    v.entries(&mut |key, value| {
        let View::Text(name) = key else {
            let found = key.found();
            let message = format!("facts are named by text, found a key that is {found}");
            errors.push(Diagnostic::error(Code::FactType, message));
            return;
        };
        // Records mostly list facts in declaration order: the fact after the last one is tried
        // before the name is looked up.
        let next = program
            .facts
            .get(after)
            .filter(|f| f.id == name)
            .map(|f| (after, f));
        let Some((i, fact)) = next.or_else(|| {
            let i = program.fact_index.get(name.as_ref())?.index();
            Some((i, program.facts.get(i)?))
        }) else {
            errors.push(unknown_fact(program, &name));
            return;
        };
        after = i + 1;
        // A host's map may repeat a key where a JSON object cannot: refused as in text.
        if let Some(s) = seen.get_mut(i) {
            if std::mem::replace(s, true) {
                errors.push(duplicate_fact(fact));
                return;
            }
        }
        match value_from_host(fact, value) {
            Ok(val) => {
                if let Some(s) = slots.get_mut(i) {
                    *s = val;
                }
            }
            Err(d) => errors.push(d),
        }
    })
    .map_err(|why| vec![not_an_object(&why)])?;
    if errors.is_empty() {
        Ok(Facts { slots })
    } else {
        Err(errors)
    }
}

/// Parses facts JSON text straight into slots (no intermediate JSON object), with the same
/// errors as [`from_host`] gives for the text's JSON value.
pub(crate) fn from_json_text(
    program: &Program,
    text: &str,
) -> Result<Result<Facts, Vec<Diagnostic>>, JsonError> {
    let mut r = Reader::new(text);
    let kind = r.kind()?;
    if kind != Kind::Object {
        r.skip()?;
        r.end()?;
        return Ok(Err(vec![not_an_object(kind.name())]));
    }
    let mut slots = vec![None; program.facts.len()];
    let mut seen = vec![false; program.facts.len()];
    let mut errors = Vec::new();
    r.begin_object()?;
    let mut first = true;
    while let Some(name) = r.key(&mut first)? {
        let Some((i, fact)) = program
            .fact_index
            .get(name.as_ref())
            .and_then(|i| program.facts.get(i.index()).map(|f| (i.index(), f)))
        else {
            r.skip()?;
            errors.push(unknown_fact(program, &name));
            continue;
        };
        // INVARIANT: a fact given twice is an error, never "the last value wins": the two
        // values may disagree, and either choice could be a silently different decision.
        if let Some(s) = seen.get_mut(i) {
            if *s {
                r.skip()?;
                errors.push(duplicate_fact(fact));
                continue;
            }
            *s = true;
        }
        match value_from_text(&mut r, fact)? {
            Ok(val) => {
                if let Some(s) = slots.get_mut(i) {
                    *s = val;
                }
            }
            Err(d) => errors.push(d),
        }
    }
    r.end()?;
    Ok(if errors.is_empty() {
        Ok(Facts { slots })
    } else {
        Err(errors)
    })
}

/// A fact's value, converted as it is read: what [`value_from_host`] gives for the same JSON
/// value. Values of another kind than the fact's are read (and checked) all the same.
fn value_from_text(
    r: &mut Reader<'_>,
    fact: &Fact,
) -> Result<Result<Option<i64>, Diagnostic>, JsonError> {
    Ok(match (r.kind()?, &fact.ty) {
        (Kind::Null | Kind::Bool, _) => match r.literal()? {
            None => Ok(None),
            Some(b) => bool_value(fact, b),
        },
        (Kind::Number, _) => number_value(fact, &r.number()?),
        (Kind::String, FactTy::Enum(codes)) => {
            code_index(fact, codes, &r.string()?).map(|i| Some(i as i64))
        }
        (Kind::List, FactTy::Set(codes)) => {
            // The first problem in list order, as `value_from_host` reports it; the rest is read.
            let mut out: Result<u64, Diagnostic> = Ok(0);
            r.begin_list()?;
            let mut first = true;
            while r.item(&mut first)? {
                let item = match r.kind()? {
                    Kind::String => code_index(fact, codes, &r.string()?),
                    kind => {
                        r.skip()?;
                        Err(wrong_type(
                            fact,
                            &format!("a list containing {}", kind.name()),
                        ))
                    }
                };
                match (&mut out, item) {
                    (Ok(mask), Ok(i)) => *mask |= 1u64 << (i as u32).min(63),
                    (Ok(_), Err(d)) => out = Err(d),
                    (Err(_), _) => {}
                }
            }
            out.map(|m| Some(m as i64))
        }
        (kind, _) => {
            r.skip()?;
            Err(wrong_type(fact, kind.name()))
        }
    })
}

fn not_an_object(found: &str) -> Diagnostic {
    Diagnostic::error(
        Code::FactsNotObject,
        format!("facts must be a JSON object, found {found}"),
    )
    .help("for example {\"age_years\": 14, \"immediate_danger\": false}")
}

fn duplicate_fact(fact: &Fact) -> Diagnostic {
    Diagnostic::error(
        Code::DuplicateFact,
        format!("fact `{}` is given more than once", fact.id),
    )
    .for_fact(&fact.id)
    .help("give each fact once; which of the values was meant cannot be known")
}

fn unknown_fact(program: &Program, name: &str) -> Diagnostic {
    Diagnostic::error(Code::UnknownFact, format!("unknown fact `{name}`"))
        .for_fact(name)
        .help(
            did_you_mean(name, program.facts.iter().map(|f| f.id.as_str())).unwrap_or_else(|| {
                format!(
                    "rule set `{}` declares {} facts; `thresholds facts` lists them",
                    program.name,
                    program.facts.len()
                )
            }),
        )
}

/// Converts a rule-file test's value; the diagnostic points into the rule file.
#[cfg(feature = "source")]
pub(crate) fn value_from_ast(fact: &Fact, v: &ast::Value) -> Result<Option<i64>, Diagnostic> {
    let json = match v {
        ast::Value::Bool(b, _) => serde_json::Value::Bool(*b),
        ast::Value::Int(n, _) => serde_json::Value::from(*n),
        ast::Value::Code(c) => serde_json::Value::String(c.name.clone()),
        ast::Value::Codes(cs, _) => serde_json::Value::Array(
            cs.iter()
                .map(|c| serde_json::Value::String(c.name.clone()))
                .collect(),
        ),
        ast::Value::Null(_) => serde_json::Value::Null,
    };
    value_from_host(fact, &json).map_err(|d| d.at(v.span(), "this value"))
}

/// A slot's value as JSON, for reasons.
pub(crate) fn value_to_json(fact: &Fact, v: Option<i64>) -> serde_json::Value {
    use serde_json::Value as J;
    let Some(v) = v else { return J::Null };
    match &fact.ty {
        FactTy::Bool => J::Bool(v != 0),
        FactTy::Int { .. } => J::from(v),
        FactTy::Enum(codes) => usize::try_from(v)
            .ok()
            .and_then(|i| codes.get(i))
            .map_or(J::Null, |c| J::String(c.clone())),
        FactTy::Set(codes) => {
            let mask = v as u64;
            J::Array(
                codes
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| *i < 64 && mask & (1u64 << i) != 0)
                    .map(|(_, c)| J::String(c.clone()))
                    .collect(),
            )
        }
    }
}

/// A fact's value in JSON, for the hosts' generated types: a bool, a whole number, an enum code
/// or a set's codes. Facts travel as JSON values; this type only describes them.
#[cfg(feature = "schema")]
#[derive(schemars::JsonSchema)]
#[serde(untagged)]
#[allow(dead_code, reason = "a schema of the JSON values, never built")]
pub(crate) enum FactValue {
    Bool(bool),
    Int(i64),
    Code(String),
    Codes(Vec<String>),
}
