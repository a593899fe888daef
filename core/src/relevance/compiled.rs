//! The compiled form: the outcome's diagrams over every fact, built once when a rule set loads,
//! and the per-referral query.
//!
//! A referral's known facts restrict the diagrams; the restricted level diagram's leaves bound
//! the level (its lowest leaf is the level reported, its highest the level the unknowns could
//! still reach), and the variables the restricted diagrams still test are exactly the unknown
//! facts that could change the level or a pathway. Restriction only visits nodes whose
//! sub-diagram tests a known fact (each node carries its support as a bit set), so a complete
//! referral is one walk from each root and the empty referral costs nothing.

use std::cell::RefCell;

use rustc_hash::FxHashMap;

use super::{Built, Change, Layout, NodeData, NodeId, Relevance, LEAF};
use crate::eval::Outcome;
use crate::ir::{FactIdx, FactTy, Program};

/// A node of a restricted diagram: an index into the compiled nodes, or (top bit set) a node
/// made while restricting.
type Ref = u32;
const SCRATCH: u32 = 1 << 31;
/// A variable whose fact is unknown.
const UNKNOWN: u32 = u32::MAX;

/// The compiled diagrams, immutable and shared by every evaluation.
#[derive(Debug)]
pub(crate) struct Compiled {
    /// Nodes in post-order (children before parents), reachable from a root.
    nodes: Vec<NodeData>,
    kids: Vec<NodeId>,
    leaf_values: Vec<i64>,
    /// Unique tables, so that a node rebuilt while restricting that already exists is found.
    binary: FxHashMap<(u32, NodeId, NodeId), NodeId>,
    wide: FxHashMap<(u32, Box<[NodeId]>), NodeId>,
    /// 64-bit words per variable set.
    words: usize,
    n_vars: usize,
    /// Per node, the variables it depends on (`words` words each).
    support: Vec<u64>,
    /// Per node, its lowest and highest leaf.
    lo: Vec<i64>,
    hi: Vec<i64>,
    /// Per node of the level diagram, the offset in `reach` of its table: per variable, one more
    /// than the highest level reachable below a node testing it (0: not tested below).
    reach_at: Vec<u32>,
    reach: Vec<u16>,
    level: NodeId,
    pathways: Vec<NodeId>,
    conds: Vec<NodeId>,
}

const NO_TABLE: u32 = u32::MAX;

impl Compiled {
    /// Compiles the program's outcome over every fact. `None` when the diagrams exceed the
    /// node budget (evaluation then builds diagrams per referral, over its unknown facts).
    pub(crate) fn new(program: &Program, layout: &Layout, max_nodes: usize) -> Option<Compiled> {
        let none = vec![None; program.facts.len()];
        let outcome: Outcome = crate::eval::run(program, &none);
        let built = super::build(program, layout, &none, &outcome, max_nodes, true)?;
        Compiled::freeze(built, layout.var_fact.len())
    }

    /// Copies the nodes reachable from the roots, in post-order, with their supports, bounds
    /// and (for the level diagram) per-variable reach tables.
    pub(crate) fn freeze(b: Built, n_vars: usize) -> Option<Compiled> {
        let words = n_vars.div_ceil(64).max(1);
        let mut c = Compiled {
            nodes: Vec::new(),
            kids: Vec::new(),
            leaf_values: Vec::new(),
            binary: FxHashMap::default(),
            wide: FxHashMap::default(),
            words,
            n_vars,
            support: Vec::new(),
            lo: Vec::new(),
            hi: Vec::new(),
            reach_at: Vec::new(),
            reach: Vec::new(),
            level: 0,
            pathways: Vec::new(),
            conds: Vec::new(),
        };
        let mut map: FxHashMap<NodeId, NodeId> = FxHashMap::default();
        c.level = c.copy(&b, b.level, &mut map)?;
        for p in &b.pathways {
            let id = c.copy(&b, *p, &mut map)?;
            c.pathways.push(id);
        }
        for r in &b.conds {
            let id = c.copy(&b, *r, &mut map)?;
            c.conds.push(id);
        }
        c.tables();
        Some(c)
    }

