//! The `thresholds` engine for JavaScript hosts (browsers and Node.js), via wasm-bindgen.
//!
//! A thin binding: every operation converts the host value to the engine's JSON text, calls
//! the core entry point, and converts the JSON text back (`convert.rs`). Errors become JS
//! `Error` objects carrying `.code`, `.kind` and `.diagnostics` (`errors.rs`).
//!
//! ```js
//! import init, { Ruleset } from "./pkg/thresholds_wasm.js";
//! await init();
//! const rs = Ruleset.default();
//! const decision = rs.evaluate({ immediate_danger: true, age_years: 9 });
//! decision.level;            // "acute"
//! rs.evaluateJson('{"immediate_danger": true}'); // byte-identical to `thresholds eval --format json`
//! ```

mod convert;
mod errors;

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = include_str!("types.d.ts");

/// A checked and compiled rule set.
#[wasm_bindgen]
#[derive(Debug, Clone)]
pub struct Ruleset {
    inner: thresholds::Ruleset,
}

#[wasm_bindgen]
impl Ruleset {
    /// The shipped rule set (the partnership's threshold of need), embedded in the module.
    #[wasm_bindgen(js_name = default)]
    pub fn builtin() -> Result<Ruleset, JsValue> {
        #[cfg(feature = "checker")]
        let rs = thresholds::Ruleset::from_precompiled(include_bytes!(concat!(
            env!("OUT_DIR"),
            "/rules.thrc"
        )));
        #[cfg(not(feature = "checker"))]
        let rs = thresholds::Ruleset::builtin();
        rs.map(|inner| Ruleset { inner }).map_err(errors::to_js)
    }

    /// Builds a rule set from one rule file's text. Throws a `ThresholdsError` (kind `rules`)
    /// listing every syntax and check error. Not in the checker build.
    #[cfg(feature = "source")]
    #[wasm_bindgen(js_name = fromSource)]
    pub fn from_source(text: &str, name: Option<String>) -> Result<Ruleset, JsValue> {
        let name = name.unwrap_or_else(|| "inline.thr".to_string());
        thresholds::Ruleset::from_source(&name, text)
            .map(|inner| Ruleset { inner })
            .map_err(errors::to_js)
    }

    /// Builds a rule set from several files: an object mapping file name to text. Not in the
    /// checker build.
    #[cfg(feature = "source")]
    #[wasm_bindgen(js_name = fromSources)]
    pub fn from_sources(
        #[wasm_bindgen(unchecked_param_type = "Record<string, string>")] files: JsValue,
    ) -> Result<Ruleset, JsValue> {
        let files = convert::files_from_js(&files)?;
        thresholds::Ruleset::from_sources(files)
            .map(|inner| Ruleset { inner })
            .map_err(errors::to_js)
    }

    /// Loads a rule set precompiled by `thresholds compile` (a `Uint8Array`),
    /// without parsing or checking: how the checker build takes rules other than the shipped
    /// ones. Throws a `ThresholdsError` with code `thr::precompiled::invalid` for bytes that are
    /// not one, damaged, or made by another engine version.
    #[wasm_bindgen(js_name = fromPrecompiled)]
    pub fn from_precompiled(bytes: &[u8]) -> Result<Ruleset, JsValue> {
        thresholds::Ruleset::from_precompiled(bytes)
            .map(|inner| Ruleset { inner })
            .map_err(errors::to_js)
    }

    /// Evaluates facts (a plain object; absent or `null` means unknown) into a decision object
    /// of the same shape as the decision JSON.
    #[wasm_bindgen(unchecked_return_type = "Decision")]
    ///
    /// `request` (optional): `{reasons?, missing?, escalation?: {level, reason}, questions?,
    /// answered?}`, the core's request; an escalation never lowers the level and is recorded
    /// in the decision; `questions: true` adds the ranked open questions.
    pub fn evaluate(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Facts")] facts: JsValue,
        request: Option<js_sys::Object>,
    ) -> Result<JsValue, JsValue> {
        let text = convert::facts_to_json(&facts)?;
        let out = match request {
            None => self.inner.evaluate_json_str(&text),
            Some(request) => {
                let request = convert::facts_to_json(&request.into())?;
                self.inner.evaluate_request_json(&text, &request)
            }
        }
        .map_err(errors::to_js)?;
        convert::json_to_js(&out)
    }

