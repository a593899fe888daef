//! Name resolution, type checking and lints: [`ast`] → [`ir::Program`].
//!
//! Every problem is collected; a program is only produced when there are no errors.

use std::collections::{BTreeMap, BTreeSet};

use crate::ast::{self, BinOp, ExprKind, HasMode};
use crate::diag::{Code, Diagnostic, Span};
use crate::ir::{self, Cmp, Expr, SetMode, Stage};
use crate::limits::Limits;

/// The closest candidate to `name`, if one is close enough to be a likely typo.
pub(crate) fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    let mut best: Option<(usize, &str)> = None;
    // Otherwise a name that is a prefix or a whole word of a candidate (`age` for `age_years`,
    // `learning` for `learning_disability`), the shortest such candidate first.
    let mut word: Option<&str> = None;
    for c in candidates {
        // Optimal string alignment: a swapped pair of letters (`levle`) is one edit.
        let d = strsim::osa_distance(name, c);
        let limit = (name.len().max(c.len()) / 3).max(1);
        if d <= limit && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
        if name.len() >= 3
            && (c.starts_with(name) || c.split('_').any(|w| w == name))
            && word.is_none_or(|w| c.len() < w.len())
        {
            word = Some(c);
        }
    }
    best.map(|(_, c)| c)
        .or(word)
        .map(|c| format!("did you mean `{c}`?"))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ty {
    Bool,
    Int,
    Enum(u32),
    Set(u32),
    Category(u32),
    Level,
}

struct Names<'a> {
    facts: BTreeMap<&'a str, u32>,
    levels: BTreeMap<&'a str, u32>,
    pathways: BTreeMap<&'a str, u32>,
    matrices: BTreeMap<&'a str, u32>,
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

fn duplicate_test(t: &ast::TestDecl, first: Span) -> Diagnostic {
    Diagnostic::error(
        Code::Duplicate,
        format!("test `{}` is defined more than once", t.name.value),
    )
    .at(t.name.span, "defined again here")
    .at(first, "first defined here")
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
                        ck.names.levels.insert(
                            &l.id.name,
                            u32::try_from(level_decls.len() + 1).unwrap_or(u32::MAX),
                        );
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
                        ck.names.pathways.insert(
                            &p.id.name,
                            u32::try_from(pathway_decls.len()).unwrap_or(u32::MAX),
                        );
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
    for f in &fact_decls {
        let ty = match &f.ty {
            ast::FactType::Bool => ir::FactTy::Bool,
            ast::FactType::Int { lo, hi, span } => {
                if lo > hi {
                    ck.diags.push(
                        Diagnostic::error(
                            Code::EmptyType,
                            format!("the range of `{}` is empty", f.id.name),
                        )
                        .at(*span, format!("{lo} is greater than {hi}")),
                    );
                }
                ir::FactTy::Int { lo: *lo, hi: *hi }
            }
            ast::FactType::Enum(codes) | ast::FactType::Set(codes) => {
                let is_set = matches!(f.ty, ast::FactType::Set(_));
                let kind = if is_set { "set" } else { "enum" };
                let mut seen: BTreeMap<&str, Span> = BTreeMap::new();
                for c in codes {
                    if let Some(first) = seen.get(c.name.as_str()) {
                        ck.diags.push(duplicate("code", c, *first));
                    } else {
                        seen.insert(&c.name, c.span);
                    }
                }
                if codes.is_empty() {
                    ck.diags.push(
                        Diagnostic::error(
                            Code::EmptyType,
                            format!("{kind} `{}` has no codes", f.id.name),
                        )
                        .at(f.id.span, "here"),
                    );
                }
                if codes.len() > limits.max_set_codes {
                    ck.diags.push(
                        Diagnostic::error(
                            Code::SetTooLarge,
                            format!(
                                "{kind} `{}` has {} codes; the limit is {}",
                                f.id.name,
                                codes.len(),
                                limits.max_set_codes
                            ),
                        )
                        .at(f.id.span, "here"),
                    );
                }
                let names = codes.iter().map(|c| c.name.clone()).collect();
                if is_set {
                    ir::FactTy::Set(names)
                } else {
                    ir::FactTy::Enum(names)
                }
            }
        };
        if f.question.is_none() {
            ck.diags.push(
                Diagnostic::warning(
                    Code::MissingQuestion,
                    format!("fact `{}` has no question", f.id.name),
                )
                .at(f.id.span, "declared here")
                .help("add `question \"...\"`: the referral checker builds its form from it"),
            );
        }
        let domain = f.domain.as_ref().map(|d| {
            ck.domain(d);
            d.name.clone()
        });
        ck.names.facts.insert(
            &f.id.name,
            u32::try_from(ck.facts.len()).unwrap_or(u32::MAX),
        );
        ck.facts.push(ir::Fact {
            id: f.id.name.clone(),
            ty,
            question: f
                .question
                .as_ref()
                .map(|q| q.value.clone())
                .unwrap_or_else(|| f.id.name.replace('_', " ")),
            help: f.help.as_ref().map(|h| h.value.clone()),
            domain,
            benign: None,
            asked: None,
            questions_when: Vec::new(),
        });
    }
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
    let provisional: Vec<u32> = provisional_ids
        .iter()
        .filter_map(|p| ck.pathway(p))
        .collect();

    // Matrices: names first, so rules and other matrices can refer to them.
    for (i, m) in matrix_decls.iter().enumerate() {
        ck.names
            .matrices
            .insert(&m.id.name, u32::try_from(i).unwrap_or(u32::MAX));
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
        ir::Program {
            name,
            version,
            hash,
            guidance,
            levels,
            pathways,
            domains,
            provisional,
            fact_index: ck
                .facts
                .iter()
                .enumerate()
                .map(|(i, f)| (f.id.clone(), u32::try_from(i).unwrap_or(u32::MAX)))
                .collect(),
            facts: ck.facts,
            matrices,
            rules,
            raw_tests,
            asked_order,
            areas,
            checklists,
            triage,
        }
    });
    (program, ck.diags)
}

