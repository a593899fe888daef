//! Rule source → parse, check, compile, evaluate and render. Every outcome is a rule set or a
//! coded error whose every diagnostic has a code, a message and a location; nothing panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use thresholds::{ErrorKind, Ruleset};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Ruleset::from_source("fuzz.thr", text) {
        Ok(rs) => {
            // The compiled outcome, on the empty referral and on a referral with one fact.
            let d = rs
                .evaluate_json_str("{}")
                .expect("{} is valid facts for any rule set");
            assert!(d.starts_with(r#"{"level":"#), "{d}");
            let _ = rs.facts_json();
            let _ = rs.info_json();
            let _ = rs.render_warnings();
            if let Some(e) = rs.tests_error() {
                let _ = e.render();
                let _ = e.to_json();
            }
            // The rule file's own tests, on small files (large ones are mostly the shipped
            // rules, whose tests the test command runs).
            if text.len() < 8192 {
                let _ = rs.run_tests();
            }
        }
        Err(e) => {
            assert_eq!(e.kind(), ErrorKind::Rules);
            assert!(e.code().starts_with("thr::"), "{}", e.code());
            for d in e.detailed() {
                assert!(d.code.starts_with("thr::"), "{}", d.code);
                assert!(!d.message.is_empty(), "{d:?}");
                assert!(d.line.is_some() && d.column.is_some(), "no location: {d:?}");
            }
            let _ = e.render();
            let _ = e.to_json();
        }
    }
});
