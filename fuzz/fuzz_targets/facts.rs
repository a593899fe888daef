//! Facts JSON → decision, on the shipped rules and on the language tour. Every outcome is a
//! decision or a coded facts error; both decision forms agree; evaluation is deterministic.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use thresholds::{ErrorKind, Options, Ruleset, Status};

fn rule_sets() -> &'static [Ruleset] {
    static SETS: OnceLock<Vec<Ruleset>> = OnceLock::new();
    SETS.get_or_init(|| {
        let tour = include_str!("../../rules/examples/tour/tour.thr");
        vec![
            Ruleset::builtin().expect("the shipped rules check"),
            Ruleset::from_source("tour.thr", tour).expect("the tour checks"),
        ]
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for rs in rule_sets() {
        match rs.facts_from_json(text) {
            Ok(facts) => {
                let full = rs.evaluate(&facts, Options::default());
                let json = rs
                    .evaluate_json_str(text)
                    .expect("the facts converted once");
                assert_eq!(json, rs.evaluate_json_str(text).expect("and again"));
                let v: serde_json::Value = serde_json::from_str(&json).expect("decision JSON");
                assert!(v.get("level").is_some(), "{json}");
                // Without `missing`, the settled parts agree when nothing is missing.
                let off = rs.evaluate(
                    &facts,
                    Options {
                        reasons: false,
                        missing: false,
                    },
                );
                if full.status == Status::Complete {
                    assert_eq!(off.level, full.level, "{text}");
                    assert_eq!(off.pathways, full.pathways, "{text}");
                }
                // The compact form says the same thing, as indexes.
                let c = rs.evaluate_compact(&facts, true);
                let info = rs.info();
                let level = c.level.map(|l| info.levels[l as usize].id.clone());
                assert_eq!(level, full.level, "{text}");
                assert_eq!(c.provisional, full.status == Status::Provisional, "{text}");
                assert_eq!(c.missing.len(), full.missing.len(), "{text}");
                if let (Some(lo), Some(hi)) = (c.level, c.could_reach) {
                    assert!(lo <= hi, "{text}");
                }
            }
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::Facts);
                assert!(e.code().starts_with("thr::facts::"), "{}", e.code());
                assert!(rs.evaluate_json_str(text).is_err());
                let _ = e.to_json();
            }
        }
    }
});
