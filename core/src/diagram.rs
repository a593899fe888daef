//! Decision diagrams over fact variables: the hash-consed arena (`Mdd`), the layout of facts as
//! variables (`Layout`), expressions lowered to diagrams (`Sym`), and the linter that asks
//! whether a condition is constant. The checker and the relevance analysis both build on it;
//! it depends on neither.

use std::collections::BTreeSet;

use rustc_hash::FxHashMap;

use crate::ir::{Cmp, Expr, FactId, FactTy, Program, SetMode};

pub(crate) type NodeId = u32;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Op {
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

pub(crate) fn apply_leaf(op: Op, a: i64, b: i64) -> i64 {
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
    pub(crate) first_var: Vec<u32>,
    /// Representative values of each int fact (one per class of equivalent values).
    pub(crate) reps: Vec<Vec<i64>>,
    /// Fact of each variable.
    pub(crate) var_fact: Vec<FactId>,
}

pub(crate) const FULL_RANGE_LIMIT: i64 = 4096;

impl Layout {
    pub(crate) fn new<'e>(
        facts: &[crate::ir::Fact],
        exprs: impl IntoIterator<Item = &'e Expr>,
    ) -> Layout {
        let mut consts: Vec<BTreeSet<i64>> = vec![BTreeSet::new(); facts.len()];
        let mut complex = vec![false; facts.len()];
        let mut uses = vec![0usize; facts.len()];
        // Per expression, the facts it reads (each once): what the order keeps close together.
        let mut edges: Vec<Vec<usize>> = Vec::new();
        for e in exprs {
            collect_int_usage(e, &mut consts, &mut complex);
            let mut read: Vec<usize> = Vec::new();
            e.visit_facts(&mut |f| {
                if !read.contains(&f.index()) {
                    read.push(f.index());
                }
            });
            for f in &read {
                if let Some(u) = uses.get_mut(*f) {
                    *u += 1;
                }
            }
            if read.len() > 1 {
                edges.push(read);
            }
        }
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
        let is_set = |f: &usize| matches!(facts.get(*f).map(|f| &f.ty), Some(FactTy::Set(_)));
        let order = force_order(facts.len(), &uses, &edges, is_set);
        Layout::in_order(facts, reps, &order)
    }

    /// The facts' variables in `order` (fact indexes, each once): one per fact, one per code of
    /// a set fact; `reps` are the int facts' classes.
    fn in_order(facts: &[crate::ir::Fact], reps: Vec<Vec<i64>>, order: &[usize]) -> Layout {
        let mut first_var = vec![0u32; facts.len()];
        let mut var_fact = Vec::new();
        for &i in order {
            let Some(f) = facts.get(i) else { continue };
            if let Some(slot) = first_var.get_mut(i) {
                *slot = u32::try_from(var_fact.len()).unwrap_or(u32::MAX);
            }
            let n = match &f.ty {
                FactTy::Set(codes) => codes.len().min(64),
                _ => 1,
            };
            var_fact.extend(std::iter::repeat_n(FactId::from_usize(i), n));
        }
        Layout {
            first_var,
            reps,
            var_fact,
        }
    }
}

