//! The practitioner's summary of a decision, in one place: the lines every host shows (the
//! CLI's text, Python's notebook HTML, the checker's panel and its "copy summary"), as data, as
//! plain text and as HTML. Hosts lay these lines out; they do not word or decide any of them.

use std::fmt::Write as _;

use serde::Serialize;

use crate::decision::{Decision, Status};
use crate::facts::Facts;
use crate::ir::{FactTy, Program};
use crate::ruleset::Ruleset;

/// What a practitioner reads about a decision, worded once for every host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Summary {
    /// The level as shown, never a provisional level as if it were settled: `Complex needs
    /// (Child in Need, s17)`, `at least Early help — could still be Acute / child protection
    /// (s47)`, `Early help (what to do could still change)`, or `none`.
    pub level: String,
    /// Whether unknown answers could still change it, in a sentence.
    pub status: String,
    /// Present when the decision is advice only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub advisory: Option<String>,
    /// Present when the practitioner escalated: what was recorded, and their reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub escalation: Option<String>,
    /// What to do, most urgent first: pathway id, label and what it means.
    pub pathways: Vec<Line>,
    /// Each matrix: id, label and its category as shown (`not yet known` or `at least medium`
    /// while a fact it depends on is unanswered).
    pub exploitation: Vec<Line>,
    /// Why: each fired rule, with its title, reason, source and the facts it read.
    pub reasons: Vec<ReasonLine>,
    /// The answers given (only when the facts are summarised too): fact id, question, answer.
    pub answers: Vec<Line>,
    /// Still unknown, most decisive first: fact id, question, what it could change.
    pub missing: Vec<Line>,
    /// When the decision ranks its questions: what to ask next, best first.
    pub ask: Vec<AskLine>,
    /// The rule set: name, version and hash.
    pub ruleset: String,
    /// The standing reminder that this is advice and the practitioner can escalate.
    pub advice: String,
    /// All of the above as plain text: what the CLI prints and "copy summary" copies.
    pub text: String,
}

/// One line of a summary: what it is about (an id), its label, and its text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(rename = "SummaryLine")
)]
pub struct Line {
    /// Pathway, matrix or fact id.
    pub id: String,
    /// Its label or question.
    pub label: String,
    /// What it says: what to do, the category, the answer, or what it could change.
    pub text: String,
}

/// A question to ask next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(rename = "SummaryAsk")
)]
pub struct AskLine {
    /// Question id (a fact, a checklist or `triage`).
    pub id: String,
    /// The question as put for this child.
    pub question: String,
    /// What answering it could change.
    pub text: String,
    /// The items to tick, for a checklist or the triage question.
    pub items: Vec<String>,
}

/// Why: one fired rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(rename = "SummaryReason")
)]
pub struct ReasonLine {
    /// Rule id.
    pub rule: String,
    /// Its title, or its id when it has none.
    pub title: String,
    /// The reason in plain English.
    pub reason: String,
    /// The guidance and section it comes from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub citation: Option<String>,
    /// The facts it read, as `fact = value`.
    pub facts: Vec<String>,
}

/// `some_absence` → `Some absence`.
pub(crate) fn humanize(code: &str) -> String {
    let s = code.replace('_', " ");
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}

