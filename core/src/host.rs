//! Facts from a host language's own values (a Python dict, a data frame's cells), read without
//! JSON text.
//!
//! The host says only what each of its values is ([`HostValue`]): null, a boolean, a number,
//! text, a list, a map, or something else. Core applies the one coercion rule every host follows
//! (`facts::value_from_host`), with the errors the JSON route gives, so no host decides anything
//! about facts. A `serde_json::Value` is a host value too: the JSON value route and the hosts'
//! routes are one code path.

use std::borrow::Cow;

use serde_json::{Map, Number, Value};

use crate::batch::{CellMap, ColumnValues};
use crate::diag::Code;
use crate::error::{Error, ErrorKind};
use crate::json_reader::Kind;

/// What a host value is.
#[derive(Debug, Clone, PartialEq)]
pub enum View<'a> {
    /// No value: the fact is unknown (`None`, a missing-value marker; NaN, by [`View::float`]).
    Null,
    /// A boolean.
    Bool(bool),
    /// A number, as JSON holds it (an integer, or a finite float).
    Number(Number),
    /// Text.
    Text(Cow<'a, str>),
    /// A sequence (a list, tuple, set or array): [`HostValue::items`] gives its items.
    List,
    /// A mapping: [`HostValue::entries`] gives its entries.
    Map,
    /// A value no fact can hold, said as an error says it (`"a value of type Decimal"`).
    Other(String),
}

impl View<'_> {
    /// A float, by the one rule: NaN is unknown; a whole one is that integer (as `9.0` in JSON
    /// is `9`); an infinite one is no fact value (`found inf` in the error, never a silently
    /// unknown fact).
    pub fn float(f: f64) -> View<'static> {
        if f.is_nan() {
            return View::Null;
        }
        if let Some(n) = crate::facts::whole(f) {
            return View::Number(n.into());
        }
        Number::from_f64(f).map_or_else(|| View::Other(format!("`{f}`")), View::Number)
    }

    /// What the value is, as errors say it: the JSON kind's name (`"a string"`), or the
    /// host's description of something else.
    pub(crate) fn found(&self) -> Cow<'_, str> {
        let kind = match self {
            View::Null => Kind::Null,
            View::Bool(_) => Kind::Bool,
            View::Number(_) => Kind::Number,
            View::Text(_) => Kind::String,
            View::List => Kind::List,
            View::Map => Kind::Object,
            View::Other(s) => return Cow::Borrowed(s),
        };
        Cow::Borrowed(kind.name())
    }
}

/// A value as a host holds it. The host only says what it is; core reads it.
pub trait HostValue {
    /// What the value is.
    fn view(&self) -> View<'_>;

    /// Calls `each` on a list's items in order (a set's in an order that does not vary from one
    /// run to the next). `Err` says why the items cannot be read (`"a list that cannot be
    /// iterated"`); not called for other values.
    fn items(&self, each: &mut dyn FnMut(&Self)) -> Result<(), String>;

