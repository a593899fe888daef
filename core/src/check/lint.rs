//! Lints: comparisons outside a fact's range, and conditions that are constant over every
//! possible fact value.

use crate::diag::{Code, Diagnostic, Span};
use crate::ir::{self, Cmp, Expr};

use super::Checker;

impl Checker<'_> {
    pub(super) fn range_lint(&mut self, a: &Expr, b: &Expr, _cmp: Cmp, span: Span) {
        for (x, y) in [(a, b), (b, a)] {
            if let (Expr::Fact(fi), Expr::Int(n)) = (x, y) {
                if let Some(ir::Fact {
                    id,
                    ty: ir::FactTy::Int { lo, hi },
                    ..
                }) = self.facts.get(fi.index())
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

/// Flags conditions that can never hold, or always hold, over every possible fact value.
pub(super) fn constant_lint(
    cond: &Expr,
    linter: &mut crate::diagram::Linter,
) -> Option<Diagnostic> {
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