/// The variable order: facts read together close together, by FORCE (Aloul, Markov and
/// Sakallah, 2003). Start from the facts least read first (ties in declaration order), then
/// repeatedly move each fact to the mean of the centres of the expressions that read it, and
/// finally put the set facts (one variable per code; the matrices' indicators) last.
///
/// Restricting by a known fact revisits the nodes above it that depend on it, so an expression's
/// facts far apart in the order multiply the nodes between them. On the shipped rules this order
/// has 2,345 nodes against 6,620 for the former one (the most-read fact first, then least read
/// first), and a sparse referral's restriction makes 2.5 times fewer nodes
/// (`scripts/bench.sh --sparse`). The arithmetic is in integers, so every platform orders alike.
fn force_order(
    n: usize,
    uses: &[usize],
    edges: &[Vec<usize>],
    is_set: impl Fn(&usize) -> bool,
) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    crate::sort::sort_by_key(&mut order, |f| {
        (is_set(f), uses.get(*f).copied().unwrap_or(0))
    });
    // Positions in integers scaled by 2^20: centres and keys keep 20 bits of their fractions.
    // A rule set has far fewer than 2^20 facts and conditions, so no sum reaches 2^64.
    const SCALE: u64 = 1 << 20;
    let mut pos = vec![0u64; n];
    let mut sum = vec![0u64; n];
    let mut count = vec![0u64; n];
    for _ in 0..20 {
        for (i, f) in order.iter().enumerate() {
            if let Some(p) = pos.get_mut(*f) {
                *p = (i as u64).saturating_mul(SCALE);
            }
        }
        sum.iter_mut().for_each(|s| *s = 0);
        count.iter_mut().for_each(|c| *c = 0);
        for e in edges {
            let total = e
                .iter()
                .map(|f| pos.get(*f).copied().unwrap_or(0))
                .fold(0u64, u64::saturating_add);
            let centre = total / e.len().max(1) as u64;
            for f in e {
                if let (Some(s), Some(c)) = (sum.get_mut(*f), count.get_mut(*f)) {
                    *s = s.saturating_add(centre);
                    *c += 1;
                }
            }
        }
        let key = |f: &usize| match (sum.get(*f), count.get(*f)) {
            (Some(s), Some(c)) if *c > 0 => *s / *c,
            _ => pos.get(*f).copied().unwrap_or(0),
        };
        let mut next = order.clone();
        crate::sort::sort_by_key(&mut next, key);
        if next == order {
            break;
        }
        order = next;
    }
    crate::sort::sort_by_key(&mut order, |f| is_set(f));
    order
}