impl Ruleset {
    /// The practitioner's summary of `d`. With `facts` (the facts `d` was decided on), it lists
    /// the answers given too.
    #[must_use]
    pub fn summary(&self, d: &Decision, facts: Option<&Facts>) -> Summary {
        let program = self.program();
        let label = |id: &str| {
            program
                .levels
                .iter()
                .find(|l| l.id == id)
                .map_or_else(|| humanize(id), |l| l.label.clone())
        };
        let pathway = |id: &str| program.pathways.iter().find(|p| p.id == id);
        let provisional = d.status == Status::Provisional;
        let level = match (d.level.as_deref(), d.could_reach.as_deref()) {
            (None, _) => "none".to_string(),
            (Some(l), Some(r)) if provisional && r != l => {
                format!("at least {} — could still be {}", label(l), label(r))
            }
            // Missing facts not worked out: the level is the rules' so far.
            (Some(l), None) if provisional && d.missing.is_empty() => {
                format!("at least {} so far", label(l))
            }
            (Some(l), _) if provisional => {
                format!("{} (what to do could still change)", label(l))
            }
            (Some(l), _) => label(l),
        };
        let status = if provisional && d.missing.is_empty() {
            "Provisional: some answers are missing, and which of them could change this was not worked out."
                .to_string()
        } else if provisional {
            format!(
                "Provisional: {} could still change this.",
                plural(
                    d.missing.len(),
                    "unanswered question",
                    "unanswered questions"
                )
            )
        } else {
            "Complete: no unanswered question could change this.".to_string()
        };
        let advisory = d.advisory.then(|| {
            "Advisory only: the rules give this level as advice, and another service decides the response (for a young adult, adult services)."
                .to_string()
        });
        let escalation = d.escalation.as_ref().map(|e| {
            let from = e.from.as_deref().map_or_else(|| "no level".to_string(), label);
            if e.raised {
                format!(
                    "Escalated by the practitioner to {} from {from}. Their reason: {}",
                    label(&e.level),
                    e.reason
                )
            } else {
                format!(
                    "Escalation to {} asked for: the rules already decide {from}, so it stays. The reason given: {}",
                    label(&e.level),
                    e.reason
                )
            }
        });
        let pathways = d
            .pathways
            .iter()
            .map(|id| Line {
                id: id.clone(),
                label: pathway(id).map_or_else(|| humanize(id), |p| p.label.clone()),
                text: pathway(id).map(|p| p.todo.clone()).unwrap_or_default(),
            })
            .collect();
        let exploitation = d
            .exploitation
            .iter()
            .map(|(m, c)| {
                let c = c.as_str().unwrap_or_default();
                let mi = program.matrices.iter().position(|x| x.id == *m);
                let matrix = mi.and_then(|i| program.matrices.get(i));
                // Open while a fact it depends on could still change: one in `missing`; or,
                // where `missing` does not say (not worked out, or an escalation listed only
                // what could change its pathways), one the referral leaves unknown.
                let complete_missing = d.escalation.as_ref().is_none_or(|e| !e.raised)
                    && !(provisional && d.missing.is_empty());
                let open = mi.is_some_and(|i| {
                    let reads = crate::ruleset::matrix_reads(program, i);
                    let in_missing = d.missing.iter().any(|x| {
                        reads
                            .iter()
                            .filter_map(|f| program.facts.get(f.index()))
                            .any(|f| *f.id == *x.fact)
                    });
                    let unknown = facts.is_some_and(|fs| {
                        reads
                            .iter()
                            .any(|f| fs.slots.get(f.index()).is_some_and(Option::is_none))
                    });
                    in_missing || (provisional && !complete_missing && unknown)
                });
                let lowest = matrix.and_then(|mx| mx.categories.first());
                let text = match (open, lowest) {
                    (false, _) => c.to_string(),
                    (true, Some(low)) if low == c => "not yet known".to_string(),
                    (true, _) => format!("at least {c}"),
                };
                Line {
                    id: m.clone(),
                    label: matrix.map_or_else(|| humanize(m), |mx| mx.label.clone()),
                    text,
                }
            })
            .collect();
        let reasons = d
            .reasons
            .iter()
            .map(|r| ReasonLine {
                rule: r.rule.clone(),
                title: r.title.clone().unwrap_or_else(|| r.rule.clone()),
                reason: r.reason.clone(),
                citation: r.citation.clone(),
                facts: r.facts.iter().map(|(k, v)| format!("{k} = {v}")).collect(),
            })
            .collect();
        let answers = facts.map(|f| answers(program, f)).unwrap_or_default();
        let missing = d
            .missing
            .iter()
            .map(|m| Line {
                id: m.fact.to_string(),
                label: m.question.to_string(),
                text: if m.changes.level {
                    "could change the level".to_string()
                } else {
                    let names: Vec<String> = m
                        .changes
                        .pathways
                        .iter()
                        .map(|p| pathway(p).map_or_else(|| humanize(p), |x| x.label.clone()))
                        .collect();
                    if names.is_empty() {
                        "could change what to do".to_string()
                    } else {
                        format!("could change: {}", names.join(", "))
                    }
                },
            })
            .collect();
        let ask = d
            .questions
            .iter()
            .flatten()
            .map(|q| AskLine {
                id: q.id.clone(),
                question: q.text.clone(),
                text: if q.changes.level {
                    "could change the level"
                } else {
                    "could change what to do"
                }
                .to_string(),
                items: q.items.iter().map(|i| i.text.clone()).collect(),
            })
            .collect();
        let mut summary = Summary {
            level,
            status,
            advisory,
            escalation,
            pathways,
            exploitation,
            reasons,
            answers,
            missing,
            ask,
            ruleset: format!(
                "{} {} ({})",
                d.ruleset.name, d.ruleset.version, d.ruleset.hash
            ),
            advice: "This is advice for professionals: your judgement stands, and you can always escalate."
                .to_string(),
            text: String::new(),
        };
        summary.text = summary.render_text();
        summary
    }
}

