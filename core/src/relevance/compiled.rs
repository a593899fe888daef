//! The compiled form: the outcome's diagrams over every fact, built once when a rule set loads,
//! and the per-referral query.
//!
//! A referral's known facts restrict the diagrams. The restricted level diagram's leaves bound
//! the level (its lowest leaf is the level reported, its highest the level the unknowns could
//! still reach), and the variables the restricted diagrams still depend on are exactly the
//! unknown facts that could change the level or a pathway.
//!
//! Restriction builds no nodes. It visits only nodes whose sub-diagram tests a known fact (each
//! node carries its support as a bit set), so a complete referral is one walk from each root and
//! the empty referral costs nothing, and for each visited node it works out the restricted
//! function's support, bounds and fingerprint. A node is redundant after restriction when its
//! children's restricted functions are all equal. Each function has a fingerprint: its
//! multilinear extension evaluated at a fixed point, modulo the prime 2^61 - 1. Equal functions
//! always have equal fingerprints. So different fingerprints prove the children differ. Equal
//! fingerprints are confirmed by an exact comparison, so no outcome relies on chance.

use std::cell::RefCell;

use rustc_hash::{FxHashMap, FxHashSet};

use super::{Built, Changes, Layout, Relevance};
use crate::diagram::{NodeData, NodeId, LEAF};
use crate::eval::Outcome;
use crate::ir::{FactIdx, FactTy, Program};

/// A restricted function: the compiled node it is the restriction of. Restriction maps every node
/// to one whose variable is unknown (or a leaf), skipping known tests and redundant nodes.
type Ref = u32;
/// A variable whose fact is unknown.
const UNKNOWN: u32 = u32::MAX;
const NO_TABLE: u32 = u32::MAX;
/// The Mersenne prime 2^61 - 1: fingerprints are computed modulo it.
const P: u64 = (1 << 61) - 1;
/// A set of diagram variables. Rule sets with more variables than it holds are not compiled:
/// their `missing` is worked out per referral, or over the budget conservatively.
type VarSet = [u64; 4];
const MAX_VARS: usize = 256;

fn union(a: &mut VarSet, b: &VarSet) {
    for (x, y) in a.iter_mut().zip(b) {
        *x |= y;
    }
}

fn meets(a: &VarSet, b: &VarSet) -> bool {
    a.iter().zip(b).any(|(x, y)| x & y != 0)
}

/// The compiled diagrams, immutable and shared by every evaluation.
#[derive(Debug)]
pub(crate) struct Compiled {
    /// Nodes in post-order (children before parents), reachable from a root.
    nodes: Vec<NodeData>,
    kids: Vec<NodeId>,
    leaf_values: Vec<i64>,
    n_vars: usize,
    /// Per node: the variables it depends on, its lowest and highest leaf, its fingerprint.
    data: Vec<Data>,
    /// Per variable, the offset in `weights` of one weight per value (they sum to 1 mod `P`).
    weight_at: Vec<u32>,
    weights: Vec<u64>,
    /// Per node of the level diagram, the offset in `reach` of its table: per variable, one more
    /// than the highest level reachable below a node testing it (0: not tested below).
    reach_at: Vec<u32>,
    reach: Vec<u16>,
    level: NodeId,
    pathways: Vec<NodeId>,
    conds: Vec<NodeId>,
    advisory: NodeId,
}

impl Compiled {
    /// Compiles the program's outcome over every fact. `None` when the diagrams exceed the
    /// node budget (evaluation then builds diagrams per referral, over its unknown facts).
    pub(crate) fn new(program: &Program, layout: &Layout, max_nodes: usize) -> Option<Compiled> {
        let none = vec![None; program.facts.len()];
        let outcome: Outcome = crate::eval::run(program, &none);
        let built = super::build(program, layout, &none, &outcome, max_nodes, true)?;
        Compiled::freeze(built, layout.var_fact.len())
    }

