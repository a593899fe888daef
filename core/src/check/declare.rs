//! Declarations: levels, pathways, domains, guidance, matrices and facts, with how and when each
//! fact is asked (`benign`, `asked when`, `question when`, areas, checklists, triage).

use std::collections::BTreeMap;

use crate::ast::{self, ExprKind};
use crate::diag::{Code, Diagnostic, Span};
use crate::ir::{self, Expr};

use super::lower::mask_of;
use super::{dedup_keep_order, did_you_mean, duplicate, walk, Checker, Ctx, Ty};
use crate::limits::Limits;

impl<'a> Checker<'a> {
    /// Each fact's type, question and domain, in declaration order (its index is its slot).
    pub(super) fn facts(&mut self, fact_decls: &[&'a ast::FactDecl], limits: &Limits) {
        for f in fact_decls {
            let ty = match &f.ty {
                ast::FactType::Bool => ir::FactTy::Bool,
                ast::FactType::Int { lo, hi, span } => {
                    if lo > hi {
                        self.diags.push(
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
                            self.diags.push(duplicate("code", c, *first));
                        } else {
                            seen.insert(&c.name, c.span);
                        }
                    }
                    if codes.is_empty() {
                        self.diags.push(
                            Diagnostic::error(
                                Code::EmptyType,
                                format!("{kind} `{}` has no codes", f.id.name),
                            )
                            .at(f.id.span, "here"),
                        );
                    }
                    if codes.len() > limits.max_set_codes {
                        self.diags.push(
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
                self.diags.push(
                    Diagnostic::warning(
                        Code::MissingQuestion,
                        format!("fact `{}` has no question", f.id.name),
                    )
                    .at(f.id.span, "declared here")
                    .help("add `question \"...\"`: the referral checker builds its form from it"),
                );
            }
            let domain = f.domain.as_ref().map(|d| {
                self.domain(d);
                d.name.clone()
            });
            self.names
                .facts
                .insert(&f.id.name, ir::FactId::from_usize(self.facts.len()));
            self.facts.push(ir::Fact {
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
    }

    /// Whether a name may have been declared by an item a syntax error left out.
    pub(super) fn maybe_skipped(&self, kind: &str, name: &str) -> bool {
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

    pub(super) fn unknown(&mut self, kind: &str, id: &ast::Ident, candidates: Vec<&str>) {
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

    pub(super) fn pathway(&mut self, id: &ast::Ident) -> Option<ir::PathwayId> {
        let found = self.names.pathways.get(id.name.as_str()).copied();
        if found.is_none() {
            let cands = self.names.pathways.keys().copied().collect();
            self.unknown("pathway", id, cands);
        }
        found
    }

    /// A matrix and one of its categories, by name (`cse at least medium`, `expect cse medium`).
    pub(super) fn category(
        &mut self,
        matrix: &ast::Ident,
        category: &ast::Ident,
    ) -> Option<(ir::MatrixId, u32)> {
        let Some(mi) = self.names.matrices.get(matrix.name.as_str()).copied() else {
            let cands = self.names.matrices.keys().copied().collect();
            self.unknown("matrix", matrix, cands);
            return None;
        };
        let cats = self
            .matrix_cats
            .get(mi.index())
            .cloned()
            .unwrap_or_default();
        match cats.iter().position(|c| *c == category.name) {
            Some(ci) => Some((mi, u32::try_from(ci).ok()?)),
            None => {
                let cands = cats.iter().map(String::as_str).collect();
                self.unknown("category", category, cands);
                None
            }
        }
    }

    pub(super) fn level(&mut self, id: &ast::Ident) -> Option<ir::LevelRank> {
        let found = self.names.levels.get(id.name.as_str()).copied();
        if found.is_none() {
            let cands = self.names.levels.keys().copied().collect();
            self.unknown("level", id, cands);
        }
        found
    }

    pub(super) fn domain(&mut self, id: &ast::Ident) -> Option<u32> {
        let found = self.names.domains.get(id.name.as_str()).copied();
        if found.is_none() {
            let cands = self.names.domains.keys().copied().collect();
            self.unknown("domain", id, cands);
        }
        found
    }

    pub(super) fn citation(&mut self, c: &ast::Citation) -> Option<ir::Citation> {
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

    pub(super) fn matrix(&mut self, m: &'a ast::MatrixDecl) -> ir::Matrix {
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
        let mut tiers: Vec<(ir::FactId, u64)> = Vec::new();
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
    pub(super) fn tier_source(
        &mut self,
        m: &ast::MatrixDecl,
        t: &ast::Tier,
    ) -> Option<(ir::FactId, u64)> {
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
        let Some(ir::FactTy::Set(codes)) = self.facts.get(fi.index()).map(|f| f.ty.clone()) else {
            self.diags.push(
                Diagnostic::error(Code::Type, format!("`{}` is not a set fact", from.name))
                    .at(from.span, "tiers count the codes of a set fact"),
            );
            return None;
        };
        let mask = mask_of(&codes, &t.codes, &from.name, &mut self.diags);
        Some((fi, mask))
    }

    pub(super) fn fact_idx(&mut self, id: &ast::Ident) -> Option<ir::FactId> {
        let found = self.names.facts.get(id.name.as_str()).copied();
        if found.is_none() {
            let cands = self.names.facts.keys().copied().collect();
            self.unknown("fact", id, cands);
        }
        found
    }

    pub(super) fn no_stage_reads(&mut self, e: &ast::Expr, place: &str) {
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
    pub(super) fn asking_cond(&mut self, e: &'a ast::Expr, place: &str) -> Option<Expr> {
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
    pub(super) fn fact_value(&mut self, fi: usize, v: &ast::Value, attr: &str) -> Option<i64> {
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
    pub(super) fn fact_asking(&mut self, fi: usize, f: &'a ast::FactDecl) {
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
    pub(super) fn asked_order(&mut self, decls: &[&ast::FactDecl]) -> Vec<ir::FactId> {
        let n = self.facts.len();
        let deps: Vec<Vec<usize>> = self
            .facts
            .iter()
            .map(|f| {
                let mut d = Vec::new();
                if let Some((c, _)) = &f.asked {
                    c.visit_facts(&mut |x| d.push(x.index()));
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
                    order.push(ir::FactId::from_usize(f));
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
    pub(super) fn question_groups(
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
                         owner: &mut BTreeMap<ir::FactId, &'a str>| {
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
                let Some(f) = ck.facts.get(fi.index()) else {
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
}
