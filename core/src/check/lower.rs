//! Conditions and expressions, type-checked and lowered straight to IR: facts become slots,
//! codes bit masks, levels ranks.

use crate::ast::{self, BinOp, ExprKind, HasMode};
use crate::diag::{Code, Diagnostic, Span};
use crate::ir::{self, Cmp, Expr, SetMode};

use super::{did_you_mean, full_mask, ty_name, Checker, Ctx, Ty};

pub(super) fn mask_of(
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
    pub(super) fn lower_typed(&mut self, e: &ast::Expr, ctx: Ctx<'a>, want: Ty) -> Option<Expr> {
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
    pub(super) fn code_of(&mut self, ty: Ty, id: &ast::Ident) -> Option<i64> {
        match ty {
            Ty::Enum(fi) => {
                let fact = self.facts.get(fi.index())?.clone();
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
                let cats = self.matrix_cats.get(mi.index())?.clone();
                match cats.iter().position(|c| *c == id.name) {
                    Some(i) => i64::try_from(i).ok(),
                    None => {
                        self.unknown("category", id, cats.iter().map(String::as_str).collect());
                        None
                    }
                }
            }
            Ty::Level => self.level(id).map(|r| i64::from(r.0)),
            _ => None,
        }
    }

    pub(super) fn is_declared(&self, id: &ast::Ident, ctx: Ctx<'_>) -> bool {
        self.names.facts.contains_key(id.name.as_str())
            || self.names.matrices.contains_key(id.name.as_str())
            || ctx
                .matrix
                .is_some_and(|m| m.tiers.iter().any(|t| t.id.name == id.name))
    }

    pub(super) fn lower(&mut self, e: &ast::Expr, ctx: Ctx<'a>) -> Option<(Expr, Ty)> {
        match &e.kind {
            ExprKind::Bool(b) => Some((Expr::Bool(*b), Ty::Bool)),
            ExprKind::Int(n) => Some((Expr::Int(*n), Ty::Int)),
            ExprKind::Name(id) => {
                if let Some(&fi) = self.names.facts.get(id.name.as_str()) {
                    let ty = match self.facts.get(fi.index()).map(|f| &f.ty) {
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
                        let fact = self.facts.get(fi.index())?.clone();
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
                let fact = self.facts.get(fi.index())?.clone();
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
                let fact = self.facts.get(fi.index())?.clone();
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

    pub(super) fn binary(
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

    pub(super) fn code_compare(
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
}

pub(super) fn is_const(e: &Expr) -> bool {
    match e {
        Expr::Int(_) => true,
        Expr::Neg(x) => is_const(x),
        Expr::Add(a, b) | Expr::Sub(a, b) | Expr::Mul(a, b) => is_const(a) && is_const(b),
        _ => false,
    }
}
