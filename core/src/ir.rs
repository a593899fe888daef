//! The compact, checked form that `eval` runs: facts are slots, codes are bit masks,
//! levels are ranks and pathways are urgency indexes. Nothing here is looked up by name.
//!
//! Every index is typed ([`FactId`], [`PathwayId`], [`MatrixId`], [`LevelRank`]) and a
//! program's tables are [`Table`]s looked up by their own id only (`Table::of`). The checker issues the ids and
//! [`Program::validate`] proves, once per program, that every id it holds is in range; an
//! inconsistent program is `thr::internal`, never a decision. Indexing a table by its id is
//! therefore total, and no lookup in the semantics falls back to a plausible default.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use crate::diag::{Code, Diagnostic};
use crate::wire::{wire_struct, wire_units, Reader, Wire, WireError, Writer};

/// A typed index into a [`Table`] of `T`.
pub(crate) struct Id<T> {
    raw: u32,
    of: PhantomData<fn() -> T>,
}

impl<T> Id<T> {
    pub(crate) const fn new(raw: u32) -> Self {
        Id {
            raw,
            of: PhantomData,
        }
    }

    /// The id of position `i`; positions beyond `u32` are refused by the checker's limits.
    pub(crate) fn from_usize(i: usize) -> Self {
        Id::new(u32::try_from(i).unwrap_or(u32::MAX))
    }

    pub(crate) const fn raw(self) -> u32 {
        self.raw
    }

    pub(crate) const fn index(self) -> usize {
        self.raw as usize
    }
}

impl<T> Clone for Id<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Id<T> {}
impl<T> PartialEq for Id<T> {
    fn eq(&self, other: &Self) -> bool {
        self.raw == other.raw
    }
}
impl<T> Eq for Id<T> {}
impl<T> PartialOrd for Id<T> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl<T> Ord for Id<T> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.raw.cmp(&other.raw)
    }
}
impl<T> std::hash::Hash for Id<T> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.raw.hash(state);
    }
}
impl<T> Wire for Id<T> {
    fn put(&self, w: &mut Writer) {
        self.raw.put(w);
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, WireError> {
        u32::get(r).map(Id::new)
    }
}
impl<T> fmt::Debug for Id<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.raw)
    }
}

/// A declared fact's slot.
pub(crate) type FactId = Id<Fact>;
/// A pathway, by urgency (0 is the most urgent).
pub(crate) type PathwayId = Id<Pathway>;
/// An exploitation (or other) matrix.
pub(crate) type MatrixId = Id<Matrix>;

/// A level's rank: 1 is the lowest declared level, `levels.len()` the highest. Rank 0 is
/// "below every level", what a rule set without levels decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub(crate) struct LevelRank(pub(crate) u32);

impl Wire for LevelRank {
    fn put(&self, w: &mut Writer) {
        self.0.put(w);
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, WireError> {
        u32::get(r).map(LevelRank)
    }
}

impl LevelRank {
    /// The rank as a position in a table indexed by rank (0: below every level).
    pub(crate) const fn index(self) -> usize {
        self.0 as usize
    }

    /// The level's position in `Program::levels`; `None` for rank 0.
    pub(crate) fn slot(self) -> Option<usize> {
        (self.0 as usize).checked_sub(1)
    }

    /// The rank of `Program::levels[i]`.
    pub(crate) fn of_slot(i: usize) -> LevelRank {
        LevelRank(u32::try_from(i + 1).unwrap_or(u32::MAX))
    }
}

impl From<LevelRank> for i64 {
    fn from(r: LevelRank) -> i64 {
        i64::from(r.0)
    }
}

/// A vector indexed by its own typed id. Indexing is total for ids the program validated.
#[derive(Debug, Clone)]
pub(crate) struct Table<T>(Vec<T>);

impl<T: Wire> Wire for Table<T> {
    fn put(&self, w: &mut Writer) {
        self.0.put(w);
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, WireError> {
        Vec::get(r).map(Table)
    }
}

impl<T> Table<T> {
    pub(crate) fn new(items: Vec<T>) -> Self {
        Table(items)
    }

    /// Each id with its item, in order.
    pub(crate) fn enumerate(&self) -> impl ExactSizeIterator<Item = (Id<T>, &T)> + '_ {
        self.0
            .iter()
            .enumerate()
            .map(|(i, x)| (Id::from_usize(i), x))
    }

    pub(crate) fn contains(&self, id: Id<T>) -> bool {
        id.index() < self.0.len()
    }
}

impl<T> Default for Table<T> {
    fn default() -> Self {
        Table(Vec::new())
    }
}

impl<T> std::ops::Deref for Table<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.0
    }
}

