//! The decision as JSON, written directly: the same bytes as serialising [`Decision`] with
//! serde_json (a test compares the two on every conformance vector, and the `facts` fuzz target
//! on every input), without serde's per-byte escaping of strings that need none. A decision
//! with many missing facts is mostly fact ids, questions and pathway ids.

use serde::Serialize;

use crate::decision::{Changes, Decision, Missing, Reason};
use crate::ir::Program;
use crate::relevance::Relevance;

impl Decision {
    /// The decision as compact JSON: the form every host returns.
    #[must_use]
    pub fn to_json(&self) -> String {
        self.to_json_with(None)
    }

    /// The decision as compact JSON; with `unknown`, its `missing` written straight from the
    /// relevance it was built from (the decision itself then holds no entries): each fact's
    /// id, question and pathway ids copied as JSON escaped once at load
    /// (`ir::Shared`), the same bytes as the entries `decision::build` makes.
    pub(crate) fn to_json_with(&self, unknown: Option<Unknown<'_>>) -> String {
        let n = unknown.map_or(self.missing.len(), |u| u.rel.missing.len());
        let mut w = Writer(Vec::with_capacity(512 + 320 * n));
        w.decision(self, unknown);
        String::from_utf8(w.0).unwrap_or_else(|_| crate::ruleset::to_json(self))
    }
}

/// What a decision's `missing` is made from: the relevance of a referral's facts.
#[derive(Clone, Copy)]
pub(crate) struct Unknown<'a> {
    pub(crate) program: &'a Program,
    pub(crate) facts: &'a [Option<i64>],
    pub(crate) rel: &'a Relevance,
}

/// `s` as a JSON string, quotes included: the bytes serde_json writes.
pub(crate) fn quoted(s: &str) -> String {
    let mut w = Writer(Vec::with_capacity(s.len() + 2));
    w.string(s);
    String::from_utf8(w.0).unwrap_or_else(|_| format!("{s:?}"))
}

struct Writer(Vec<u8>);

