//! Partial referrals of the shipped rules against sampled completions of their unknown facts:
//! no fact outside `missing` changes the outcome on its own, a fact whose `changes.level` is
//! false never changes the level, a complete decision is what every completion decides, and
//! every completion's level lies between `level` and `could_reach`.

use serde_json::{json, Map, Value};
use thresholds::{FactInfo, Options, Ruleset, Status};

/// A small deterministic generator (xorshift64), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// A random value of the fact, as JSON.
fn value(rng: &mut Rng, f: &FactInfo) -> Value {
    match f.r#type.as_str() {
        "bool" => json!(rng.below(2) == 1),
        "int" => {
            let (lo, hi) = (f.min.unwrap_or(0), f.max.unwrap_or(0));
            // Mostly small values, where the thresholds are; sometimes anywhere in range.
            let span = if rng.below(4) == 0 {
                hi - lo
            } else {
                (hi - lo).min(20)
            };
            json!(lo + (rng.next() % (span as u64 + 1)) as i64)
        }
        "enum" => {
            let vs = f.values.as_deref().unwrap_or(&[]);
            json!(vs[rng.below(vs.len())])
        }
        _ => {
            let vs = f.values.as_deref().unwrap_or(&[]);
            let picked: Vec<&String> = vs.iter().filter(|_| rng.below(5) == 0).collect();
            json!(picked)
        }
    }
}

type Outcome = (Option<String>, Vec<String>);

fn decide(rs: &Ruleset, facts: &Map<String, Value>) -> Outcome {
    let f = rs.facts_from_value(&Value::Object(facts.clone())).unwrap();
    let d = rs.evaluate(
        &f,
        Options {
            reasons: false,
            missing: true,
        },
    );
    assert_eq!(
        d.status,
        Status::Complete,
        "a complete referral is complete"
    );
    (d.level, d.pathways)
}

#[test]
fn partial_referrals_of_the_shipped_rules_agree_with_their_completions() {
    let rs = Ruleset::builtin().unwrap();
    let info = rs.facts_info();
    let levels: Vec<String> = rs.info().levels.iter().map(|l| l.id.clone()).collect();
    let rank = |l: &Option<String>| l.as_ref().and_then(|l| levels.iter().position(|x| x == l));
    let mut rng = Rng(0x7E57_5EED);
    let (mut provisional, mut complete, mut checks) = (0, 0, 0);
    for case in 0..160 {
        // Sparse referrals (0 to 8 known facts; the first is the empty referral), and every
        // fourth one nearly complete (0 to 3 facts unknown).
        let mut partial = Map::new();
        if case % 4 == 3 {
            for f in &info {
                partial.insert(f.id.clone(), value(&mut rng, f));
            }
            for _ in 0..rng.below(4) {
                partial.remove(&info[rng.below(info.len())].id);
            }
        } else {
            let known = if case == 0 { 0 } else { rng.below(9) };
            for _ in 0..known {
                let f = &info[rng.below(info.len())];
                partial.insert(f.id.clone(), value(&mut rng, f));
            }
        }
        let d = rs.evaluate(
            &rs.facts_from_value(&Value::Object(partial.clone()))
                .unwrap(),
            Options::default(),
        );
        let missing: Vec<&str> = d.missing.iter().map(|m| &*m.fact).collect();
        let unknown: Vec<&FactInfo> = info
            .iter()
            .filter(|f| !partial.contains_key(&f.id))
            .collect();
        let lo = rank(&d.level);
        let hi = if d.could_reach.is_some() {
            rank(&d.could_reach)
        } else {
            lo
        };
        match d.status {
            Status::Complete => complete += 1,
            Status::Provisional => provisional += 1,
        }
        for _ in 0..12 {
            let mut full = partial.clone();
            for f in &unknown {
                full.insert(f.id.clone(), value(&mut rng, f));
            }
            let here = decide(&rs, &full);
            let r = rank(&here.0);
            assert!(
                r >= lo && r <= hi,
                "{partial:?}: a completion's level {:?} is outside {:?}..{:?}",
                here.0,
                d.level,
                d.could_reach
            );
            if d.status == Status::Complete {
                assert_eq!(
                    (&d.level, &d.pathways),
                    (&here.0, &here.1),
                    "{partial:?} is complete but {full:?} decides differently"
                );
            }
            // Change one unknown fact at a time.
            for _ in 0..6 {
                if unknown.is_empty() {
                    break;
                }
                let f = unknown[rng.below(unknown.len())];
                let mut other = full.clone();
                other.insert(f.id.clone(), value(&mut rng, f));
                let there = decide(&rs, &other);
                checks += 1;
                match d.missing.iter().find(|m| *m.fact == *f.id) {
                    None => assert_eq!(
                        here, there,
                        "{} is not missing for {partial:?}, yet changing it alone changes {full:?}",
                        f.id
                    ),
                    Some(m) => {
                        if !m.changes.level {
                            assert_eq!(here.0, there.0, "{} cannot change the level for {partial:?}, yet it does at {full:?}", f.id);
                        }
                        for p in here
                            .1
                            .iter()
                            .filter(|p| !there.1.contains(p))
                            .chain(there.1.iter().filter(|p| !here.1.contains(p)))
                        {
                            assert!(m.changes.pathways.iter().any(|x| **x == **p), "{} changes {p} for {partial:?} at {full:?}, which its changes do not list", f.id);
                        }
                    }
                }
            }
        }
        assert!(
            missing.iter().all(|m| unknown.iter().any(|f| f.id == *m)),
            "missing lists only unknown facts"
        );
    }
    // The sample exercised both kinds of decision and many single-fact changes.
    assert!(
        provisional > 80 && complete > 5,
        "provisional {provisional}, complete {complete}"
    );
    assert!(checks > 5_000, "{checks} checks");
}
