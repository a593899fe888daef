//! Which unknown facts could change a decision, computed exactly with decision diagrams.
//!
//! The outcome (the level and each pathway) is built as a multi-valued decision diagram over
//! the unknown facts, with the known facts substituted. A reduced, ordered diagram mentions a
//! variable exactly when the function depends on it, so the facts that could change the
//! outcome are the facts whose variables appear. Int facts compared only with constants are
//! split into the classes those constants separate, which keeps the diagram small without
//! losing exactness.

use std::collections::{BTreeSet, HashMap};

use rustc_hash::FxHashMap;

use crate::eval::{Outcome, Tri};
use crate::ir::{Cmp, Expr, FactIdx, FactTy, Program, SetMode, Stage};

mod compiled;

pub(crate) use compiled::Compiled;

type NodeId = u32;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Op {
    And,
    Or,
    Add,
    Sub,
    Mul,
    Max,
    /// `a` if `a > 0`, else `b`.
    IfPos,
    Cmp(Cmp),
}

fn apply_leaf(op: Op, a: i64, b: i64) -> i64 {
    match op {
        Op::And => i64::from(a != 0 && b != 0),
        Op::Or => i64::from(a != 0 || b != 0),
        Op::Add => a.saturating_add(b),
        Op::Sub => a.saturating_sub(b),
        Op::Mul => a.saturating_mul(b),
        Op::Max => a.max(b),
        Op::IfPos => {
            if a > 0 {
                a
            } else {
                b
            }
        }
        Op::Cmp(c) => i64::from(c.holds(a, b)),
    }
}

/// How each fact maps to diagram variables.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    /// First variable of each fact (sets use one variable per code).
    first_var: Vec<u32>,
    /// Representative values of each int fact (one per class of equivalent values).
    reps: Vec<Vec<i64>>,
    /// Fact of each variable.
    var_fact: Vec<FactIdx>,
}

const FULL_RANGE_LIMIT: i64 = 4096;

impl Layout {
    pub(crate) fn new<'e>(
        facts: &[crate::ir::Fact],
        exprs: impl IntoIterator<Item = &'e Expr>,
    ) -> Layout {
        let mut consts: Vec<BTreeSet<i64>> = vec![BTreeSet::new(); facts.len()];
        let mut complex = vec![false; facts.len()];
        let mut uses = vec![0usize; facts.len()];
        for e in exprs {
            collect_int_usage(e, &mut consts, &mut complex);
            e.visit_facts(&mut |f| {
                if let Some(u) = uses.get_mut(f as usize) {
                    *u += 1;
                }
            });
        }
        let mut first_var = vec![0u32; facts.len()];
        let mut reps = Vec::with_capacity(facts.len());
        for (i, f) in facts.iter().enumerate() {
            let r = match &f.ty {
                FactTy::Int { lo, hi } => {
                    let (lo, hi) = (*lo, *hi);
                    let full = hi.saturating_sub(lo) < FULL_RANGE_LIMIT;
                    if complex.get(i).copied().unwrap_or(false) && full {
                        (lo..=hi).collect()
                    } else {
                        let mut pts = BTreeSet::from([lo, hi]);
                        for c in consts.get(i).into_iter().flatten() {
                            for p in [c.saturating_sub(1), *c, c.saturating_add(1)] {
                                if p >= lo && p <= hi {
                                    pts.insert(p);
                                }
                            }
                        }
                        pts.into_iter().collect()
                    }
                }
                _ => Vec::new(),
            };
            reps.push(r);
        }
        // Variable order: the facts read most often first (ties in declaration order). Hub
        // facts such as age split the rules; near the top they keep the diagrams small, and a
        // known fact near the top is cheap to restrict by.
        let mut order: Vec<usize> = (0..facts.len()).collect();
        order.sort_by_key(|f| std::cmp::Reverse(uses.get(*f).copied().unwrap_or(0)));
        match std::env::var("THR_ORDER").as_deref() {
            Ok("decl") => order.sort(),
            Ok("rev") => {
                order.sort();
                order.reverse()
            }
            Ok("usesrev") => order.reverse(),
            _ => {}
        }
        let mut var_fact = Vec::new();
        for i in order {
            let Some(f) = facts.get(i) else { continue };
            if let Some(slot) = first_var.get_mut(i) {
                *slot = u32::try_from(var_fact.len()).unwrap_or(u32::MAX);
            }
            let n = match &f.ty {
                FactTy::Set(codes) => codes.len().min(64),
                _ => 1,
            };
            var_fact.extend(std::iter::repeat_n(u32::try_from(i).unwrap_or(u32::MAX), n));
        }
        Layout {
            first_var,
            reps,
            var_fact,
        }
    }
}

