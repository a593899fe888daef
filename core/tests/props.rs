//! Property tests: the `missing` list is exactly what brute force finds; evaluation never
//! panics on any facts; formatting round-trips.

use proptest::prelude::*;
use serde_json::{json, Value};
use thresholds::{Options, Ruleset, Status};

use crate::oracle::{check, check_escalation, partial_facts, ruleset_src, Bytes, HEADER};

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn missing_is_exactly_what_brute_force_finds(choices in prop::collection::vec(any::<u8>(), 16..128)) {
        let mut c = Bytes::new(&choices);
        let src = ruleset_src(&mut c);
        let known = partial_facts(&mut c);
        if let Err(e) = check(&src, &known) {
            prop_assert!(false, "{}", e);
        }
        let level = choices.first().map_or(0, |b| usize::from(*b) % 3);
        if let Err(e) = check_escalation(&src, &known, level) {
            prop_assert!(false, "{}", e);
        }
    }

    #[test]
    fn evaluation_never_panics_on_any_facts(v in arb_json(), keys in prop::collection::vec(prop_oneof![Just("b1"), Just("n1"), Just("e1"), Just("s1"), Just("zz")], 0..4)) {
        let rs = Ruleset::from_source("gen.thr", &format!("{HEADER}rule r {{ when b1 then level l3 cite g because \"r\" }}\n")).unwrap();
        let mut m = serde_json::Map::new();
        for k in keys { m.insert(k.to_string(), v.clone()); }
        // Either a decision or a coded facts error: never a panic.
        match rs.evaluate_json_str(&Value::Object(m).to_string()) {
            Ok(out) => prop_assert!(out.starts_with(r#"{"level":"#), "{}", out),
            Err(e) => prop_assert!(e.code().starts_with("thr::facts::")),
        }
        let _ = rs.evaluate_json_str(&v.to_string());
    }

    #[test]
    fn formatting_round_trips(choices in prop::collection::vec(any::<u8>(), 16..128)) {
        let src = ruleset_src(&mut Bytes::new(&choices));
        let once = thresholds::format_source("gen.thr", &src).unwrap();
        let twice = thresholds::format_source("gen.thr", &once).unwrap();
        prop_assert_eq!(&once, &twice);
        // The formatted text means the same rules: same normalised hash.
        if let (Ok(a), Ok(b)) = (Ruleset::from_source("a.thr", &src), Ruleset::from_source("b.thr", &once)) {
            prop_assert_eq!(a.hash(), b.hash());
        }
    }
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        "[a-z_]{0,8}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec(("[a-z0-9_]{1,6}", inner), 0..4)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// Over the node budget `missing` is a conservative superset, and the level it reports is still
/// a lower bound: a `level exactly` rule that may fire can set a lower level.
#[test]
fn over_the_node_budget_the_level_is_still_at_least() {
    let src = format!(
        "{HEADER}rule a {{ when b1 then level l3 cite g because \"a\" }}\nrule e {{ when b2 then level exactly l1 cite g because \"e\" }}\n"
    );
    let limits = thresholds::Limits {
        max_relevance_nodes: 1,
        ..thresholds::Limits::default()
    };
    let rs = Ruleset::from_sources_with_limits(vec![("gen.thr".into(), src)], limits).unwrap();
    let d = rs.evaluate(
        &rs.facts_from_json(r#"{"b1": true}"#).unwrap(),
        Options::default(),
    );
    assert_eq!(d.status, Status::Provisional);
    // b2 true gives l1, b2 false gives l3: at least l1, could reach l3.
    assert_eq!(d.level.as_deref(), Some("l1"));
    assert_eq!(d.could_reach.as_deref(), Some("l3"));
    assert!(d
        .missing
        .iter()
        .any(|m| &*m.fact == "b2" && m.changes.level));
}
