//! `fmt` round trip: formatting is idempotent, the formatted rules have the original's hash,
//! and the decision on the empty referral is unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use thresholds::{format_source, Ruleset};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(once) = format_source("fuzz.thr", text) else {
        return;
    };
    let twice = format_source("fuzz.thr", &once).expect("formatted text parses");
    assert_eq!(once, twice, "fmt is not idempotent on:\n{text}");
    match Ruleset::from_source("fuzz.thr", text) {
        Ok(a) => {
            let b = Ruleset::from_source("fuzz.thr", &once).expect("formatted rules check");
            assert_eq!(a.hash(), b.hash(), "formatting changed the rules:\n{text}");
            assert_eq!(
                a.evaluate_json_str("{}").ok(),
                b.evaluate_json_str("{}").ok()
            );
        }
        Err(a) => {
            let b =
                Ruleset::from_source("fuzz.thr", &once).expect_err("formatting fixed the rules");
            assert_eq!(
                a.code(),
                b.code(),
                "formatting changed the first error:\n{text}"
            );
        }
    }
});