/// The answers given, in declaration order: each fact's question and its answer in words.
fn answers(program: &Program, facts: &Facts) -> Vec<Line> {
    program
        .facts
        .iter()
        .zip(&facts.slots)
        .filter_map(|(f, v)| {
            let v = (*v)?;
            let text = match &f.ty {
                FactTy::Bool => if v != 0 { "Yes" } else { "No" }.to_string(),
                FactTy::Int { .. } => v.to_string(),
                FactTy::Enum(codes) => usize::try_from(v)
                    .ok()
                    .and_then(|i| codes.get(i))
                    .map(|c| humanize(c))
                    .unwrap_or_default(),
                FactTy::Set(codes) => {
                    let picked: Vec<String> = codes
                        .iter()
                        .enumerate()
                        .filter(|(i, _)| *i < 64 && (v as u64) & (1u64 << i) != 0)
                        .map(|(_, c)| humanize(c))
                        .collect();
                    if picked.is_empty() {
                        "None of these".to_string()
                    } else {
                        picked.join(", ")
                    }
                }
            };
            Some(Line {
                id: f.id.clone(),
                label: f.question.clone(),
                text,
            })
        })
        .collect()
}

impl Summary {
    fn render_text(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "Level: {}", self.level);
        let _ = writeln!(s, "{}", self.status);
        for line in self.advisory.iter().chain(&self.escalation) {
            let _ = writeln!(s, "{line}");
        }
        s.push_str("\nWhat to do, most urgent first:\n");
        for (i, p) in self.pathways.iter().enumerate() {
            let _ = writeln!(s, "  {}. {}: {}", i + 1, p.label, p.text);
        }
        if !self.exploitation.is_empty() {
            let parts: Vec<String> = self
                .exploitation
                .iter()
                .map(|m| format!("{} {}", m.label, m.text))
                .collect();
            let _ = writeln!(s, "\nExploitation risk: {}", parts.join("; "));
        }
        s.push_str("\nWhy:\n");
        if self.reasons.is_empty() {
            s.push_str("  No rule applies to the answers given.\n");
        }
        for r in &self.reasons {
            let _ = writeln!(s, "  - {}: {}", r.title, r.reason);
            if let Some(c) = &r.citation {
                let _ = writeln!(s, "    Source: {c}");
            }
            if !r.facts.is_empty() {
                let _ = writeln!(s, "    Facts: {}", r.facts.join(", "));
            }
        }
        if !self.answers.is_empty() {
            s.push_str("\nAnswers given:\n");
            for a in &self.answers {
                let _ = writeln!(s, "  - {} {}", a.label, a.text);
            }
        }
        if !self.missing.is_empty() {
            s.push_str("\nStill unknown, and could change this (most decisive first):\n");
            for m in &self.missing {
                let _ = writeln!(s, "  - {} ({}; {})", m.label, m.id, m.text);
            }
        }
        if !self.ask.is_empty() {
            s.push_str("\nAsk next (best first):\n");
            for (i, q) in self.ask.iter().enumerate() {
                let _ = writeln!(s, "  {}. {} [{}; {}]", i + 1, q.question, q.id, q.text);
                // The first question in full, as the checker shows it.
                if i == 0 {
                    for item in &q.items {
                        let _ = writeln!(s, "       [ ] {item}");
                    }
                }
            }
        }
        let _ = writeln!(s, "\nRule set: {}", self.ruleset);
        let _ = writeln!(s, "{}", self.advice);
        s
    }

    /// An HTML fragment (every text escaped), for a notebook or a page.
    #[must_use]
    pub fn html(&self) -> String {
        let e = escape;
        let mut h = String::from("<div class=\"thresholds-decision\">");
        let _ = write!(
            h,
            "<p class=\"level\"><strong>Level: {}</strong></p><p class=\"status\">{}</p>",
            e(&self.level),
            e(&self.status)
        );
        for line in self.advisory.iter().chain(&self.escalation) {
            let _ = write!(h, "<p>{}</p>", e(line));
        }
        h.push_str("<p>What to do, most urgent first:</p><ol class=\"pathways\">");
        for p in &self.pathways {
            let _ = write!(
                h,
                "<li data-pathway=\"{}\"><strong>{}</strong>: {}</li>",
                e(&p.id),
                e(&p.label),
                e(&p.text)
            );
        }
        h.push_str("</ol>");
        if !self.exploitation.is_empty() {
            let parts: Vec<String> = self
                .exploitation
                .iter()
                .map(|m| format!("{}: <strong>{}</strong>", e(&m.label), e(&m.text)))
                .collect();
            let _ = write!(h, "<p>Exploitation risk: {}</p>", parts.join("; "));
        }
        h.push_str("<p>Why:</p>");
        if self.reasons.is_empty() {
            h.push_str("<p>No rule applies to the answers given.</p>");
        } else {
            h.push_str("<ul class=\"reasons\">");
            for r in &self.reasons {
                let _ = write!(
                    h,
                    "<li data-rule=\"{}\"><strong>{}</strong>: {}",
                    e(&r.rule),
                    e(&r.title),
                    e(&r.reason)
                );
                if let Some(c) = &r.citation {
                    let _ = write!(h, " <em>Source: {}</em>", e(c));
                }
                if !r.facts.is_empty() {
                    let _ = write!(h, " <small>Facts: {}</small>", e(&r.facts.join(", ")));
                }
                h.push_str("</li>");
            }
            h.push_str("</ul>");
        }
        if !self.answers.is_empty() {
            h.push_str("<p>Answers given:</p><ul class=\"answers\">");
            for a in &self.answers {
                let _ = write!(h, "<li>{} {}</li>", e(&a.label), e(&a.text));
            }
            h.push_str("</ul>");
        }
        if !self.missing.is_empty() {
            h.push_str("<p>Still unknown, and could change this:</p><ul class=\"missing\">");
            for m in &self.missing {
                let _ = write!(
                    h,
                    "<li data-fact=\"{}\">{} <em>({})</em></li>",
                    e(&m.id),
                    e(&m.label),
                    e(&m.text)
                );
            }
            h.push_str("</ul>");
        }
        if !self.ask.is_empty() {
            h.push_str("<p>Ask next (best first):</p><ol class=\"ask\">");
            for q in &self.ask {
                let _ = write!(
                    h,
                    "<li data-question=\"{}\">{} <em>({})</em></li>",
                    e(&q.id),
                    e(&q.question),
                    e(&q.text)
                );
            }
            h.push_str("</ol>");
        }
        let _ = write!(
            h,
            "<p><small>Rule set: {}. {}</small></p></div>",
            e(&self.ruleset),
            e(&self.advice)
        );
        h
    }
}

