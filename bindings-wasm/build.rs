//! With the `checker` feature: precompiles the shipped rules (`rules/threshold/`) with the engine
//! built for this machine, for `Ruleset.default()` to load without a parser
//! (`OUT_DIR/rules.thrc`). Without it, nothing to do.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    #[cfg(feature = "checker")]
    precompile();
}

#[cfg(feature = "checker")]
fn precompile() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../rules/threshold");
    println!("cargo:rerun-if-changed={}", dir.display());
    let fail = |what: String| -> ! {
        eprintln!("{what}");
        std::process::exit(1)
    };
    let bytes = thresholds::Ruleset::builtin()
        .and_then(|rs| rs.to_precompiled())
        .unwrap_or_else(|e| {
            fail(format!(
                "the shipped rules do not precompile: {}",
                e.to_json()
            ))
        });
    let out = std::path::Path::new(&std::env::var("OUT_DIR").unwrap_or_else(|_| ".".into()))
        .join("rules.thrc");
    if let Err(e) = std::fs::write(&out, bytes) {
        fail(format!("cannot write {}: {e}", out.display()));
    }
}
