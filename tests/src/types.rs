//! The hosts' types are generated from the engine's Rust types: their JSON Schemas (schemars,
//! core feature `schema`, for what serde writes) become the TypeScript declarations in
//! `bindings-wasm/src/types.d.ts` and the Python `TypedDict`s in
//! `bindings-python/python/thresholds/__init__.pyi`, each between `<generated>` markers. The
//! TypeScript is indented by four spaces, as wasm-bindgen prints the package's declarations.
//!
//! This test fails when a committed file does not hold what the Rust types say. To regenerate:
//! `THR_WRITE_TYPES=1 cargo test -p thresholds-tests --test types` (then copy the TypeScript
//! block into `bindings-wasm/thresholds_wasm.d.ts` too, or rebuild the package: wasm-bindgen
//! copies `types.d.ts` into it verbatim).

use std::path::PathBuf;

use schemars::generate::SchemaSettings;
use serde_json::{Map, Value};

/// The shapes the hosts hand out, in the order they are declared. Every type they refer to is
/// declared too (schemars collects them), after these.
fn definitions() -> Map<String, Value> {
    let mut g = SchemaSettings::draft2020_12()
        .for_serialize()
        .into_generator();
    g.subschema_for::<thresholds::Decision>();
    g.subschema_for::<thresholds::FactInfo>();
    g.subschema_for::<thresholds::RulesetInfo>();
    g.subschema_for::<thresholds::DetailedError>();
    g.subschema_for::<thresholds::Comparison>();
    g.definitions().clone()
}

fn name_of_ref(r: &str) -> &str {
    r.rsplit('/').next().unwrap_or(r)
}