fn collect_int_usage(e: &Expr, consts: &mut [BTreeSet<i64>], complex: &mut [bool]) {
    match e {
        Expr::Cmp(_, a, b) => match (&**a, &**b) {
            (Expr::Fact(f), Expr::Int(c)) | (Expr::Int(c), Expr::Fact(f)) => {
                if let Some(s) = consts.get_mut(*f as usize) {
                    s.insert(*c);
                }
            }
            _ => {
                collect_int_usage(a, consts, complex);
                collect_int_usage(b, consts, complex);
            }
        },
        Expr::Fact(f) => {
            if let Some(c) = complex.get_mut(*f as usize) {
                *c = true;
            }
        }
        Expr::Not(x) | Expr::Neg(x) => collect_int_usage(x, consts, complex),
        Expr::And(xs) | Expr::Or(xs) => xs
            .iter()
            .for_each(|x| collect_int_usage(x, consts, complex)),
        Expr::Add(a, b) | Expr::Sub(a, b) | Expr::Mul(a, b) => {
            collect_int_usage(a, consts, complex);
            collect_int_usage(b, consts, complex);
        }
        _ => {}
    }
}

/// A node: a leaf (`var == LEAF`, `start` indexes the leaf values) or a test of `var` whose
/// children are `kids[start..start + len]`.
#[derive(Debug, Clone, Copy)]
struct NodeData {
    var: u32,
    start: u32,
    len: u32,
}

const LEAF: u32 = u32::MAX;

/// Hash-consed, reduced, ordered diagrams in one arena (no allocation per node).
struct Mdd {
    nodes: Vec<NodeData>,
    kids: Vec<NodeId>,
    leaf_values: Vec<i64>,
    leaves: FxHashMap<i64, NodeId>,
    binary: FxHashMap<(u32, NodeId, NodeId), NodeId>,
    wide: FxHashMap<(u32, Box<[NodeId]>), NodeId>,
    memo: FxHashMap<(Op, NodeId, NodeId), NodeId>,
    limit: usize,
    over: bool,
}

impl Mdd {
    fn new(limit: usize) -> Self {
        Mdd {
            nodes: Vec::new(),
            kids: Vec::new(),
            leaf_values: Vec::new(),
            leaves: FxHashMap::default(),
            binary: FxHashMap::default(),
            wide: FxHashMap::default(),
            memo: FxHashMap::with_capacity_and_hasher(8192, Default::default()),
            limit,
            over: false,
        }
    }

    fn push(&mut self, n: NodeData) -> NodeId {
        if self.nodes.len() >= self.limit {
            self.over = true;
        }
        self.nodes.push(n);
        u32::try_from(self.nodes.len() - 1).unwrap_or(u32::MAX)
    }

    fn leaf(&mut self, v: i64) -> NodeId {
        if let Some(id) = self.leaves.get(&v) {
            return *id;
        }
        let start = u32::try_from(self.leaf_values.len()).unwrap_or(u32::MAX);
        self.leaf_values.push(v);
        let id = self.push(NodeData {
            var: LEAF,
            start,
            len: 0,
        });
        self.leaves.insert(v, id);
        id
    }

    fn mk(&mut self, var: u32, kids: Vec<NodeId>) -> NodeId {
        match kids.as_slice() {
            [] => self.leaf(0),
            [k0, rest @ ..] if rest.iter().all(|k| k == k0) => *k0,
            [k0, k1] => self.mk2(var, *k0, *k1),
            _ => {
                let key = (var, kids.into_boxed_slice());
                if let Some(id) = self.wide.get(&key) {
                    return *id;
                }
                let start = u32::try_from(self.kids.len()).unwrap_or(u32::MAX);
                self.kids.extend_from_slice(&key.1);
                let len = u32::try_from(key.1.len()).unwrap_or(0);
                let id = self.push(NodeData { var, start, len });
                self.wide.insert(key, id);
                id
            }
        }
    }

    fn mk2(&mut self, var: u32, k0: NodeId, k1: NodeId) -> NodeId {
        if k0 == k1 {
            return k0;
        }
        if let Some(id) = self.binary.get(&(var, k0, k1)) {
            return *id;
        }
        let start = u32::try_from(self.kids.len()).unwrap_or(u32::MAX);
        self.kids.extend_from_slice(&[k0, k1]);
        let id = self.push(NodeData { var, start, len: 2 });
        self.binary.insert((var, k0, k1), id);
        id
    }

    fn data(&self, id: NodeId) -> NodeData {
        self.nodes.get(id as usize).copied().unwrap_or(NodeData {
            var: LEAF,
            start: 0,
            len: 0,
        })
    }

