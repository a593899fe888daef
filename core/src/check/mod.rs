//! Name resolution, type checking and lints: [`ast`] → [`ir::Program`].
//!
//! Every problem is collected; a program is only produced when there are no errors.

mod declare;
mod lint;
mod lower;
mod stage;
mod tests;

use std::collections::{BTreeMap, BTreeSet};

use crate::ast::{self, ExprKind};
use crate::diag::{Code, Diagnostic, Span};
use crate::ir;
use crate::limits::Limits;

pub(crate) use tests::check_tests;

pub(crate) use crate::diag::did_you_mean;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ty {
    Bool,
    Int,
    Enum(ir::FactId),
    Set(ir::FactId),
    Category(ir::MatrixId),
    Level,
}

struct Names<'a> {
    facts: BTreeMap<&'a str, ir::FactId>,
    levels: BTreeMap<&'a str, ir::LevelRank>,
    pathways: BTreeMap<&'a str, ir::PathwayId>,
    matrices: BTreeMap<&'a str, ir::MatrixId>,
    guidance: BTreeMap<&'a str, u32>,
    domains: BTreeMap<&'a str, u32>,
}

/// Where an expression appears, which decides what it may read.
#[derive(Clone, Copy)]
struct Ctx<'a> {
    matrix: Option<&'a ast::MatrixDecl>,
    allow_score: bool,
}

struct Checker<'a> {
    diags: Vec<Diagnostic>,
    names: Names<'a>,
    facts: Vec<ir::Fact>,
    matrix_cats: Vec<Vec<String>>,
    guidance_titles: BTreeMap<String, String>,
    linter: Option<crate::diagram::Linter>,
    /// Items that syntax errors left out: names they declare are not reported as unknown.
    skipped: Vec<(&'a str, Option<&'a str>)>,
}

fn duplicate(kind: &str, id: &ast::Ident, first: Span) -> Diagnostic {
    Diagnostic::error(
        Code::Duplicate,
        format!("{kind} `{}` is defined more than once", id.name),
    )
    .at(id.span, "defined again here")
    .at(first, "first defined here")
}

/// The keyword an item starting at `item` begins with: what a label on a whole block points at,
/// so that the snippet is one line, not the block.
fn keyword(item: Span, kw: &str) -> Span {
    let len = u32::try_from(kw.len()).unwrap_or(0);
    Span {
        end: item.end.min(item.start.saturating_add(len)),
        ..item
    }
}