    /// Facts JSON text in, decision JSON text out: byte-identical to
    /// `thresholds eval --format json` (without its trailing newline). With `requestJson`,
    /// the core's request JSON (options and escalation).
    #[wasm_bindgen(js_name = evaluateJson)]
    pub fn evaluate_json(
        &self,
        facts_json: &str,
        request_json: Option<String>,
    ) -> Result<String, JsValue> {
        match request_json {
            Some(r) => self.inner.evaluate_request_json(facts_json, &r),
            None => self.inner.evaluate_json_str(facts_json),
        }
        .map_err(errors::to_js)
    }

    /// Answers one of the decision's open `questions`: returns the facts with the answer
    /// applied. `answer` is the value for a question about one fact, or the ids ticked for a
    /// checklist or the triage question (each area left unticked answers its facts benign).
    /// `answered`: question ids answered before (`"triage"`).
    #[wasm_bindgen(unchecked_return_type = "Facts")]
    pub fn answer(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Facts")] facts: JsValue,
        question: &str,
        #[wasm_bindgen(unchecked_param_type = "FactValue | string[]")] answer: JsValue,
        answered: Option<Vec<String>>,
    ) -> Result<JsValue, JsValue> {
        let text = convert::facts_to_json(&facts)?;
        let answer = convert::facts_to_json(&answer)?;
        let out = self
            .inner
            .answer_json(&text, &answered.unwrap_or_default(), question, &answer)
            .map_err(errors::to_js)?;
        convert::json_to_js(&out)
    }

    /// Impact analysis: what changes when `newer` replaces this rule set, over referrals (a
    /// JSON array of facts objects, or JSON lines). Returns the comparison JSON text: `total`,
    /// `changed`, `transitions`, `pathways` and `changes` (each with both decisions). Not in the
    /// checker build (one rule set, no impact analysis).
    #[cfg(feature = "source")]
    #[wasm_bindgen(js_name = compareJson)]
    pub fn compare_json(&self, newer: &Ruleset, referrals: &str) -> Result<String, JsValue> {
        thresholds::compare_json(&self.inner, &newer.inner, referrals).map_err(errors::to_js)
    }

    /// The declared facts: id, type, min, max, values, question, help, domain.
    #[wasm_bindgen(unchecked_return_type = "FactInfo[]")]
    pub fn facts(&self) -> Result<JsValue, JsValue> {
        convert::json_to_js(&self.inner.facts_json())
    }

    /// Name, version, hash, levels, pathways (most urgent first, with what to do), matrices
    /// and guidance.
    #[wasm_bindgen(unchecked_return_type = "RulesetInfo")]
    pub fn info(&self) -> Result<JsValue, JsValue> {
        convert::json_to_js(&self.inner.info_json())
    }

    /// Warnings found while checking the rules, as `DetailedError` objects.
    #[wasm_bindgen(unchecked_return_type = "DetailedError[]")]
    pub fn warnings(&self) -> JsValue {
        errors::warnings_to_js(self.inner.warnings())
    }

    /// Rule-set name.
    #[wasm_bindgen(getter)]
    pub fn name(&self) -> String {
        self.inner.name().to_string()
    }

    /// Rule-set version.
    #[wasm_bindgen(getter)]
    pub fn version(&self) -> String {
        self.inner.version().to_string()
    }

    /// `sha256:` hash of the normalised rule source.
    #[wasm_bindgen(getter)]
    pub fn hash(&self) -> String {
        self.inner.hash().to_string()
    }
}