    fn kids_of(&self, n: NodeData) -> &[NodeId] {
        self.kids
            .get(n.start as usize..(n.start + n.len) as usize)
            .unwrap_or(&[])
    }

    fn leaf_value(&self, id: NodeId) -> Option<i64> {
        let n = self.data(id);
        (n.var == LEAF).then(|| self.leaf_values.get(n.start as usize).copied().unwrap_or(0))
    }

    /// Combines `items` with an associative `op` as a balanced tree, so that each step works on
    /// diagrams of similar size (a left fold costs items x size).
    fn reduce(&mut self, op: Op, mut items: Vec<NodeId>, identity: i64) -> NodeId {
        let id = self.leaf(identity);
        items.retain(|x| *x != id);
        while items.len() > 1 {
            let mut next = Vec::with_capacity(items.len().div_ceil(2));
            for pair in items.chunks(2) {
                next.push(match pair {
                    [a, b] => self.apply(op, *a, *b),
                    [a] => *a,
                    _ => id,
                });
            }
            items = next;
        }
        items.first().copied().unwrap_or(id)
    }

    /// The `i`th child of `id` when it tests `top`; otherwise `id` itself (it does not depend on `top`).
    fn child(&self, id: NodeId, top: u32, i: usize) -> NodeId {
        let n = self.data(id);
        if n.var == top {
            self.kids_of(n).get(i).copied().unwrap_or(id)
        } else {
            id
        }
    }

    fn apply(&mut self, op: Op, a: NodeId, b: NodeId) -> NodeId {
        if self.over {
            return a;
        }
        match (self.leaf_value(a), self.leaf_value(b)) {
            (Some(x), Some(y)) => return self.leaf(apply_leaf(op, x, y)),
            (Some(0), _) if matches!(op, Op::And | Op::Mul) => return a,
            (_, Some(0)) if matches!(op, Op::And | Op::Mul) => return b,
            (Some(x), _) if op == Op::Or && x != 0 => return self.leaf(1),
            (_, Some(y)) if op == Op::Or && y != 0 => return self.leaf(1),
            (Some(0), _) if matches!(op, Op::Or | Op::Add) => return b,
            (_, Some(0)) if matches!(op, Op::Or | Op::Add | Op::Sub) => return a,
            (Some(x), _) if op == Op::IfPos && x > 0 => return a,
            (Some(_), _) if op == Op::IfPos => return b,
            _ => {}
        }
        if a == b && matches!(op, Op::And | Op::Or | Op::Max) {
            return a;
        }
        // Commutative operations share one memo entry for (a, b) and (b, a).
        let (a, b) = if b < a && matches!(op, Op::And | Op::Or | Op::Add | Op::Mul | Op::Max) {
            (b, a)
        } else {
            (a, b)
        };
        if let Some(r) = self.memo.get(&(op, a, b)) {
            return *r;
        }
        let (na, nb) = (self.data(a), self.data(b));
        let top = na.var.min(nb.var);
        let n = if na.var == top { na.len } else { nb.len } as usize;
        let r = if n == 2 {
            let (a0, b0) = (self.child(a, top, 0), self.child(b, top, 0));
            let k0 = self.apply(op, a0, b0);
            let (a1, b1) = (self.child(a, top, 1), self.child(b, top, 1));
            let k1 = self.apply(op, a1, b1);
            self.mk2(top, k0, k1)
        } else {
            let mut kids = Vec::with_capacity(n);
            for i in 0..n {
                let (ca, cb) = (self.child(a, top, i), self.child(b, top, i));
                kids.push(self.apply(op, ca, cb));
            }
            self.mk(top, kids)
        };
        self.memo.insert((op, a, b), r);
        r
    }
}

struct Sym<'a> {
    program: &'a Program,
    layout: &'a Layout,
    facts: &'a [Option<i64>],
    mdd: Mdd,
    categories: Vec<NodeId>,
    level: NodeId,
    score: NodeId,
    indicators: Vec<NodeId>,
    domains: Vec<NodeId>,
    cache: FxHashMap<(FactIdx, u64), NodeId>,
}