fn mask_of(
    codes: &[String],
    wanted: &[ast::Ident],
    owner: &str,
    diags: &mut Vec<Diagnostic>,
) -> u64 {
    let mut mask = 0u64;
    for w in wanted {
        match codes.iter().position(|c| *c == w.name) {
            Some(i) if i < 64 => mask |= 1u64 << i,
            _ => diags.push(
                Diagnostic::error(
                    Code::UnknownName,
                    format!("`{}` is not a code of `{owner}`", w.name),
                )
                .at(w.span, "unknown code")
                .help_opt(did_you_mean(&w.name, codes.iter().map(String::as_str)))
                .help_opt(Some(format!("`{owner}` has: {}", codes.join(", ")))),
            ),
        }
    }
    mask
}

impl<'a> Checker<'a> {
    /// Whether a name may have been declared by an item a syntax error left out.
    fn maybe_skipped(&self, kind: &str, name: &str) -> bool {
        let block = match kind {
            "level" => "levels",
            "pathway" => "pathways",
            "domain" => "domains",
            _ => "",
        };
        self.skipped
            .iter()
            .any(|(kw, declared)| *kw == block || *declared == Some(name))
    }

    fn unknown(&mut self, kind: &str, id: &ast::Ident, candidates: Vec<&str>) {
        if self.maybe_skipped(kind, &id.name) {
            return;
        }
        let help = did_you_mean(&id.name, candidates);
        self.diags.push(
            Diagnostic::error(Code::UnknownName, format!("unknown {kind} `{}`", id.name))
                .at(id.span, format!("no {kind} has this name"))
                .help_opt(help),
        );
    }

    fn pathway(&mut self, id: &ast::Ident) -> Option<u32> {
        let found = self.names.pathways.get(id.name.as_str()).copied();
        if found.is_none() {
            let cands = self.names.pathways.keys().copied().collect();
            self.unknown("pathway", id, cands);
        }
        found
    }

    fn level(&mut self, id: &ast::Ident) -> Option<u32> {
        let found = self.names.levels.get(id.name.as_str()).copied();
        if found.is_none() {
            let cands = self.names.levels.keys().copied().collect();
            self.unknown("level", id, cands);
        }
        found
    }

    fn domain(&mut self, id: &ast::Ident) -> Option<u32> {
        let found = self.names.domains.get(id.name.as_str()).copied();
        if found.is_none() {
            let cands = self.names.domains.keys().copied().collect();
            self.unknown("domain", id, cands);
        }
        found
    }

    fn citation(&mut self, c: &ast::Citation) -> Option<ir::Citation> {
        if !self.names.guidance.contains_key(c.guidance.name.as_str()) {
            let cands = self.names.guidance.keys().copied().collect();
            self.unknown("guidance", &c.guidance, cands);
            return None;
        }
        let title = self
            .guidance_titles
            .get(c.guidance.name.as_str())
            .cloned()
            .unwrap_or_default();
        let text = match &c.detail {
            Some(d) => format!("{title}, {}", d.value),
            None => title,
        };
        Some(ir::Citation {
            guidance: c.guidance.name.clone(),
            text,
        })
    }

    fn matrix(&mut self, m: &'a ast::MatrixDecl) -> ir::Matrix {
        let cats: Vec<String> = m.categories.iter().map(|c| c.name.clone()).collect();
        if cats.is_empty() {
            self.diags.push(
                Diagnostic::error(
                    Code::BadMatrix,
                    format!("matrix `{}` declares no categories", m.id.name),
                )
                .at(
                    m.id.span,
                    "add `categories none, low, medium, high` (lowest first)",
                ),
            );
        }
        let mut seen: BTreeMap<&str, Span> = BTreeMap::new();
        for c in &m.categories {
            if let Some(first) = seen.get(c.name.as_str()) {
                self.diags.push(duplicate("category", c, *first));
            } else {
                seen.insert(&c.name, c.span);
            }
        }
        // Tiers must name codes of their set fact.
        let mut tier_seen: BTreeMap<&str, Span> = BTreeMap::new();
        let mut tiers: Vec<(ir::FactIdx, u64)> = Vec::new();
        for t in &m.tiers {
            if let Some(first) = tier_seen.get(t.id.name.as_str()) {
                self.diags.push(duplicate("tier", &t.id, *first));
            } else {
                tier_seen.insert(&t.id.name, t.id.span);
            }
            if let Some((f, mask)) = self.tier_source(m, t) {
                match tiers.iter_mut().find(|(g, _)| *g == f) {
                    Some((_, m)) => *m |= mask,
                    None => tiers.push((f, mask)),
                }
            }
        }
        let ctx = Ctx {
            matrix: Some(m),
            allow_score: false,
        };
        let score = m
            .score
            .as_ref()
            .and_then(|e| self.lower_typed(e, ctx, Ty::Int));
        let ctx = Ctx {
            matrix: Some(m),
            allow_score: m.score.is_some(),
        };
        let mut bands = Vec::new();
        for b in &m.bands {
            let cat = match cats.iter().position(|c| *c == b.category.name) {
                Some(i) => u32::try_from(i).ok(),
                None => {
                    self.unknown(
                        "category",
                        &b.category,
                        cats.iter().map(String::as_str).collect(),
                    );
                    None
                }
            };
            let cond = self.lower_typed(&b.cond, ctx, Ty::Bool);
            self.no_stage_reads(&b.cond, "a matrix band");
            if let (Some(cat), Some(cond)) = (cat, cond) {
                bands.push((cat, cond));
            }
        }
        let cite = m.cite.as_ref().and_then(|c| self.citation(c));
        let mut reads = Vec::new();
        if let Some(s) = &score {
            s.visit_facts(&mut |f| reads.push(f));
        }
        for (_, b) in &bands {
            b.visit_facts(&mut |f| reads.push(f));
        }
        dedup_keep_order(&mut reads);
        ir::Matrix {
            id: m.id.name.clone(),
            label: m.label.value.clone(),
            categories: cats,
            bands,
            score,
            cite,
            reads,
            tiers,
        }
    }