    /// Copies the nodes reachable from the roots, in post-order, with their supports, bounds,
    /// fingerprints and (for the level diagram) per-variable reach tables.
    pub(crate) fn freeze(b: Built, n_vars: usize) -> Option<Compiled> {
        if n_vars > MAX_VARS {
            return None;
        }
        let mut c = Compiled {
            nodes: Vec::new(),
            kids: Vec::new(),
            leaf_values: Vec::new(),
            n_vars,
            data: Vec::new(),
            weight_at: Vec::new(),
            weights: Vec::new(),
            reach_at: Vec::new(),
            reach: Vec::new(),
            level: 0,
            pathways: Vec::new(),
            conds: Vec::new(),
            advisory: 0,
        };
        c.weights_for(&b, n_vars);
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
        c.advisory = c.copy(&b, b.advisory, &mut map)?;
        c.tables();
        Some(c)
    }

    /// One weight per value of each variable, from a fixed seed, summing to 1 mod `P`.
    fn weights_for(&mut self, b: &Built, n_vars: usize) {
        let mut arity = vec![0u32; n_vars];
        for n in &b.mdd.nodes {
            if let Some(a) = arity.get_mut(n.var as usize) {
                *a = (*a).max(n.len);
            }
        }
        let mut seed = 0x5EED_0F7E_u64;
        for a in arity {
            self.weight_at
                .push(u32::try_from(self.weights.len()).unwrap_or(u32::MAX));
            let mut sum = 0u64;
            for _ in 1..a {
                let w = splitmix(&mut seed) % P;
                sum = add(sum, w);
                self.weights.push(w);
            }
            if a > 0 {
                // The first value's weight makes the sum 1.
                let first = add(1, P - sum);
                let at = self.weights.len() - (a as usize - 1);
                self.weights.insert(at, first);
            }
        }
    }

    fn weight(&self, var: u32, value: usize) -> u64 {
        self.weight_at
            .get(var as usize)
            .and_then(|at| self.weights.get(*at as usize + value))
            .copied()
            .unwrap_or(0)
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
        self.data.push(Data {
            support: VarSet::default(),
            lo: v,
            hi: v,
            fp: leaf_fp(v),
        });
        id
    }

    fn push_node(&mut self, var: u32, kids: &[NodeId]) -> NodeId {
        let id = self.next_id();
        let start = u32::try_from(self.kids.len()).unwrap_or(u32::MAX);
        self.kids.extend_from_slice(kids);
        let len = u32::try_from(kids.len()).unwrap_or(0);
        self.nodes.push(NodeData { var, start, len });
        let mut sup = VarSet::default();
        set_bit(&mut sup, var);
        let (mut lo, mut hi, mut fp) = (i64::MAX, i64::MIN, 0u64);
        for (i, k) in kids.iter().enumerate() {
            union(&mut sup, &self.support_of(*k));
            let kd = self.data.get(*k as usize).copied().unwrap_or_default();
            lo = lo.min(kd.lo);
            hi = hi.max(kd.hi);
            let kf = kd.fp;
            fp = add(fp, mul(self.weight(var, i), kf));
        }
        self.data.push(Data {
            support: sup,
            lo,
            hi,
            fp,
        });
        id
    }

    fn next_id(&self) -> NodeId {
        u32::try_from(self.nodes.len()).unwrap_or(u32::MAX)
    }

    fn support_of(&self, id: NodeId) -> VarSet {
        self.data
            .get(id as usize)
            .map(|d| d.support)
            .unwrap_or_default()
    }

    fn kids_of(&self, n: NodeData) -> &[NodeId] {
        self.kids
            .get(n.start as usize..(n.start + n.len) as usize)
            .unwrap_or(&[])
    }

