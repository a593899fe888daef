//! Facts: converting a JSON object (or a rule-file test's `given`) into fact slots, and back.
//!
//! A slot holds `None` (unknown), a bool as 0/1, an int, an enum code's index, or a set as a bit mask.

#[cfg(feature = "source")]
use crate::ast;
use crate::diag::did_you_mean;
use crate::diag::{Code, Diagnostic};
use crate::ir::{Fact, FactTy, Program};

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

fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "a list",
        serde_json::Value::Object(_) => "an object",
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
fn whole(f: f64) -> Option<i64> {
    const EXACT: f64 = 9_007_199_254_740_992.0;
    if f.fract() == 0.0 && f.abs() <= EXACT {
        #[expect(clippy::cast_possible_truncation, reason = "whole and within ±2^53")]
        Some(f as i64)
    } else {
        None
    }
}

/// Converts one JSON value for `fact`.
pub(crate) fn value_from_json(
    fact: &Fact,
    v: &serde_json::Value,
) -> Result<Option<i64>, Diagnostic> {
    use serde_json::Value as J;
    if v.is_null() {
        return Ok(None);
    }
    match (&fact.ty, v) {
        (FactTy::Bool, J::Bool(b)) => Ok(Some(i64::from(*b))),
        (FactTy::Int { lo, hi }, J::Number(n)) => {
            // The one rule every host follows: a number with a whole value is that integer
            // (`9`, `9.0`, `9e0`, `-0`), so a case system or a spreadsheet that writes whole
            // numbers as decimals gives the same decision; `9.5` is a wrong type.
            let Some(n) = n.as_i64().or_else(|| n.as_f64().and_then(whole)) else {
                return Err(wrong_type(fact, &format!("`{n}`")));
            };
            if n < *lo || n > *hi {
                return Err(Diagnostic::error(
                    Code::FactRange,
                    format!("fact `{}` is {n}; it must be from {lo} to {hi}", fact.id),
                )
                .for_fact(&fact.id));
            }
            Ok(Some(n))
        }
        (FactTy::Enum(codes), J::String(s)) => Ok(Some(code_index(fact, codes, s)? as i64)),
        (FactTy::Set(codes), J::Array(items)) => {
            let mut mask = 0u64;
            for item in items {
                let J::String(s) = item else {
                    return Err(wrong_type(
                        fact,
                        &format!("a list containing {}", json_kind(item)),
                    ));
                };
                let i = code_index(fact, codes, s)?;
                mask |= 1u64 << (i as u32).min(63);
            }
            Ok(Some(mask as i64))
        }
        _ => Err(wrong_type(fact, json_kind(v))),
    }
}

/// Converts a facts JSON object. Every problem is reported; nothing is evaluated if there is one.
pub(crate) fn from_json(
    program: &Program,
    v: &serde_json::Value,
) -> Result<Facts, Vec<Diagnostic>> {
    let serde_json::Value::Object(map) = v else {
        return Err(vec![Diagnostic::error(
            Code::FactsNotObject,
            format!("facts must be a JSON object, found {}", json_kind(v)),
        )
        .help("for example {\"age_years\": 14, \"immediate_danger\": false}")]);
    };
    let mut slots = vec![None; program.facts.len()];
    let mut errors = Vec::new();
    for (name, value) in map {
        let Some(i) = program.fact_index.get(name.as_str()).map(|i| i.index()) else {
            errors.push(unknown_fact(program, name));
            continue;
        };
        let Some(fact) = program.facts.get(i) else {
            continue;
        };
        match value_from_json(fact, value) {
            Ok(val) => {
                if let Some(s) = slots.get_mut(i) {
                    *s = val;
                }
            }
            Err(d) => errors.push(d),
        }
    }
    if errors.is_empty() {
        Ok(Facts { slots })
    } else {
        Err(errors)
    }
}

/// Parses facts JSON text straight into slots (no intermediate JSON object), with the same
/// errors as [`from_json`]. Text that is not an object goes through [`from_json`] for its error.
pub(crate) fn from_json_text(
    program: &Program,
    text: &str,
) -> Result<Result<Facts, Vec<Diagnostic>>, serde_json::Error> {
    if !text.trim_start().starts_with('{') {
        let v: serde_json::Value = serde_json::from_str(text)?;
        return Ok(from_json(program, &v));
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let out = serde::de::DeserializeSeed::deserialize(FactsSeed { program }, &mut de)?;
    de.end()?;
    Ok(out)
}

struct FactsSeed<'p> {
    program: &'p Program,
}

impl<'de> serde::de::DeserializeSeed<'de> for FactsSeed<'_> {
    type Value = Result<Facts, Vec<Diagnostic>>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for FactsSeed<'_> {
    type Value = Result<Facts, Vec<Diagnostic>>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON object of facts")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let program = self.program;
        let mut slots = vec![None; program.facts.len()];
        let mut seen = vec![false; program.facts.len()];
        let mut errors = Vec::new();
        while let Some(key) = map.next_key_seed(KeySeed { program })? {
            let (i, fact) = match key {
                Ok(i) => i,
                Err(name) => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                    errors.push(unknown_fact(program, &name));
                    continue;
                }
            };
            // INVARIANT: a fact given twice is an error, never "the last value wins": the two
            // values may disagree, and either choice could be a silently different decision.
            if let Some(s) = seen.get_mut(i) {
                if *s {
                    map.next_value::<serde::de::IgnoredAny>()?;
                    errors.push(duplicate_fact(fact));
                    continue;
                }
                *s = true;
            }
            match map.next_value_seed(ValueSeed { fact })? {
                Ok(val) => {
                    if let Some(s) = slots.get_mut(i) {
                        *s = val;
                    }
                }
                Err(d) => errors.push(d),
            }
        }
        Ok(if errors.is_empty() {
            Ok(Facts { slots })
        } else {
            Err(errors)
        })
    }
}

