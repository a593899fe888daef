//! The precompiled form of a rule set: the checked program and its compiled diagrams as bytes,
//! so a host loads rules without the parser, the checker or the diagram compiler (the browser's
//! checker build embeds the shipped rules this way).
//!
//! Layout: the magic `THRC`, the format version (one byte), a 64-bit checksum of the payload
//! (against damage, not tampering: `checksum`), then the payload (`wire`): the engine version
//! that wrote it, the program, the warnings (code, message, help and fact; not their source
//! locations, since the source is not kept), the diagrams' nodes and roots, and the empty
//! referral's questions in rank order (every interview's first screen; used only while the
//! candidates worked out on the spot are the ones it ranked). Reading checks each of these in
//! turn, then proves every id in the program and every node of the diagrams in range
//! (`Program::validate`, `Compiled::from_image`), and works out the rest (fact index, shared
//! names, layout, unique table) exactly as a load from source does. Any failure is
//! `thr::precompiled::invalid`, never a panic or a different decision.

use crate::diag::{Code, Diagnostic, Sources};
use crate::error::Error;
use crate::ir::{self, Program};
use crate::limits::Limits;
use crate::questions::EmptyRanking;
use crate::relevance::{Compiled, Image as Diagrams};
use crate::ruleset::{Ready, Ruleset};
use crate::wire::{self, wire_struct};

const MAGIC: &[u8; 4] = b"THRC";
/// Bumped whenever the payload's shape changes.
const FORMAT: u8 = 4;
const HEADER: usize = MAGIC.len() + 1 + 8;

/// A 64-bit multiply-rotate checksum of the bytes (little-endian words, the tail zero-padded,
/// then the length): cheap enough that checking it costs a fraction of the load, and any
/// damaged, truncated or extended payload changes it.
fn checksum(bytes: &[u8]) -> [u8; 8] {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut h: u64 = 0x243F_6A88_85A3_08D3;
    let mut mix = |w: u64| h = (h ^ w).wrapping_mul(K).rotate_left(29);
    let mut words = bytes.chunks_exact(8);
    for w in words.by_ref() {
        let mut b = [0u8; 8];
        b.copy_from_slice(w);
        mix(u64::from_le_bytes(b));
    }
    let mut tail = [0u8; 8];
    for (t, x) in tail.iter_mut().zip(words.remainder()) {
        *t = *x;
    }
    mix(u64::from_le_bytes(tail));
    mix(bytes.len() as u64);
    (h ^ (h >> 32)).wrapping_mul(K).to_le_bytes()
}

struct Payload {
    engine: String,
    program: Program,
    warnings: Vec<Warning>,
    /// `None` when the diagrams exceed the node budget (decisions then work `missing` out per
    /// referral, as a load from source does).
    diagrams: Option<Diagrams>,
    /// The empty referral's questions in rank order: every interview's first question.
    empty_ranking: Option<EmptyRanking>,
}

struct Warning {
    code: String,
    message: String,
    help: Option<String>,
    fact: Option<String>,
}

wire_struct!(Payload {
    engine,
    program,
    warnings,
    diagrams,
    empty_ranking
});
wire_struct!(Warning {
    code,
    message,
    help,
    fact
});

fn invalid(what: &str) -> Error {
    let d = Diagnostic::error(
        Code::Precompiled,
        format!("not a precompiled rule set of this engine: {what}"),
    )
    .help(
        "precompile the rules again with this version (`thresholds compile`), or load them from \
         source",
    );
    Error::rules(vec![d], Sources::default())
}

/// Rewrites a precompiled rule set's checksum to match its payload, so that a fuzzer's edits
/// reach the decoder and the checks behind it instead of stopping at the checksum.
#[cfg(feature = "fuzzing")]
pub fn reseal(bytes: &mut [u8]) {
    if bytes.len() >= HEADER {
        let (head, body) = bytes.split_at_mut(HEADER);
        if let Some(sum) = head.get_mut(5..) {
            sum.copy_from_slice(&checksum(body));
        }
    }
}