impl<T> std::ops::DerefMut for Table<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        &mut self.0
    }
}

impl<'a, T> IntoIterator for &'a Table<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl<'a, T> IntoIterator for &'a mut Table<T> {
    type Item = &'a mut T;
    type IntoIter = std::slice::IterMut<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter_mut()
    }
}

impl<T> Table<T> {
    /// The entry of `id`. Total for the ids of a validated program.
    #[allow(
        clippy::indexing_slicing,
        reason = "ids are issued by the checker and proven in range by Program::validate before \
                  any query runs; an out-of-range id is a bug that a test must catch"
    )]
    pub(crate) fn of(&self, id: Id<T>) -> &T {
        &self.0[id.index()]
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FactTy {
    Bool,
    Int { lo: i64, hi: i64 },
    Enum(Vec<String>),
    Set(Vec<String>),
}

#[derive(Debug, Clone)]
pub(crate) struct Fact {
    pub(crate) id: String,
    pub(crate) ty: FactTy,
    pub(crate) question: String,
    pub(crate) help: Option<String>,
    pub(crate) domain: Option<String>,
    /// The answer that raises no concern (what "none of these" and an unticked area mean).
    /// Bool facts default to `false` and set facts to the empty set.
    pub(crate) benign: Option<i64>,
    /// `asked when cond otherwise value`: where the condition certainly does not hold, the
    /// unknown fact takes the value.
    pub(crate) asked: Option<(Expr, i64)>,
    /// `question when cond "..."`: the question put differently while the condition holds.
    pub(crate) questions_when: Vec<(Expr, String)>,
}

#[derive(Debug, Clone)]
pub(crate) struct Level {
    pub(crate) id: String,
    pub(crate) label: String,
    pub(crate) default_pathways: Vec<PathwayId>,
}

#[derive(Debug, Clone)]
pub(crate) struct Pathway {
    pub(crate) id: String,
    pub(crate) label: String,
    pub(crate) todo: String,
}

#[derive(Debug, Clone)]
pub(crate) struct Citation {
    pub(crate) guidance: String,
    pub(crate) text: String,
}

#[derive(Debug, Clone)]
pub(crate) struct Matrix {
    pub(crate) id: String,
    pub(crate) label: String,
    pub(crate) categories: Vec<String>,
    /// (category index, condition): the matrix is at least that category when the condition holds.
    pub(crate) bands: Vec<(u32, Expr)>,
    pub(crate) score: Option<Expr>,
    pub(crate) cite: Option<Citation>,
    pub(crate) reads: Vec<FactId>,
    /// The indicators its tiers name: per set fact, a mask of codes.
    pub(crate) tiers: Vec<(FactId, u64)>,
}

/// When a rule runs, relative to the values it reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Stage {
    /// Raises a matrix category; reads facts only.
    Floors,
    /// Reads facts and matrix categories.
    Main,
    /// Reads `indicators(...)` / `domains(...)`.
    Aggregate,
    /// Reads the decided level; adds pathways only.
    Post,
}

#[derive(Debug, Clone)]
pub(crate) struct Rule {
    pub(crate) id: String,
    pub(crate) title: Option<String>,
    /// Domain index, for indicator rules.
    pub(crate) domain: Option<u32>,
    pub(crate) cond: Expr,
    /// Level rank (1-based) and whether it is exact.
    pub(crate) level: Option<(LevelRank, bool)>,
    pub(crate) pathways: Vec<PathwayId>,
    /// (matrix, category) floors.
    pub(crate) categories: Vec<(MatrixId, u32)>,
    /// Marks the decided level as advice only.
    pub(crate) advisory: bool,
    pub(crate) cite: Option<Citation>,
    pub(crate) because: String,
    pub(crate) stage: Stage,
    pub(crate) reads: Vec<FactId>,
    /// Matrices whose category the condition reads.
    pub(crate) reads_categories: Vec<MatrixId>,
}