fn types_of(s: &Value) -> Vec<&str> {
    match s.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// The schema's alternatives: `anyOf`/`oneOf` members, or its `type` list one at a time.
fn alternatives(s: &Value) -> Option<Vec<Value>> {
    if let Some(Value::Array(xs)) = s.get("anyOf").or_else(|| s.get("oneOf")) {
        return Some(xs.clone());
    }
    if let Some(Value::Array(vals)) = s.get("enum") {
        return Some(
            vals.iter()
                .map(|v| serde_json::json!({ "const": v }))
                .collect(),
        );
    }
    let ts = types_of(s);
    if ts.len() > 1 {
        return Some(
            ts.iter()
                .map(|t| {
                    let mut one = s.as_object().cloned().unwrap_or_default();
                    one.insert("type".into(), Value::String((*t).to_string()));
                    Value::Object(one)
                })
                .collect(),
        );
    }
    None
}

fn is_null(s: &Value) -> bool {
    types_of(s) == ["null"] || s.get("const") == Some(&Value::Null)
}

/// A schema without its `null` alternative (an optional field is absent rather than null).
fn without_null(s: &Value) -> Value {
    match alternatives(s) {
        Some(xs) => {
            let rest: Vec<Value> = xs.into_iter().filter(|x| !is_null(x)).collect();
            match rest.as_slice() {
                [one] => one.clone(),
                _ => serde_json::json!({ "anyOf": rest }),
            }
        }
        None => s.clone(),
    }
}

trait Lang {
    fn reference(&self, name: &str) -> String;
    fn literal(&self, v: &Value) -> String;
    fn union(&self, xs: Vec<String>) -> String;
    fn prim(&self, t: &str) -> String;
    fn array(&self, item: String) -> String;
    fn map(&self, value: String) -> String;
    fn any(&self) -> String;

    fn ty(&self, s: &Value) -> String {
        if let Some(r) = s.get("$ref").and_then(Value::as_str) {
            return self.reference(name_of_ref(r));
        }
        if let Some(c) = s.get("const") {
            return self.literal(c);
        }
        if let Some(xs) = alternatives(s) {
            return self.union(xs.iter().map(|x| self.ty(x)).collect());
        }
        match types_of(s).first().copied() {
            Some("array") => self.array(s.get("items").map_or_else(|| self.any(), |i| self.ty(i))),
            Some("object") => match s.get("additionalProperties") {
                Some(v) if v.is_object() => self.map(self.ty(v)),
                _ => self.map(self.any()),
            },
            Some(t) => self.prim(t),
            None => self.any(),
        }
    }
}

struct Ts;

impl Lang for Ts {
    fn reference(&self, name: &str) -> String {
        name.to_string()
    }
    fn literal(&self, v: &Value) -> String {
        v.to_string()
    }
    fn union(&self, xs: Vec<String>) -> String {
        xs.join(" | ")
    }
    fn prim(&self, t: &str) -> String {
        match t {
            "string" => "string",
            "integer" | "number" => "number",
            "boolean" => "boolean",
            "null" => "null",
            _ => "unknown",
        }
        .to_string()
    }
    fn array(&self, item: String) -> String {
        if item.contains(' ') {
            format!("({item})[]")
        } else {
            format!("{item}[]")
        }
    }
    fn map(&self, value: String) -> String {
        format!("Record<string, {value}>")
    }
    fn any(&self) -> String {
        "unknown".to_string()
    }
}

struct Py;

/// Python's name for a shape: the package's own classes already have these names.
fn py_name(name: &str) -> String {
    match name {
        "Decision" | "Comparison" => format!("{name}Dict"),
        _ => name.to_string(),
    }
}

impl Lang for Py {
    fn reference(&self, name: &str) -> String {
        // A stub is never run, so a name may be used before it is declared.
        py_name(name)
    }
    fn literal(&self, v: &Value) -> String {
        match v {
            Value::Null => "None".to_string(),
            other => format!("Literal[{other}]"),
        }
    }
    fn union(&self, xs: Vec<String>) -> String {
        let nullable = xs.iter().any(|x| x == "None");
        let mut rest: Vec<String> = xs.into_iter().filter(|x| x != "None").collect();
        // Literal["a"] | Literal["b"] reads as Literal["a", "b"].
        if rest.len() > 1 && rest.iter().all(|x| x.starts_with("Literal[")) {
            let inner: Vec<&str> = rest
                .iter()
                .map(|x| &x["Literal[".len()..x.len() - 1])
                .collect();
            rest = vec![format!("Literal[{}]", inner.join(", "))];
        }
        let body = match rest.as_slice() {
            [one] => one.clone(),
            _ => format!("Union[{}]", rest.join(", ")),
        };
        if nullable {
            format!("Optional[{body}]")
        } else {
            body
        }
    }
    fn prim(&self, t: &str) -> String {
        match t {
            "string" => "str",
            "integer" => "int",
            "number" => "float",
            "boolean" => "bool",
            "null" => "None",
            _ => "Any",
        }
        .to_string()
    }
    fn array(&self, item: String) -> String {
        format!("List[{item}]")
    }
    fn map(&self, value: String) -> String {
        format!("Dict[str, {value}]")
    }
    fn any(&self) -> String {
        "Any".to_string()
    }
}

fn description(s: &Value) -> Option<String> {
    s.get("description")
        .and_then(Value::as_str)
        .map(|d| d.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// Each property: name, schema, whether it is always present.
fn properties(s: &Value) -> Vec<(String, Value, bool)> {
    let required: Vec<&str> = s
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    s.get("properties")
        .and_then(Value::as_object)
        .map(|ps| {
            ps.iter()
                .map(|(k, v)| (k.clone(), v.clone(), required.contains(&k.as_str())))
                .collect()
        })
        .unwrap_or_default()
}

/// Wraps a comment's words at 96 columns.
fn wrap(text: &str, prefix: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for w in text.split(' ') {
        if !line.is_empty() && prefix.len() + line.len() + 1 + w.len() > 96 {
            lines.push(format!("{prefix}{line}"));
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(w);
    }
    if !line.is_empty() {
        lines.push(format!("{prefix}{line}"));
    }
    lines
}

fn typescript(defs: &Map<String, Value>) -> String {
    let mut out = String::new();
    for (name, s) in defs {
        if let Some(d) = description(s) {
            let lines = wrap(&d, " * ");
            if lines.len() == 1 {
                out.push_str(&format!("/** {d} */\n"));
            } else {
                out.push_str("/**\n");
                for l in lines {
                    out.push_str(&l);
                    out.push('\n');
                }
                out.push_str(" */\n");
            }
        }
        if s.get("properties").is_some() {
            out.push_str(&format!("export interface {name} {{\n"));
            for (field, fs, required) in properties(s) {
                if let Some(d) = description(&fs) {
                    out.push_str(&format!("    /** {d} */\n"));
                }
                let (mark, ty) = if required {
                    ("", Ts.ty(&fs))
                } else {
                    ("?", Ts.ty(&without_null(&fs)))
                };
                out.push_str(&format!("    {field}{mark}: {ty};\n"));
            }
            out.push_str("}\n\n");
        } else {
            out.push_str(&format!("export type {name} = {};\n\n", Ts.ty(s)));
        }
    }
    out
}

fn python(defs: &Map<String, Value>) -> String {
    let mut out = String::new();
    for (name, s) in defs {
        let name = py_name(name);
        if let Some(d) = description(s) {
            for l in wrap(&d, "# ") {
                out.push_str(&l);
                out.push('\n');
            }
        }
        if s.get("properties").is_some() {
            // The functional form: some keys (`from`) are Python keywords.
            out.push_str(&format!("{name} = TypedDict(\"{name}\", {{\n"));
            for (field, fs, required) in properties(s) {
                let ty = if required {
                    Py.ty(&fs)
                } else {
                    format!("NotRequired[{}]", Py.ty(&without_null(&fs)))
                };
                out.push_str(&format!("    \"{field}\": {ty},\n"));
            }
            out.push_str("})\n\n");
        } else {
            out.push_str(&format!("{name} = {}\n\n", Py.ty(s)));
        }
    }
    out
}

const BEGIN_TS: &str =
    "// <generated> from the engine's Rust types by tests/src/types.rs: do not edit by hand\n";
const END_TS: &str = "// </generated>\n";
const BEGIN_PY: &str =
    "# <generated> from the engine's Rust types by tests/src/types.rs: do not edit by hand\n";
const END_PY: &str = "# </generated>\n";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Puts `block` between the markers of `path`; whether the file already held it.
fn check(path: &str, begin: &str, end: &str, block: &str) -> Result<bool, String> {
    let p = root().join(path);
    let text = std::fs::read_to_string(&p).map_err(|e| format!("{path}: {e}"))?;
    let (Some(a), Some(b)) = (text.find(begin), text.find(end)) else {
        return Err(format!(
            "{path} has no `{}` ... `{}` markers",
            begin.trim(),
            end.trim()
        ));
    };
    let current = text.get(a + begin.len()..b).unwrap_or_default();
    if current == block {
        return Ok(true);
    }
    if std::env::var_os("THR_WRITE_TYPES").is_some() {
        let (head, tail) = (
            text.get(..a).unwrap_or_default(),
            text.get(b..).unwrap_or_default(),
        );
        std::fs::write(&p, format!("{head}{begin}{block}{tail}"))
            .map_err(|e| format!("{path}: {e}"))?;
        return Ok(true);
    }
    Ok(false)
}

#[test]
fn host_types_are_generated_from_the_rust_types() {
    let defs = definitions();
    // Every shape a host sees is declared, under the name the hosts use.
    for name in [
        "Decision",
        "Missing",
        "MissingChanges",
        "Reason",
        "Effects",
        "Escalated",
        "RulesetRef",
        "Question",
        "QuestionItem",
        "Summary",
        "Explanation",
        "ExplainChange",
        "FactInfo",
        "FactValue",
        "RulesetInfo",
        "DetailedError",
        "Comparison",
    ] {
        assert!(defs.contains_key(name), "{name} is not generated");
    }
    let ts = typescript(&defs);
    let py = python(&defs);
    let mut stale = Vec::new();
    for (path, begin, end, block) in [
        ("bindings-wasm/src/types.d.ts", BEGIN_TS, END_TS, &ts),
        ("bindings-wasm/thresholds_wasm.d.ts", BEGIN_TS, END_TS, &ts),
        (
            "bindings-python/python/thresholds/__init__.pyi",
            BEGIN_PY,
            END_PY,
            &py,
        ),
    ] {
        if !check(path, begin, end, block).unwrap() {
            stale.push(path);
        }
    }
    assert!(
        stale.is_empty(),
        "{stale:?} do not hold the types the Rust types generate: run \
         THR_WRITE_TYPES=1 cargo test -p thresholds-tests --test types"
    );
}

#[test]
fn the_generated_types_say_what_serde_writes() {
    let defs = definitions();
    let ts = typescript(&defs);
    // Always written: no `?`; written only when set: `?` and no null; written as null: `| null`.
    assert!(ts.contains("    level: string | null;\n"), "{ts}");
    assert!(ts.contains("    could_reach?: string;\n"));
    assert!(ts.contains("    advisory?: boolean;\n"));
    assert!(ts.contains("    status: Status;\n"));
    assert!(ts.contains("export type Status = \"complete\" | \"provisional\";"));
    assert!(ts.contains("    exploitation: Record<string, string>;\n"));
    assert!(ts.contains("    facts: Record<string, FactValue | null>;\n"));
    let py = python(&defs);
    assert!(py.contains("    \"from\": Optional[str],\n"), "{py}");
    assert!(py.contains("    \"could_reach\": NotRequired[str],\n"));
    assert!(py.contains("Status = Literal[\"complete\", \"provisional\"]\n"));
}