/// How many bytes of `b` come before the first that a JSON string cannot hold as it is (a
/// quote, a backslash or a control character); all of `b` when none. Eight bytes at a time:
/// strings are mostly plain, both written (`Writer::string`) and read (`json_reader`).
pub(crate) fn plain_len(b: &[u8]) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // The high bit of each byte of `x` that is zero (exact up to the first such byte).
    let zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    let mut words = b.chunks_exact(8);
    let mut at = 0;
    for w in &mut words {
        let mut a = [0u8; 8];
        a.copy_from_slice(w);
        let x = u64::from_le_bytes(a);
        // Bytes below 0x20 (a byte with its high bit set is never below it).
        let low = x.wrapping_sub(ONES * 0x20) & !x & HIGH;
        let hit = low | zero(x ^ (ONES * u64::from(b'"'))) | zero(x ^ (ONES * u64::from(b'\\')));
        if hit != 0 {
            return at + (hit.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    at + words
        .remainder()
        .iter()
        .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
        .unwrap_or(words.remainder().len())
}

/// Whether no byte of `b` needs escaping in a JSON string.
fn plain(b: &[u8]) -> bool {
    plain_len(b) == b.len()
}

impl Writer {
    fn raw(&mut self, s: &str) {
        self.0.extend_from_slice(s.as_bytes());
    }

    /// A JSON string. Strings without quotes, backslashes or control characters are copied;
    /// others are escaped by serde_json.
    fn string(&mut self, s: &str) {
        if plain(s.as_bytes()) {
            self.0.push(b'"');
            self.0.extend_from_slice(s.as_bytes());
            self.0.push(b'"');
        } else {
            self.value(s);
        }
    }

    /// Anything else, by serde_json.
    fn value<T: Serialize + ?Sized>(&mut self, v: &T) {
        if serde_json::to_writer(&mut self.0, v).is_err() {
            self.raw("null");
        }
    }

    /// A JSON value, as serde_json writes it: strings through [`Writer::string`], integers
    /// and the rest as they are.
    fn any(&mut self, v: &serde_json::Value) {
        use serde_json::Value;
        match v {
            Value::Null => self.raw("null"),
            Value::Bool(b) => self.raw(if *b { "true" } else { "false" }),
            Value::String(s) => self.string(s),
            Value::Array(xs) => {
                self.0.push(b'[');
                for (i, x) in xs.iter().enumerate() {
                    if i > 0 {
                        self.0.push(b',');
                    }
                    self.any(x);
                }
                self.0.push(b']');
            }
            Value::Object(m) => self.map(m),
            Value::Number(n) => match n.as_i64() {
                Some(i) => self.raw(&i.to_string()),
                None => self.value(n),
            },
        }
    }

    /// A JSON object, keys in its order.
    fn map(&mut self, m: &serde_json::Map<String, serde_json::Value>) {
        self.0.push(b'{');
        for (i, (k, v)) in m.iter().enumerate() {
            if i > 0 {
                self.0.push(b',');
            }
            self.string(k);
            self.0.push(b':');
            self.any(v);
        }
        self.0.push(b'}');
    }

    fn key(&mut self, first: &mut bool, k: &str) {
        if !*first {
            self.0.push(b',');
        }
        *first = false;
        self.0.push(b'"');
        self.raw(k);
        self.raw("\":");
    }

    fn opt_string(&mut self, s: Option<&str>) {
        match s {
            Some(s) => self.string(s),
            None => self.raw("null"),
        }
    }

    fn strings<S: AsRef<str>>(&mut self, xs: &[S]) {
        self.0.push(b'[');
        for (i, x) in xs.iter().enumerate() {
            if i > 0 {
                self.0.push(b',');
            }
            self.string(x.as_ref());
        }
        self.0.push(b']');
    }

    fn decision(&mut self, d: &Decision, unknown: Option<Unknown<'_>>) {
        let f = &mut true;
        self.0.push(b'{');
        self.key(f, "level");
        self.opt_string(d.level.as_deref());
        if let Some(c) = &d.could_reach {
            self.key(f, "could_reach");
            self.string(c);
        }
        if d.advisory {
            self.key(f, "advisory");
            self.raw("true");
        }
        if let Some(e) = &d.escalation {
            self.key(f, "escalation");
            self.value(e);
        }
        self.key(f, "pathways");
        self.strings(&d.pathways);
        self.key(f, "exploitation");
        self.map(&d.exploitation);
        self.key(f, "status");
        self.raw(match d.status {
            crate::decision::Status::Complete => "\"complete\"",
            crate::decision::Status::Provisional => "\"provisional\"",
        });
        self.key(f, "missing");
        self.0.push(b'[');
        match unknown {
            Some(u) => self.unknown(u),
            None => {
                for (i, m) in d.missing.iter().enumerate() {
                    if i > 0 {
                        self.0.push(b',');
                    }
                    self.missing(m);
                }
            }
        }
        self.0.push(b']');
        self.key(f, "reasons");
        self.0.push(b'[');
        for (i, r) in d.reasons.iter().enumerate() {
            if i > 0 {
                self.0.push(b',');
            }
            self.reason(r);
        }
        self.0.push(b']');
        if let Some(q) = &d.questions {
            self.key(f, "questions");
            self.value(q);
        }
        if let Some(s) = &d.summary {
            self.key(f, "summary");
            self.value(s);
        }
        if let Some(x) = &d.explain {
            self.key(f, "explain");
            self.value(x);
        }
        self.key(f, "ruleset");
        let g = &mut true;
        self.0.push(b'{');
        self.key(g, "name");
        self.string(&d.ruleset.name);
        self.key(g, "version");
        self.string(&d.ruleset.version);
        self.key(g, "hash");
        self.string(&d.ruleset.hash);
        self.0.push(b'}');
        self.0.push(b'}');
    }

    fn missing(&mut self, m: &Missing) {
        let f = &mut true;
        self.0.push(b'{');
        self.key(f, "fact");
        self.string(&m.fact);
        self.key(f, "question");
        self.string(&m.question);
        self.key(f, "changes");
        self.changes(&m.changes);
        self.0.push(b'}');
    }

    /// The `missing` entries of `u`, as `missing` writes the entries built from it.
    fn unknown(&mut self, u: Unknown<'_>) {
        let shared = &u.program.shared;
        let mut first = true;
        for (i, fi) in u.rel.missing.iter().enumerate() {
            if u.program.facts.get(fi.index()).is_none() {
                continue;
            }
            if !first {
                self.0.push(b',');
            }
            first = false;
            let sf = shared.fact(*fi);
            self.raw(&sf.json_head);
            let question = crate::eval::question_variant(u.program, u.facts, *fi)
                .and_then(|v| sf.variants_json.get(v))
                .unwrap_or(&sf.question_json);
            self.raw(question);
            self.raw(",\"changes\":");
            self.changes_head(u.rel.changes.level(i));
            self.0.push(b'[');
            for (j, p) in u.rel.changes.pathways(i).enumerate() {
                if j > 0 {
                    self.0.push(b',');
                }
                self.raw(shared.pathway_json(p));
            }
            self.raw("]}}");
        }
    }

    fn changes(&mut self, c: &Changes) {
        self.changes_head(c.level);
        self.strings(&c.pathways);
        self.0.push(b'}');
    }

    /// `{"level":<level>,"pathways":`: a `changes` object up to its pathway list.
    fn changes_head(&mut self, level: bool) {
        self.raw(if level {
            "{\"level\":true,\"pathways\":"
        } else {
            "{\"level\":false,\"pathways\":"
        });
    }

    fn reason(&mut self, r: &Reason) {
        let f = &mut true;
        self.0.push(b'{');
        self.key(f, "rule");
        self.string(&r.rule);
        if let Some(t) = &r.title {
            self.key(f, "title");
            self.string(t);
        }
        self.key(f, "set");
        let e = &r.set;
        let g = &mut true;
        self.0.push(b'{');
        if let Some(l) = &e.level {
            self.key(g, "level");
            self.string(l);
        }
        if e.exact {
            self.key(g, "exact");
            self.raw("true");
        }
        if !e.pathways.is_empty() {
            self.key(g, "pathways");
            self.strings(&e.pathways);
        }
        if !e.exploitation.is_empty() {
            self.key(g, "exploitation");
            self.map(&e.exploitation);
        }
        if e.advisory {
            self.key(g, "advisory");
            self.raw("true");
        }
        self.0.push(b'}');
        self.key(f, "facts");
        self.map(&r.facts);
        if let Some(g) = &r.guidance {
            self.key(f, "guidance");
            self.string(g);
        }
        if let Some(c) = &r.citation {
            self.key(f, "citation");
            self.string(c);
        }
        self.key(f, "reason");
        self.string(&r.reason);
        self.0.push(b'}');
    }
}

#[cfg(test)]
mod tests {
    use crate::{Options, Ruleset};

    #[test]
    fn plain_is_exactly_the_strings_serde_leaves_alone() {
        let mut s = String::new();
        for c in (0u8..=0x7f)
            .map(char::from)
            .chain(['é', '—', '\u{7f}', '\u{80}'])
        {
            for n in [0, 3, 7, 8, 9, 17] {
                s.clear();
                s.extend(std::iter::repeat_n('a', n));
                s.push(c);
                s.extend(std::iter::repeat_n('b', 17 - n));
                let serde = serde_json::to_string(&s).unwrap_or_default();
                let unescaped = serde.len() == s.len() + 2;
                assert_eq!(super::plain(s.as_bytes()), unescaped, "{c:?} at {n}");
            }
        }
    }

    /// The decision JSON written from the relevance (`evaluate_json_str`) is the decision's
    /// own JSON, entries built: on the example referrals and on sparse ones, with every
    /// `question when` variant met, and with `missing` and the reasons on and off.
    #[test]
    fn missing_written_from_the_relevance_is_the_decisions_own() {
        let rs = Ruleset::builtin().unwrap();
        let p = rs.program();
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/referrals");
        let mut texts: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
            .collect();
        texts.sort();
        let mut seed = 3u64;
        let mut next = |n: u64| {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) % n
        };
        for i in 0..300 {
            let mut m = serde_json::Map::new();
            for _ in 0..(i % 12) {
                let f = &p.facts[next(p.facts.len() as u64) as usize];
                let v = match &f.ty {
                    crate::ir::FactTy::Bool => serde_json::json!(next(2) == 1),
                    crate::ir::FactTy::Int { lo, hi } => {
                        serde_json::json!(lo + next((hi - lo + 1).min(30) as u64) as i64)
                    }
                    crate::ir::FactTy::Enum(c) => {
                        serde_json::json!(c[next(c.len() as u64) as usize])
                    }
                    crate::ir::FactTy::Set(c) => {
                        serde_json::json!(c.iter().filter(|_| next(4) == 0).collect::<Vec<_>>())
                    }
                };
                m.insert(f.id.clone(), v);
            }
            texts.push(serde_json::Value::Object(m).to_string());
        }
        texts.push("{}".to_string());
        let mut variants = 0;
        for t in &texts {
            let facts = rs.facts_from_json(t).unwrap();
            for options in [
                Options::default(),
                Options {
                    reasons: false,
                    missing: true,
                },
                Options {
                    reasons: true,
                    missing: false,
                },
            ] {
                let want = rs.evaluate(&facts, options).to_json();
                assert_eq!(rs.evaluate_json_str_with(t, options).unwrap(), want, "{t}");
                variants += usize::from(want.contains("Under 13 this is a sign"));
            }
        }
        assert!(variants > 0, "a `question when` variant was met");
    }

    /// Strings that need escaping take serde_json's path, and every optional field appears.
    #[test]
    fn the_written_json_is_what_serde_writes() {
        let src = r#"ruleset "T" version "1"
guidance g "G \"one\""
levels { low "Low \"quoted\"" high "High" }
pathways { act "Act" "do\\it" }
fact a: bool { question "Is it \"a\"?\tReally?" }
fact b: bool { question "B?" }
rule r1 "A \"title\"" { when a and b then level high, pathway act, advisory cite g because "Both \"a\" and b." }
rule r2 { when a then level low cite g because "a" }
"#;
        let rs = match Ruleset::from_source("t.thr", src) {
            Ok(rs) => rs,
            Err(e) => panic!("{}", e.to_json()),
        };
        let mut escaped = 0;
        for facts in [r#"{}"#, r#"{"a":true}"#, r#"{"a":true,"b":true}"#] {
            let Ok(f) = rs.facts_from_json(facts) else {
                panic!("facts {facts}");
            };
            for options in [
                Options::default(),
                Options {
                    reasons: false,
                    missing: true,
                },
            ] {
                let d = rs.evaluate(&f, options);
                let want = serde_json::to_string(&d).unwrap_or_default();
                assert_eq!(d.to_json(), want, "{facts}");
                assert_eq!(rs.evaluate_json_str_with(facts, options).unwrap(), want);
                escaped += usize::from(want.contains("\\\""));
            }
        }
        // The escaping path was taken: questions, titles and reasons hold quotes.
        assert!(escaped >= 4, "{escaped}");
    }
}