/// The rule set as bytes `read` loads back into the same decisions.
pub(crate) fn write(rs: &Ruleset) -> Result<Vec<u8>, Error> {
    let payload = Payload {
        engine: env!("CARGO_PKG_VERSION").to_string(),
        program: rs.program().clone(),
        warnings: rs
            .warnings()
            .iter()
            .map(|d| Warning {
                code: d.code().to_string(),
                message: d.message().to_string(),
                help: d.help_text().map(str::to_string),
                fact: d.fact().map(str::to_string),
            })
            .collect(),
        diagrams: rs.compiled().map(Compiled::image),
        // Over the node budget there are no diagrams to rank with cheaply: ranked on first use.
        empty_ranking: rs.compiled().and_then(|_| rs.empty_ranking_now()).cloned(),
    };
    let body = wire::to_bytes(&payload).map_err(|e| {
        Error::rules(
            vec![Diagnostic::error(
                Code::Internal,
                format!("the rule set could not be precompiled: {e}"),
            )],
            Sources::default(),
        )
    })?;
    let mut out = Vec::with_capacity(HEADER + body.len());
    out.extend_from_slice(MAGIC);
    out.push(FORMAT);
    out.extend_from_slice(&checksum(&body));
    out.extend_from_slice(&body);
    Ok(out)
}