impl Sym<'_> {
    fn fact_node(&mut self, f: FactIdx) -> NodeId {
        if let Some(v) = self.facts.get(f as usize).copied().flatten() {
            return self.mdd.leaf(v);
        }
        if let Some(n) = self.cache.get(&(f, u64::MAX)) {
            return *n;
        }
        let var = self.layout.first_var.get(f as usize).copied().unwrap_or(0);
        let values: Vec<i64> = match self.program.facts.get(f as usize).map(|x| &x.ty) {
            Some(FactTy::Int { .. }) => self
                .layout
                .reps
                .get(f as usize)
                .cloned()
                .unwrap_or_default(),
            Some(FactTy::Enum(codes)) => (0..codes.len())
                .map(|i| i64::try_from(i).unwrap_or(0))
                .collect(),
            _ => vec![0, 1],
        };
        let kids = values.into_iter().map(|v| self.mdd.leaf(v)).collect();
        let n = self.mdd.mk(var, kids);
        self.cache.insert((f, u64::MAX), n);
        n
    }

    fn count_node(&mut self, f: FactIdx, mask: u64) -> NodeId {
        if let Some(v) = self.facts.get(f as usize).copied().flatten() {
            return self.mdd.leaf(i64::from(((v as u64) & mask).count_ones()));
        }
        if let Some(n) = self.cache.get(&(f, mask)) {
            return *n;
        }
        let base = self.layout.first_var.get(f as usize).copied().unwrap_or(0);
        let (z, o) = (self.mdd.leaf(0), self.mdd.leaf(1));
        let bits: Vec<NodeId> = (0..64u32)
            .filter(|i| mask & (1u64 << i) != 0)
            .map(|i| self.mdd.mk(base + i, vec![z, o]))
            .collect();
        let sum = self.mdd.reduce(Op::Add, bits, 0);
        self.cache.insert((f, mask), sum);
        sum
    }

    fn expr(&mut self, e: &Expr) -> NodeId {
        match e {
            Expr::Bool(b) => self.mdd.leaf(i64::from(*b)),
            Expr::Int(n) => self.mdd.leaf(*n),
            Expr::Fact(f) => self.fact_node(*f),
            Expr::Not(x) => {
                let x = self.expr(x);
                let z = self.mdd.leaf(0);
                self.mdd.apply(Op::Cmp(Cmp::Eq), x, z)
            }
            Expr::And(xs) | Expr::Or(xs) => {
                let op = if matches!(e, Expr::And(_)) {
                    Op::And
                } else {
                    Op::Or
                };
                let mut acc = self.mdd.leaf(i64::from(op == Op::And));
                for x in xs {
                    let n = self.expr(x);
                    acc = self.mdd.apply(op, acc, n);
                }
                acc
            }
            Expr::Cmp(c, a, b) => {
                let (a, b) = (self.expr(a), self.expr(b));
                self.mdd.apply(Op::Cmp(*c), a, b)
            }
            Expr::EnumIn(f, mask) => {
                if let Some(v) = self.facts.get(*f as usize).copied().flatten() {
                    return self
                        .mdd
                        .leaf(i64::from((0..64).contains(&v) && mask & (1u64 << v) != 0));
                }
                let n = match self.program.facts.get(*f as usize).map(|x| &x.ty) {
                    Some(FactTy::Enum(c)) => c.len().min(64),
                    _ => 0,
                };
                let var = self.layout.first_var.get(*f as usize).copied().unwrap_or(0);
                let kids = (0..n)
                    .map(|i| self.mdd.leaf(i64::from(mask & (1u64 << i) != 0)))
                    .collect();
                self.mdd.mk(var, kids)
            }
            Expr::Has(f, mask, mode) => {
                let count = self.count_node(*f, *mask);
                let (cmp, k) = match mode {
                    SetMode::Any => (Cmp::Ge, 1),
                    SetMode::All => (Cmp::Eq, i64::from(mask.count_ones())),
                };
                let k = self.mdd.leaf(k);
                self.mdd.apply(Op::Cmp(cmp), count, k)
            }
            Expr::Count(f, mask) => self.count_node(*f, *mask),
            Expr::Add(a, b) | Expr::Sub(a, b) | Expr::Mul(a, b) => {
                let op = match e {
                    Expr::Add(..) => Op::Add,
                    Expr::Sub(..) => Op::Sub,
                    _ => Op::Mul,
                };
                let (a, b) = (self.expr(a), self.expr(b));
                self.mdd.apply(op, a, b)
            }
            Expr::Neg(x) => {
                let x = self.expr(x);
                let z = self.mdd.leaf(0);
                self.mdd.apply(Op::Sub, z, x)
            }
            Expr::Category(m) => self.categories.get(*m as usize).copied().unwrap_or(0),
            Expr::Level => self.level,
            Expr::Score => self.score,
            Expr::Indicators(r) => self.indicators.get(*r as usize).copied().unwrap_or(0),
            Expr::Domains(r) => self.domains.get(*r as usize).copied().unwrap_or(0),
        }
    }

    /// A condition's diagram; conditions already decided by interval evaluation are constants.
    fn cond(&mut self, e: &Expr, known: Tri) -> NodeId {
        match known {
            Tri::True => self.mdd.leaf(1),
            Tri::False => self.mdd.leaf(0),
            Tri::Unknown => self.expr(e),
        }
    }

    fn weighted(&mut self, cond: NodeId, w: i64) -> NodeId {
        let w = self.mdd.leaf(w);
        self.mdd.apply(Op::Mul, cond, w)
    }
}

