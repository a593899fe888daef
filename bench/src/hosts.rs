//! The referrals as JSON lines for the other hosts (Python, C, wasm under Node), and the reference
//! timing of the Rust JSON entry point over those same lines (`scripts/bench-hosts.sh`).

use std::io::Write;
use std::time::Instant;

use thresholds::Ruleset;

use crate::workload;

/// Writes `n` seeded referrals to `path`, one compact facts object per line.
pub(crate) fn emit(path: &str, seed: u64, n: usize) -> Result<(), String> {
    let file = std::fs::File::create(path).map_err(|e| format!("{path}: {e}"))?;
    let mut out = std::io::BufWriter::new(file);
    for v in workload::referrals(seed, n) {
        writeln!(out, "{v}").map_err(|e| format!("{path}: {e}"))?;
    }
    out.flush().map_err(|e| format!("{path}: {e}"))
}

/// Times `Ruleset::evaluate_json_str` (default options: reasons and missing on) over every line of
/// `lines`, `passes` times; prints each pass's total in nanoseconds, one a line, and writes the
/// decisions of the first `sample` lines to `sample_out`, one a line.
pub(crate) fn time_json(
    rs: &Ruleset,
    lines: &str,
    passes: usize,
    sample: usize,
    sample_out: &str,
) -> Result<(), String> {
    let text = std::fs::read_to_string(lines).map_err(|e| format!("{lines}: {e}"))?;
    let facts: Vec<&str> = text.lines().filter(|l| !l.is_empty()).collect();
    let mut decisions = String::new();
    for f in facts.iter().take(sample) {
        decisions.push_str(&rs.evaluate_json_str(f).map_err(|e| format!("{e}: {f}"))?);
        decisions.push('\n');
    }
    std::fs::write(sample_out, decisions).map_err(|e| format!("{sample_out}: {e}"))?;
    // One warm-up pass, untimed, as in every other host.
    for f in &facts {
        std::hint::black_box(rs.evaluate_json_str(f).map_err(|e| e.to_string())?);
    }
    for _ in 0..passes {
        let t = Instant::now();
        for f in &facts {
            std::hint::black_box(
                rs.evaluate_json_str(std::hint::black_box(f))
                    .map_err(|e| e.to_string())?,
            );
        }
        println!("{}", t.elapsed().as_nanos());
    }
    Ok(())
}
