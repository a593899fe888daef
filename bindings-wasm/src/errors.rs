//! Engine errors as JS `Error` objects with `.code`, `.kind`, `.class` and `.diagnostics` (the same
//! `DetailedError` objects the other bindings return).

use wasm_bindgen::prelude::*;

/// Converts an engine error: `message` is the summary line, `code` the first error's code,
/// `kind` `"rules"` or `"facts"`, `diagnostics` every error and warning.
pub(crate) fn to_js(e: thresholds::Error) -> JsValue {
    let err = js_sys::Error::new(&e.to_string());
    err.set_name("ThresholdsError");
    // The body is the same JSON every binding produces; take kind and diagnostics from it.
    let body = js_sys::JSON::parse(&e.to_json()).unwrap_or(JsValue::NULL);
    let get = |key: &str| js_sys::Reflect::get(&body, &JsValue::from_str(key)).ok();
    set(&err, "code", &JsValue::from_str(e.code()));
    set(&err, "kind", &get("kind").unwrap_or(JsValue::NULL));
    set(&err, "class", &JsValue::from_str(e.class().as_str()));
    set(
        &err,
        "diagnostics",
        &get("diagnostics").unwrap_or_else(|| js_sys::Array::new().into()),
    );
    err.into()
}

/// An error raised by the binding itself (a host value the engine never saw), shaped by core
/// as every other error: code `thr::request::invalid`, kind `request`.
pub(crate) fn host_error(message: &str, help: Option<String>) -> JsValue {
    let kind = thresholds::ErrorKind::Request;
    to_js(thresholds::Error::host(
        kind,
        thresholds::Code::BadRequest,
        message,
        help,
        None,
    ))
}

/// Warnings as `DetailedError` objects (code, message, severity, help, fact).
pub(crate) fn warnings_to_js(warnings: &[thresholds::Diagnostic]) -> JsValue {
    let out = js_sys::Array::new();
    for w in warnings {
        let d = js_sys::Object::new();
        set(&d, "code", &JsValue::from_str(w.code()));
        set(&d, "message", &JsValue::from_str(w.message()));
        set(&d, "severity", &JsValue::from_str(w.severity().as_str()));
        if let Some(h) = w.help_text() {
            set(&d, "help", &JsValue::from_str(h));
        }
        if let Some(f) = w.fact() {
            set(&d, "fact", &JsValue::from_str(f));
        }
        out.push(&d);
    }
    out.into()
}

fn set(target: &JsValue, key: &str, value: &JsValue) {
    // Setting a property on a fresh plain object or Error cannot fail.
    let _ = js_sys::Reflect::set(target, &JsValue::from_str(key), value);
}