    /// The set fact and mask of a tier.
    fn tier_source(&mut self, m: &ast::MatrixDecl, t: &ast::Tier) -> Option<(u32, u64)> {
        let from = t.from.as_ref().or(m.from.as_ref());
        let Some(from) = from else {
            self.diags.push(
                Diagnostic::error(
                    Code::BadMatrix,
                    format!("tier `{}` has no set fact to count", t.id.name),
                )
                .at(t.id.span, "add `from <set fact>` to the matrix or the tier"),
            );
            return None;
        };
        let fi = self.fact_idx(from)?;
        let Some(ir::FactTy::Set(codes)) = self.facts.get(fi as usize).map(|f| f.ty.clone()) else {
            self.diags.push(
                Diagnostic::error(Code::Type, format!("`{}` is not a set fact", from.name))
                    .at(from.span, "tiers count the codes of a set fact"),
            );
            return None;
        };
        let mask = mask_of(&codes, &t.codes, &from.name, &mut self.diags);
        Some((fi, mask))
    }

    fn fact_idx(&mut self, id: &ast::Ident) -> Option<u32> {
        let found = self.names.facts.get(id.name.as_str()).copied();
        if found.is_none() {
            let cands = self.names.facts.keys().copied().collect();
            self.unknown("fact", id, cands);
        }
        found
    }

    fn no_stage_reads(&mut self, e: &ast::Expr, place: &str) {
        walk(e, &mut |x| match &x.kind {
            ExprKind::Level | ExprKind::Indicators(_) | ExprKind::Domains(_) => {
                self.diags.push(
                    Diagnostic::error(
                        Code::Misplaced,
                        format!("{place} cannot read the level or indicator counts"),
                    )
                    .at(x.span, "not allowed here"),
                );
            }
            _ => {}
        });
    }

    /// A condition about when a fact is asked or how: it reads facts only.
    fn asking_cond(&mut self, e: &'a ast::Expr, place: &str) -> Option<Expr> {
        self.no_stage_reads(e, place);
        let cond = self.lower_typed(
            e,
            Ctx {
                matrix: None,
                allow_score: false,
            },
            Ty::Bool,
        )?;
        let mut cats = Vec::new();
        cond.categories_read(&mut cats);
        if !cats.is_empty() {
            self.diags.push(
                Diagnostic::error(
                    Code::Misplaced,
                    format!("{place} cannot read a matrix category"),
                )
                .at(e.span, "read the facts the category comes from instead"),
            );
            return None;
        }
        Some(cond)
    }

    /// A fact's value in its own type, for `benign` and `otherwise`; null is not a value here.
    fn fact_value(&mut self, fi: usize, v: &ast::Value, attr: &str) -> Option<i64> {
        let fact = self.facts.get(fi)?;
        match crate::facts::value_from_ast(fact, v) {
            Ok(Some(x)) => Some(x),
            Ok(None) => {
                let message = format!("`{attr}` of `{}` needs a value", fact.id);
                self.diags.push(
                    Diagnostic::error(Code::Type, message).at(v.span(), "null is not an answer"),
                );
                None
            }
            Err(d) => {
                self.diags.push(d);
                None
            }
        }
    }

    /// `benign`, `asked when ... otherwise` and `question when` of one fact.
    fn fact_asking(&mut self, fi: usize, f: &'a ast::FactDecl) {
        let benign = match &f.benign {
            Some(v) => self.fact_value(fi, v, "benign"),
            None => match self.facts.get(fi).map(|x| &x.ty) {
                Some(ir::FactTy::Bool | ir::FactTy::Set(_)) => Some(0),
                _ => None,
            },
        };
        let mut asked = None;
        if let Some((c, v)) = &f.asked {
            let cond = self.asking_cond(c, "an `asked when` condition");
            let otherwise = self.fact_value(fi, v, "otherwise");
            asked = cond.zip(otherwise);
        }
        let mut variants = Vec::new();
        for (c, text) in &f.questions_when {
            if let Some(cond) = self.asking_cond(c, "a `question when` condition") {
                variants.push((cond, text.value.clone()));
            }
        }
        if let Some(x) = self.facts.get_mut(fi) {
            x.benign = benign;
            x.asked = asked;
            x.questions_when = variants;
        }
    }

    /// The facts with an `asked when`, each after those its condition reads; a cycle is an error.
    fn asked_order(&mut self, decls: &[&ast::FactDecl]) -> Vec<ir::FactIdx> {
        let n = self.facts.len();
        let deps: Vec<Vec<usize>> = self
            .facts
            .iter()
            .map(|f| {
                let mut d = Vec::new();
                if let Some((c, _)) = &f.asked {
                    c.visit_facts(&mut |x| d.push(x as usize));
                }
                d.retain(|x| *x < n);
                d
            })
            .collect();
        let has_asked: Vec<bool> = self.facts.iter().map(|f| f.asked.is_some()).collect();
        let id = |f: usize| self.facts.get(f).map_or("", |x| x.id.as_str()).to_string();
        #[derive(Clone, Copy, PartialEq)]
        enum Mark {
            New,
            OnPath,
            Done,
        }
        let mut mark = vec![Mark::New; n];
        let mut order = Vec::new();
        let mut cycle = None;
        for start in 0..n {
            if mark.get(start) != Some(&Mark::New) || has_asked.get(start) != Some(&true) {
                continue;
            }
            // Iterative depth-first search: (fact, next dependency to visit).
            let mut stack = vec![(start, 0usize)];
            if let Some(m) = mark.get_mut(start) {
                *m = Mark::OnPath;
            }
            while let Some(&mut (f, ref mut next)) = stack.last_mut() {
                let dep = deps.get(f).and_then(|d| d.get(*next)).copied();
                let Some(d) = dep else {
                    if let Some(m) = mark.get_mut(f) {
                        *m = Mark::Done;
                    }
                    order.push(u32::try_from(f).unwrap_or(u32::MAX));
                    stack.pop();
                    continue;
                };
                *next += 1;
                match mark.get(d) {
                    Some(Mark::New) if has_asked.get(d) == Some(&true) => {
                        if let Some(m) = mark.get_mut(d) {
                            *m = Mark::OnPath;
                        }
                        stack.push((d, 0));
                    }
                    Some(Mark::OnPath) if cycle.is_none() => cycle = Some((f, d)),
                    _ => {}
                }
            }
        }
        if let Some((f, d)) = cycle {
            let span = decls
                .get(f)
                .and_then(|x| x.asked.as_ref())
                .map(|(c, _)| c.span)
                .unwrap_or_default();
            self.diags.push(
                Diagnostic::error(
                    Code::Misplaced,
                    format!("whether `{}` is asked depends on itself", id(f)),
                )
                .at(span, format!("reads `{}`", id(d)))
                .help("the `asked when` conditions must not go round in a circle"),
            );
        }
        order
    }