/// Rule diagrams built on first use.
struct Lazy {
    conds: Vec<Option<NodeId>>,
    counted: bool,
}

impl Lazy {
    fn cond(&mut self, s: &mut Sym<'_>, i: usize, outcome: &Outcome) -> NodeId {
        if let Some(Some(c)) = self.conds.get(i) {
            return *c;
        }
        let Some(r) = s.program.rules.get(i) else {
            return s.mdd.leaf(0);
        };
        // Rules that read `level` were evaluated on the reported level; across the completions
        // of the unknown facts the level may differ, so they are always rebuilt.
        let known = if r.stage == Stage::Post {
            Tri::Unknown
        } else {
            outcome.fired.get(i).copied().unwrap_or(Tri::False)
        };
        if known == Tri::Unknown && r.stage == Stage::Aggregate && !self.counted {
            self.count_indicators(s, outcome);
        }
        let c = s.cond(&r.cond, known);
        if let Some(slot) = self.conds.get_mut(i) {
            *slot = Some(c);
        }
        c
    }

    /// `indicators(level)` and `domains(level)` as diagrams over the indicator rules.
    fn count_indicators(&mut self, s: &mut Sym<'_>, outcome: &Outcome) {
        self.counted = true;
        let program = s.program;
        let n_levels = program.levels.len() + 1;
        let mut ind: Vec<Vec<NodeId>> = vec![Vec::new(); n_levels];
        let mut dom: Vec<Vec<Vec<NodeId>>> =
            vec![vec![Vec::new(); program.domains.len()]; n_levels];
        for (j, q) in program.rules.iter().enumerate() {
            let Some((rank, d)) = q.indicator_rank() else {
                continue;
            };
            let c = self.cond(s, j, outcome);
            if let Some(x) = ind.get_mut(rank as usize) {
                x.push(c);
            }
            if let Some(x) = dom
                .get_mut(rank as usize)
                .and_then(|v| v.get_mut(d as usize))
            {
                x.push(c);
            }
        }
        s.indicators = ind
            .into_iter()
            .map(|v| s.mdd.reduce(Op::Add, v, 0))
            .collect();
        s.domains = dom
            .into_iter()
            .map(|ds| {
                let per_domain: Vec<NodeId> =
                    ds.into_iter().map(|v| s.mdd.reduce(Op::Or, v, 0)).collect();
                s.mdd.reduce(Op::Add, per_domain, 0)
            })
            .collect();
    }
}

/// The unknown facts that could change the level or a pathway, most decisive first.
#[derive(Debug, Clone, Default)]
pub(crate) struct Relevance {
    pub(crate) missing: Vec<FactIdx>,
    /// Per missing fact, in the same order: what it could change.
    pub(crate) changes: Changes,
    /// The lowest and highest level rank over every completion of the unknown facts, when the
    /// rule set has levels and some condition is undecided.
    pub(crate) bounds: Option<(u32, u32)>,
    /// When every completion of the unknown facts gives the same outcome, that outcome.
    pub(crate) settled: Option<(Option<u32>, Vec<u32>, Vec<usize>)>,
    /// Unknown facts leave some condition undecided, and `missing` was not worked out.
    pub(crate) undecided: bool,
    /// Some advisory rule fires in every completion of the unknown facts.
    pub(crate) advisory: bool,
}

/// What each missing fact could change: whether the level, and which pathways (a bit set per
/// fact, `words` words each), in the order of `Relevance::missing`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Changes {
    pub(crate) level: Vec<bool>,
    pub(crate) pathways: Vec<u64>,
    pub(crate) words: usize,
}

impl Changes {
    /// Whether the `i`th missing fact could change the level.
    pub(crate) fn level(&self, i: usize) -> bool {
        self.level.get(i).copied().unwrap_or(false)
    }

    /// The pathways (urgency indexes, most urgent first) the `i`th missing fact could change.
    pub(crate) fn pathways(&self, i: usize) -> impl Iterator<Item = u32> + '_ {
        let at = i * self.words;
        let words = self.pathways.get(at..at + self.words).unwrap_or(&[]);
        bits(words)
    }
}

