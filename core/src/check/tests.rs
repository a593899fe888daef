//! The `test` blocks of rule files, checked on first use against the compiled program.

use std::collections::BTreeMap;

use crate::ast;
use crate::diag::{Code, Diagnostic, Span};
use crate::ir;

use super::{Checker, Names};

pub(super) fn duplicate_test(t: &ast::TestDecl, first: Span) -> Diagnostic {
    Diagnostic::error(
        Code::Duplicate,
        format!("test `{}` is defined more than once", t.name.value),
    )
    .at(t.name.span, "defined again here")
    .at(first, "first defined here")
}

impl<'a> Checker<'a> {
    pub(super) fn test(
        &mut self,
        t: &ast::TestDecl,
        levels: &[ir::Level],
        pathways: &[ir::Pathway],
        sources: &crate::diag::Sources,
        file_names: &[String],
    ) -> Option<ir::Test> {
        let before = self.error_count();
        let mut given: Vec<Option<i64>> = vec![None; self.facts.len()];
        for (name, v) in &t.given {
            let Some(fi) = self.fact_idx(name) else {
                continue;
            };
            let Some(fact) = self.facts.get(fi.index()).cloned() else {
                continue;
            };
            match crate::facts::value_from_ast(&fact, v) {
                Ok(val) => {
                    if let Some(slot) = given.get_mut(fi.index()) {
                        *slot = val;
                    }
                }
                Err(d) => self.diags.push(d),
            }
        }
        let mut expects = Vec::new();
        let level_idx = |id: &ast::Ident| {
            levels
                .iter()
                .position(|l| l.id == id.name)
                .map(ir::LevelRank::of_slot)
        };
        let pathway_idx = |id: &ast::Ident| {
            pathways
                .iter()
                .position(|p| p.id == id.name)
                .map(ir::PathwayId::from_usize)
        };
        for x in &t.expects {
            let (e, text) = match x {
                ast::Expect::Level(id) => {
                    if id.name == "none" && levels.is_empty() {
                        (ir::TestExpect::Level(None), "level none".to_string())
                    } else {
                        let Some(r) = level_idx(id) else {
                            self.unknown(
                                "level",
                                id,
                                levels.iter().map(|l| l.id.as_str()).collect(),
                            );
                            continue;
                        };
                        (ir::TestExpect::Level(Some(r)), format!("level {}", id.name))
                    }
                }
                ast::Expect::Pathways(..) | ast::Expect::Pathway(_) | ast::Expect::NoPathway(_) => {
                    let list: Vec<&ast::Ident> = match x {
                        ast::Expect::Pathways(ids, _) => ids.iter().collect(),
                        ast::Expect::Pathway(i) | ast::Expect::NoPathway(i) => vec![i],
                        _ => Vec::new(),
                    };
                    let mut idx = Vec::new();
                    for id in &list {
                        match pathway_idx(id) {
                            Some(i) => idx.push(i),
                            None => self.unknown(
                                "pathway",
                                id,
                                pathways.iter().map(|p| p.id.as_str()).collect(),
                            ),
                        }
                    }
                    if idx.len() != list.len() {
                        continue;
                    }
                    let names: Vec<&str> = list.iter().map(|i| i.name.as_str()).collect();
                    match x {
                        ast::Expect::Pathways(..) => (
                            ir::TestExpect::Pathways(idx),
                            format!("pathways [{}]", names.join(", ")),
                        ),
                        ast::Expect::Pathway(_) => (
                            ir::TestExpect::Pathway(idx.first().copied()?),
                            format!("pathway {}", names.join("")),
                        ),
                        _ => (
                            ir::TestExpect::NoPathway(idx.first().copied()?),
                            format!("no pathway {}", names.join("")),
                        ),
                    }
                    .clone()
                }
                ast::Expect::Status(id) => match id.name.as_str() {
                    "provisional" => (
                        ir::TestExpect::Provisional(true),
                        "status provisional".into(),
                    ),
                    "complete" => (ir::TestExpect::Provisional(false), "status complete".into()),
                    _ => {
                        self.unknown("status", id, vec!["complete", "provisional"]);
                        continue;
                    }
                },
                ast::Expect::Missing(ids, _) => {
                    let mut idx = Vec::new();
                    for id in ids {
                        if let Some(i) = self.fact_idx(id) {
                            idx.push(i);
                        }
                    }
                    let names: Vec<&str> = ids.iter().map(|i| i.name.as_str()).collect();
                    (
                        ir::TestExpect::Missing(idx),
                        format!("missing [{}]", names.join(", ")),
                    )
                }
                ast::Expect::Advisory => (ir::TestExpect::Advisory, "advisory".to_string()),
                ast::Expect::Category(m, c) => {
                    let Some((mi, ci)) = self.category(m, c) else {
                        continue;
                    };
                    (
                        ir::TestExpect::Category(mi, ci),
                        format!("{} {}", m.name, c.name),
                    )
                }
            };
            expects.push((e, text));
        }
        if expects.is_empty() {
            self.diags.push(
                Diagnostic::error(
                    Code::BadTest,
                    format!("test `{}` expects nothing", t.name.value),
                )
                .at(t.name.span, "add at least one `expect`"),
            );
        }
        if self.error_count() > before {
            return None;
        }
        let (line, _) = sources.line_col(t.span.source, t.span.start);
        let file = file_names
            .get(t.span.source.0 as usize)
            .cloned()
            .unwrap_or_default();
        Some(ir::Test {
            name: t.name.value.clone(),
            file,
            line,
            given,
            expects,
        })
    }
}

/// Checks tests parsed after loading, against the compiled program's names.
pub(crate) fn check_tests(
    program: &ir::Program,
    tests: &[ast::TestDecl],
    sources: &crate::diag::Sources,
    file_names: &[String],
) -> (Vec<ir::Test>, Vec<Diagnostic>) {
    let mut ck = Checker {
        diags: Vec::new(),
        names: Names {
            facts: program
                .facts
                .enumerate()
                .map(|(i, f)| (f.id.as_str(), i))
                .collect(),
            levels: program
                .levels
                .iter()
                .enumerate()
                .map(|(i, l)| (l.id.as_str(), ir::LevelRank::of_slot(i)))
                .collect(),
            pathways: program
                .pathways
                .enumerate()
                .map(|(i, p)| (p.id.as_str(), i))
                .collect(),
            matrices: program
                .matrices
                .enumerate()
                .map(|(i, m)| (m.id.as_str(), i))
                .collect(),
            guidance: BTreeMap::new(),
            domains: BTreeMap::new(),
        },
        facts: program.facts.to_vec(),
        matrix_cats: program
            .matrices
            .iter()
            .map(|m| m.categories.clone())
            .collect(),
        guidance_titles: BTreeMap::new(),
        linter: None,
        skipped: Vec::new(),
    };
    let mut seen: BTreeMap<&str, Span> = BTreeMap::new();
    let mut out = Vec::new();
    for t in tests {
        if let Some(first) = seen.get(t.name.value.as_str()) {
            ck.diags.push(duplicate_test(t, *first));
            continue;
        }
        seen.insert(&t.name.value, t.name.span);
        if let Some(x) = ck.test(t, &program.levels, &program.pathways, sources, file_names) {
            out.push(x);
        }
    }
    (out, ck.diags)
}
