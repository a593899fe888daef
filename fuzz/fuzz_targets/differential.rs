//! The differential target: on small generated rule sets, `missing`, each fact's `changes`, the
//! level and `could_reach` agree with brute force over every completion of the unknown facts.
//! The generator and the oracle are the property tests' own (`core/tests/oracle.rs`).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[allow(dead_code, reason = "shared with the property tests")]
#[path = "../../core/tests/oracle.rs"]
mod oracle;

fuzz_target!(|data: &[u8]| {
    let mut c = oracle::Bytes::new(data);
    let src = oracle::ruleset_src(&mut c);
    let known = oracle::partial_facts(&mut c);
    if let Err(e) = oracle::check(&src, &known) {
        panic!("{e}");
    }
    let level = data.first().map_or(0, |b| usize::from(*b) % 3);
    if let Err(e) = oracle::check_escalation(&src, &known, level) {
        panic!("{e}");
    }
});