impl Rule {
    /// An indicator counts towards `indicators(level)`: it has a domain and sets that level.
    pub(crate) fn indicator_rank(&self) -> Option<(LevelRank, u32)> {
        match (self.domain, self.level) {
            (Some(d), Some((rank, false))) => Some((rank, d)),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Cmp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Cmp {
    pub(crate) fn holds(self, a: i64, b: i64) -> bool {
        match self {
            Cmp::Eq => a == b,
            Cmp::Ne => a != b,
            Cmp::Lt => a < b,
            Cmp::Le => a <= b,
            Cmp::Gt => a > b,
            Cmp::Ge => a >= b,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SetMode {
    Any,
    All,
}

/// A typed expression. Boolean and integer expressions share one tree; the checker
/// guarantees each node is used at its own type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Expr {
    Bool(bool),
    Int(i64),
    /// A bool (0/1) or int fact.
    Fact(FactId),
    Not(Box<Expr>),
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Cmp(Cmp, Box<Expr>, Box<Expr>),
    /// The enum fact's value is one of the codes in the mask.
    EnumIn(FactId, u64),
    /// The set fact has any / all of the codes in the mask.
    Has(FactId, u64, SetMode),
    /// How many codes of the mask the set fact has.
    Count(FactId, u64),
    Add(Box<Expr>, Box<Expr>),
    Sub(Box<Expr>, Box<Expr>),
    Mul(Box<Expr>, Box<Expr>),
    Neg(Box<Expr>),
    /// A matrix's category index.
    Category(MatrixId),
    /// The decided level's rank.
    Level,
    /// The enclosing matrix's score.
    Score,
    /// Fired indicator rules of this rank.
    Indicators(LevelRank),
    /// Distinct domains of fired indicator rules of this rank.
    Domains(LevelRank),
}

/// The deepest expression a precompiled rule set may hold (`Expr`'s stored form refuses
/// deeper ones both ways, so a hostile image cannot build a tree that overflows the stack).
pub(crate) const MAX_EXPR_DEPTH: usize = 256;

/// One step of an expression in post-order: operands first, then the operator that takes them.
/// An expression is stored as these steps, so reading one back needs no recursion.
enum Step {
    Bool(bool),
    Int(i64),
    Fact(FactId),
    Not,
    And(u32),
    Or(u32),
    Cmp(Cmp),
    EnumIn(FactId, u64),
    Has(FactId, u64, SetMode),
    Count(FactId, u64),
    Add,
    Sub,
    Mul,
    Neg,
    Category(MatrixId),
    Level,
    Score,
    Indicators(LevelRank),
    Domains(LevelRank),
}

impl Expr {
    /// Appends the expression's steps in post-order; `None` past `MAX_EXPR_DEPTH`.
    fn steps(&self, depth: usize, out: &mut Vec<Step>) -> Option<()> {
        if depth >= MAX_EXPR_DEPTH {
            return None;
        }
        let d = depth + 1;
        let step = match self {
            Expr::Bool(b) => Step::Bool(*b),
            Expr::Int(i) => Step::Int(*i),
            Expr::Fact(f) => Step::Fact(*f),
            Expr::Not(e) => {
                e.steps(d, out)?;
                Step::Not
            }
            Expr::Neg(e) => {
                e.steps(d, out)?;
                Step::Neg
            }
            Expr::And(v) | Expr::Or(v) => {
                for e in v {
                    e.steps(d, out)?;
                }
                let n = u32::try_from(v.len()).ok()?;
                if matches!(self, Expr::And(_)) {
                    Step::And(n)
                } else {
                    Step::Or(n)
                }
            }
            Expr::Cmp(_, a, b) | Expr::Add(a, b) | Expr::Sub(a, b) | Expr::Mul(a, b) => {
                a.steps(d, out)?;
                b.steps(d, out)?;
                match self {
                    Expr::Cmp(c, _, _) => Step::Cmp(*c),
                    Expr::Add(..) => Step::Add,
                    Expr::Sub(..) => Step::Sub,
                    _ => Step::Mul,
                }
            }
            Expr::EnumIn(f, m) => Step::EnumIn(*f, *m),
            Expr::Has(f, m, mode) => Step::Has(*f, *m, *mode),
            Expr::Count(f, m) => Step::Count(*f, *m),
            Expr::Category(m) => Step::Category(*m),
            Expr::Level => Step::Level,
            Expr::Score => Step::Score,
            Expr::Indicators(r) => Step::Indicators(*r),
            Expr::Domains(r) => Step::Domains(*r),
        };
        out.push(step);
        Some(())
    }

    /// The expression the steps spell, or why they spell none: a step short of operands, more
    /// than one expression left, or one deeper than `MAX_EXPR_DEPTH`.
    fn from_steps(steps: Vec<Step>) -> Result<Expr, &'static str> {
        // Each entry: an expression and its depth.
        let mut stack: Vec<(Expr, usize)> = Vec::new();
        let pop = |stack: &mut Vec<(Expr, usize)>, n: usize| {
            let at = stack
                .len()
                .checked_sub(n)
                .ok_or("an operator without its operands")?;
            let items: Vec<(Expr, usize)> = stack.split_off(at);
            let depth = items.iter().map(|(_, d)| *d).max().unwrap_or(0) + 1;
            if depth > MAX_EXPR_DEPTH {
                return Err("an expression nested too deeply");
            }
            Ok((
                items.into_iter().map(|(e, _)| e).collect::<Vec<Expr>>(),
                depth,
            ))
        };
        let two = |mut v: Vec<Expr>| -> Option<(Box<Expr>, Box<Expr>)> {
            let b = v.pop()?;
            let a = v.pop()?;
            Some((Box::new(a), Box::new(b)))
        };
        for step in steps {
            let (leaf, arity) = match step {
                Step::Bool(b) => (Some(Expr::Bool(b)), 0),
                Step::Int(i) => (Some(Expr::Int(i)), 0),
                Step::Fact(f) => (Some(Expr::Fact(f)), 0),
                Step::EnumIn(f, m) => (Some(Expr::EnumIn(f, m)), 0),
                Step::Has(f, m, mode) => (Some(Expr::Has(f, m, mode)), 0),
                Step::Count(f, m) => (Some(Expr::Count(f, m)), 0),
                Step::Category(m) => (Some(Expr::Category(m)), 0),
                Step::Level => (Some(Expr::Level), 0),
                Step::Score => (Some(Expr::Score), 0),
                Step::Indicators(r) => (Some(Expr::Indicators(r)), 0),
                Step::Domains(r) => (Some(Expr::Domains(r)), 0),
                Step::Not | Step::Neg => (None, 1),
                Step::And(n) | Step::Or(n) => (None, n as usize),
                Step::Cmp(_) | Step::Add | Step::Sub | Step::Mul => (None, 2),
            };
            if let Some(e) = leaf {
                stack.push((e, 1));
                continue;
            }
            let (mut items, depth) = pop(&mut stack, arity)?;
            let short = "an operator without its operands";
            let e = match step {
                Step::Not => Expr::Not(Box::new(items.pop().ok_or(short)?)),
                Step::Neg => Expr::Neg(Box::new(items.pop().ok_or(short)?)),
                Step::And(_) => Expr::And(items),
                Step::Or(_) => Expr::Or(items),
                Step::Cmp(c) => {
                    let (a, b) = two(items).ok_or(short)?;
                    Expr::Cmp(c, a, b)
                }
                Step::Add => two(items).map(|(a, b)| Expr::Add(a, b)).ok_or(short)?,
                Step::Sub => two(items).map(|(a, b)| Expr::Sub(a, b)).ok_or(short)?,
                _ => two(items).map(|(a, b)| Expr::Mul(a, b)).ok_or(short)?,
            };
            stack.push((e, depth));
        }
        match (stack.pop(), stack.is_empty()) {
            (Some((e, _)), true) => Ok(e),
            _ => Err("not exactly one expression"),
        }
    }
}

impl Wire for Step {
    fn put(&self, w: &mut Writer) {
        let tag = |w: &mut Writer, t: u8| w.push(t);
        match self {
            Step::Bool(b) => {
                tag(w, 0);
                b.put(w);
            }
            Step::Int(i) => {
                tag(w, 1);
                i.put(w);
            }
            Step::Fact(f) => {
                tag(w, 2);
                f.put(w);
            }
            Step::Not => tag(w, 3),
            Step::And(n) => {
                tag(w, 4);
                n.put(w);
            }
            Step::Or(n) => {
                tag(w, 5);
                n.put(w);
            }
            Step::Cmp(c) => {
                tag(w, 6);
                c.put(w);
            }
            Step::EnumIn(f, m) => {
                tag(w, 7);
                (*f, *m).put(w);
            }
            Step::Has(f, m, mode) => {
                tag(w, 8);
                (*f, *m).put(w);
                mode.put(w);
            }
            Step::Count(f, m) => {
                tag(w, 9);
                (*f, *m).put(w);
            }
            Step::Add => tag(w, 10),
            Step::Sub => tag(w, 11),
            Step::Mul => tag(w, 12),
            Step::Neg => tag(w, 13),
            Step::Category(m) => {
                tag(w, 14);
                m.put(w);
            }
            Step::Level => tag(w, 15),
            Step::Score => tag(w, 16),
            Step::Indicators(r) => {
                tag(w, 17);
                r.put(w);
            }
            Step::Domains(r) => {
                tag(w, 18);
                r.put(w);
            }
        }
    }

    fn get(r: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(match r.byte()? {
            0 => Step::Bool(Wire::get(r)?),
            1 => Step::Int(Wire::get(r)?),
            2 => Step::Fact(Wire::get(r)?),
            3 => Step::Not,
            4 => Step::And(Wire::get(r)?),
            5 => Step::Or(Wire::get(r)?),
            6 => Step::Cmp(Wire::get(r)?),
            7 => Step::EnumIn(Wire::get(r)?, Wire::get(r)?),
            8 => Step::Has(Wire::get(r)?, Wire::get(r)?, Wire::get(r)?),
            9 => Step::Count(Wire::get(r)?, Wire::get(r)?),
            10 => Step::Add,
            11 => Step::Sub,
            12 => Step::Mul,
            13 => Step::Neg,
            14 => Step::Category(Wire::get(r)?),
            15 => Step::Level,
            16 => Step::Score,
            17 => Step::Indicators(Wire::get(r)?),
            18 => Step::Domains(Wire::get(r)?),
            _ => return Err("an unknown variant"),
        })
    }
}

impl Wire for Expr {
    /// The steps; an expression deeper than `MAX_EXPR_DEPTH` fails the write.
    fn put(&self, w: &mut Writer) {
        let mut steps = Vec::new();
        if self.steps(0, &mut steps).is_none() {
            w.fail("an expression nested too deeply");
        }
        steps.put(w);
    }

    fn get(r: &mut Reader<'_>) -> Result<Self, WireError> {
        Expr::from_steps(Vec::<Step>::get(r)?)
    }
}

impl Wire for FactTy {
    fn put(&self, w: &mut Writer) {
        match self {
            FactTy::Bool => w.push(0),
            FactTy::Int { lo, hi } => {
                w.push(1);
                (*lo, *hi).put(w);
            }
            FactTy::Enum(codes) => {
                w.push(2);
                codes.put(w);
            }
            FactTy::Set(codes) => {
                w.push(3);
                codes.put(w);
            }
        }
    }

    fn get(r: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(match r.byte()? {
            0 => FactTy::Bool,
            1 => {
                let (lo, hi) = Wire::get(r)?;
                FactTy::Int { lo, hi }
            }
            2 => FactTy::Enum(Wire::get(r)?),
            3 => FactTy::Set(Wire::get(r)?),
            _ => return Err("an unknown variant"),
        })
    }
}

wire_units!(Stage {
    Floors,
    Main,
    Aggregate,
    Post
});
wire_units!(Cmp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge
});
wire_units!(SetMode { Any, All });
wire_struct!(Fact {
    id,
    ty,
    question,
    help,
    domain,
    benign,
    asked,
    questions_when
});
wire_struct!(Level {
    id,
    label,
    default_pathways
});
wire_struct!(Pathway { id, label, todo });
wire_struct!(Citation { guidance, text });
wire_struct!(Matrix {
    id,
    label,
    categories,
    bands,
    score,
    cite,
    reads,
    tiers
});
wire_struct!(Rule {
    id,
    title,
    domain,
    cond,
    level,
    pathways,
    categories,
    advisory,
    cite,
    because,
    stage,
    reads,
    reads_categories
});
wire_struct!(Group { id, text, facts });
wire_struct!(Program {
    name, version, hash, guidance, levels, pathways, domains, provisional, facts, matrices,
    rules, asked_order, areas, checklists, triage
} skip { fact_index, raw_tests, shared });

impl Expr {
    /// Matrices whose category this expression reads, in order of appearance.
    pub(crate) fn categories_read(&self, out: &mut Vec<MatrixId>) {
        match self {
            Expr::Category(m) if !out.contains(m) => out.push(*m),
            Expr::Not(e) | Expr::Neg(e) => e.categories_read(out),
            Expr::And(v) | Expr::Or(v) => v.iter().for_each(|e| e.categories_read(out)),
            Expr::Cmp(_, a, b) | Expr::Add(a, b) | Expr::Sub(a, b) | Expr::Mul(a, b) => {
                a.categories_read(out);
                b.categories_read(out);
            }
            _ => {}
        }
    }

    /// Calls `f` on this expression and every expression inside it.
    pub(crate) fn visit(&self, f: &mut impl FnMut(&Expr)) {
        f(self);
        match self {
            Expr::Not(e) | Expr::Neg(e) => e.visit(f),
            Expr::And(v) | Expr::Or(v) => v.iter().for_each(|e| e.visit(f)),
            Expr::Cmp(_, a, b) | Expr::Add(a, b) | Expr::Sub(a, b) | Expr::Mul(a, b) => {
                a.visit(f);
                b.visit(f);
            }
            _ => {}
        }
    }

    /// Calls `f` on every fact this expression reads, in order of appearance.
    pub(crate) fn visit_facts(&self, f: &mut impl FnMut(FactId)) {
        match self {
            Expr::Fact(i) | Expr::EnumIn(i, _) | Expr::Has(i, _, _) | Expr::Count(i, _) => f(*i),
            Expr::Not(e) | Expr::Neg(e) => e.visit_facts(f),
            Expr::And(v) | Expr::Or(v) => v.iter().for_each(|e| e.visit_facts(f)),
            Expr::Cmp(_, a, b) | Expr::Add(a, b) | Expr::Sub(a, b) | Expr::Mul(a, b) => {
                a.visit_facts(f);
                b.visit_facts(f);
            }
            Expr::Bool(_)
            | Expr::Int(_)
            | Expr::Category(_)
            | Expr::Level
            | Expr::Score
            | Expr::Indicators(_)
            | Expr::Domains(_) => {}
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TestExpect {
    Level(Option<LevelRank>),
    Pathways(Vec<PathwayId>),
    Pathway(PathwayId),
    NoPathway(PathwayId),
    Provisional(bool),
    Missing(Vec<FactId>),
    Category(MatrixId, u32),
    Advisory,
}

#[derive(Debug, Clone)]
pub(crate) struct Test {
    pub(crate) name: String,
    pub(crate) file: String,
    pub(crate) line: u32,
    pub(crate) given: Vec<Option<i64>>,
    pub(crate) expects: Vec<(TestExpect, String)>,
}

/// A checked, compiled rule set.
#[derive(Debug, Clone)]
pub(crate) struct Program {
    pub(crate) name: String,
    pub(crate) version: String,
    pub(crate) hash: String,
    pub(crate) guidance: Vec<(String, String)>,
    pub(crate) levels: Vec<Level>,
    pub(crate) pathways: Table<Pathway>,
    pub(crate) domains: Vec<String>,
    pub(crate) provisional: Vec<PathwayId>,
    pub(crate) facts: Table<Fact>,
    /// Fact id → slot, for converting facts by name.
    pub(crate) fact_index: rustc_hash::FxHashMap<String, FactId>,
    pub(crate) matrices: Table<Matrix>,
    /// Rules sorted by stage (stable within a stage).
    pub(crate) rules: Vec<Rule>,
    /// Tests kept as text, parsed when they are run.
    pub(crate) raw_tests: Vec<crate::diag::Span>,
    /// Facts with an `asked when` condition, each after every such fact its condition reads.
    pub(crate) asked_order: Vec<FactId>,
    /// `area` groups, for the triage question.
    pub(crate) areas: Vec<Group>,
    /// `checklist` questions.
    pub(crate) checklists: Vec<Group>,
    /// The triage question: its text and the areas it offers (indexes into `areas`).
    pub(crate) triage: Option<(String, Vec<u32>)>,
    /// The texts every decision's `missing` repeats, shared instead of copied per decision.
    pub(crate) shared: Shared,
}

/// Fact ids, questions and pathway ids as shared strings (`Shared::of` makes them from the
/// program's own): a decision's `missing` entries point at them instead of copying them, and
/// the decision JSON copies their JSON, escaped once here.
#[derive(Debug, Clone, Default)]
pub(crate) struct Shared {
    /// Per fact.
    pub(crate) facts: Vec<SharedFact>,
    /// Per pathway: its id.
    pub(crate) pathways: Vec<Arc<str>>,
    /// Per pathway: its id as a JSON string.
    pub(crate) pathways_json: Vec<Box<str>>,
}

/// A fact's texts in `Shared`.
#[derive(Debug, Clone)]
pub(crate) struct SharedFact {
    pub(crate) id: Arc<str>,
    pub(crate) question: Arc<str>,
    /// Its `question when` variants, in order.
    pub(crate) variants: Vec<Arc<str>>,
    /// `{"fact":<id>,"question":`, the start of its `missing` entry in the decision JSON.
    pub(crate) json_head: Box<str>,
    /// The question and its variants as JSON strings.
    pub(crate) question_json: Box<str>,
    pub(crate) variants_json: Vec<Box<str>>,
}

impl Shared {
    /// A fact's id, question and `question when` variants. Total for a validated program.
    #[allow(
        clippy::indexing_slicing,
        reason = "Program::validate proves one entry per fact"
    )]
    pub(crate) fn fact(&self, f: FactId) -> &SharedFact {
        &self.facts[f.index()]
    }

    /// A pathway's id. Total for a validated program.
    #[allow(
        clippy::indexing_slicing,
        reason = "Program::validate proves one entry per pathway"
    )]
    pub(crate) fn pathway(&self, p: PathwayId) -> &Arc<str> {
        &self.pathways[p.index()]
    }

    /// A pathway's id as a JSON string. Total for a validated program.
    #[allow(
        clippy::indexing_slicing,
        reason = "Program::validate proves one entry per pathway"
    )]
    pub(crate) fn pathway_json(&self, p: PathwayId) -> &str {
        &self.pathways_json[p.index()]
    }