    /// Areas, checklists and the triage question.
    #[allow(
        clippy::type_complexity,
        reason = "areas, checklists and triage, built together because they share one namespace"
    )]
    fn question_groups(
        &mut self,
        facts: &[&ast::FactDecl],
        areas: &[&'a ast::Group],
        checklists: &[&'a ast::Group],
        triage: &[&'a ast::Group],
    ) -> (Vec<ir::Group>, Vec<ir::Group>, Option<(String, Vec<u32>)>) {
        // Question ids share one namespace with facts: a fact on its own is a question.
        let mut ids: BTreeMap<&str, Span> = facts
            .iter()
            .map(|f| (f.id.name.as_str(), f.id.span))
            .collect();
        let mut group = |ck: &mut Self,
                         g: &'a ast::Group,
                         kind: &str,
                         owner: &mut BTreeMap<u32, &'a str>| {
            if let Some(first) = ids.get(g.id.name.as_str()) {
                ck.diags.push(duplicate(kind, &g.id, *first));
                return None;
            }
            ids.insert(&g.id.name, g.id.span);
            let mut members = Vec::new();
            for m in &g.items {
                let Some(fi) = ck.fact_idx(m) else { continue };
                if let Some(other) = owner.get(&fi) {
                    ck.diags.push(
                        Diagnostic::error(
                            Code::Duplicate,
                            format!("fact `{}` is in {kind} `{other}` already", m.name),
                        )
                        .at(m.span, format!("a fact belongs to one {kind}")),
                    );
                    continue;
                }
                let Some(f) = ck.facts.get(fi as usize) else {
                    continue;
                };
                if kind == "checklist"
                    && !(matches!(f.ty, ir::FactTy::Bool | ir::FactTy::Set(_))
                        && f.benign == Some(0))
                {
                    ck.diags.push(
                        Diagnostic::error(
                            Code::Type,
                            format!("checklist item `{}` is not a yes/no or set fact whose benign answer is no or none", m.name),
                        )
                        .at(m.span, "ticked or not: a checklist asks yes/no facts and set codes"),
                    );
                    continue;
                }
                if f.benign.is_none() {
                    ck.diags.push(
                        Diagnostic::error(
                            Code::Misplaced,
                            format!(
                                "fact `{}` is in {kind} `{}` but has no benign answer",
                                m.name, g.id.name
                            ),
                        )
                        .at(
                            m.span,
                            "an unticked area gives each of its facts its benign answer",
                        )
                        .help("add `benign <value>` to the fact"),
                    );
                    continue;
                }
                owner.insert(fi, &g.id.name);
                members.push(fi);
            }
            Some(ir::Group {
                id: g.id.name.clone(),
                text: g.text.value.clone(),
                facts: members,
            })
        };
        let mut owner = BTreeMap::new();
        let areas_ir: Vec<ir::Group> = areas
            .iter()
            .filter_map(|g| group(self, g, "area", &mut owner))
            .collect();
        let mut owner = BTreeMap::new();
        let checklists_ir: Vec<ir::Group> = checklists
            .iter()
            .filter_map(|g| group(self, g, "checklist", &mut owner))
            .collect();
        let mut triage_ir = None;
        for t in triage {
            if let Some(first) = triage.first().filter(|f| f.id.span != t.id.span) {
                self.diags.push(
                    Diagnostic::error(Code::Duplicate, "a rule set has one `triage` question")
                        .at(t.id.span, "second triage")
                        .at(first.id.span, "first triage"),
                );
                continue;
            }
            let mut offered = Vec::new();
            for a in &t.items {
                match areas_ir.iter().position(|x| x.id == a.name) {
                    Some(k) => {
                        let k = u32::try_from(k).unwrap_or(u32::MAX);
                        if !offered.contains(&k) {
                            offered.push(k);
                        }
                    }
                    None => {
                        let cands = areas_ir.iter().map(|x| x.id.as_str()).collect();
                        self.unknown("area", a, cands);
                    }
                }
            }
            triage_ir = Some((t.text.value.clone(), offered));
        }
        (areas_ir, checklists_ir, triage_ir)
    }

    fn rule(&mut self, r: &'a ast::RuleDecl) -> Option<ir::Rule> {
        let before = self.error_count();
        let Some(when) = &r.when else {
            self.diags.push(
                Diagnostic::error(
                    Code::IncompleteRule,
                    format!("rule `{}` has no `when` condition", r.id.name),
                )
                .at(r.id.span, "this rule"),
            );
            return None;
        };
        if r.effects.is_empty() {
            self.diags.push(
                Diagnostic::error(
                    Code::IncompleteRule,
                    format!("rule `{}` has no `then` effects", r.id.name),
                )
                .at(r.id.span, "this rule"),
            );
        }
        let cond = self.lower_typed(
            when,
            Ctx {
                matrix: None,
                allow_score: false,
            },
            Ty::Bool,
        );
        let mut level = None;
        let mut pathways = Vec::new();
        let mut categories = Vec::new();
        let mut advisory = false;
        for e in &r.effects {
            match e {
                ast::Effect::Advisory => advisory = true,
                ast::Effect::Level { exact, level: l } => {
                    if let Some(rank) = self.level(l) {
                        level = Some((
                            level.map_or(rank, |(r0, _): (u32, bool)| r0.max(rank)),
                            *exact,
                        ));
                    }
                }
                ast::Effect::Pathway(p) => {
                    if let Some(i) = self.pathway(p) {
                        if !pathways.contains(&i) {
                            pathways.push(i);
                        }
                    }
                }
                ast::Effect::Category { matrix, at_least } => {
                    let Some(mi) = self.names.matrices.get(matrix.name.as_str()).copied() else {
                        let cands = self.names.matrices.keys().copied().collect();
                        self.unknown("matrix", matrix, cands);
                        continue;
                    };
                    let cats = self
                        .matrix_cats
                        .get(mi as usize)
                        .cloned()
                        .unwrap_or_default();
                    match cats.iter().position(|c| *c == at_least.name) {
                        Some(ci) => categories.push((mi, u32::try_from(ci).unwrap_or(0))),
                        None => self.unknown(
                            "category",
                            at_least,
                            cats.iter().map(String::as_str).collect(),
                        ),
                    }
                }
            }
        }
        // Stage: what the condition reads decides when the rule runs.
        let mut reads_level = false;
        let mut reads_agg = false;
        let mut reads_cat = false;
        walk(when, &mut |x| match &x.kind {
            ExprKind::Level => reads_level = true,
            ExprKind::Indicators(_) | ExprKind::Domains(_) => reads_agg = true,
            ExprKind::Name(n)
                if self.names.matrices.contains_key(n.name.as_str())
                    && !self.names.facts.contains_key(n.name.as_str()) =>
            {
                reads_cat = true
            }
            _ => {}
        });
        let stage = if reads_level {
            if level.is_some() || !categories.is_empty() {
                self.diags.push(
                    Diagnostic::error(
                        Code::Misplaced,
                        format!(
                            "rule `{}` reads `level`, so it can only add pathways",
                            r.id.name
                        ),
                    )
                    .at(r.id.span, "this rule")
                    .help("a rule that reads the decided level cannot change it"),
                );
            }
            Stage::Post
        } else if reads_agg {
            if r.domain.is_some() {
                self.diags.push(
                    Diagnostic::error(
                        Code::Misplaced,
                        format!(
                            "rule `{}` counts indicators, so it cannot be an indicator itself",
                            r.id.name
                        ),
                    )
                    .at(r.id.span, "remove its `domain`"),
                );
            }
            if !categories.is_empty() {
                self.diags.push(
                    Diagnostic::error(
                        Code::Misplaced,
                        format!(
                            "rule `{}` counts indicators, so it cannot raise a matrix category",
                            r.id.name
                        ),
                    )
                    .at(r.id.span, "this rule"),
                );
            }
            Stage::Aggregate
        } else if !categories.is_empty() {
            if reads_cat {
                self.diags.push(
                    Diagnostic::error(
                        Code::Misplaced,
                        format!(
                            "rule `{}` raises a matrix category, so it cannot read one",
                            r.id.name
                        ),
                    )
                    .at(r.id.span, "this rule")
                    .help("category floors are applied before categories are read"),
                );
            }
            Stage::Floors
        } else {
            Stage::Main
        };
        let domain = r.domain.as_ref().and_then(|d| self.domain(d));
        if r.domain.is_some() && !matches!(level, Some((_, false))) {
            self.diags.push(
                Diagnostic::error(
                    Code::Misplaced,
                    format!(
                        "indicator rule `{}` has a domain but no `level` effect",
                        r.id.name
                    ),
                )
                .at(r.id.span, "an indicator sets a level (at least)"),
            );
        }
        let cite = match &r.cite {
            Some(c) => self.citation(c),
            None => {
                self.diags.push(
                    Diagnostic::warning(
                        Code::MissingCitation,
                        format!("rule `{}` has no citation", r.id.name),
                    )
                    .at(r.id.span, "this rule")
                    .help(
                        "add `cite <guidance> \"section\"` so practitioners can trace the decision",
                    ),
                );
                None
            }
        };
        if r.because.is_none() {
            self.diags.push(
                Diagnostic::warning(
                    Code::MissingReason,
                    format!("rule `{}` has no reason", r.id.name),
                )
                .at(r.id.span, "this rule")
                .help("add `because \"...\"`: the reason a practitioner reads"),
            );
        }
        let cond = cond?;
        if self.error_count() > before {
            return None;
        }
        let facts = &self.facts;
        let linter = self
            .linter
            .get_or_insert_with(|| crate::diagram::Linter::new(facts));
        if let Some(lint) = constant_lint(&cond, linter) {
            self.diags.push(lint.at(when.span, "this condition"));
        }
        if self.error_count() > before {
            return None;
        }
        let mut reads = Vec::new();
        cond.visit_facts(&mut |f| reads.push(f));
        dedup_keep_order(&mut reads);
        let mut reads_categories = Vec::new();
        cond.categories_read(&mut reads_categories);
        Some(ir::Rule {
            id: r.id.name.clone(),
            title: r.title.as_ref().map(|t| t.value.clone()),
            domain,
            cond,
            level,
            pathways,
            categories,
            cite,
            because: r
                .because
                .as_ref()
                .map(|b| b.value.clone())
                .unwrap_or_default(),
            stage,
            reads,
            reads_categories,
            advisory,
        })
    }

    fn error_count(&self) -> usize {
        self.diags
            .iter()
            .filter(|d| d.severity == crate::diag::Severity::Error)
            .count()
    }

    fn test(
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
            let Some(fact) = self.facts.get(fi as usize).cloned() else {
                continue;
            };
            match crate::facts::value_from_ast(&fact, v) {
                Ok(val) => {
                    if let Some(slot) = given.get_mut(fi as usize) {
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
                .and_then(|i| u32::try_from(i + 1).ok())
        };
        let pathway_idx = |id: &ast::Ident| {
            pathways
                .iter()
                .position(|p| p.id == id.name)
                .and_then(|i| u32::try_from(i).ok())
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
                    let Some(mi) = self.names.matrices.get(m.name.as_str()).copied() else {
                        let cands = self.names.matrices.keys().copied().collect();
                        self.unknown("matrix", m, cands);
                        continue;
                    };
                    let cats = self
                        .matrix_cats
                        .get(mi as usize)
                        .cloned()
                        .unwrap_or_default();
                    let Some(ci) = cats.iter().position(|x| *x == c.name) else {
                        self.unknown("category", c, cats.iter().map(String::as_str).collect());
                        continue;
                    };
                    (
                        ir::TestExpect::Category(mi, u32::try_from(ci).unwrap_or(0)),
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

    fn lower_typed(&mut self, e: &ast::Expr, ctx: Ctx<'a>, want: Ty) -> Option<Expr> {
        let (x, ty) = self.lower(e, ctx)?;
        if ty != want && !(want == Ty::Int && ty == Ty::Int) {
            self.diags.push(
                Diagnostic::error(
                    Code::Type,
                    format!(
                        "expected {}, found {}",
                        ty_name(want, self),
                        ty_name(ty, self)
                    ),
                )
                .at(e.span, "this expression"),
            );
            return None;
        }
        Some(x)
    }

    /// Resolves a bare name used as a code of `ty` (an enum fact, a matrix category or a level).
    fn code_of(&mut self, ty: Ty, id: &ast::Ident) -> Option<i64> {
        match ty {
            Ty::Enum(fi) => {
                let fact = self.facts.get(fi as usize)?.clone();
                let ir::FactTy::Enum(codes) = &fact.ty else {
                    return None;
                };
                match codes.iter().position(|c| *c == id.name) {
                    Some(i) => i64::try_from(i).ok(),
                    None => {
                        self.diags.push(
                            Diagnostic::error(
                                Code::UnknownName,
                                format!("`{}` is not a value of `{}`", id.name, fact.id),
                            )
                            .at(id.span, "unknown value")
                            .help_opt(did_you_mean(&id.name, codes.iter().map(String::as_str)))
                            .help_opt(Some(format!(
                                "`{}` is one of: {}",
                                fact.id,
                                codes.join(", ")
                            ))),
                        );
                        None
                    }
                }
            }
            Ty::Category(mi) => {
                let cats = self.matrix_cats.get(mi as usize)?.clone();
                match cats.iter().position(|c| *c == id.name) {
                    Some(i) => i64::try_from(i).ok(),
                    None => {
                        self.unknown("category", id, cats.iter().map(String::as_str).collect());
                        None
                    }
                }
            }
            Ty::Level => self.level(id).map(i64::from),
            _ => None,
        }
    }

    fn is_declared(&self, id: &ast::Ident, ctx: Ctx<'_>) -> bool {
        self.names.facts.contains_key(id.name.as_str())
            || self.names.matrices.contains_key(id.name.as_str())
            || ctx
                .matrix
                .is_some_and(|m| m.tiers.iter().any(|t| t.id.name == id.name))
    }

    fn lower(&mut self, e: &ast::Expr, ctx: Ctx<'a>) -> Option<(Expr, Ty)> {
        match &e.kind {
            ExprKind::Bool(b) => Some((Expr::Bool(*b), Ty::Bool)),
            ExprKind::Int(n) => Some((Expr::Int(*n), Ty::Int)),
            ExprKind::Name(id) => {
                if let Some(&fi) = self.names.facts.get(id.name.as_str()) {
                    let ty = match self.facts.get(fi as usize).map(|f| &f.ty) {
                        Some(ir::FactTy::Bool) => Ty::Bool,
                        Some(ir::FactTy::Int { .. }) => Ty::Int,
                        Some(ir::FactTy::Enum(_)) => Ty::Enum(fi),
                        Some(ir::FactTy::Set(_)) | None => Ty::Set(fi),
                    };
                    return Some((Expr::Fact(fi), ty));
                }
                if let Some(&mi) = self.names.matrices.get(id.name.as_str()) {
                    if ctx.matrix.is_some() {
                        self.diags.push(
                            Diagnostic::error(
                                Code::Misplaced,
                                "a matrix cannot read another matrix's category",
                            )
                            .at(id.span, "here"),
                        );
                        return None;
                    }
                    return Some((Expr::Category(mi), Ty::Category(mi)));
                }
                if ctx
                    .matrix
                    .is_some_and(|m| m.tiers.iter().any(|t| t.id.name == id.name))
                {
                    self.diags.push(
                        Diagnostic::error(
                            Code::Type,
                            format!("tier `{}` is a group of codes, not a value", id.name),
                        )
                        .at(id.span, "here")
                        .help(format!("count its codes with `count({})`", id.name)),
                    );
                    return None;
                }
                let mut cands: Vec<&str> = self.names.facts.keys().copied().collect();
                cands.extend(self.names.matrices.keys().copied());
                self.unknown("fact", id, cands);
                None
            }
            ExprKind::Level => Some((Expr::Level, Ty::Level)),
            ExprKind::Score => {
                if !ctx.allow_score {
                    self.diags.push(
                        Diagnostic::error(Code::Misplaced, "`score` is only available in the bands of a matrix that declares `score = ...`")
                            .at(e.span, "here"),
                    );
                    return None;
                }
                Some((Expr::Score, Ty::Int))
            }
            ExprKind::Not(x) => Some((
                Expr::Not(Box::new(self.lower_typed(x, ctx, Ty::Bool)?)),
                Ty::Bool,
            )),
            ExprKind::Neg(x) => Some((
                Expr::Neg(Box::new(self.lower_typed(x, ctx, Ty::Int)?)),
                Ty::Int,
            )),
            ExprKind::Binary(op, a, b) => self.binary(*op, a, b, e.span, ctx),
            ExprKind::In(x, codes) => {
                let (lx, ty) = self.lower(x, ctx)?;
                match ty {
                    Ty::Enum(fi) => {
                        let fact = self.facts.get(fi as usize)?.clone();
                        let ir::FactTy::Enum(all) = &fact.ty else {
                            return None;
                        };
                        let mask = mask_of(all, codes, &fact.id, &mut self.diags);
                        Some((Expr::EnumIn(fi, mask), Ty::Bool))
                    }
                    Ty::Category(_) | Ty::Level => {
                        let mut alts = Vec::new();
                        for c in codes {
                            let v = self.code_of(ty, c)?;
                            alts.push(Expr::Cmp(
                                Cmp::Eq,
                                Box::new(lx.clone()),
                                Box::new(Expr::Int(v)),
                            ));
                        }
                        Some((Expr::Or(alts), Ty::Bool))
                    }
                    _ => {
                        self.diags.push(
                            Diagnostic::error(
                                Code::Type,
                                format!(
                                    "`in` needs an enum, a matrix or `level`, found {}",
                                    ty_name(ty, self)
                                ),
                            )
                            .at(x.span, "this operand")
                            .help("for a set fact, use `has any { ... }`"),
                        );
                        None
                    }
                }
            }
            ExprKind::Has(x, mode, codes) => {
                let (_, ty) = self.lower(x, ctx)?;
                let Ty::Set(fi) = ty else {
                    self.diags.push(
                        Diagnostic::error(
                            Code::Type,
                            format!("`has` needs a set fact, found {}", ty_name(ty, self)),
                        )
                        .at(x.span, "this operand")
                        .help("for an enum fact, use `==` or `in { ... }`"),
                    );
                    return None;
                };
                let fact = self.facts.get(fi as usize)?.clone();
                let ir::FactTy::Set(all) = &fact.ty else {
                    return None;
                };
                let mask = mask_of(all, codes, &fact.id, &mut self.diags);
                let mode = if *mode == HasMode::All {
                    SetMode::All
                } else {
                    SetMode::Any
                };
                Some((Expr::Has(fi, mask, mode), Ty::Bool))
            }
            ExprKind::Count(id, codes) => {
                if let Some(m) = ctx.matrix {
                    if let Some(t) = m.tiers.iter().find(|t| t.id.name == id.name) {
                        if codes.is_some() {
                            self.diags.push(
                                Diagnostic::error(Code::Type, "`count(tier)` takes no code list")
                                    .at(e.span, "here"),
                            );
                            return None;
                        }
                        let (fi, mask) = self.tier_source(m, t)?;
                        return Some((Expr::Count(fi, mask), Ty::Int));
                    }
                }
                let Some(fi) = self.names.facts.get(id.name.as_str()).copied() else {
                    let mut cands: Vec<&str> = self.names.facts.keys().copied().collect();
                    if let Some(m) = ctx.matrix {
                        cands.extend(m.tiers.iter().map(|t| t.id.name.as_str()));
                    }
                    self.unknown("set fact or tier", id, cands);
                    return None;
                };
                let fact = self.facts.get(fi as usize)?.clone();
                let ir::FactTy::Set(all) = &fact.ty else {
                    self.diags.push(
                        Diagnostic::error(
                            Code::Type,
                            format!("`count` needs a set fact; `{}` is not a set", id.name),
                        )
                        .at(id.span, "here"),
                    );
                    return None;
                };
                let mask = match codes {
                    Some(c) => mask_of(all, c, &fact.id, &mut self.diags),
                    None => full_mask(all.len()),
                };
                Some((Expr::Count(fi, mask), Ty::Int))
            }
            ExprKind::Indicators(l) | ExprKind::Domains(l) => {
                if ctx.matrix.is_some() {
                    self.diags.push(
                        Diagnostic::error(Code::Misplaced, "a matrix cannot count indicators")
                            .at(e.span, "here"),
                    );
                    return None;
                }
                let rank = self.level(l)?;
                let x = if matches!(e.kind, ExprKind::Indicators(_)) {
                    Expr::Indicators(rank)
                } else {
                    Expr::Domains(rank)
                };
                Some((x, Ty::Int))
            }
        }
    }

    fn binary(
        &mut self,
        op: BinOp,
        a: &ast::Expr,
        b: &ast::Expr,
        span: Span,
        ctx: Ctx<'a>,
    ) -> Option<(Expr, Ty)> {
        match op {
            BinOp::And | BinOp::Or => {
                let la = self.lower_typed(a, ctx, Ty::Bool);
                let lb = self.lower_typed(b, ctx, Ty::Bool);
                let (la, lb) = (la?, lb?);
                let mut parts = Vec::new();
                for x in [la, lb] {
                    match (op, x) {
                        (BinOp::And, Expr::And(v)) | (BinOp::Or, Expr::Or(v)) => parts.extend(v),
                        (_, x) => parts.push(x),
                    }
                }
                Some((
                    if op == BinOp::And {
                        Expr::And(parts)
                    } else {
                        Expr::Or(parts)
                    },
                    Ty::Bool,
                ))
            }
            BinOp::Add | BinOp::Sub | BinOp::Mul => {
                let la = self.lower_typed(a, ctx, Ty::Int);
                let lb = self.lower_typed(b, ctx, Ty::Int);
                let (la, lb) = (la?, lb?);
                if op == BinOp::Mul && !is_const(&la) && !is_const(&lb) {
                    self.diags.push(
                        Diagnostic::error(Code::Nonlinear, "one side of `*` must be a constant")
                            .at(span, "both sides depend on facts")
                            .help("weights are constants: write `5 * count(high)`"),
                    );
                    return None;
                }
                let (la, lb) = (Box::new(la), Box::new(lb));
                Some((
                    match op {
                        BinOp::Add => Expr::Add(la, lb),
                        BinOp::Sub => Expr::Sub(la, lb),
                        _ => Expr::Mul(la, lb),
                    },
                    Ty::Int,
                ))
            }
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                for side in [a, b] {
                    if let ExprKind::Binary(inner, ..) = &side.kind {
                        if inner.precedence() == op.precedence() {
                            self.diags.push(
                                Diagnostic::error(Code::Type, "comparisons cannot be chained")
                                    .at(side.span, "this is already a comparison")
                                    .help("join the comparisons with `and`"),
                            );
                            return None;
                        }
                    }
                }
                let cmp = match op {
                    BinOp::Eq => Cmp::Eq,
                    BinOp::Ne => Cmp::Ne,
                    BinOp::Lt => Cmp::Lt,
                    BinOp::Le => Cmp::Le,
                    BinOp::Gt => Cmp::Gt,
                    _ => Cmp::Ge,
                };
                // A bare undeclared name on one side is a code of the other side's type.
                let bare = |x: &ast::Expr| match &x.kind {
                    ExprKind::Name(id) if !self.is_declared(id, ctx) => Some(id.clone()),
                    _ => None,
                };
                let (ba, bb) = (bare(a), bare(b));
                if let (Some(code), None) | (None, Some(code)) = (&ba, &bb) {
                    let (other, code_first) = if ba.is_some() { (b, true) } else { (a, false) };
                    let (lo, ty) = self.lower(other, ctx)?;
                    return self.code_compare(cmp, lo, ty, code, code_first, span);
                }
                let (la, ta) = self.lower(a, ctx)?;
                let (lb, tb) = self.lower(b, ctx)?;
                let ordered = !matches!(cmp, Cmp::Eq | Cmp::Ne);
                let ok = match (ta, tb) {
                    (Ty::Int, Ty::Int) => true,
                    (Ty::Bool, Ty::Bool) => !ordered,
                    (Ty::Level, Ty::Level) => true,
                    (Ty::Category(x), Ty::Category(y)) => x == y,
                    (Ty::Enum(x), Ty::Enum(y)) => x == y && !ordered,
                    _ => false,
                };
                if !ok {
                    self.diags.push(
                        Diagnostic::error(
                            Code::Type,
                            format!(
                                "cannot compare {} with {} using `{}`",
                                ty_name(ta, self),
                                ty_name(tb, self),
                                op.as_str()
                            ),
                        )
                        .at(span, "this comparison"),
                    );
                    return None;
                }
                self.range_lint(&la, &lb, cmp, a.span.to(b.span));
                Some((Expr::Cmp(cmp, Box::new(la), Box::new(lb)), Ty::Bool))
            }
        }
    }

    fn code_compare(
        &mut self,
        cmp: Cmp,
        other: Expr,
        ty: Ty,
        code: &ast::Ident,
        code_first: bool,
        span: Span,
    ) -> Option<(Expr, Ty)> {
        match ty {
            Ty::Enum(fi) => {
                if !matches!(cmp, Cmp::Eq | Cmp::Ne) {
                    self.diags.push(
                        Diagnostic::error(
                            Code::Type,
                            "enum values are not ordered: use `==`, `!=` or `in { ... }`",
                        )
                        .at(span, "this comparison"),
                    );
                    return None;
                }
                let v = self.code_of(ty, code)?;
                let x = Expr::EnumIn(fi, 1u64 << (v as u32).min(63));
                Some((
                    if cmp == Cmp::Ne {
                        Expr::Not(Box::new(x))
                    } else {
                        x
                    },
                    Ty::Bool,
                ))
            }
            Ty::Category(_) | Ty::Level => {
                let v = Expr::Int(self.code_of(ty, code)?);
                let (l, r) = if code_first { (v, other) } else { (other, v) };
                Some((Expr::Cmp(cmp, Box::new(l), Box::new(r)), Ty::Bool))
            }
            _ => {
                let mut cands: Vec<&str> = self.names.facts.keys().copied().collect();
                cands.extend(self.names.matrices.keys().copied());
                self.unknown("fact", code, cands);
                None
            }
        }
    }

    fn range_lint(&mut self, a: &Expr, b: &Expr, _cmp: Cmp, span: Span) {
        for (x, y) in [(a, b), (b, a)] {
            if let (Expr::Fact(fi), Expr::Int(n)) = (x, y) {
                if let Some(ir::Fact {
                    id,
                    ty: ir::FactTy::Int { lo, hi },
                    ..
                }) = self.facts.get(*fi as usize)
                {
                    if n < lo || n > hi {
                        self.diags.push(
                            Diagnostic::error(
                                Code::OutOfRange,
                                format!("{n} is outside the range of `{id}` ({lo}..{hi})"),
                            )
                            .at(span, "this comparison")
                            .help(format!("`{id}` is declared as `int {lo}..{hi}`")),
                        );
                    }
                }
            }
        }
    }
}

/// Checks tests parsed after loading, against the compiled program's names.
pub(crate) fn check_tests(
    program: &ir::Program,
    tests: &[ast::TestDecl],
    sources: &crate::diag::Sources,
    file_names: &[String],
) -> (Vec<ir::Test>, Vec<Diagnostic>) {
    let index = |i: usize| u32::try_from(i).unwrap_or(u32::MAX);
    let mut ck = Checker {
        diags: Vec::new(),
        names: Names {
            facts: program
                .facts
                .iter()
                .enumerate()
                .map(|(i, f)| (f.id.as_str(), index(i)))
                .collect(),
            levels: program
                .levels
                .iter()
                .enumerate()
                .map(|(i, l)| (l.id.as_str(), index(i + 1)))
                .collect(),
            pathways: program
                .pathways
                .iter()
                .enumerate()
                .map(|(i, p)| (p.id.as_str(), index(i)))
                .collect(),
            matrices: program
                .matrices
                .iter()
                .enumerate()
                .map(|(i, m)| (m.id.as_str(), index(i)))
                .collect(),
            guidance: BTreeMap::new(),
            domains: BTreeMap::new(),
        },
        facts: program.facts.clone(),
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

fn full_mask(n: usize) -> u64 {
    if n >= 64 {
        u64::MAX
    } else {
        (1u64 << n) - 1
    }
}

fn is_const(e: &Expr) -> bool {
    match e {
        Expr::Int(_) => true,
        Expr::Neg(x) => is_const(x),
        Expr::Add(a, b) | Expr::Sub(a, b) | Expr::Mul(a, b) => is_const(a) && is_const(b),
        _ => false,
    }
}

fn ty_name(ty: Ty, ck: &Checker<'_>) -> String {
    match ty {
        Ty::Bool => "a yes/no value".into(),
        Ty::Int => "a number".into(),
        Ty::Enum(f) => format!(
            "enum `{}`",
            ck.facts.get(f as usize).map_or("?", |f| f.id.as_str())
        ),
        Ty::Set(f) => format!(
            "set `{}`",
            ck.facts.get(f as usize).map_or("?", |f| f.id.as_str())
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

fn dedup_keep_order(v: &mut Vec<u32>) {
    let mut seen = BTreeSet::new();
    v.retain(|x| seen.insert(*x));
}

/// Flags conditions that can never hold, or always hold, over every possible fact value.
fn constant_lint(cond: &Expr, linter: &mut crate::diagram::Linter) -> Option<Diagnostic> {
    match linter.constant_value(cond) {
        Some(false) => Some(
            Diagnostic::error(Code::Unsatisfiable, "this condition can never hold")
                .help("no combination of facts makes it true, so the rule never fires"),
        ),
        Some(true) => Some(
            Diagnostic::warning(Code::AlwaysTrue, "this condition always holds")
                .help("the rule fires for every referral, whatever the facts"),
        ),
        None => None,
    }
}