/// The indexes of the set bits, in increasing order.
pub(crate) fn bits(words: &[u64]) -> impl Iterator<Item = u32> + '_ {
    words.iter().enumerate().flat_map(|(wi, w)| {
        let mut w = *w;
        let base = u32::try_from(wi * 64).unwrap_or(u32::MAX);
        std::iter::from_fn(move || {
            if w == 0 {
                return None;
            }
            let b = w.trailing_zeros();
            w &= w - 1;
            Some(base + b)
        })
    })
}

/// Works out which unknown facts matter for this outcome: from the compiled diagrams when the
/// rule set has them, otherwise by building diagrams over this referral's unknown facts, and
/// over the node budget a conservative superset.
pub(crate) fn relevance(
    program: &Program,
    layout: &Layout,
    compiled: Option<&Compiled>,
    facts: &[Option<i64>],
    outcome: &Outcome,
    max_nodes: usize,
) -> Relevance {
    if !outcome.has_open() {
        return Relevance::default();
    }
    if let Some(c) = compiled {
        return c.query(program, layout, facts);
    }
    match build(program, layout, facts, outcome, max_nodes, true)
        .and_then(|b| Compiled::freeze(b, layout.var_fact.len()))
    {
        // The diagrams were built with the known facts substituted: nothing is left to restrict.
        Some(c) => c.query(program, layout, &vec![None; facts.len()]),
        None => conservative(program, facts, outcome),
    }
}

/// The outcome as diagrams in one arena: the level, each pathway and, when asked, every rule's
/// condition.
pub(crate) struct Built {
    mdd: Mdd,
    level: NodeId,
    pathways: Vec<NodeId>,
    conds: Vec<NodeId>,
    /// Whether some advisory rule fires.
    advisory: NodeId,
}