    pub(crate) fn of(facts: &[Fact], pathways: &[Pathway]) -> Shared {
        Shared {
            facts: facts
                .iter()
                .map(|f| SharedFact {
                    id: Arc::from(f.id.as_str()),
                    question: Arc::from(f.question.as_str()),
                    variants: f
                        .questions_when
                        .iter()
                        .map(|(_, t)| Arc::from(t.as_str()))
                        .collect(),
                    json_head: format!("{{\"fact\":{},\"question\":", crate::json::quoted(&f.id))
                        .into(),
                    question_json: crate::json::quoted(&f.question).into(),
                    variants_json: f
                        .questions_when
                        .iter()
                        .map(|(_, t)| crate::json::quoted(t).into())
                        .collect(),
                })
                .collect(),
            pathways: pathways.iter().map(|p| Arc::from(p.id.as_str())).collect(),
            pathways_json: pathways
                .iter()
                .map(|p| crate::json::quoted(&p.id).into())
                .collect(),
        }
    }
}

/// An area or a checklist: facts asked about together.
#[derive(Debug, Clone)]
pub(crate) struct Group {
    pub(crate) id: String,
    pub(crate) text: String,
    pub(crate) facts: Vec<FactId>,
}

impl Program {
    /// The level of a rank; `None` for rank 0 (and, in a validated program, only then).
    pub(crate) fn level(&self, rank: LevelRank) -> Option<&Level> {
        rank.slot().and_then(|i| self.levels.get(i))
    }