    /// Copies `id` and everything below it (iteratively, in post-order).
    fn copy(
        &mut self,
        b: &Built,
        id: NodeId,
        map: &mut FxHashMap<NodeId, NodeId>,
    ) -> Option<NodeId> {
        let mut stack = vec![(id, false)];
        while let Some((n, expanded)) = stack.pop() {
            if map.contains_key(&n) {
                continue;
            }
            let d = b.mdd.data(n);
            if d.var == LEAF {
                let v = b.mdd.leaf_value(n)?;
                let new = self.push_leaf(v);
                map.insert(n, new);
                continue;
            }
            let kids = b.mdd.kids_of(d);
            if expanded {
                let mapped: Option<Vec<NodeId>> =
                    kids.iter().map(|k| map.get(k).copied()).collect();
                let new = self.push_node(d.var, &mapped?);
                map.insert(n, new);
            } else {
                stack.push((n, true));
                stack.extend(kids.iter().map(|k| (*k, false)));
            }
        }
        map.get(&id).copied()
    }

    fn push_leaf(&mut self, v: i64) -> NodeId {
        let id = self.next_id();
        let start = u32::try_from(self.leaf_values.len()).unwrap_or(u32::MAX);
        self.leaf_values.push(v);
        self.nodes.push(NodeData {
            var: LEAF,
            start,
            len: 0,
        });
        self.support.extend(std::iter::repeat_n(0, self.words));
        self.lo.push(v);
        self.hi.push(v);
        id
    }

    fn push_node(&mut self, var: u32, kids: &[NodeId]) -> NodeId {
        let id = self.next_id();
        let start = u32::try_from(self.kids.len()).unwrap_or(u32::MAX);
        self.kids.extend_from_slice(kids);
        let len = u32::try_from(kids.len()).unwrap_or(0);
        self.nodes.push(NodeData { var, start, len });
        let mut sup = vec![0u64; self.words];
        set_bit(&mut sup, var);
        let (mut lo, mut hi) = (i64::MAX, i64::MIN);
        for k in kids {
            for (w, x) in sup.iter_mut().zip(self.support_of(*k)) {
                *w |= x;
            }
            lo = lo.min(self.lo.get(*k as usize).copied().unwrap_or(0));
            hi = hi.max(self.hi.get(*k as usize).copied().unwrap_or(0));
        }
        self.support.extend_from_slice(&sup);
        self.lo.push(lo);
        self.hi.push(hi);
        match kids {
            [a, b] => {
                self.binary.insert((var, *a, *b), id);
            }
            _ => {
                self.wide.insert((var, kids.into()), id);
            }
        }
        id
    }

    fn next_id(&self) -> NodeId {
        u32::try_from(self.nodes.len()).unwrap_or(u32::MAX)
    }

    fn support_of(&self, id: NodeId) -> &[u64] {
        let at = id as usize * self.words;
        self.support.get(at..at + self.words).unwrap_or(&[])
    }

    fn kids_of(&self, n: NodeData) -> &[NodeId] {
        self.kids
            .get(n.start as usize..(n.start + n.len) as usize)
            .unwrap_or(&[])
    }

    /// Reach tables for the nodes of the level diagram (post-order: children first).
    fn tables(&mut self) {
        let n = self.nodes.len();
        let mut in_level = vec![false; n];
        let mut stack = vec![self.level];
        while let Some(id) = stack.pop() {
            match in_level.get_mut(id as usize) {
                Some(seen) if !*seen => *seen = true,
                _ => continue,
            }
            if let Some(d) = self.nodes.get(id as usize).copied() {
                stack.extend_from_slice(self.kids_of(d));
            }
        }
        self.reach_at = vec![NO_TABLE; n];
        for id in 0..n {
            if !in_level.get(id).copied().unwrap_or(false) {
                continue;
            }
            let Some(d) = self.nodes.get(id).copied() else {
                continue;
            };
            let mut t = vec![0u16; self.n_vars];
            if d.var != LEAF {
                for k in self.kids_of(d) {
                    if let Some(kt) = self.table(*k) {
                        for (a, b) in t.iter_mut().zip(kt) {
                            *a = (*a).max(*b);
                        }
                    }
                }
                let here = reach_value(self.hi.get(id).copied().unwrap_or(0));
                if let Some(slot) = t.get_mut(d.var as usize) {
                    *slot = (*slot).max(here);
                }
            }
            if let Some(at) = self.reach_at.get_mut(id) {
                *at = u32::try_from(self.reach.len()).unwrap_or(NO_TABLE);
            }
            self.reach.extend_from_slice(&t);
        }
    }

    fn table(&self, id: NodeId) -> Option<&[u16]> {
        let at = *self.reach_at.get(id as usize)?;
        if at == NO_TABLE {
            return None;
        }
        self.reach.get(at as usize..at as usize + self.n_vars)
    }

