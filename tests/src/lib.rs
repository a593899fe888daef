//! Loads the conformance vectors in `tests/vectors/*.json` (format: `tests/README.md`).

use std::path::{Path, PathBuf};

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Reads the rule files a vector names: `rules` is a path under the repository (a file or a
/// directory of .thr files), or `source` is inline rule text.
pub fn vector_sources(v: &serde_json::Value) -> Result<Vec<(String, String)>, String> {
    if let Some(src) = v.get("source").and_then(vector_text) {
        return Ok(vec![("inline.thr".to_string(), src)]);
    }
    let rel = v
        .get("rules")
        .and_then(|s| s.as_str())
        .ok_or("vector has neither `rules` nor `source`")?;
    let path = repo_root().join(rel);
    let mut files = Vec::new();
    if path.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(&path)
            .map_err(|e| format!("{rel}: {e}"))?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "thr"))
            .collect();
        entries.sort();
        for p in entries {
            let name = p
                .strip_prefix(repo_root())
                .unwrap_or(&p)
                .display()
                .to_string();
            files.push((
                name,
                std::fs::read_to_string(&p).map_err(|e| e.to_string())?,
            ));
        }
    } else {
        files.push((
            rel.to_string(),
            std::fs::read_to_string(&path).map_err(|e| format!("{rel}: {e}"))?,
        ));
    }
    Ok(files)
}

/// Every vector file, sorted, as (file name, parsed JSON).
pub fn vector_files() -> Vec<(String, serde_json::Value)> {
    let dir = repo_root().join("tests/vectors");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .collect()
        })
        .unwrap_or_default();
    paths.sort();
    paths
        .into_iter()
        .filter_map(|p| {
            let text = std::fs::read_to_string(&p).ok()?;
            let v = serde_json::from_str(&text).ok()?;
            Some((p.file_name()?.to_string_lossy().into_owned(), v))
        })
        .collect()
}

/// A text field of a vector: a string, or generated text `{"prefix", "repeat", "times",
/// "suffix"}`: the prefix, then `repeat` `times` times with `{n}` replaced by 0, 1, ..., then
/// the suffix (for inputs too large to write out, such as the limits).
pub fn vector_text(field: &serde_json::Value) -> Option<String> {
    if let Some(s) = field.as_str() {
        return Some(s.to_string());
    }
    let part = |k: &str| field.get(k).and_then(|s| s.as_str()).unwrap_or("");
    let times = field.get("times")?.as_u64()?;
    let mut out = part("prefix").to_string();
    for n in 0..times {
        out.push_str(&part("repeat").replace("{n}", &n.to_string()));
    }
    out.push_str(part("suffix"));
    Some(out)
}

/// The facts text of a vector: `facts` (any JSON value, serialised) or `factsText` (raw or
/// generated text).
pub fn vector_facts_text(v: &serde_json::Value) -> String {
    match v.get("factsText").and_then(vector_text) {
        Some(t) => t,
        None => serde_json::to_string(v.get("facts").unwrap_or(&serde_json::Value::Null))
            .unwrap_or_default(),
    }
}