pub(crate) fn collect_int_usage(e: &Expr, consts: &mut [BTreeSet<i64>], complex: &mut [bool]) {
    match e {
        Expr::Cmp(_, a, b) => match (&**a, &**b) {
            (Expr::Fact(f), Expr::Int(c)) | (Expr::Int(c), Expr::Fact(f)) => {
                if let Some(s) = consts.get_mut(f.index()) {
                    s.insert(*c);
                }
            }
            _ => {
                collect_int_usage(a, consts, complex);
                collect_int_usage(b, consts, complex);
            }
        },
        Expr::Fact(f) => {
            if let Some(c) = complex.get_mut(f.index()) {
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
pub(crate) struct NodeData {
    pub(crate) var: u32,
    pub(crate) start: u32,
    pub(crate) len: u32,
}

pub(crate) const LEAF: u32 = u32::MAX;

/// Hash-consed, reduced, ordered diagrams in one arena (no allocation per node).
pub(crate) struct Mdd {
    pub(crate) nodes: Vec<NodeData>,
    pub(crate) kids: Vec<NodeId>,
    pub(crate) leaf_values: Vec<i64>,
    pub(crate) leaves: FxHashMap<i64, NodeId>,
    pub(crate) binary: FxHashMap<(u32, NodeId, NodeId), NodeId>,
    pub(crate) wide: FxHashMap<(u32, Box<[NodeId]>), NodeId>,
    pub(crate) memo: FxHashMap<(Op, NodeId, NodeId), NodeId>,
    pub(crate) limit: usize,
    pub(crate) over: bool,
}

impl Mdd {
    pub(crate) fn new(limit: usize) -> Self {
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

    pub(crate) fn push(&mut self, n: NodeData) -> NodeId {
        if self.nodes.len() >= self.limit {
            self.over = true;
        }
        self.nodes.push(n);
        u32::try_from(self.nodes.len() - 1).unwrap_or(u32::MAX)
    }

    pub(crate) fn leaf(&mut self, v: i64) -> NodeId {
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

    pub(crate) fn mk(&mut self, var: u32, kids: Vec<NodeId>) -> NodeId {
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

    pub(crate) fn mk2(&mut self, var: u32, k0: NodeId, k1: NodeId) -> NodeId {
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

    pub(crate) fn data(&self, id: NodeId) -> NodeData {
        self.nodes.get(id as usize).copied().unwrap_or(NodeData {
            var: LEAF,
            start: 0,
            len: 0,
        })
    }

    pub(crate) fn kids_of(&self, n: NodeData) -> &[NodeId] {
        self.kids
            .get(n.start as usize..(n.start + n.len) as usize)
            .unwrap_or(&[])
    }

    pub(crate) fn leaf_value(&self, id: NodeId) -> Option<i64> {
        let n = self.data(id);
        (n.var == LEAF).then(|| self.leaf_values.get(n.start as usize).copied().unwrap_or(0))
    }

    /// Combines `items` with an associative `op` as a balanced tree, so that each step works on
    /// diagrams of similar size (a left fold costs items x size).
    pub(crate) fn reduce(&mut self, op: Op, mut items: Vec<NodeId>, identity: i64) -> NodeId {
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
    pub(crate) fn child(&self, id: NodeId, top: u32, i: usize) -> NodeId {
        let n = self.data(id);
        if n.var == top {
            self.kids_of(n).get(i).copied().unwrap_or(id)
        } else {
            id
        }
    }

    pub(crate) fn apply(&mut self, op: Op, a: NodeId, b: NodeId) -> NodeId {
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

impl Mdd {
    /// The diagram with `var` fixed to its `i`th value (its cofactor).
    pub(crate) fn restrict(&mut self, id: NodeId, var: u32, i: usize) -> NodeId {
        let mut memo = FxHashMap::default();
        self.restrict_memo(id, var, i, &mut memo)
    }

    fn restrict_memo(
        &mut self,
        id: NodeId,
        var: u32,
        i: usize,
        memo: &mut FxHashMap<NodeId, NodeId>,
    ) -> NodeId {
        let n = self.data(id);
        // Variables are ordered by index: a node testing a later variable does not depend on it.
        if n.var == LEAF || n.var > var {
            return id;
        }
        if n.var == var {
            return self.kids_of(n).get(i).copied().unwrap_or(id);
        }
        if let Some(r) = memo.get(&id) {
            return *r;
        }
        let kids: Vec<NodeId> = self.kids_of(n).to_vec();
        let kids = kids
            .into_iter()
            .map(|k| self.restrict_memo(k, var, i, memo))
            .collect();
        let r = self.mk(n.var, kids);
        memo.insert(id, r);
        r
    }
}

pub(crate) struct Sym<'a> {
    pub(crate) program: &'a Program,
    pub(crate) layout: &'a Layout,
    pub(crate) facts: &'a [Option<i64>],
    pub(crate) mdd: Mdd,
    pub(crate) categories: Vec<NodeId>,
    pub(crate) level: NodeId,
    pub(crate) score: NodeId,
    pub(crate) indicators: Vec<NodeId>,
    pub(crate) domains: Vec<NodeId>,
    pub(crate) cache: FxHashMap<(FactId, u64), NodeId>,
}

impl Sym<'_> {
    pub(crate) fn fact_node(&mut self, f: FactId) -> NodeId {
        if let Some(v) = self.facts.get(f.index()).copied().flatten() {
            return self.mdd.leaf(v);
        }
        if let Some(n) = self.cache.get(&(f, u64::MAX)) {
            return *n;
        }
        let var = self.layout.first_var.get(f.index()).copied().unwrap_or(0);
        let values: Vec<i64> = match self.program.facts.get(f.index()).map(|x| &x.ty) {
            Some(FactTy::Int { .. }) => {
                self.layout.reps.get(f.index()).cloned().unwrap_or_default()
            }
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

    pub(crate) fn count_node(&mut self, f: FactId, mask: u64) -> NodeId {
        if let Some(v) = self.facts.get(f.index()).copied().flatten() {
            return self.mdd.leaf(i64::from(((v as u64) & mask).count_ones()));
        }
        if let Some(n) = self.cache.get(&(f, mask)) {
            return *n;
        }
        let base = self.layout.first_var.get(f.index()).copied().unwrap_or(0);
        let (z, o) = (self.mdd.leaf(0), self.mdd.leaf(1));
        let bits: Vec<NodeId> = (0..64u32)
            .filter(|i| mask & (1u64 << i) != 0)
            .map(|i| self.mdd.mk(base + i, vec![z, o]))
            .collect();
        let sum = self.mdd.reduce(Op::Add, bits, 0);
        self.cache.insert((f, mask), sum);
        sum
    }

    pub(crate) fn expr(&mut self, e: &Expr) -> NodeId {
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
                if let Some(v) = self.facts.get(f.index()).copied().flatten() {
                    return self
                        .mdd
                        .leaf(i64::from((0..64).contains(&v) && mask & (1u64 << v) != 0));
                }
                let n = match self.program.facts.get(f.index()).map(|x| &x.ty) {
                    Some(FactTy::Enum(c)) => c.len().min(64),
                    _ => 0,
                };
                let var = self.layout.first_var.get(f.index()).copied().unwrap_or(0);
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
            Expr::Category(m) => self.categories.get(m.index()).copied().unwrap_or(0),
            Expr::Level => self.level,
            Expr::Score => self.score,
            Expr::Indicators(r) => self.indicators.get(r.index()).copied().unwrap_or(0),
            Expr::Domains(r) => self.domains.get(r.index()).copied().unwrap_or(0),
        }
    }

    pub(crate) fn weighted(&mut self, cond: NodeId, w: i64) -> NodeId {
        let w = self.mdd.leaf(w);
        self.mdd.apply(Op::Mul, cond, w)
    }
}

/// Decides whether conditions over facts alone are the same for every possible fact value.
/// One linter serves a whole rule set, so set counts and diagram nodes are shared.
pub(crate) struct Linter {
    pub(crate) program: Program,
    pub(crate) mdd: Mdd,
    pub(crate) counts: FxHashMap<(FactId, u64), NodeId>,
}

impl Linter {
    pub(crate) fn new(facts: &[crate::ir::Fact]) -> Self {
        let program = Program {
            name: String::new(),
            version: String::new(),
            hash: String::new(),
            guidance: Vec::new(),
            levels: Vec::new(),
            pathways: crate::ir::Table::default(),
            domains: Vec::new(),
            provisional: Vec::new(),
            facts: crate::ir::Table::new(facts.to_vec()),
            fact_index: rustc_hash::FxHashMap::default(),
            matrices: crate::ir::Table::default(),
            rules: Vec::new(),
            raw_tests: Vec::new(),
            asked_order: Vec::new(),
            areas: Vec::new(),
            checklists: Vec::new(),
            triage: None,
            shared: crate::ir::Shared::default(),
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

pub(crate) fn visit(e: &Expr, f: &mut impl FnMut(&Expr)) {
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

#[cfg(test)]
impl Layout {
    /// This layout's int classes with the facts' variables in `order` (fact indexes, each once).
    pub(crate) fn reordered(&self, facts: &[crate::ir::Fact], order: &[usize]) -> Layout {
        Layout::in_order(facts, self.reps.clone(), order)
    }
}

#[cfg(test)]
mod order_tests {
    use super::force_order;

    /// The facts an expression reads end up closer together than in declaration order; set
    /// facts go last; and the order is a permutation.
    #[test]
    fn facts_read_together_end_up_together() {
        // Facts 0..6; expressions read {0, 5}, {1, 4}, {2, 3, 5}; fact 6 is a set.
        let edges = vec![vec![0, 5], vec![1, 4], vec![2, 3, 5]];
        let uses = [1, 1, 1, 1, 1, 2, 0];
        let order = force_order(7, &uses, &edges, |f| *f == 6);
        let mut sorted = order.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..7).collect::<Vec<_>>());
        assert_eq!(order.last(), Some(&6), "{order:?}");
        let at = |f: usize| order.iter().position(|x| *x == f).unwrap();
        let span = |e: &[usize]| {
            let ps: Vec<usize> = e.iter().map(|f| at(*f)).collect();
            ps.iter().max().unwrap() - ps.iter().min().unwrap()
        };
        assert_eq!(span(&[1, 4]), 1, "{order:?}");
        // Declaration order spans 5 + 3 + 3 positions.
        let total: usize = edges.iter().map(|e| span(e)).sum();
        assert!(total < 11, "{order:?} spans {total}");
    }
}
