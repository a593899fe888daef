//! Facts JSON → decision, on the shipped rules and on the language tour. Every outcome is a
//! decision or a coded facts error; both decision forms agree; evaluation is deterministic; and
//! facts text, converted as it is read (by core's JSON reader), converts as its serde_json value
//! does, and is refused as JSON when serde_json refuses it.
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

/// How many keys a JSON object's text gives, counting a repeated key each time.
fn keys(text: &str) -> Option<usize> {
    struct Count(usize);
    impl<'de> serde::Deserialize<'de> for Count {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            d.deserialize_map(Count(0))
        }
    }
    impl<'de> serde::de::Visitor<'de> for Count {
        type Value = Count;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an object")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, mut m: A) -> Result<Count, A::Error> {
            let mut n = 0;
            while m
                .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
                .is_some()
            {
                n += 1;
            }
            Ok(Count(n))
        }
    }
    serde_json::from_str::<Count>(text).ok().map(|c| c.0)
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // The engine reads JSON itself, exactly what serde_json reads: text serde_json refuses is
    // refused as JSON, and text it reads converts as its value does.
    let parsed = serde_json::from_str::<serde_json::Value>(text).ok();
    let json_ok = parsed.is_some();
    // A JSON value keeps one of a key given twice; compare only texts that give each key once.
    let value = parsed.filter(|v| v.as_object().map(serde_json::Map::len) == keys(text));
    for (rs, levels) in rule_sets() {
        let by_value = value.as_ref().map(|v| rs.facts_from_value(v));
        match rs.facts_from_json(text) {
            Ok(facts) => {
                assert!(json_ok, "read as facts, refused by serde_json: {text}");
                if let Some(b) = &by_value {
                    assert_eq!(b.as_ref().ok(), Some(&facts), "{text}");
                }
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
                if !json_ok {
                    let code = e.code();
                    assert!(
                        code == "thr::facts::invalid_json" || code == "thr::facts::too_large",
                        "{code}: {text}"
                    );
                }
                assert!(e.code().starts_with("thr::facts::"), "{}", e.code());
                match &by_value {
                    Some(Err(b)) => assert_eq!(e.to_json(), b.to_json(), "{text}"),
                    Some(Ok(_)) => assert_eq!(e.code(), "thr::facts::too_large", "{text}"),
                    None => {}
                }
                assert!(rs.evaluate_json_str(text).is_err());
                let _ = e.to_json();
            }
        }
    }
});