    /// Which unknown facts could change the decision on these facts, what each could change,
    /// and the bounds of the level.
    pub(crate) fn query(
        &self,
        program: &Program,
        layout: &Layout,
        facts: &[Option<i64>],
    ) -> Relevance {
        SCRATCH_SPACE.with(|cell| match cell.try_borrow_mut() {
            Ok(mut sc) => self.query_with(&mut sc, program, layout, facts),
            // Re-entered on this thread (never expected): a fresh scratch space is as correct.
            Err(_) => self.query_with(&mut Scratch::default(), program, layout, facts),
        })
    }

    fn query_with(
        &self,
        sc: &mut Scratch,
        program: &Program,
        layout: &Layout,
        facts: &[Option<i64>],
    ) -> Relevance {
        sc.begin(self, program, layout, facts);
        let level = sc.restrict(self, self.level);
        let pathways: Vec<Ref> = self
            .pathways
            .iter()
            .map(|p| sc.restrict(self, *p))
            .collect();

        // Supports, per fact.
        let n_facts = program.facts.len();
        let mut changes: Vec<Change> = vec![Change::default(); n_facts];
        let mut in_missing = vec![false; n_facts];
        let has_levels = !program.levels.is_empty();
        if has_levels {
            for var in sc.support_vars(self, level) {
                if let Some(f) = layout.var_fact.get(var).map(|f| *f as usize) {
                    if let (Some(c), Some(m)) = (changes.get_mut(f), in_missing.get_mut(f)) {
                        c.level = true;
                        *m = true;
                    }
                }
            }
        }
        for (pi, p) in pathways.iter().enumerate() {
            let pi = u32::try_from(pi).unwrap_or(u32::MAX);
            for var in sc.support_vars(self, *p) {
                if let Some(f) = layout.var_fact.get(var).map(|f| *f as usize) {
                    if let (Some(c), Some(m)) = (changes.get_mut(f), in_missing.get_mut(f)) {
                        if c.pathways.last() != Some(&pi) {
                            c.pathways.push(pi);
                        }
                        *m = true;
                    }
                }
            }
        }
        // Most decisive first: the highest level a fact could lead to, then the most urgent
        // pathway it could change, then declaration order.
        let reach = if has_levels {
            sc.reach(self, level)
        } else {
            Vec::new()
        };
        let mut fact_reach = vec![0u16; n_facts];
        for (var, r) in reach.iter().enumerate() {
            if let Some(f) = layout.var_fact.get(var).map(|f| *f as usize) {
                if let Some(x) = fact_reach.get_mut(f) {
                    *x = (*x).max(*r);
                }
            }
        }
        let mut missing: Vec<FactIdx> = (0..n_facts)
            .filter(|f| in_missing.get(*f).copied().unwrap_or(false))
            .filter_map(|f| u32::try_from(f).ok())
            .collect();
        missing.sort_by_key(|f| {
            let f = *f as usize;
            (
                std::cmp::Reverse(fact_reach.get(f).copied().unwrap_or(0)),
                changes
                    .get(f)
                    .and_then(|c| c.pathways.first().copied())
                    .unwrap_or(u32::MAX),
                f,
            )
        });
        let changes: Vec<Change> = missing
            .iter()
            .map(|f| changes.get(*f as usize).cloned().unwrap_or_default())
            .collect();

        let bounds = if has_levels {
            let (lo, hi) = sc.bounds(self, level);
            Some((
                u32::try_from(lo).unwrap_or(1).max(1),
                u32::try_from(hi).unwrap_or(1).max(1),
            ))
        } else {
            None
        };
        let settled = if missing.is_empty() {
            let lvl = if has_levels {
                bounds.map(|(lo, _)| lo)
            } else {
                None
            };
            let ps = pathways
                .iter()
                .enumerate()
                .filter(|(_, r)| sc.leaf_value(self, **r).unwrap_or(0) != 0)
                .filter_map(|(i, _)| u32::try_from(i).ok())
                .collect();
            let fired = self
                .conds
                .iter()
                .enumerate()
                .filter(|(_, c)| {
                    let r = sc.restrict(self, **c);
                    sc.leaf_value(self, r).unwrap_or(0) != 0
                })
                .map(|(i, _)| i)
                .collect();
            Some((lvl, ps, fired))
        } else {
            None
        };
        Relevance {
            missing,
            changes,
            bounds,
            settled,
            undecided: false,
        }
    }
}

fn reach_value(level: i64) -> u16 {
    u16::try_from(level.saturating_add(1).max(1)).unwrap_or(u16::MAX)
}

fn set_bit(words: &mut [u64], var: u32) {
    if let Some(w) = words.get_mut(var as usize / 64) {
        *w |= 1u64 << (var % 64);
    }
}