/// Loads bytes `write` made, checking them throughout.
pub(crate) fn read(bytes: &[u8], limits: Limits) -> Result<Ruleset, Error> {
    let (head, body) = bytes
        .split_at_checked(HEADER)
        .ok_or_else(|| invalid("too short"))?;
    if head.get(..4) != Some(MAGIC.as_slice()) {
        return Err(invalid("no `THRC` magic"));
    }
    if head.get(4) != Some(&FORMAT) {
        return Err(invalid("another format version"));
    }
    if head.get(5..) != Some(checksum(body).as_slice()) {
        return Err(invalid("damaged (checksum mismatch)"));
    }
    let payload: Payload = wire::from_bytes(body).map_err(invalid)?;
    if payload.engine != env!("CARGO_PKG_VERSION") {
        return Err(invalid(&format!(
            "made by engine {}, this is {}",
            payload.engine,
            env!("CARGO_PKG_VERSION")
        )));
    }
    let mut program = payload.program;
    for (i, f) in program.facts.enumerate() {
        if program.fact_index.insert(f.id.clone(), i).is_some() {
            return Err(invalid(&format!("fact `{}` declared twice", f.id)));
        }
    }
    program.shared = ir::Shared::of(&program.facts, &program.pathways);
    program.validate().map_err(|d| invalid(d.message()))?;
    let warnings = payload
        .warnings
        .into_iter()
        .map(|w| {
            let code = Code::ALL
                .iter()
                .copied()
                .find(|c| c.as_str() == w.code)
                .ok_or_else(|| invalid(&format!("unknown warning code `{}`", w.code)))?;
            let d = Diagnostic::warning(code, w.message).help_opt(w.help);
            Ok(match w.fact {
                Some(fact) => d.for_fact(fact),
                None => d,
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let layout = Ruleset::layout_of(&program);
    let compiled = match payload.diagrams {
        Some(img) => Some(Compiled::from_image(img, &program, &layout).map_err(invalid)?),
        None => None,
    };
    // A build without the parser (the browser's checker) has no diagram compiler either: it
    // takes only rule sets whose diagrams came precompiled, rather than deciding their `missing`
    // differently from every other host.
    #[cfg(not(feature = "source"))]
    if compiled.is_none() {
        let d = Diagnostic::error(
            Code::Precompiled,
            "this rule set's decision diagrams exceed the node budget, and this build (without \
             the parser) cannot build them per referral",
        )
        .help("load it with a full build, which can");
        return Err(Error::rules(vec![d], Sources::default()));
    }
    if payload
        .empty_ranking
        .as_ref()
        .is_some_and(|r| !r.is_consistent())
    {
        return Err(invalid(
            "the first questions' ranking is not a ranking of its candidates",
        ));
    }
    Ok(Ruleset::assemble(
        program,
        layout,
        Vec::new(),
        warnings,
        Sources::default(),
        limits,
        Some(Ready {
            compiled,
            empty_ranking: payload.empty_ranking,
        }),
    ))
}

#[cfg(all(test, feature = "default-rules"))]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        reason = "test helpers fail by panicking"
    )]

    use super::*;
    use crate::ir::Expr;

    fn shipped() -> (Ruleset, Vec<u8>) {
        let rs = Ruleset::builtin().unwrap();
        let bytes = write(&rs).unwrap();
        (rs, bytes)
    }

    /// The bytes of `payload` with a good header.
    fn framed(payload: &Payload) -> Vec<u8> {
        let body = wire::to_bytes(payload).unwrap();
        let mut out = MAGIC.to_vec();
        out.push(FORMAT);
        out.extend_from_slice(&checksum(&body));
        out.extend_from_slice(&body);
        out
    }

    fn payload(bytes: &[u8]) -> Payload {
        wire::from_bytes(&bytes[HEADER..]).unwrap()
    }

    fn code_of(bytes: &[u8]) -> String {
        match read(bytes, Limits::default()) {
            Ok(_) => "loaded".to_string(),
            Err(e) => format!("{}: {}", e.code(), e.diagnostics()[0].message()),
        }
    }

    #[test]
    fn the_shipped_rules_load_back_with_the_same_decisions_and_info() {
        let (rs, bytes) = shipped();
        let back = read(&bytes, Limits::default()).unwrap();
        assert_eq!(back.info_json(), rs.info_json());
        assert_eq!(back.facts_json(), rs.facts_json());
        assert_eq!(back.hash(), rs.hash());
        assert!(back.compiled().is_some(), "the diagrams come precompiled");
        let req = r#"{"questions": true}"#;
        for facts in [
            "{}",
            r#"{"age_years": 15, "cse_indicators": ["going_missing"]}"#,
        ] {
            assert_eq!(
                back.evaluate_request_json(facts, req).unwrap(),
                rs.evaluate_request_json(facts, req).unwrap()
            );
        }
        // Written again, the same bytes: the form is deterministic.
        assert_eq!(write(&back).unwrap(), bytes);
    }

    /// The precompiled first questions are those a fresh rule set ranks, and a load uses them
    /// only for the candidates they were ranked from.
    #[test]
    fn the_empty_referrals_ranking_is_carried_and_only_used_for_its_candidates() {
        let (rs, bytes) = shipped();
        let carried = payload(&bytes).empty_ranking.expect("carried");
        let fresh = Ruleset::builtin().unwrap();
        assert!(
            fresh.empty_ranking().get().is_none(),
            "not worked out until asked for"
        );
        let worked_out = fresh.empty_ranking_now().cloned().expect("worked out");
        assert_eq!(
            wire::to_bytes(&carried).unwrap(),
            wire::to_bytes(&worked_out).unwrap()
        );
        // A carried ranking of other candidates (one left out) is not used: the questions are
        // ranked afresh, and are those of the rules loaded from source.
        let mut other = payload(&bytes);
        let r = other.empty_ranking.as_mut().unwrap();
        let gone = r.candidates.pop().unwrap();
        r.ranked.retain(|q| *q != gone);
        let back = read(&framed(&other), Limits::default()).unwrap();
        let req = r#"{"questions": true}"#;
        assert_eq!(
            back.evaluate_request_json("{}", req).unwrap(),
            rs.evaluate_request_json("{}", req).unwrap()
        );
    }

    #[test]
    fn bytes_that_are_not_a_precompiled_rule_set_are_coded_errors() {
        let (_, bytes) = shipped();
        let code = "thr::precompiled::invalid";
        assert!(code_of(b"").starts_with(code), "{}", code_of(b""));
        assert!(code_of(b"ruleset \"x\"").contains("too short"));
        let mut magic = bytes.clone();
        magic[0] = b'X';
        assert!(code_of(&magic).contains("magic"));
        let mut format = bytes.clone();
        format[4] = FORMAT + 1;
        assert!(code_of(&format).contains("format version"));
        let mut flipped = bytes.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        assert!(code_of(&flipped).contains("checksum"));
        assert!(code_of(&bytes[..bytes.len() - 1]).contains("checksum"));
        let mut other = payload(&bytes);
        other.engine = "0.0.0".to_string();
        assert!(code_of(&framed(&other)).contains("made by engine 0.0.0"));
        // A body that does not decode, with a good checksum.
        let mut out = bytes[..HEADER].to_vec();
        out.extend_from_slice(&[0xff; 16]);
        let sum = checksum(&out[HEADER..]);
        out[5..HEADER].copy_from_slice(&sum);
        assert!(code_of(&out).starts_with(code), "{}", code_of(&out));
    }

    #[test]
    fn an_image_whose_ids_or_nodes_are_out_of_range_is_refused() {
        let (_, bytes) = shipped();
        let mut twice = payload(&bytes);
        let mut facts: Vec<ir::Fact> = twice.program.facts.iter().cloned().collect();
        facts.push(facts[0].clone());
        twice.program.facts = ir::Table::new(facts);
        assert!(code_of(&framed(&twice)).contains("declared twice"));
        let mut bad_id = payload(&bytes);
        bad_id.program.rules[0].cond = Expr::Fact(crate::ir::FactId::new(9_999));
        assert!(code_of(&framed(&bad_id)).starts_with("thr::precompiled::invalid"));
        let mut roots = payload(&bytes);
        roots.diagrams.as_mut().unwrap().level = u32::MAX - 1;
        assert!(code_of(&framed(&roots)).contains("roots"));
        let mut ahead = payload(&bytes);
        let d = ahead.diagrams.as_mut().unwrap();
        d.kids[0] = d.leaf_values.len() as u32; // a child that is its own parent
        assert!(code_of(&framed(&ahead)).contains("children"));
        // A leaf by a number not read yet: the shipped diagrams' last leaf comes after their
        // first inner node.
        let mut unread = payload(&bytes);
        let d = unread.diagrams.as_mut().unwrap();
        let last = d
            .vars
            .iter()
            .rposition(|v| *v == crate::diagram::LEAF)
            .unwrap();
        assert!(d.vars[..last].iter().any(|v| *v != crate::diagram::LEAF));
        d.kids[0] = d.leaf_values.len() as u32 - 1;
        assert!(code_of(&framed(&unread)).contains("children"));
        let mut before_first = payload(&bytes);
        before_first.diagrams.as_mut().unwrap().kids[0] = u32::MAX;
        assert!(code_of(&framed(&before_first)).contains("children"));
        let mut fewer = payload(&bytes);
        fewer.diagrams.as_mut().unwrap().conds.pop();
        assert!(code_of(&framed(&fewer)).contains("roots"));
        let mut ranking = payload(&bytes);
        let r = ranking
            .empty_ranking
            .as_mut()
            .expect("the first questions are precompiled");
        r.ranked.pop();
        assert!(code_of(&framed(&ranking)).contains("not a ranking"));
        let r = ranking.empty_ranking.as_mut().unwrap();
        let first = r.ranked[0].clone();
        r.ranked.push(first); // as many, but one twice and one missing
        assert!(code_of(&framed(&ranking)).contains("not a ranking"));
        let mut warning = payload(&bytes);
        warning.warnings.push(Warning {
            code: "thr::no_such_code".to_string(),
            message: String::new(),
            help: None,
            fact: None,
        });
        assert!(code_of(&framed(&warning)).contains("unknown warning code"));
    }

    #[test]
    fn expressions_nested_past_the_limit_are_refused_both_ways() {
        let nest = |depth: usize| {
            let mut e = Expr::Bool(true);
            for _ in 1..depth {
                e = Expr::Not(Box::new(e));
            }
            e
        };
        let at = wire::to_bytes(&nest(ir::MAX_EXPR_DEPTH)).unwrap();
        assert_eq!(
            wire::from_bytes::<Expr>(&at).unwrap(),
            nest(ir::MAX_EXPR_DEPTH)
        );
        assert!(wire::to_bytes(&nest(ir::MAX_EXPR_DEPTH + 1)).is_err());
        // Steps spelling a deeper expression than the limit: one `Bool`, then `Not`s.
        let mut steps = at.clone();
        steps[0] += 1; // one more step (the length is a varint below 128 here)
        steps.push(3); // `Not`
        assert_eq!(
            wire::from_bytes::<Expr>(&steps),
            Err("an expression nested too deeply")
        );
        // Steps short of operands or leaving two expressions.
        for bad in [&[1u8, 3][..], &[2, 0, 1, 0, 1]] {
            assert!(wire::from_bytes::<Expr>(bad).is_err(), "{bad:?}");
        }
    }

    /// Damage that keeps the checksum (a hostile or buggy writer) is refused or loads: never a
    /// panic, and whatever loads still decides without one.
    #[test]
    fn damaged_bodies_with_good_checksums_never_panic() {
        let (_, bytes) = shipped();
        let body_len = bytes.len() - HEADER;
        let mut seed = 0x5eed_u64;
        let mut loaded = 0;
        for i in 0..300 {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let mut out = bytes.clone();
            let at = HEADER + (seed >> 33) as usize % body_len;
            if i % 3 == 0 {
                out.truncate(at);
            } else {
                out[at] = out[at].wrapping_add((seed >> 8) as u8 | 1);
            }
            let sum = checksum(&out[HEADER..]);
            out[5..HEADER].copy_from_slice(&sum);
            if let Ok(rs) = read(&out, Limits::default()) {
                loaded += 1;
                let _ = rs.evaluate_json_str(r#"{"age_years": 15}"#);
            }
        }
        assert!(loaded < 300, "some damage must be refused");
    }
}
