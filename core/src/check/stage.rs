//! Rules: a rule's condition and effects, and the stage it runs in.

use crate::ast::{self, ExprKind};
use crate::diag::{Code, Diagnostic};
use crate::ir::{self, Stage};

use super::lint::constant_lint;
use super::{dedup_keep_order, walk, Checker, Ctx, Ty};

impl<'a> Checker<'a> {
    pub(super) fn rule(&mut self, r: &'a ast::RuleDecl) -> Option<ir::Rule> {
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
                            level.map_or(rank, |(r0, _): (ir::LevelRank, bool)| r0.max(rank)),
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
                    if let Some(floor) = self.category(matrix, at_least) {
                        categories.push(floor);
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
}