/// A facts object's key: the declared fact it names (looked up without copying the name), or
/// the name when no fact has it.
struct KeySeed<'p> {
    program: &'p Program,
}

impl<'de, 'p> serde::de::DeserializeSeed<'de> for KeySeed<'p> {
    type Value = Result<(usize, &'p Fact), String>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'p> serde::de::Visitor<'_> for KeySeed<'p> {
    type Value = Result<(usize, &'p Fact), String>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a fact name")
    }

    fn visit_str<E: serde::de::Error>(self, name: &str) -> Result<Self::Value, E> {
        let program = self.program;
        Ok(program
            .fact_index
            .get(name)
            .and_then(|i| program.facts.get(i.index()).map(|f| (i.index(), f)))
            .ok_or_else(|| name.to_string()))
    }
}

/// A fact's value, converted as it is read: what [`value_from_json`] gives for the same JSON
/// value, without building it first. Values of an unexpected kind are built and converted by
/// [`value_from_json`] itself, so every error is that function's; lists and objects of the
/// wrong kind are still read as JSON values, so the parser's nesting limit applies as before.
struct ValueSeed<'p> {
    fact: &'p Fact,
}

impl<'de> serde::de::DeserializeSeed<'de> for ValueSeed<'_> {
    type Value = Result<Option<i64>, Diagnostic>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for ValueSeed<'_> {
    type Value = Result<Option<i64>, Diagnostic>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a fact value")
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(Ok(None))
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(Ok(None))
    }

    fn visit_bool<E: serde::de::Error>(self, b: bool) -> Result<Self::Value, E> {
        Ok(value_from_json(self.fact, &serde_json::Value::Bool(b)))
    }

    fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<Self::Value, E> {
        Ok(value_from_json(self.fact, &serde_json::Value::from(n)))
    }

    fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<Self::Value, E> {
        Ok(value_from_json(self.fact, &serde_json::Value::from(n)))
    }

    fn visit_f64<E: serde::de::Error>(self, n: f64) -> Result<Self::Value, E> {
        Ok(value_from_json(self.fact, &serde_json::Value::from(n)))
    }

    fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Self::Value, E> {
        Ok(match &self.fact.ty {
            FactTy::Enum(codes) => code_index(self.fact, codes, s).map(|i| Some(i as i64)),
            _ => value_from_json(self.fact, &serde_json::Value::String(s.to_string())),
        })
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let FactTy::Set(codes) = &self.fact.ty else {
            read_list(seq)?;
            return Ok(Err(wrong_type(self.fact, "a list")));
        };
        // The first problem in list order, as `value_from_json` reports it; the rest is read.
        let mut out: Result<u64, Diagnostic> = Ok(0);
        while let Some(item) = seq.next_element_seed(CodeSeed {
            fact: self.fact,
            codes,
        })? {
            if let (Ok(mask), Ok(i)) = (&mut out, item.as_ref()) {
                *mask |= 1u64 << (*i as u32).min(63);
            } else if let (Ok(_), Err(d)) = (&out, item) {
                out = Err(d);
            }
        }
        Ok(out.map(|m| Some(m as i64)))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        read_object(map)?;
        Ok(Err(wrong_type(self.fact, "an object")))
    }
}

/// One item of a set fact's list: the index of its code, or the error `value_from_json` gives
/// for it.
struct CodeSeed<'p> {
    fact: &'p Fact,
    codes: &'p [String],
}

impl CodeSeed<'_> {
    fn not_a_code(&self, kind: &str) -> Result<usize, Diagnostic> {
        Err(wrong_type(self.fact, &format!("a list containing {kind}")))
    }
}

impl<'de> serde::de::DeserializeSeed<'de> for CodeSeed<'_> {
    type Value = Result<usize, Diagnostic>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for CodeSeed<'_> {
    type Value = Result<usize, Diagnostic>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a code")
    }

    fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Self::Value, E> {
        Ok(code_index(self.fact, self.codes, s))
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(self.not_a_code("null"))
    }

    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(self.not_a_code("a boolean"))
    }

    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(self.not_a_code("a number"))
    }

    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(self.not_a_code("a number"))
    }

    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(self.not_a_code("a number"))
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        read_list(seq)?;
        Ok(self.not_a_code("a list"))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        read_object(map)?;
        Ok(self.not_a_code("an object"))
    }
}

/// Reads the rest of a list that is the wrong kind of value. Its items are read as JSON values,
/// not skipped, so the parser's nesting limit applies to them as it does to any other value.
fn read_list<'de, A: serde::de::SeqAccess<'de>>(mut seq: A) -> Result<(), A::Error> {
    while seq.next_element::<serde_json::Value>()?.is_some() {}
    Ok(())
}

/// Reads the rest of an object that is the wrong kind of value, as [`read_list`] does.
fn read_object<'de, A: serde::de::MapAccess<'de>>(mut map: A) -> Result<(), A::Error> {
    while map
        .next_entry::<serde::de::IgnoredAny, serde_json::Value>()?
        .is_some()
    {}
    Ok(())
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
    value_from_json(fact, &json).map_err(|d| d.at(v.span(), "this value"))
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