/// Builds the outcome's diagrams over the unknown facts (known facts substituted, conditions
/// decided by interval evaluation as constants). `None` over the node budget.
pub(crate) fn build(
    program: &Program,
    layout: &Layout,
    facts: &[Option<i64>],
    outcome: &Outcome,
    max_nodes: usize,
    all_rules: bool,
) -> Option<Built> {
    let mut s = Sym {
        program,
        layout,
        facts,
        mdd: Mdd::new(max_nodes),
        categories: Vec::new(),
        level: 0,
        score: 0,
        indicators: Vec::new(),
        domains: Vec::new(),
        cache: FxHashMap::default(),
    };
    let zero = s.mdd.leaf(0);
    s.level = zero;
    s.score = zero;
    let mut conds: Vec<NodeId> = vec![zero; program.rules.len()];

    // Floors.
    let mut floors = vec![zero; program.matrices.len()];
    for (i, r) in program.rules.iter().enumerate() {
        if r.stage != Stage::Floors {
            break;
        }
        let c = s.cond(&r.cond, outcome.fired.get(i).copied().unwrap_or(Tri::False));
        if let Some(slot) = conds.get_mut(i) {
            *slot = c;
        }
        for (m, cat) in &r.categories {
            let w = s.weighted(c, i64::from(*cat));
            if let Some(f) = floors.get_mut(*m as usize) {
                *f = s.mdd.apply(Op::Max, *f, w);
            }
        }
    }
    // Matrices.
    for (mi, m) in program.matrices.iter().enumerate() {
        let tris = outcome.bands.get(mi).cloned().unwrap_or_default();
        s.score = match &m.score {
            Some(e) if tris.contains(&Tri::Unknown) => s.expr(e),
            _ => zero,
        };
        let mut cat = floors.get(mi).copied().unwrap_or(zero);
        for (bi, (c, cond)) in m.bands.iter().enumerate() {
            let n = s.cond(cond, tris.get(bi).copied().unwrap_or(Tri::False));
            let w = s.weighted(n, i64::from(*c));
            cat = s.mdd.apply(Op::Max, cat, w);
        }
        s.categories.push(cat);
    }
    // Rules' diagrams are built on demand: only the rules that could still change the level or
    // an undecided pathway are needed (a rule below the level already reached, or adding a
    // pathway that is already certain, cannot change anything).
    let mut lz = Lazy {
        conds: conds.into_iter().map(Some).collect(),
        counted: false,
    };
    for (i, r) in program.rules.iter().enumerate() {
        if r.stage != Stage::Floors {
            if let Some(slot) = lz.conds.get_mut(i) {
                *slot = None;
            }
        }
    }
    let n_levels = program.levels.len() + 1;
    // Level.
    if !program.levels.is_empty() {
        let exact_in_play = program
            .rules
            .iter()
            .zip(&outcome.fired)
            .any(|(r, t)| matches!(r.level, Some((_, true))) && *t != Tri::False);
        // The highest at-least level a rule certainly sets: lower ranks cannot change it.
        let floor = if exact_in_play {
            1
        } else {
            program
                .rules
                .iter()
                .zip(&outcome.fired)
                .filter(|(r, t)| **t == Tri::True && matches!(r.level, Some((_, false))))
                .filter_map(|(r, _)| r.level.map(|(k, _)| k))
                .max()
                .unwrap_or(1)
        };
        let mut at_least_conds: Vec<Vec<NodeId>> = vec![Vec::new(); n_levels];
        let mut exact_conds: Vec<Vec<NodeId>> = vec![Vec::new(); n_levels];
        for (i, r) in program.rules.iter().enumerate() {
            let Some((rank, is_exact)) = r.level else {
                continue;
            };
            if !is_exact && rank <= floor {
                continue;
            }
            let c = lz.cond(&mut s, i, outcome);
            let slot = if is_exact {
                exact_conds.get_mut(rank as usize)
            } else {
                at_least_conds.get_mut(rank as usize)
            };
            if let Some(x) = slot {
                x.push(c);
            }
        }
        let any_at_least: Vec<NodeId> = at_least_conds
            .into_iter()
            .map(|v| s.mdd.reduce(Op::Or, v, 0))
            .collect();
        let any_exact: Vec<NodeId> = exact_conds
            .into_iter()
            .map(|v| s.mdd.reduce(Op::Or, v, 0))
            .collect();
        let mut at_least = s.mdd.leaf(i64::from(floor));
        let mut exact = zero;
        for rank in 1..n_levels {
            let rank_i = i64::try_from(rank).unwrap_or(0);
            if let Some(c) = any_at_least.get(rank).copied() {
                let w = s.weighted(c, rank_i);
                at_least = s.mdd.apply(Op::Max, at_least, w);
            }
            if let Some(c) = any_exact.get(rank).copied() {
                let w = s.weighted(c, rank_i);
                exact = s.mdd.apply(Op::Max, exact, w);
            }
        }
        s.level = s.mdd.apply(Op::IfPos, exact, at_least);
    }
    // Pathways: a pathway a rule certainly adds is certain; otherwise the rules that might add
    // it, and the levels it is a default of.
    let one = s.mdd.leaf(1);
    let mut pathways = vec![zero; program.pathways.len()];
    let mut level_is: Vec<Option<NodeId>> = vec![None; program.levels.len()];
    for (pi, slot) in pathways.iter_mut().enumerate() {
        let adders: Vec<usize> = program
            .rules
            .iter()
            .enumerate()
            .filter(|(_, r)| r.pathways.iter().any(|p| *p as usize == pi))
            .map(|(i, _)| i)
            .collect();
        let certain = |i: &usize| {
            outcome.fired.get(*i) == Some(&Tri::True)
                && program
                    .rules
                    .get(*i)
                    .is_some_and(|r| r.stage != Stage::Post)
        };
        if adders.iter().any(certain) {
            *slot = one;
            continue;
        }
        let mut parts = Vec::new();
        for i in adders {
            parts.push(lz.cond(&mut s, i, outcome));
        }
        for (li, l) in program.levels.iter().enumerate() {
            if l.default_pathways.iter().any(|p| *p as usize == pi) {
                let node = match level_is.get(li).copied().flatten() {
                    Some(n) => n,
                    None => {
                        let rank = s.mdd.leaf(i64::try_from(li + 1).unwrap_or(0));
                        let n = s.mdd.apply(Op::Cmp(Cmp::Eq), s.level, rank);
                        if let Some(x) = level_is.get_mut(li) {
                            *x = Some(n);
                        }
                        n
                    }
                };
                parts.push(node);
            }
        }
        *slot = s.mdd.reduce(Op::Or, parts, 0);
    }

    let conds: Vec<NodeId> = if all_rules {
        (0..program.rules.len())
            .map(|i| lz.cond(&mut s, i, outcome))
            .collect()
    } else {
        Vec::new()
    };
    // Advice only when some advisory rule fires.
    let advisory_conds = program
        .rules
        .iter()
        .zip(&conds)
        .filter(|(r, _)| r.advisory)
        .map(|(_, c)| *c)
        .collect();
    let advisory = s.mdd.reduce(Op::Or, advisory_conds, 0);
    if s.mdd.over {
        return None;
    }
    Some(Built {
        level: s.level,
        pathways,
        conds,
        advisory,
        mdd: s.mdd,
    })
}