/// Checks the parsed files of one rule set and compiles them.
pub(crate) fn check(
    files: &[ast::File],
    hash: String,
    limits: &Limits,
) -> (Option<ir::Program>, Vec<Diagnostic>) {
    let items: Vec<&ast::Item> = files.iter().flat_map(|f| f.items.iter()).collect();
    let mut ck = Checker {
        diags: Vec::new(),
        names: Names {
            facts: BTreeMap::new(),
            levels: BTreeMap::new(),
            pathways: BTreeMap::new(),
            matrices: BTreeMap::new(),
            guidance: BTreeMap::new(),
            domains: BTreeMap::new(),
        },
        facts: Vec::new(),
        matrix_cats: Vec::new(),
        guidance_titles: BTreeMap::new(),
        linter: None,
        skipped: files
            .iter()
            .flat_map(|f| f.skipped.items.iter())
            .map(|(kw, name)| (kw.as_str(), name.as_deref()))
            .collect(),
    };

    // ---- Pass 1: declarations ----
    let mut header: Option<&ast::Header> = None;
    let mut guidance = Vec::new();
    let mut level_decls: Vec<&ast::LevelDecl> = Vec::new();
    let mut pathway_decls: Vec<&ast::PathwayDecl> = Vec::new();
    let mut domains = Vec::new();
    let mut provisional_ids: Vec<&ast::Ident> = Vec::new();
    let mut fact_decls = Vec::new();
    let mut matrix_decls = Vec::new();
    let mut rule_decls = Vec::new();
    let mut raw_tests = Vec::new();
    let mut area_decls: Vec<&ast::Group> = Vec::new();
    let mut checklist_decls: Vec<&ast::Group> = Vec::new();
    let mut triage_decls: Vec<&ast::Group> = Vec::new();
    let mut first_span: BTreeMap<(&str, &str), Span> = BTreeMap::new();
    let mut levels_block: Option<Span> = None;
    let mut pathways_block: Option<Span> = None;

    for item in &items {
        match item {
            ast::Item::Header(h) => {
                if let Some(first) = header {
                    ck.diags.push(
                        Diagnostic::error(
                            Code::DuplicateHeader,
                            "a rule set has exactly one `ruleset` header",
                        )
                        .at(keyword(h.span, "ruleset"), "second header")
                        .at(keyword(first.span, "ruleset"), "first header"),
                    );
                } else {
                    header = Some(h);
                }
            }
            ast::Item::Guidance(g) => {
                if let Some(first) = first_span.get(&("guidance", g.id.name.as_str())) {
                    ck.diags.push(duplicate("guidance", &g.id, *first));
                } else {
                    first_span.insert(("guidance", &g.id.name), g.id.span);
                    ck.names.guidance.insert(
                        &g.id.name,
                        u32::try_from(guidance.len()).unwrap_or(u32::MAX),
                    );
                    guidance.push((g.id.name.clone(), g.title.value.clone()));
                }
            }
            ast::Item::Levels(ls, span) => {
                if let Some(first) = levels_block {
                    ck.diags.push(
                        Diagnostic::error(
                            Code::Duplicate,
                            "levels are declared in one `levels` block",
                        )
                        .at(keyword(*span, "levels"), "second block")
                        .at(keyword(first, "levels"), "first block"),
                    );
                    continue;
                }
                levels_block = Some(*span);
                for l in ls {
                    if let Some(first) = first_span.get(&("level", l.id.name.as_str())) {
                        ck.diags.push(duplicate("level", &l.id, *first));
                    } else {
                        first_span.insert(("level", &l.id.name), l.id.span);
                        ck.names
                            .levels
                            .insert(&l.id.name, ir::LevelRank::of_slot(level_decls.len()));
                        level_decls.push(l);
                    }
                }
            }
            ast::Item::Pathways(ps, span) => {
                if let Some(first) = pathways_block {
                    ck.diags.push(
                        Diagnostic::error(
                            Code::Duplicate,
                            "pathways are declared in one `pathways` block, most urgent first",
                        )
                        .at(keyword(*span, "pathways"), "second block")
                        .at(keyword(first, "pathways"), "first block"),
                    );
                    continue;
                }
                pathways_block = Some(*span);
                for p in ps {
                    if let Some(first) = first_span.get(&("pathway", p.id.name.as_str())) {
                        ck.diags.push(duplicate("pathway", &p.id, *first));
                    } else {
                        first_span.insert(("pathway", &p.id.name), p.id.span);
                        ck.names
                            .pathways
                            .insert(&p.id.name, ir::PathwayId::from_usize(pathway_decls.len()));
                        pathway_decls.push(p);
                    }
                }
            }
            ast::Item::Domains(ds, _) => {
                for d in ds {
                    if let Some(first) = first_span.get(&("domain", d.name.as_str())) {
                        ck.diags.push(duplicate("domain", d, *first));
                    } else {
                        first_span.insert(("domain", &d.name), d.span);
                        ck.names
                            .domains
                            .insert(&d.name, u32::try_from(domains.len()).unwrap_or(u32::MAX));
                        domains.push(d.name.clone());
                    }
                }
            }
            ast::Item::Provisional(ps, _) => provisional_ids.extend(ps.iter()),
            ast::Item::Fact(f) => {
                if let Some(first) = first_span.get(&("fact", f.id.name.as_str())) {
                    ck.diags.push(duplicate("fact", &f.id, *first));
                } else {
                    first_span.insert(("fact", &f.id.name), f.id.span);
                    fact_decls.push(f);
                }
            }
            ast::Item::Matrix(m) => {
                if let Some(first) = first_span.get(&("matrix", m.id.name.as_str())) {
                    ck.diags.push(duplicate("matrix", &m.id, *first));
                } else {
                    first_span.insert(("matrix", &m.id.name), m.id.span);
                    matrix_decls.push(m);
                }
            }
            ast::Item::Rule(r) => {
                if let Some(first) = first_span.get(&("rule", r.id.name.as_str())) {
                    ck.diags.push(duplicate("rule", &r.id, *first));
                } else {
                    first_span.insert(("rule", &r.id.name), r.id.span);
                    rule_decls.push(r);
                }
            }
            ast::Item::Area(g) => area_decls.push(g),
            ast::Item::Checklist(g) => checklist_decls.push(g),
            ast::Item::Triage(g) => triage_decls.push(g),
            ast::Item::RawTest(span) => raw_tests.push(*span),
            // Tests are checked on first use (`check_tests`), against the compiled program, however
            // the file was parsed.
            ast::Item::Test(t) => raw_tests.push(t.span),
        }
    }

    ck.guidance_titles = guidance.iter().cloned().collect();
    if domains.len() > 64 {
        ck.diags.push(Diagnostic::error(
            Code::SetTooLarge,
            format!(
                "the rule set declares {} domains; the limit is 64",
                domains.len()
            ),
        ));
    }
    if header.is_none() && !ck.skipped.iter().any(|(kw, _)| *kw == "ruleset") {
        let span = files
            .first()
            .map(|f| Span::new(f.source, 0, 0))
            .unwrap_or_default();
        ck.diags.push(
            Diagnostic::error(Code::MissingHeader, "the rule set has no `ruleset` header")
                .at(span, "add `ruleset \"Name\" version \"1\"` to one file")
                .help("every decision names the rule set and version it came from"),
        );
    }
    if rule_decls.len() > limits.max_rules {
        ck.diags.push(Diagnostic::error(
            Code::TooManyRules,
            format!(
                "the rule set has {} rules; the limit is {}",
                rule_decls.len(),
                limits.max_rules
            ),
        ));
    }

    // Facts.
    ck.facts(&fact_decls, limits);
    for (fi, f) in fact_decls.iter().enumerate() {
        ck.fact_asking(fi, f);
    }
    let asked_order = ck.asked_order(&fact_decls);
    let (areas, checklists, triage) =
        ck.question_groups(&fact_decls, &area_decls, &checklist_decls, &triage_decls);

    // Levels and pathways.
    let pathways: Vec<ir::Pathway> = pathway_decls
        .iter()
        .map(|p| ir::Pathway {
            id: p.id.name.clone(),
            label: p.label.value.clone(),
            todo: p.todo.value.clone(),
        })
        .collect();
    let mut levels = Vec::new();
    for l in &level_decls {
        let default_pathways = l.pathways.iter().filter_map(|p| ck.pathway(p)).collect();
        levels.push(ir::Level {
            id: l.id.name.clone(),
            label: l.label.value.clone(),
            default_pathways,
        });
    }
    let provisional: Vec<ir::PathwayId> = provisional_ids
        .iter()
        .filter_map(|p| ck.pathway(p))
        .collect();

    // Matrices: names first, so rules and other matrices can refer to them.
    for (i, m) in matrix_decls.iter().enumerate() {
        ck.names
            .matrices
            .insert(&m.id.name, ir::MatrixId::from_usize(i));
        ck.matrix_cats
            .push(m.categories.iter().map(|c| c.name.clone()).collect());
    }
    let mut matrices = Vec::new();
    for m in &matrix_decls {
        matrices.push(ck.matrix(m));
    }

    // Rules.
    let mut rules = Vec::new();
    for r in &rule_decls {
        if let Some(rule) = ck.rule(r) {
            rules.push(rule);
        }
    }
    rules.sort_by_key(|r| r.stage);

    // Tests parsed with the rest (formatting and full checks); others are checked when run.
    let has_errors = ck
        .diags
        .iter()
        .any(|d| d.severity == crate::diag::Severity::Error);
    let program = (!has_errors).then(|| {
        let (name, version) = header
            .map(|h| (h.name.value.clone(), h.version.value.clone()))
            .unwrap_or_default();
        let shared = ir::Shared::of(&ck.facts, &pathways);
        ir::Program {
            shared,
            name,
            version,
            hash,
            guidance,
            levels,
            pathways: ir::Table::new(pathways),
            domains,
            provisional,
            fact_index: ck
                .facts
                .iter()
                .enumerate()
                .map(|(i, f)| (f.id.clone(), ir::FactId::from_usize(i)))
                .collect(),
            facts: ir::Table::new(ck.facts),
            matrices: ir::Table::new(matrices),
            rules,
            raw_tests,
            asked_order,
            areas,
            checklists,
            triage,
        }
    });
    // The ids the checker issued are proven in range once, here: every later phase indexes the
    // program's tables by them without a fallback.
    let program = program.and_then(|p| match p.validate() {
        Ok(()) => Some(p),
        Err(d) => {
            ck.diags.push(d);
            None
        }
    });
    (program, ck.diags)
}

