//! Precompiled rule sets (`Ruleset::from_precompiled`): the shipped rules precompiled, edited as
//! the input says, the checksum made to match again (so the edits reach the decoder and the
//! checks behind it), then loaded. Every outcome is a rule set or a `thr::precompiled::invalid`
//! error, never a panic; whatever loads evaluates without one.
//!
//! Input: 4-byte edits, each a little-endian 24-bit offset into the image and the byte to put
//! there; a last partial edit truncates the image at its offset. An input starting with `THRC`
//! is taken as a whole image instead.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use thresholds::Ruleset;

fn image() -> &'static [u8] {
    static IMAGE: OnceLock<Vec<u8>> = OnceLock::new();
    IMAGE.get_or_init(|| {
        Ruleset::builtin()
            .and_then(|rs| rs.to_precompiled())
            .expect("the shipped rules precompile")
    })
}

fuzz_target!(|data: &[u8]| {
    let mut bytes = if data.starts_with(b"THRC") {
        data.to_vec()
    } else {
        let mut bytes = image().to_vec();
        for edit in data.chunks(4) {
            let at = edit.iter().take(3).rev().fold(0usize, |a, b| a << 8 | usize::from(*b));
            match edit.get(3) {
                Some(v) if at < bytes.len() => bytes[at] = *v,
                Some(_) => {}
                None => bytes.truncate(at),
            }
        }
        bytes
    };
    thresholds::reseal_precompiled(&mut bytes);
    match Ruleset::from_precompiled(&bytes) {
        Ok(rs) => {
            for facts in ["{}", r#"{"age_years": 15, "cse_indicators": ["going_missing"]}"#] {
                let _ = rs.evaluate_json_str(facts);
            }
        }
        Err(e) => assert_eq!(e.code(), "thr::precompiled::invalid", "{}", e.to_json()),
    }
});