    /// Calls `each` on a map's entries: the key, as a view (a fact name is [`View::Text`]), and
    /// the value. `Err` as for [`HostValue::items`].
    fn entries(&self, each: &mut dyn FnMut(View<'_>, &Self)) -> Result<(), String>;

    /// A number that is the same for the same value while a call lasts, and differs for
    /// different values (an object's address, say), so that a column converts each distinct
    /// value once. `None` (the default): the host has none.
    fn identity(&self) -> Option<u64> {
        None
    }
}

impl HostValue for Value {
    fn view(&self) -> View<'_> {
        match self {
            Value::Null => View::Null,
            Value::Bool(b) => View::Bool(*b),
            Value::Number(n) => View::Number(n.clone()),
            Value::String(s) => View::Text(Cow::Borrowed(s)),
            Value::Array(_) => View::List,
            Value::Object(_) => View::Map,
        }
    }

    fn items(&self, each: &mut dyn FnMut(&Self)) -> Result<(), String> {
        if let Value::Array(items) = self {
            items.iter().for_each(each);
        }
        Ok(())
    }

    fn entries(&self, each: &mut dyn FnMut(View<'_>, &Self)) -> Result<(), String> {
        if let Value::Object(map) = self {
            for (k, v) in map {
                each(View::Text(Cow::Borrowed(k)), v);
            }
        }
        Ok(())
    }
}

/// Deepest nesting [`to_json`] converts; deeper values are an error instead of deeper recursion.
pub const MAX_HOST_DEPTH: usize = 64;

/// A host value as JSON (for an answer, or a column's distinct cells): the same value, so it
/// converts to the same fact value. `fact` names the fact the value is for in the error when it
/// cannot be JSON (`thr::facts::wrong_type`: something no fact can hold, text that is not
/// Unicode, a map key that is not text, nesting past [`MAX_HOST_DEPTH`]); without one, a map's
/// entries are facts named by their keys.
pub fn to_json<V: HostValue + ?Sized>(v: &V, fact: Option<&str>) -> Result<Value, Error> {
    json_at(v, 0, fact)
}

/// The error for a value that cannot be JSON, or no fact's value: `thr::facts::wrong_type`,
/// naming `fact` when there is one.
pub(crate) fn cannot(found: &str, fact: Option<&str>) -> Error {
    let message = match fact {
        Some(f) => format!("fact `{f}` cannot be {found}"),
        None => format!("facts cannot be {found}"),
    };
    let help = "give no value (null, None), or leave the fact out, when it is not known";
    let fact = fact.map(str::to_string);
    Error::host(
        ErrorKind::Facts,
        Code::FactType,
        message,
        Some(help.into()),
        fact,
    )
}

fn json_at<V: HostValue + ?Sized>(v: &V, depth: usize, fact: Option<&str>) -> Result<Value, Error> {
    if depth > MAX_HOST_DEPTH {
        return Err(cannot("values nested too deeply", fact));
    }
    let mut bad = None;
    let value =
        match v.view() {
            View::Null => Value::Null,
            View::Bool(b) => Value::Bool(b),
            View::Number(n) => Value::Number(n),
            View::Text(s) => Value::String(s.into_owned()),
            View::List => {
                let mut items = Vec::new();
                v.items(&mut |x| match json_at(x, depth + 1, fact) {
                    Ok(j) => items.push(j),
                    Err(e) => drop(bad.get_or_insert(e)),
                })
                .map_err(|why| cannot(&why, fact))?;
                Value::Array(items)
            }
            View::Map => {
                let mut map = Map::new();
                v.entries(&mut |k, x| match k {
                    // Outside any fact, a map's entries are facts named by their keys.
                    View::Text(k) => match json_at(x, depth + 1, fact.or(Some(&k))) {
                        Ok(j) => drop(map.insert(k.into_owned(), j)),
                        Err(e) => drop(bad.get_or_insert(e)),
                    },
                    k => drop(bad.get_or_insert_with(|| {
                        cannot(&format!("a key that is {}", k.found()), fact)
                    })),
                })
                .map_err(|why| cannot(&why, fact))?;
                Value::Object(map)
            }
            View::Other(found) => return Err(cannot(&found, fact)),
        };
    bad.map_or(Ok(value), Err)
}

/// A column of host cells as values and codes, for [`crate::Columns::set_values`]: each
/// distinct cell (by [`HostValue::identity`]; a list by its items' identities) is converted
/// once. `fact` names the column's fact in errors.
pub fn column_of<V: HostValue>(
    cells: impl IntoIterator<Item = V>,
    fact: &str,
) -> Result<ColumnValues, Error> {
    let cells = cells.into_iter();
    let mut c = ColumnValues::with_rows(cells.size_hint().0);
    let mut by_items: CellMap<Vec<u64>, i64> = CellMap::default();
    // The codes of recently seen cells, by identity: a column holds few distinct values (null,
    // true, false, a fact's codes), so most cells cost no hash lookup.
    let mut recent = [(u64::MAX, -1i64); 16];
    for x in cells {
        let id = x.identity();
        let slot = id.map_or(usize::MAX, |id| (id >> 4) as usize % recent.len());
        let hit = recent.get(slot).filter(|r| Some(r.0) == id).map(|r| r.1);
        let code = match hit.or_else(|| c.code_of_key(id?)) {
            Some(code) => code,
            None => {
                // A list whose items all have identities is one value by theirs.
                let items = (x.view() == View::List)
                    .then(|| item_identities(&x))
                    .flatten();
                let code = match items.as_ref().and_then(|i| by_items.get(i)) {
                    Some(code) => *code,
                    None => c.code_of(to_json(&x, Some(fact))?),
                };
                if let Some(items) = items {
                    by_items.insert(items, code);
                }
                if let Some(id) = id {
                    c.set_key(id, code);
                }
                code
            }
        };
        c.push_code(code);
        if let (Some(r), Some(id)) = (recent.get_mut(slot), id) {
            *r = (id, code);
        }
    }
    Ok(c)
}

/// The identities of a list's items, when every item has one.
fn item_identities<V: HostValue + ?Sized>(v: &V) -> Option<Vec<u64>> {
    let mut ids = Some(Vec::new());
    v.items(&mut |x| match (ids.as_mut(), x.identity()) {
        (Some(ids), Some(id)) => ids.push(id),
        _ => ids = None,
    })
    .ok()?;
    ids
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;
    use crate::Ruleset;

    /// A host of its own: values with identities, counting how often they are looked at.
    enum T {
        Null,
        Num(f64),
        Text(&'static str, u64),
        List(Vec<T>),
        Map(Vec<(T, T)>),
        Odd,
    }

    thread_local!(static VIEWS: Cell<usize> = const { Cell::new(0) });

    impl HostValue for T {
        fn view(&self) -> View<'_> {
            VIEWS.set(VIEWS.get() + 1);
            match self {
                T::Null => View::Null,
                T::Num(f) => View::float(*f),
                T::Text(s, _) => View::Text(Cow::Borrowed(s)),
                T::List(_) => View::List,
                T::Map(_) => View::Map,
                T::Odd => View::Other("a value of type Odd".into()),
            }
        }
        fn items(&self, each: &mut dyn FnMut(&Self)) -> Result<(), String> {
            if let T::List(items) = self {
                items.iter().for_each(each);
            }
            Ok(())
        }
        fn entries(&self, each: &mut dyn FnMut(View<'_>, &Self)) -> Result<(), String> {
            if let T::Map(entries) = self {
                entries.iter().for_each(|(k, v)| each(k.view(), v));
            }
            Ok(())
        }
        fn identity(&self) -> Option<u64> {
            match self {
                T::Text(_, id) => Some(*id),
                T::Null => Some(99),
                _ => None,
            }
        }
    }

    fn key(k: &'static str) -> T {
        T::Text(k, 0)
    }

    fn rules() -> Ruleset {
        let text = r#"
ruleset "host" version "1"
levels { low "Low" -> a  high "High" -> b }
pathways { a "A" "Do a."  b "B" "Do b." }
fact age: int 0..25 { question "Age?" }
fact kind: enum { x, y } { question "Kind?" }
fact seen: set { p, q } { question "Seen?" }
rule r1 { when age < 5 and kind == y then level high because "Young y." }
"#;
        Ruleset::from_source("host.thr", text).unwrap()
    }

    fn codes(e: &Error) -> Vec<String> {
        e.detailed().into_iter().map(|d| d.code).collect()
    }

    #[test]
    fn a_host_map_converts_as_its_json_does() {
        let rs = rules();
        let map = T::Map(vec![
            (key("age"), T::Num(3.0)),
            (key("kind"), T::Text("y", 1)),
            (key("seen"), T::List(vec![T::Text("q", 2), T::Text("p", 3)])),
        ]);
        let json = r#"{"age": 3, "kind": "y", "seen": ["q", "p"]}"#;
        assert_eq!(
            rs.facts_from_host(&map).unwrap(),
            rs.facts_from_json(json).unwrap()
        );
        assert_eq!(
            to_json(&map, None).unwrap(),
            crate::json_reader::parse(json).unwrap()
        );
        let nan = T::Map(vec![(key("age"), T::Num(f64::NAN))]);
        assert_eq!(
            rs.facts_from_host(&nan).unwrap(),
            rs.facts_from_json("{}").unwrap()
        );
    }

    #[test]
    fn what_no_fact_holds_is_an_error_never_unknown() {
        let rs = rules();
        let one = |k, v| rs.facts_from_host(&T::Map(vec![(key(k), v)])).unwrap_err();
        let e = one("age", T::Num(f64::INFINITY));
        assert_eq!(codes(&e), ["thr::facts::wrong_type"]);
        assert!(e.to_string().contains("found `inf`"), "{e}");
        assert_eq!(codes(&one("age", T::Num(2.5))), ["thr::facts::wrong_type"]);
        assert_eq!(codes(&one("age", T::Odd)), ["thr::facts::wrong_type"]);
        let e = one("seen", T::List(vec![T::Text("p", 0), T::Odd]));
        assert!(
            e.to_string()
                .contains("a list containing a value of type Odd"),
            "{e}"
        );
        assert_eq!(
            codes(&one("kind", T::Text("z", 0))),
            ["thr::facts::unknown_code"]
        );
        assert_eq!(codes(&one("agee", T::Null)), ["thr::facts::unknown_fact"]);
        let odd_key = T::Map(vec![(T::Num(1.0), T::Null), (key("age"), T::Num(99.0))]);
        let e = rs.facts_from_host(&odd_key).unwrap_err();
        assert_eq!(
            codes(&e),
            ["thr::facts::wrong_type", "thr::facts::out_of_range"]
        );
        let twice = T::Map(vec![(key("age"), T::Num(1.0)), (key("age"), T::Num(2.0))]);
        let e = rs.facts_from_host(&twice).unwrap_err();
        assert_eq!(codes(&e), ["thr::facts::duplicate_fact"]);
        let e = rs.facts_from_host(&T::List(vec![])).unwrap_err();
        assert_eq!(codes(&e), ["thr::facts::not_an_object"]);
    }

    #[test]
    fn to_json_names_the_fact_at_fault() {
        let map = T::Map(vec![
            (key("age"), T::Num(1.0)),
            (key("kind"), T::List(vec![T::Odd])),
        ]);
        let e = to_json(&map, None).unwrap_err();
        assert_eq!(e.diagnostics().first().and_then(|d| d.fact()), Some("kind"));
        let mut deep = T::Null;
        for _ in 0..=MAX_HOST_DEPTH {
            deep = T::List(vec![deep]);
        }
        assert!(to_json(&deep, Some("seen"))
            .unwrap_err()
            .to_string()
            .contains("too deeply"));
    }

    #[test]
    fn a_column_converts_each_distinct_value_once() {
        let rs = rules();
        let cells = || {
            (0..1_000).map(|i| match i % 3 {
                0 => T::Text("x", 16),
                1 => T::Text("y", 32),
                _ => T::Null,
            })
        };
        VIEWS.set(0);
        let col = column_of(cells(), "kind").unwrap();
        assert!(VIEWS.get() < 20, "{} views for 1,000 cells", VIEWS.get());
        let mut cols = rs.columns(1_000);
        cols.set_values(&rs, "kind", &col).unwrap();
        let want = ["{\"kind\": \"x\"}", "{\"kind\": \"y\"}", "{}"];
        for row in [0, 1, 2, 998, 999] {
            let facts = rs.facts_from_json(want[row % 3]).unwrap();
            assert_eq!(cols.row(row).unwrap(), facts, "row {row}");
        }
        let lists = (0..10).map(|_| T::List(vec![T::Text("p", 1), T::Text("q", 2)]));
        let col = column_of(lists, "seen").unwrap();
        let mut cols = rs.columns(10);
        cols.set_values(&rs, "seen", &col).unwrap();
        let facts = rs.facts_from_json(r#"{"seen": ["p", "q"]}"#).unwrap();
        assert_eq!(cols.row(9).unwrap(), facts);
        let e = column_of([T::Odd], "kind").unwrap_err();
        assert_eq!(e.diagnostics().first().and_then(|d| d.fact()), Some("kind"));
    }
}