impl Checker<'_> {
    fn error_count(&self) -> usize {
        self.diags
            .iter()
            .filter(|d| d.severity == crate::diag::Severity::Error)
            .count()
    }
}

fn full_mask(n: usize) -> u64 {
    if n >= 64 {
        u64::MAX
    } else {
        (1u64 << n) - 1
    }
}

fn ty_name(ty: Ty, ck: &Checker<'_>) -> String {
    match ty {
        Ty::Bool => "a yes/no value".into(),
        Ty::Int => "a number".into(),
        Ty::Enum(f) => format!(
            "enum `{}`",
            ck.facts.get(f.index()).map_or("?", |f| f.id.as_str())
        ),
        Ty::Set(f) => format!(
            "set `{}`",
            ck.facts.get(f.index()).map_or("?", |f| f.id.as_str())
        ),
        Ty::Category(m) => format!(
            "matrix category `{}`",
            ck.names
                .matrices
                .iter()
                .find(|(_, i)| **i == m)
                .map_or("?", |(n, _)| *n)
        ),
        Ty::Level => "a level".into(),
    }
}

fn walk(e: &ast::Expr, f: &mut impl FnMut(&ast::Expr)) {
    f(e);
    match &e.kind {
        ExprKind::Not(x) | ExprKind::Neg(x) | ExprKind::In(x, _) | ExprKind::Has(x, _, _) => {
            walk(x, f)
        }
        ExprKind::Binary(_, a, b) => {
            walk(a, f);
            walk(b, f);
        }
        _ => {}
    }
}

fn dedup_keep_order<T: Ord + Copy>(v: &mut Vec<T>) {
    let mut seen = BTreeSet::new();
    v.retain(|x| seen.insert(*x));
}