thread_local! {
    static SCRATCH_SPACE: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// Per-thread working space for restriction, reused across evaluations: memo tables are
/// stamped with a generation instead of being cleared.
#[derive(Default)]
struct Scratch {
    gen: u32,
    /// Per compiled node: the generation its memo entry belongs to, and the entry.
    memo_gen: Vec<u32>,
    memo: Vec<Ref>,
    /// Per compiled node: the generation it was last visited in by a traversal.
    seen_gen: Vec<u32>,
    /// Per variable: the child a known fact selects, or `UNKNOWN`.
    known: Vec<u32>,
    known_mask: Vec<u64>,
    /// Nodes made while restricting.
    nodes: Vec<NodeData>,
    kids: Vec<Ref>,
    support: Vec<u64>,
    lo: Vec<i64>,
    hi: Vec<i64>,
    unique: FxHashMap<(u32, Ref, Ref), Ref>,
    wide: FxHashMap<(u32, Vec<Ref>), Ref>,
}

impl Scratch {
    fn begin(&mut self, c: &Compiled, program: &Program, layout: &Layout, facts: &[Option<i64>]) {
        self.gen = self.gen.wrapping_add(1);
        if self.gen == 0 || self.memo_gen.len() < c.nodes.len() {
            self.gen = 1;
            self.memo_gen = vec![0; c.nodes.len()];
            self.memo = vec![0; c.nodes.len()];
            self.seen_gen = vec![0; c.nodes.len()];
        }
        self.known.clear();
        self.known.resize(c.n_vars, UNKNOWN);
        self.known_mask.clear();
        self.known_mask.resize(c.words, 0);
        self.nodes.clear();
        self.kids.clear();
        self.support.clear();
        self.lo.clear();
        self.hi.clear();
        self.unique.clear();
        self.wide.clear();
        for (i, (fact, value)) in program.facts.iter().zip(facts).enumerate() {
            let Some(v) = *value else {
                continue;
            };
            let Some(first) = layout.first_var.get(i).copied() else {
                continue;
            };
            match &fact.ty {
                FactTy::Bool | FactTy::Enum(_) => {
                    self.know(first, u32::try_from(v).unwrap_or(UNKNOWN))
                }
                FactTy::Int { .. } => {
                    // The class of `v`: the last representative at or below it.
                    let reps = layout.reps.get(i).map_or(&[][..], Vec::as_slice);
                    let class = reps.partition_point(|r| *r <= v).saturating_sub(1);
                    self.know(first, u32::try_from(class).unwrap_or(UNKNOWN));
                }
                FactTy::Set(codes) => {
                    for j in 0..codes.len().min(64) {
                        let bit = u32::from((v as u64) >> j & 1 == 1);
                        self.know(first + u32::try_from(j).unwrap_or(0), bit);
                    }
                }
            }
        }
    }

    fn know(&mut self, var: u32, child: u32) {
        if child == UNKNOWN {
            return;
        }
        if let Some(k) = self.known.get_mut(var as usize) {
            *k = child;
            set_bit(&mut self.known_mask, var);
        }
    }

    fn support_of<'a>(&'a self, c: &'a Compiled, r: Ref) -> &'a [u64] {
        if r & SCRATCH == 0 {
            c.support_of(r)
        } else {
            let at = (r & !SCRATCH) as usize * c.words;
            self.support.get(at..at + c.words).unwrap_or(&[])
        }
    }

    fn bounds(&self, c: &Compiled, r: Ref) -> (i64, i64) {
        let i = (r & !SCRATCH) as usize;
        let (lo, hi) = if r & SCRATCH == 0 {
            (&c.lo, &c.hi)
        } else {
            (&self.lo, &self.hi)
        };
        (
            lo.get(i).copied().unwrap_or(0),
            hi.get(i).copied().unwrap_or(0),
        )
    }

    fn leaf_value(&self, c: &Compiled, r: Ref) -> Option<i64> {
        if r & SCRATCH != 0 {
            return None;
        }
        let d = c.nodes.get(r as usize)?;
        (d.var == LEAF).then(|| c.leaf_values.get(d.start as usize).copied())?
    }

    /// The variables `r` depends on.
    fn support_vars(&self, c: &Compiled, r: Ref) -> Vec<usize> {
        let mut out = Vec::new();
        for (wi, w) in self.support_of(c, r).iter().enumerate() {
            let mut w = *w;
            while w != 0 {
                out.push(wi * 64 + w.trailing_zeros() as usize);
                w &= w - 1;
            }
        }
        out
    }

    /// `id` with the known facts substituted, reduced: it tests a variable exactly when the
    /// restricted function depends on it.
    fn restrict(&mut self, c: &Compiled, id: NodeId) -> Ref {
        let i = id as usize;
        let untouched = c
            .support_of(id)
            .iter()
            .zip(&self.known_mask)
            .all(|(a, b)| a & b == 0);
        if untouched {
            return id;
        }
        if self.memo_gen.get(i) == Some(&self.gen) {
            if let Some(r) = self.memo.get(i) {
                return *r;
            }
        }
        let Some(d) = c.nodes.get(i).copied() else {
            return id;
        };
        let known = self.known.get(d.var as usize).copied().unwrap_or(UNKNOWN);
        let kids = c.kids_of(d);
        let r = match kids.get(known as usize) {
            Some(k) if known != UNKNOWN => self.restrict(c, *k),
            _ => {
                let mut out: Vec<Ref> = Vec::with_capacity(kids.len());
                for k in kids {
                    out.push(self.restrict(c, *k));
                }
                self.mk(c, d.var, out)
            }
        };
        if let (Some(g), Some(m)) = (self.memo_gen.get_mut(i), self.memo.get_mut(i)) {
            *g = self.gen;
            *m = r;
        }
        r
    }

    fn mk(&mut self, c: &Compiled, var: u32, kids: Vec<Ref>) -> Ref {
        if let [k0, rest @ ..] = kids.as_slice() {
            if rest.iter().all(|k| k == k0) {
                return *k0;
            }
        }
        // INVARIANT: a node whose children are all compiled nodes may itself be compiled; a
        // node with a child made here cannot be (that child's function is not compiled), so
        // looking in both unique tables keeps restricted diagrams reduced.
        if kids.iter().all(|k| k & SCRATCH == 0) {
            let found = match kids.as_slice() {
                [a, b] => c.binary.get(&(var, *a, *b)).copied(),
                _ => c.wide.get(&(var, kids.clone().into_boxed_slice())).copied(),
            };
            if let Some(id) = found {
                return id;
            }
        }
        if let [a, b] = kids.as_slice() {
            if let Some(r) = self.unique.get(&(var, *a, *b)) {
                return *r;
            }
        } else if let Some(r) = self.wide.get(&(var, kids.clone())) {
            return *r;
        }
        let r = u32::try_from(self.nodes.len()).unwrap_or(0) | SCRATCH;
        let mut sup = vec![0u64; c.words];
        set_bit(&mut sup, var);
        let (mut lo, mut hi) = (i64::MAX, i64::MIN);
        for k in &kids {
            for (w, x) in sup.iter_mut().zip(self.support_of(c, *k)) {
                *w |= x;
            }
            let (a, b) = self.bounds(c, *k);
            lo = lo.min(a);
            hi = hi.max(b);
        }
        let start = u32::try_from(self.kids.len()).unwrap_or(u32::MAX);
        let len = u32::try_from(kids.len()).unwrap_or(0);
        self.nodes.push(NodeData { var, start, len });
        self.kids.extend_from_slice(&kids);
        self.support.extend_from_slice(&sup);
        self.lo.push(lo);
        self.hi.push(hi);
        if let [a, b] = kids.as_slice() {
            self.unique.insert((var, *a, *b), r);
        } else {
            self.wide.insert((var, kids), r);
        }
        r
    }

    /// Per variable, one more than the highest level reachable below a node of the restricted
    /// level diagram `root` that tests it (0: not tested).
    fn reach(&mut self, c: &Compiled, root: Ref) -> Vec<u16> {
        let mut out = vec![0u16; c.n_vars];
        let mut seen_scratch = vec![false; self.nodes.len()];
        let mut stack = vec![root];
        while let Some(r) = stack.pop() {
            if r & SCRATCH == 0 {
                let i = r as usize;
                match self.seen_gen.get_mut(i) {
                    Some(g) if *g != self.gen => *g = self.gen,
                    _ => continue,
                }
                if let Some(t) = c.table(r) {
                    for (a, b) in out.iter_mut().zip(t) {
                        *a = (*a).max(*b);
                    }
                }
                continue;
            }
            let i = (r & !SCRATCH) as usize;
            match seen_scratch.get_mut(i) {
                Some(s) if !*s => *s = true,
                _ => continue,
            }
            let Some(d) = self.nodes.get(i).copied() else {
                continue;
            };
            let here = reach_value(self.hi.get(i).copied().unwrap_or(0));
            if let Some(slot) = out.get_mut(d.var as usize) {
                *slot = (*slot).max(here);
            }
            if let Some(ks) = self.kids.get(d.start as usize..(d.start + d.len) as usize) {
                stack.extend_from_slice(ks);
            }
        }
        out
    }
}
