//! Host values <-> the engine's JSON text. The engine's JSON is the single source of truth, so
//! `evaluate()` returns exactly what `evaluateJson()` would, parsed.

use wasm_bindgen::prelude::*;

/// Serialises a JS facts object as JSON text (`JSON.stringify`). `undefined` becomes `{}`.
pub(crate) fn facts_to_json(facts: &JsValue) -> Result<String, JsValue> {
    if facts.is_undefined() {
        return Ok("{}".to_string());
    }
    let s = js_sys::JSON::stringify(facts).map_err(|e| {
        crate::errors::host_error("facts cannot be serialised as JSON", e.as_string())
    })?;
    s.as_string()
        .ok_or_else(|| crate::errors::host_error("facts cannot be serialised as JSON", None))
}

/// Parses JSON text produced by the engine into a plain JS value (`JSON.parse`).
pub(crate) fn json_to_js(text: &str) -> Result<JsValue, JsValue> {
    js_sys::JSON::parse(text)
}

/// Reads `{ "file name": "text", ... }` into `(name, text)` pairs.
#[cfg(feature = "source")]
pub(crate) fn files_from_js(files: &JsValue) -> Result<Vec<(String, String)>, JsValue> {
    let not_files = || {
        crate::errors::host_error(
            "rule files must be an object mapping file name to text",
            None,
        )
    };
    if !files.is_object() {
        return Err(not_files());
    }
    let obj = js_sys::Object::from(files.clone());
    let mut out = Vec::new();
    for entry in js_sys::Object::entries(&obj).iter() {
        let pair = js_sys::Array::from(&entry);
        let (Some(name), Some(text)) = (pair.get(0).as_string(), pair.get(1).as_string()) else {
            return Err(not_files());
        };
        out.push((name, text));
    }
    Ok(out)
}