/// Over the node budget: every unknown fact that an undecided condition reads, which never
/// leaves out a fact that matters.
fn conservative(program: &Program, facts: &[Option<i64>], outcome: &Outcome) -> Relevance {
    let mut score: HashMap<FactIdx, i64> = HashMap::new();
    let unknown = |f: &FactIdx| facts.get(*f as usize).copied().flatten().is_none();
    for (r, t) in program.rules.iter().zip(&outcome.fired) {
        // Rules that read the level were decided on the reported level, which unknown facts
        // may still change: they count as undecided.
        if *t != Tri::Unknown && r.stage != Stage::Post {
            continue;
        }
        let w = r.level.map_or(0, |(rank, _)| i64::from(rank));
        for f in r.reads.iter().filter(|f| unknown(f)) {
            let e = score.entry(*f).or_insert(0);
            *e = (*e).max(w);
        }
    }
    for (m, tris) in program.matrices.iter().zip(&outcome.bands) {
        if tris.contains(&Tri::Unknown) {
            for f in m.reads.iter().filter(|f| unknown(f)) {
                score.entry(*f).or_insert(0);
            }
        }
    }
    let mut missing: Vec<FactIdx> = score.keys().copied().collect();
    missing.sort_by_key(|f| (std::cmp::Reverse(score.get(f).copied().unwrap_or(0)), *f));
    // Every listed fact may change the level and any pathway; the level may reach the top.
    let words = program.pathways.len().div_ceil(64).max(1);
    let mut all = vec![0u64; words];
    for p in 0..program.pathways.len() {
        if let Some(w) = all.get_mut(p / 64) {
            *w |= 1u64 << (p % 64);
        }
    }
    let changes = Changes {
        level: vec![!program.levels.is_empty(); missing.len()],
        pathways: all.repeat(missing.len()),
        words,
    };
    let top = u32::try_from(program.levels.len()).unwrap_or(u32::MAX);
    Relevance {
        missing,
        changes,
        bounds: outcome.level.map(|l| (l, top.max(l))),
        settled: None,
        undecided: false,
        advisory: false,
    }
}

/// Decides whether conditions over facts alone are the same for every possible fact value.
/// One linter serves a whole rule set, so set counts and diagram nodes are shared.
pub(crate) struct Linter {
    program: Program,
    mdd: Mdd,
    counts: FxHashMap<(FactIdx, u64), NodeId>,
}

impl Linter {
    pub(crate) fn new(facts: &[crate::ir::Fact]) -> Self {
        let program = Program {
            name: String::new(),
            version: String::new(),
            hash: String::new(),
            guidance: Vec::new(),
            levels: Vec::new(),
            pathways: Vec::new(),
            domains: Vec::new(),
            provisional: Vec::new(),
            facts: facts.to_vec(),
            fact_index: rustc_hash::FxHashMap::default(),
            matrices: Vec::new(),
            rules: Vec::new(),
            raw_tests: Vec::new(),
        };
        Linter {
            program,
            mdd: Mdd::new(200_000),
            counts: FxHashMap::default(),
        }
    }

    /// `Some(value)` when `cond` has that value whatever the facts; `None` when it depends on
    /// them (or reads more than facts, or the diagram grew past its budget).
    pub(crate) fn constant_value(&mut self, cond: &Expr) -> Option<bool> {
        let mut reads_other = false;
        visit(cond, &mut |e| {
            if matches!(
                e,
                Expr::Category(_)
                    | Expr::Level
                    | Expr::Score
                    | Expr::Indicators(_)
                    | Expr::Domains(_)
            ) {
                reads_other = true;
            }
        });
        if reads_other || self.mdd.over {
            return None;
        }
        // Int facts are split by this condition's constants only; set counts do not depend on
        // that split and are kept across conditions.
        let layout = Layout::new(&self.program.facts, [cond]);
        let none = vec![None; self.program.facts.len()];
        let mut s = Sym {
            program: &self.program,
            layout: &layout,
            facts: &none,
            mdd: std::mem::replace(&mut self.mdd, Mdd::new(0)),
            categories: Vec::new(),
            level: 0,
            score: 0,
            indicators: Vec::new(),
            domains: Vec::new(),
            cache: std::mem::take(&mut self.counts),
        };
        s.cache.retain(|(_, mask), _| *mask != u64::MAX);
        let n = s.expr(cond);
        let out = if s.mdd.over {
            None
        } else {
            s.mdd.leaf_value(n).map(|v| v != 0)
        };
        self.mdd = s.mdd;
        self.counts = s.cache;
        out
    }
}

fn visit(e: &Expr, f: &mut impl FnMut(&Expr)) {
    f(e);
    match e {
        Expr::Not(x) | Expr::Neg(x) => visit(x, f),
        Expr::And(xs) | Expr::Or(xs) => xs.iter().for_each(|x| visit(x, f)),
        Expr::Cmp(_, a, b) | Expr::Add(a, b) | Expr::Sub(a, b) | Expr::Mul(a, b) => {
            visit(a, f);
            visit(b, f);
        }
        _ => {}
    }
}
