//! Facts JSON → decision, on the shipped rules and on the language tour. Every outcome is a
//! decision or a coded facts error; both decision forms agree; evaluation is deterministic.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use thresholds::{ErrorKind, Options, Ruleset, Status};

/// The rule sets, each with its level ids in order.
fn rule_sets() -> &'static [(Ruleset, Vec<String>)] {
    static SETS: OnceLock<Vec<(Ruleset, Vec<String>)>> = OnceLock::new();
    SETS.get_or_init(|| {
        let tour = include_str!("../../rules/examples/tour/tour.thr");
        [
            Ruleset::builtin().expect("the shipped rules check"),
            Ruleset::from_source("tour.thr", tour).expect("the tour checks"),
        ]
        .into_iter()
        .map(|rs| {
            let levels = rs.info().levels.into_iter().map(|l| l.id).collect();
            (rs, levels)
        })
        .collect()
    })
}

/// The index of a level id in the rule set's levels.
fn rank(levels: &[String], level: &Option<String>) -> Option<u32> {
    let id = level.as_deref()?;
    levels
        .iter()
        .position(|l| l == id)
        .and_then(|i| u32::try_from(i).ok())
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for (rs, levels) in rule_sets() {
        match rs.facts_from_json(text) {
            Ok(facts) => {
                let full = rs.evaluate(&facts, Options::default());
                if let (Some(lo), Some(hi)) =
                    (rank(levels, &full.level), rank(levels, &full.could_reach))
                {
                    assert!(lo <= hi, "could_reach below level: {text}");
                }
                // One more route per input, in turn, to keep the inputs per second up.
                match data.len() % 3 {
                    0 => {
                        // The JSON route decides the same, byte for byte.
                        let json = rs
                            .evaluate_json_str(text)
                            .expect("the facts converted once");
                        let again = serde_json::to_string(&full).expect("a decision serialises");
                        assert_eq!(json, again, "{text}");
                    }
                    1 => {
                        // The compact form says the same thing, as indexes.
                        let c = rs.evaluate_compact(&facts, true);
                        assert_eq!(c.level, rank(levels, &full.level), "{text}");
                        assert_eq!(c.could_reach, rank(levels, &full.could_reach), "{text}");
                        assert_eq!(c.provisional, full.status == Status::Provisional, "{text}");
                        assert_eq!(c.missing.len(), full.missing.len(), "{text}");
                    }
                    _ => {
                        let off = Options {
                            reasons: false,
                            missing: false,
                        };
                        let off = rs.evaluate(&facts, off);
                        // Without `missing`, a decision is complete only when interval
                        // evaluation decides every rule (it may call a decision provisional
                        // that the diagrams settle). When it is complete, it is the decision.
                        if off.status == Status::Complete {
                            assert_eq!(full.status, Status::Complete, "{text}");
                            assert_eq!(off.level, full.level, "{text}");
                            assert_eq!(off.pathways, full.pathways, "{text}");
                        }
                    }
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