    fn node(&self, id: NodeId) -> NodeData {
        self.nodes.get(id as usize).copied().unwrap_or(NodeData {
            var: LEAF,
            start: 0,
            len: 0,
        })
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
                let here = reach_value(self.data.get(id).map_or(0, |d| d.hi));
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

        // Supports, per fact: whether it could change the level, and a bit set of pathways.
        let n_facts = program.facts.len();
        let pw = program.pathways.len().div_ceil(64).max(1);
        let mut level_of = vec![false; n_facts];
        let mut pathways_of = vec![0u64; n_facts * pw];
        let mut in_missing = vec![false; n_facts];
        let has_levels = !program.levels.is_empty();
        if has_levels {
            for var in super::bits(&sc.support_of(self, level)) {
                if let Some(f) = layout.var_fact.get(var as usize).map(|f| *f as usize) {
                    if let (Some(c), Some(m)) = (level_of.get_mut(f), in_missing.get_mut(f)) {
                        *c = true;
                        *m = true;
                    }
                }
            }
        }
        for (pi, p) in pathways.iter().enumerate() {
            for var in super::bits(&sc.support_of(self, *p)) {
                if let Some(f) = layout.var_fact.get(var as usize).map(|f| *f as usize) {
                    if let (Some(w), Some(m)) =
                        (pathways_of.get_mut(f * pw + pi / 64), in_missing.get_mut(f))
                    {
                        *w |= 1u64 << (pi % 64);
                        *m = true;
                    }
                }
            }
        }
        // Most decisive first: the highest level a fact could lead to, then the most urgent
        // pathway it could change, then declaration order.
        let mut fact_reach = vec![0u16; n_facts];
        if has_levels {
            sc.reach(self, level, |var, r| {
                if let Some(x) = layout
                    .var_fact
                    .get(var)
                    .and_then(|f| fact_reach.get_mut(*f as usize))
                {
                    *x = (*x).max(r);
                }
            });
        }
        let first_pathway = |f: usize| {
            pathways_of
                .get(f * pw..f * pw + pw)
                .and_then(|w| super::bits(w).next())
                .unwrap_or(u32::MAX)
        };
        let mut missing: Vec<FactIdx> = (0..n_facts)
            .filter(|f| in_missing.get(*f).copied().unwrap_or(false))
            .filter_map(|f| u32::try_from(f).ok())
            .collect();
        missing.sort_unstable_by_key(|f| {
            let f = *f as usize;
            (
                std::cmp::Reverse(fact_reach.get(f).copied().unwrap_or(0)),
                first_pathway(f),
                f,
            )
        });
        let mut changes = Changes {
            level: Vec::with_capacity(missing.len()),
            pathways: Vec::with_capacity(missing.len() * pw),
            words: pw,
        };
        for f in &missing {
            let f = *f as usize;
            changes
                .level
                .push(level_of.get(f).copied().unwrap_or(false));
            changes
                .pathways
                .extend_from_slice(pathways_of.get(f * pw..f * pw + pw).unwrap_or(&[]));
        }

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
        let advisory = {
            let r = sc.restrict(self, self.advisory);
            sc.bounds(self, r).0 != 0
        };
        Relevance {
            missing,
            changes,
            bounds,
            settled,
            undecided: false,
            advisory,
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

fn add(a: u64, b: u64) -> u64 {
    let s = a + b;
    if s >= P {
        s - P
    } else {
        s
    }
}

fn mul(a: u64, b: u64) -> u64 {
    let z = u128::from(a) * u128::from(b);
    // 2^61 = 1 mod P: fold the high bits onto the low ones.
    let folded = (z as u64 & P) + ((z >> 61) as u64);
    if folded >= P {
        folded - P
    } else {
        folded
    }
}

fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn leaf_fp(v: i64) -> u64 {
    let mut s = v as u64;
    splitmix(&mut s) % P
}

thread_local! {
    static SCRATCH_SPACE: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// Per-thread working space for restriction, reused across evaluations: the per-node tables
/// are stamped with a generation instead of being cleared.
#[derive(Default)]
struct Scratch {
    gen: u32,
    /// Per compiled node: the generation its entry belongs to, and the node its restriction is
    /// (itself when it still tests its variable).
    memo: Vec<(u32, Ref)>,
    /// Per compiled node that still tests its variable after restriction: its restricted data.
    data: Vec<Data>,
    /// Per compiled node: the generation it was last visited in by a traversal.
    seen_gen: Vec<u32>,
    /// Per variable: the child a known fact selects, or `UNKNOWN`.
    known: Vec<u32>,
    known_mask: VarSet,
    /// Pairs of restricted functions proved equal in this generation.
    equal: FxHashSet<(Ref, Ref)>,
}

/// A restricted function's support, bounds and fingerprint.
#[derive(Debug, Clone, Copy, Default)]
struct Data {
    support: VarSet,
    lo: i64,
    hi: i64,
    fp: u64,
}

impl Scratch {
    fn begin(&mut self, c: &Compiled, program: &Program, layout: &Layout, facts: &[Option<i64>]) {
        self.gen = self.gen.wrapping_add(1);
        let n = c.nodes.len();
        if self.gen == 0 || self.memo.len() != n {
            self.gen = 1;
            self.memo = vec![(0, 0); n];
            self.data = vec![Data::default(); n];
            self.seen_gen = vec![0; n];
        }
        self.known.clear();
        self.known.resize(c.n_vars, UNKNOWN);
        self.known_mask = VarSet::default();
        self.equal.clear();
        for (i, (fact, value)) in program.facts.iter().zip(facts).enumerate() {
            let Some(v) = *value else {
                continue;
            };
            let Some(first) = layout.first_var.get(i).copied() else {
                continue;
            };
            match &fact.ty {
                FactTy::Bool | FactTy::Enum(_) => {
                    self.know(first, u32::try_from(v).unwrap_or(UNKNOWN));
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

    /// Whether `r` (a result of `restrict`) has its restricted data here rather than compiled.
    fn own(&self, r: Ref) -> bool {
        self.memo.get(r as usize) == Some(&(self.gen, r))
    }

    /// The restricted support, bounds and fingerprint of `r` (a result of `restrict`).
    fn data_of(&self, c: &Compiled, r: Ref) -> Data {
        let i = r as usize;
        if self.own(r) {
            self.data.get(i).copied().unwrap_or_default()
        } else {
            c.data.get(i).copied().unwrap_or_default()
        }
    }

    fn support_of(&self, c: &Compiled, r: Ref) -> VarSet {
        self.data_of(c, r).support
    }

    fn bounds(&self, c: &Compiled, r: Ref) -> (i64, i64) {
        let d = self.data_of(c, r);
        (d.lo, d.hi)
    }

    /// The value of `r` when its restricted function is constant.
    fn leaf_value(&self, c: &Compiled, r: Ref) -> Option<i64> {
        let d = c.nodes.get(r as usize)?;
        (d.var == LEAF).then(|| c.leaf_values.get(d.start as usize).copied())?
    }

    /// The restriction of `id` by the known facts: a node testing an unknown variable on which
    /// the restricted function depends, or a leaf, or an untouched compiled node.
    fn restrict(&mut self, c: &Compiled, id: NodeId) -> Ref {
        let i = id as usize;
        match c.data.get(i) {
            Some(d) if meets(&d.support, &self.known_mask) => {}
            _ => return id,
        }
        if let Some((g, r)) = self.memo.get(i) {
            if *g == self.gen {
                return *r;
            }
        }
        let d = c.node(id);
        let known = self.known.get(d.var as usize).copied().unwrap_or(UNKNOWN);
        let r = if known != UNKNOWN && known < d.len {
            let k = c
                .kids
                .get((d.start + known) as usize)
                .copied()
                .unwrap_or(id);
            self.restrict(c, k)
        } else {
            self.essential_or_alias(c, id, d)
        };
        if let Some(m) = self.memo.get_mut(i) {
            *m = (self.gen, r);
        }
        r
    }

    /// Restricts the children of `id` (which tests an unknown variable): when they are all the
    /// same function, that function; otherwise `id`, with its restricted data recorded.
    fn essential_or_alias(&mut self, c: &Compiled, id: NodeId, d: NodeData) -> Ref {
        let w = c.weight_at.get(d.var as usize).copied().unwrap_or(0) as usize;
        let first = c.kids.get(d.start as usize).copied().unwrap_or(id);
        let r0 = self.restrict(c, first);
        let d0 = self.data_of(c, r0);
        let mut acc = Data {
            fp: mul(c.weights.get(w).copied().unwrap_or(0), d0.fp),
            ..d0
        };
        let mut all_same = true;
        for j in 1..d.len {
            let k = c.kids.get((d.start + j) as usize).copied().unwrap_or(id);
            let r = self.restrict(c, k);
            let dk = self.data_of(c, r);
            if all_same && r != r0 && (dk.fp != d0.fp || !self.equal(c, r0, r)) {
                all_same = false;
            }
            acc.lo = acc.lo.min(dk.lo);
            acc.hi = acc.hi.max(dk.hi);
            acc.fp = add(
                acc.fp,
                mul(c.weights.get(w + j as usize).copied().unwrap_or(0), dk.fp),
            );
            union(&mut acc.support, &dk.support);
        }
        if all_same {
            return r0;
        }
        set_bit(&mut acc.support, d.var);
        let i = id as usize;
        if let Some(slot) = self.data.get_mut(i) {
            *slot = acc;
        }
        // Recorded before the caller records the alias, so that `own(id)` holds from here on.
        if let Some(m) = self.memo.get_mut(i) {
            *m = (self.gen, id);
        }
        id
    }

    /// Whether two restricted functions (results of `restrict`) are equal, exactly: they are
    /// compared child by child on their top variable. Called only when their fingerprints agree.
    fn equal(&mut self, c: &Compiled, a: Ref, b: Ref) -> bool {
        if a == b {
            return true;
        }
        let (x, y) = (self.data_of(c, a), self.data_of(c, b));
        if x.fp != y.fp || x.lo != y.lo || x.hi != y.hi || x.support != y.support {
            return false;
        }
        // INVARIANT: compiled nodes are reduced and unique, so two untouched nodes (or two
        // leaves) that are different nodes are different functions.
        let (da, db) = (c.node(a), c.node(b));
        if (!self.own(a) && !self.own(b)) || da.var == LEAF || db.var == LEAF {
            return false;
        }
        let (x, y) = if a < b { (a, b) } else { (b, a) };
        if self.equal.contains(&(x, y)) {
            return true;
        }
        let top = da.var.min(db.var);
        let n = if da.var == top { da.len } else { db.len };
        for j in 0..n {
            let ka = if da.var == top {
                c.kids.get((da.start + j) as usize).copied().unwrap_or(a)
            } else {
                a
            };
            let kb = if db.var == top {
                c.kids.get((db.start + j) as usize).copied().unwrap_or(b)
            } else {
                b
            };
            let (ra, rb) = (self.restrict(c, ka), self.restrict(c, kb));
            if !self.equal(c, ra, rb) {
                return false;
            }
        }
        self.equal.insert((x, y));
        true
    }

    /// Calls `f(var, reach)` for the variables of the restricted level diagram `root`: `reach` is
    /// one more than the highest level reachable below a node testing `var`.
    fn reach(&mut self, c: &Compiled, root: Ref, mut f: impl FnMut(usize, u16)) {
        let mut stack = vec![root];
        while let Some(r) = stack.pop() {
            let i = r as usize;
            match self.seen_gen.get_mut(i) {
                Some(g) if *g != self.gen => *g = self.gen,
                _ => continue,
            }
            if !self.own(r) {
                if let Some(t) = c.table(r) {
                    for (var, x) in t.iter().enumerate() {
                        if *x != 0 {
                            f(var, *x);
                        }
                    }
                }
                continue;
            }
            let d = c.node(r);
            f(d.var as usize, reach_value(self.data_of(c, r).hi));
            for j in 0..d.len {
                let k = c.kids.get((d.start + j) as usize).copied().unwrap_or(r);
                let rk = self.restrict(c, k);
                stack.push(rk);
            }
        }
    }
}