/// Escapes text for HTML element content and quoted attribute values.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{escape, humanize};

    /// Without `missing` worked out, a provisional decision never reads as settled: the level is
    /// "so far" and the matrices whose facts are unknown are "not yet known".
    #[test]
    fn a_decision_without_missing_is_never_shown_as_settled() {
        let Ok(rs) = crate::Ruleset::builtin() else {
            panic!("the shipped rules load");
        };
        let Ok(facts) = rs.facts_from_json(r#"{"age_years": 15}"#) else {
            panic!("facts");
        };
        let opts = crate::Options {
            reasons: true,
            missing: false,
        };
        let d = rs.evaluate(&facts, opts);
        assert_eq!(d.status, crate::Status::Provisional);
        let s = rs.summary(&d, Some(&facts));
        assert!(
            s.level.starts_with("at least ") && s.level.ends_with(" so far"),
            "{}",
            s.level
        );
        assert!(s.status.contains("not worked out"), "{}", s.status);
        assert!(!s.exploitation.is_empty());
        for m in &s.exploitation {
            assert_eq!(m.text, "not yet known", "{}", m.label);
        }
        // With `missing` on, the same referral says what could still change it.
        let full = rs.evaluate(&facts, crate::Options::default());
        let s = rs.summary(&full, Some(&facts));
        assert!(s.level.contains("could still be"), "{}", s.level);
        assert!(s.status.starts_with("Provisional: ") && s.status.contains("unanswered questions"));
    }

    #[test]
    fn codes_read_as_words() {
        assert_eq!(humanize("some_absence"), "Some absence");
        assert_eq!(humanize(""), "");
    }

    #[test]
    fn html_text_is_escaped() {
        assert_eq!(
            escape("<b>\"a\" & 'b'</b>"),
            "&lt;b&gt;&quot;a&quot; &amp; &#x27;b&#x27;&lt;/b&gt;"
        );
    }
}
