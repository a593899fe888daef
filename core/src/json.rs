//! The decision as JSON, written directly: the same bytes as serialising [`Decision`] with
//! serde_json (a test compares the two on every conformance vector, and the `facts` fuzz target
//! on every input), without serde's per-byte escaping of strings that need none. A decision
//! with many missing facts is mostly fact ids, questions and pathway ids.

use serde::Serialize;

use crate::decision::{Changes, Decision, Missing, Reason};

impl Decision {
    /// The decision as compact JSON: the form every host returns.
    #[must_use]
    pub fn to_json(&self) -> String {
        let mut w = Writer(Vec::with_capacity(512 + 320 * self.missing.len()));
        w.decision(self);
        String::from_utf8(w.0).unwrap_or_else(|_| crate::ruleset::to_json(self))
    }
}

struct Writer(Vec<u8>);

/// Whether no byte needs escaping in a JSON string (a quote, a backslash or a control
/// character), eight bytes at a time.
fn plain(b: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // A byte of `x` is zero: the classic has-zero-byte test.
    let zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    let mut words = b.chunks_exact(8);
    for w in &mut words {
        let mut a = [0u8; 8];
        a.copy_from_slice(w);
        let x = u64::from_le_bytes(a);
        // Bytes below 0x20 (ASCII only: bytes with the high bit set are never below it).
        let low = x.wrapping_sub(ONES * 0x20) & !x & HIGH;
        if low | zero(x ^ (ONES * u64::from(b'"'))) | zero(x ^ (ONES * u64::from(b'\\'))) != 0 {
            return false;
        }
    }
    words
        .remainder()
        .iter()
        .all(|c| *c >= 0x20 && *c != b'"' && *c != b'\\')
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

    fn decision(&mut self, d: &Decision) {
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
        self.value(&d.exploitation);
        self.key(f, "status");
        self.value(&d.status);
        self.key(f, "missing");
        self.0.push(b'[');
        for (i, m) in d.missing.iter().enumerate() {
            if i > 0 {
                self.0.push(b',');
            }
            self.missing(m);
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
        self.value(&d.ruleset);
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

    fn changes(&mut self, c: &Changes) {
        self.raw(if c.level {
            "{\"level\":true,\"pathways\":"
        } else {
            "{\"level\":false,\"pathways\":"
        });
        self.strings(&c.pathways);
        self.0.push(b'}');
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
        self.value(&r.set);
        self.key(f, "facts");
        self.value(&r.facts);
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
                escaped += usize::from(want.contains("\\\""));
            }
        }
        // The escaping path was taken: questions, titles and reasons hold quotes.
        assert!(escaped >= 4, "{escaped}");
    }
}