    /// The highest rank.
    pub(crate) fn top(&self) -> LevelRank {
        LevelRank(u32::try_from(self.levels.len()).unwrap_or(u32::MAX))
    }

    /// Proves that every id the program holds names an entry of its table: after this, indexing
    /// a table by its id is total. A failure is a checker bug, reported as `thr::internal`.
    pub(crate) fn validate(&self) -> Result<(), Diagnostic> {
        let mut bad: Option<String> = None;
        let mut fail = |what: String| {
            bad.get_or_insert(what);
        };
        let n_levels = u32::try_from(self.levels.len()).unwrap_or(u32::MAX);
        let rank_ok = |r: LevelRank| r.0 >= 1 && r.0 <= n_levels;
        let check_expr = |e: &Expr, fail: &mut dyn FnMut(String)| {
            e.visit(&mut |x| match x {
                Expr::Fact(f) | Expr::EnumIn(f, _) | Expr::Has(f, _, _) | Expr::Count(f, _)
                    if !self.facts.contains(*f) =>
                {
                    fail(format!("fact {f:?}"));
                }
                Expr::Category(m) if !self.matrices.contains(*m) => fail(format!("matrix {m:?}")),
                Expr::Indicators(r) | Expr::Domains(r) if !rank_ok(*r) => {
                    fail(format!("level rank {}", r.0));
                }
                _ => {}
            });
        };
        let shared_ok = self.shared.pathways.len() == self.pathways.len()
            && self.shared.pathways_json.len() == self.pathways.len()
            && self.shared.facts.len() == self.facts.len()
            && self
                .shared
                .facts
                .iter()
                .zip(self.facts.iter())
                .all(|(s, f)| {
                    s.variants.len() == f.questions_when.len()
                        && s.variants_json.len() == f.questions_when.len()
                });
        if !shared_ok {
            fail("shared names".to_string());
        }
        for (f, id) in &self.fact_index {
            if self.facts.get(id.index()).is_none_or(|x| x.id != *f) {
                fail(format!("fact index of `{f}`"));
            }
        }
        for l in &self.levels {
            for p in &l.default_pathways {
                if !self.pathways.contains(*p) {
                    fail(format!("default pathway {p:?} of `{}`", l.id));
                }
            }
        }
        for p in &self.provisional {
            if !self.pathways.contains(*p) {
                fail(format!("provisional pathway {p:?}"));
            }
        }
        for f in self.facts.iter() {
            if let Some((e, _)) = &f.asked {
                check_expr(e, &mut fail);
            }
            for (e, _) in &f.questions_when {
                check_expr(e, &mut fail);
            }
        }
        for m in self.matrices.iter() {
            let n_cats = u32::try_from(m.categories.len()).unwrap_or(u32::MAX);
            for (c, e) in &m.bands {
                if *c >= n_cats {
                    fail(format!("category {c} of `{}`", m.id));
                }
                check_expr(e, &mut fail);
            }
            if let Some(e) = &m.score {
                check_expr(e, &mut fail);
            }
            for f in m.reads.iter().chain(m.tiers.iter().map(|(f, _)| f)) {
                if !self.facts.contains(*f) {
                    fail(format!("fact {f:?} of `{}`", m.id));
                }
            }
        }
        for r in &self.rules {
            check_expr(&r.cond, &mut fail);
            if let Some((rank, _)) = r.level {
                if !rank_ok(rank) {
                    fail(format!("level rank {} of `{}`", rank.0, r.id));
                }
            }
            if r.pathways.iter().any(|p| !self.pathways.contains(*p)) {
                fail(format!("a pathway of `{}`", r.id));
            }
            for (m, c) in &r.categories {
                let ok = self
                    .matrices
                    .get(m.index())
                    .is_some_and(|x| (*c as usize) < x.categories.len());
                if !ok {
                    fail(format!("category floor of `{}`", r.id));
                }
            }
            if r.reads_categories
                .iter()
                .any(|m| !self.matrices.contains(*m))
            {
                fail(format!("a matrix read by `{}`", r.id));
            }
            if r.reads.iter().any(|f| !self.facts.contains(*f)) {
                fail(format!("a fact read by `{}`", r.id));
            }
            if r.domain.is_some_and(|d| d as usize >= self.domains.len()) {
                fail(format!("the domain of `{}`", r.id));
            }
        }
        // The stages (`crate::stages`) run the rules in runs of one stage each.
        if !self.rules.is_sorted_by_key(|r| r.stage) {
            fail("the rules' stage order".to_string());
        }
        let groups = self.areas.iter().chain(&self.checklists);
        for g in groups {
            if g.facts.iter().any(|f| !self.facts.contains(*f)) {
                fail(format!("a fact of `{}`", g.id));
            }
        }
        if self.asked_order.iter().any(|f| !self.facts.contains(*f)) {
            fail("the asked order".to_string());
        }
        if let Some((_, areas)) = &self.triage {
            if areas.iter().any(|a| *a as usize >= self.areas.len()) {
                fail("an area of the triage question".to_string());
            }
        }
        match bad {
            None => Ok(()),
            Some(what) => Err(Diagnostic::error(
                Code::Internal,
                format!("the compiled rule set is inconsistent ({what} is out of range)"),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tour() -> Program {
        let text = include_str!("../../rules/examples/tour/tour.thr");
        let rs = crate::Ruleset::from_source("tour.thr", text).unwrap();
        rs.program().clone()
    }

    fn internal(p: &Program) -> String {
        let d = p.validate().unwrap_err();
        assert_eq!(d.code, Code::Internal);
        d.message
    }

    #[test]
    fn a_checked_program_is_valid() {
        assert!(tour().validate().is_ok());
    }

    #[test]
    fn an_id_out_of_range_is_an_internal_error_not_a_decision() {
        let p = tour();
        let n_facts = u32::try_from(p.facts.len()).unwrap();
        let n_pathways = u32::try_from(p.pathways.len()).unwrap();

        let mut bad = p.clone();
        bad.rules[0].pathways.push(PathwayId::new(n_pathways));
        assert!(internal(&bad).contains("a pathway of"));

        let mut bad = p.clone();
        bad.rules[0].cond = Expr::And(vec![
            bad.rules[0].cond.clone(),
            Expr::Fact(FactId::new(n_facts)),
        ]);
        assert!(internal(&bad).contains("out of range"));

        let mut bad = p.clone();
        bad.rules[0].level = Some((LevelRank(0), false));
        assert!(internal(&bad).contains("level rank 0"));

        let mut bad = p.clone();
        bad.levels[0]
            .default_pathways
            .push(PathwayId::new(n_pathways + 7));
        assert!(internal(&bad).contains("default pathway"));

        let mut bad = p.clone();
        bad.shared.pathways.pop();
        assert!(internal(&bad).contains("shared names"));

        let mut bad = p.clone();
        bad.shared.facts.pop();
        assert!(internal(&bad).contains("shared names"));

        let mut bad = p.clone();
        let n_domains = u32::try_from(p.domains.len()).unwrap();
        let i = bad.rules.iter().position(|r| r.domain.is_some()).unwrap();
        bad.rules[i].domain = Some(n_domains);
        assert!(internal(&bad).contains("the domain of"));

        // Out of stage order, the stages would run a rule before what it reads is decided.
        let mut bad = p.clone();
        assert!(bad.rules.first().unwrap().stage < bad.rules.last().unwrap().stage);
        bad.rules.reverse();
        assert!(internal(&bad).contains("stage order"));

        let mut bad = p;
        let f = bad.fact_index.keys().next().cloned().unwrap();
        bad.fact_index.insert(f, FactId::new(n_facts));
        assert!(internal(&bad).contains("fact index"));
    }
}
