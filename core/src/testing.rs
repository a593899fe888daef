//! Runs the tests written in rule files, and reports which rules no test fires.

use serde::Serialize;

use crate::decision::{Options, Status};
use crate::facts::Facts;
use crate::ir::TestExpect;
use crate::ruleset::Ruleset;

/// The result of one rule-file test.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TestResult {
    /// Test name.
    pub name: String,
    /// File it is in.
    pub file: String,
    /// Line it starts on.
    pub line: u32,
    /// Failed expectations, described; empty when the test passed.
    pub failures: Vec<String>,
}

impl TestResult {
    /// Whether every expectation held.
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// The results of all rule-file tests, and coverage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TestReport {
    /// One result per test, in file order.
    pub results: Vec<TestResult>,
    /// Rules that no test fires.
    pub unfired_rules: Vec<String>,
}

impl TestReport {
    /// How many tests passed.
    pub fn passed(&self) -> usize {
        self.results.iter().filter(|r| r.passed()).count()
    }
    /// How many tests failed.
    pub fn failed(&self) -> usize {
        self.results.len() - self.passed()
    }
}

pub(crate) fn run(
    rs: &Ruleset,
    tests: &[crate::ir::Test],
    errors: &[crate::diag::Diagnostic],
    sources: &crate::diag::Sources,
) -> TestReport {
    let p = rs.program();
    let mut fired_any = vec![false; p.rules.len()];
    let mut results = Vec::new();
    // A test that cannot be read is a failing test, reported with where it is.
    for d in errors {
        let (file, line) = d
            .labels
            .first()
            .map(|l| {
                (
                    sources
                        .get(l.span.source)
                        .map(|f| f.name.clone())
                        .unwrap_or_default(),
                    sources.line_col(l.span.source, l.span.start).0,
                )
            })
            .unwrap_or_default();
        // The name of the test the problem is in, read from its text.
        let name = d
            .labels
            .first()
            .and_then(|l| {
                let raw = p.raw_tests.iter().find(|t| {
                    t.source == l.span.source && t.start <= l.span.start && l.span.start < t.end
                })?;
                let text = sources
                    .get(raw.source)?
                    .text
                    .get(raw.start as usize..raw.end as usize)?;
                let open = text.find('"')?;
                let rest = text.get(open + 1..)?;
                Some(rest.get(..rest.find('"')?)?.to_string())
            })
            .unwrap_or_else(|| "(unreadable test)".to_string());
        let mut failure = format!("{}: {}", d.code(), d.message);
        if let Some(h) = &d.help {
            failure.push_str(&format!(" ({h})"));
        }
        results.push(TestResult {
            name,
            file,
            line,
            failures: vec![failure],
        });
    }
    for t in tests {
        let facts = Facts {
            slots: t.given.clone(),
        };
        let d = rs.evaluate(&facts, Options::default());
        for r in &d.reasons {
            if let Some(i) = p.rules.iter().position(|x| x.id == r.rule) {
                if let Some(f) = fired_any.get_mut(i) {
                    *f = true;
                }
            }
        }
        let level_name = |r: Option<crate::ir::LevelRank>| match r {
            Some(r) => p.level(r).map_or("?".to_string(), |l| l.id.clone()),
            None => "none".to_string(),
        };
        let pathway = |i: &crate::ir::PathwayId| p.pathways.of(*i).id.clone();
        let mut failures = Vec::new();
        for (x, text) in &t.expects {
            let got = match x {
                TestExpect::Level(l) => {
                    let want = level_name(*l);
                    let got = d.level.clone().unwrap_or_else(|| "none".into());
                    (got != want).then(|| format!("level {got}"))
                }
                TestExpect::Pathways(ps) => {
                    let want: Vec<String> = ps.iter().map(pathway).collect();
                    (d.pathways != want).then(|| format!("pathways [{}]", d.pathways.join(", ")))
                }
                TestExpect::Pathway(i) => {
                    let want = pathway(i);
                    (!d.pathways.contains(&want))
                        .then(|| format!("pathways [{}]", d.pathways.join(", ")))
                }
                TestExpect::NoPathway(i) => {
                    let want = pathway(i);
                    d.pathways
                        .contains(&want)
                        .then(|| format!("pathways [{}]", d.pathways.join(", ")))
                }
                TestExpect::Provisional(want) => {
                    let got = d.status == Status::Provisional;
                    (got != *want)
                        .then(|| format!("status {}", if got { "provisional" } else { "complete" }))
                }
                TestExpect::Missing(fs) => {
                    let want: Vec<String> = fs
                        .iter()
                        .filter_map(|f| p.facts.get(f.index()))
                        .map(|f| f.id.clone())
                        .collect();
                    let got: Vec<String> = d.missing.iter().map(|m| m.fact.to_string()).collect();
                    (got != want).then(|| format!("missing [{}]", got.join(", ")))
                }
                TestExpect::Advisory => {
                    (!d.advisory).then(|| "a level that is not advisory".to_string())
                }
                TestExpect::Category(m, c) => {
                    let mx = p.matrices.get(m.index());
                    let want = mx
                        .and_then(|mx| mx.categories.get(*c as usize))
                        .cloned()
                        .unwrap_or_default();
                    let got = mx
                        .and_then(|mx| d.exploitation.get(&mx.id))
                        .and_then(|v| v.as_str())
                        .unwrap_or("")
                        .to_string();
                    (got != want).then(|| format!("{} {got}", mx.map_or("?", |m| m.id.as_str())))
                }
            };
            if let Some(got) = got {
                failures.push(format!("expected {text}, got {got}"));
            }
        }
        results.push(TestResult {
            name: t.name.clone(),
            file: t.file.clone(),
            line: t.line,
            failures,
        });
    }
    let unfired_rules = p
        .rules
        .iter()
        .zip(&fired_any)
        .filter(|(_, f)| !**f)
        .map(|(r, _)| r.id.clone())
        .collect();
    TestReport {
        results,
        unfired_rules,
    }
}
