//! The compiled form: the outcome's diagrams over every fact, built once when a rule set loads,
//! and the per-referral query.
//!
//! A referral's known facts restrict the diagrams. The restricted level diagram's leaves bound
//! the level (its lowest leaf is the level reported, its highest the level the unknowns could
//! still reach), and the variables the restricted diagrams still depend on are exactly the
//! unknown facts that could change the level or a pathway.
//!
//! Restriction visits only nodes whose sub-diagram tests a known fact (each node carries its
//! support as a bit set), so a complete referral is one walk from each root and the empty
//! referral costs nothing. The restricted diagrams are canonical: a visited node whose
//! restricted children are one function becomes that function, and any other is looked up by
//! its variable and restricted children, first among the compiled nodes and then among the
//! nodes this referral made, before a node is made. Equal functions are then the same node, so
//! the restricted diagrams are reduced, and the variables they test are exactly their support.
//! Nothing depends on chance or on the order the roots are restricted in.

use std::cell::RefCell;

use rustc_hash::FxHashMap;

use super::{Built, Changes, Layout, Relevance};
use crate::diagram::{NodeData, NodeId, LEAF};
use crate::eval::Outcome;
use crate::ir::{FactId, FactTy, LevelRank, PathwayId, Program};

/// A restricted function: a compiled node (below `Compiled::nodes.len()`), or a node the
/// referral's restriction made (the rest, offset by that length). Equal functions are equal refs.
type Ref = u32;
/// A variable whose fact is unknown.
const UNKNOWN: u32 = u32::MAX;
/// A set of diagram variables. Rule sets with more variables than it holds are not compiled:
/// their `missing` is worked out per referral, or over the budget conservatively.
type VarSet = [u64; 4];
const MAX_VARS: usize = 256;

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
    /// Per node: the variables it depends on, its lowest and highest leaf.
    data: Vec<Data>,
    /// Every node, by its variable and children.
    unique: Unique,
    level: NodeId,
    pathways: Vec<NodeId>,
    /// Per pathway, when no rule adds it (it is a function of the level alone): the level
    /// diagram mapped through it, so that its restriction is the restricted level diagram
    /// mapped through (`Scratch::project`) instead of a second restriction.
    projections: Vec<Option<Projection>>,
    conds: Vec<NodeId>,
    advisory: NodeId,
}

/// A pathway that is a function of the level alone: `[level ∈ ranks]`.
#[derive(Debug)]
struct Projection {
    /// The level ranks (bit `r`) whose default pathways include it.
    ranks: u64,
    /// Per compiled node of the level diagram, the compiled node equal to the pathway's
    /// function of it (`NONE` for nodes outside the level diagram).
    of: Vec<NodeId>,
    /// The leaves for "no" and "yes".
    leaves: [NodeId; 2],
    /// The number of nodes in the pathway's own diagram: restricting it visits at most these,
    /// mapping visits every node the level's restriction made, so the cheaper is taken (both
    /// give the same node).
    size: usize,
}

const NONE: NodeId = u32::MAX;

/// The compiled diagrams as the precompiled form stores them: per node in post-order its
/// variable (`LEAF` for a leaf), the children of the inner nodes in that order, the leaves'
/// values in that order, and the roots. The rest is worked out again when it is read.
///
/// A child is a leaf's number among the leaves (below `leaf_values.len()`), or that count plus
/// how many nodes before its parent it is. A quarter of all children are one of the few leaves,
/// which sit far back in post-order; numbered, they take a byte each and compress well (on the
/// shipped rules the children take 8.8 KB gzipped instead of 15.1 KB as distances alone).
#[derive(Debug)]
pub(crate) struct Image {
    pub(crate) vars: Vec<u32>,
    pub(crate) kids: Vec<NodeId>,
    pub(crate) leaf_values: Vec<i64>,
    pub(crate) level: NodeId,
    pub(crate) pathways: Vec<NodeId>,
    pub(crate) conds: Vec<NodeId>,
    pub(crate) advisory: NodeId,
}

crate::wire::wire_struct!(Image {
    vars,
    kids,
    leaf_values,
    level,
    pathways,
    conds,
    advisory
});

/// How many children a node testing `var` has: one per value class of its fact.
fn arity(program: &Program, layout: &Layout, var: u32) -> Option<usize> {
    let f = *layout.var_fact.get(var as usize)?;
    Some(match &program.facts.get(f.index())?.ty {
        FactTy::Bool | FactTy::Set(_) => 2,
        FactTy::Enum(codes) => codes.len(),
        FactTy::Int { .. } => layout.reps.get(f.index())?.len(),
    })
}

impl Compiled {
    /// Compiles the program's outcome over every fact. `None` when the diagrams exceed the
    /// node budget (evaluation then builds diagrams per referral, over its unknown facts).
    pub(crate) fn new(program: &Program, layout: &Layout, max_nodes: usize) -> Option<Compiled> {
        let none = vec![None; program.facts.len()];
        let outcome: Outcome = crate::eval::run(program, &none);
        let built = super::build(program, layout, &none, &outcome, max_nodes)?;
        let mut c = Compiled::freeze(built, layout.var_fact.len())?;
        c.derive(program);
        Some(c)
    }

    /// Everything worked out from the nodes and roots: the unique table and the projections.
    fn derive(&mut self, program: &Program) {
        self.unique = Unique::with_room(self.nodes.len());
        for id in 0..self.next_id() {
            let d = self.node(id);
            if d.var != LEAF {
                let kids = self.kids_of(d);
                if let Err(slot) = self.unique.find(hash(d.var, kids), |_| false) {
                    self.unique.fill(slot, id);
                }
            }
        }
        // The level diagram's nodes, in post-order: the projections are over them.
        let in_level = self.reachable(self.level);
        let level_nodes: Vec<NodeId> = (0..self.next_id())
            .filter(|id| in_level.get(*id as usize).copied().unwrap_or(false))
            .collect();
        if !program.levels.is_empty() {
            // The leaves "no" and "yes" a projected pathway maps to, found once.
            let leaf_of = |v: i64| {
                (0..self.next_id()).find(|id| {
                    let n = self.node(*id);
                    n.var == LEAF && self.leaf_values.get(n.start as usize) == Some(&v)
                })
            };
            let leaves = leaf_of(0).zip(leaf_of(1)).map(|(no, yes)| [no, yes]);
            let mut added = vec![false; program.pathways.len()];
            for p in program.rules.iter().flat_map(|r| &r.pathways) {
                if let Some(a) = added.get_mut(p.index()) {
                    *a = true;
                }
            }
            self.projections = (0..program.pathways.len())
                .map(|pi| {
                    let leaves = leaves.filter(|_| !added.get(pi).copied().unwrap_or(true))?;
                    self.projection(program, pi, &level_nodes, leaves)
                })
                .collect();
        }
    }

    /// The nodes and roots, for the precompiled form (`Compiled::from_image` reads them back).
    pub(crate) fn image(&self) -> Image {
        // A leaf's number among the leaves is where its value is (`push_leaf`).
        let n_leaves = NodeId::try_from(self.leaf_values.len()).unwrap_or(NodeId::MAX);
        let mut kids = Vec::with_capacity(self.kids.len());
        for (id, n) in (0..).zip(&self.nodes) {
            kids.extend(self.kids_of(*n).iter().map(|k| {
                let kid = self.node(*k);
                if kid.var == LEAF {
                    kid.start
                } else {
                    n_leaves + (id - k)
                }
            }));
        }
        Image {
            vars: self.nodes.iter().map(|n| n.var).collect(),
            kids,
            leaf_values: self.leaf_values.clone(),
            level: self.level,
            pathways: self.pathways.clone(),
            conds: self.conds.clone(),
            advisory: self.advisory,
        }
    }

    /// The diagrams an image holds, checked: every node's children come before it and are as
    /// many as its variable has values, every root is a node, and the roots are as many as the
    /// program's pathways and rules. Anything else is an error, not a different decision.
    pub(crate) fn from_image(
        img: Image,
        program: &Program,
        layout: &Layout,
    ) -> Result<Compiled, &'static str> {
        let n_vars = layout.var_fact.len();
        if n_vars > MAX_VARS {
            return Err("more variables than diagrams are compiled for");
        }
        let mut c = Compiled::empty(n_vars);
        c.nodes.reserve_exact(img.vars.len());
        c.data.reserve_exact(img.vars.len());
        c.kids.reserve_exact(img.kids.len());
        c.leaf_values.reserve_exact(img.leaf_values.len());
        const BEFORE: &str = "a node whose children are not nodes before it";
        let (mut at, mut leaves) = (0usize, img.leaf_values.iter().copied());
        let n_leaves = NodeId::try_from(img.leaf_values.len()).map_err(|_| "too many leaves")?;
        // The leaves read so far, by their number.
        let mut leaf_ids: Vec<NodeId> = Vec::with_capacity(img.leaf_values.len());
        // Per variable, how many values it has (0: a variable no fact has).
        let arities: Vec<usize> = (0..n_vars)
            .map(|v| arity(program, layout, v as u32).unwrap_or(0))
            .collect();
        for var in img.vars {
            if var == LEAF {
                leaf_ids.push(c.next_id());
                c.push_leaf(leaves.next().ok_or("a leaf without its value")?);
                continue;
            }
            let arity = arities
                .get(var as usize)
                .copied()
                .filter(|a| *a > 0)
                .ok_or("a node testing no variable")?;
            let next = c.next_id();
            // The children go straight into the arena (no copy per node).
            let start = c.kids.len();
            for code in img.kids.get(at..at.saturating_add(arity)).unwrap_or(&[]) {
                let kid = match code.checked_sub(n_leaves) {
                    None => leaf_ids.get(*code as usize).copied(),
                    Some(back) => next.checked_sub(back).filter(|_| back > 0),
                };
                c.kids.push(kid.ok_or(BEFORE)?);
            }
            if c.kids.len() - start != arity {
                return Err(BEFORE);
            }
            at += arity;
            c.push_placed(var, start);
        }
        if at != img.kids.len() || leaves.next().is_some() {
            return Err("children or leaf values left over");
        }
        let n = c.next_id();
        let roots_ok = img.level < n
            && img.advisory < n
            && img.pathways.len() == program.pathways.len()
            && img.conds.len() == program.rules.len()
            && img.pathways.iter().chain(&img.conds).all(|r| *r < n);
        if !roots_ok {
            return Err("roots that are not nodes, or not one per pathway and rule");
        }
        c.level = img.level;
        c.pathways = img.pathways;
        c.conds = img.conds;
        c.advisory = img.advisory;
        c.derive(program);
        Ok(c)
    }

    fn empty(n_vars: usize) -> Compiled {
        Compiled {
            nodes: Vec::new(),
            kids: Vec::new(),
            leaf_values: Vec::new(),
            n_vars,
            data: Vec::new(),
            unique: Unique::default(),
            level: 0,
            pathways: Vec::new(),
            projections: Vec::new(),
            conds: Vec::new(),
            advisory: 0,
        }
    }

    /// Pathway `pi`, which no rule adds, as a function of the level, when the compiled nodes
    /// hold its function of every node of the level diagram (`level_nodes`, in post-order;
    /// checked: the level root maps to the pathway's root). `leaves` are the leaves "no" and
    /// "yes".
    fn projection(
        &self,
        program: &Program,
        pi: usize,
        level_nodes: &[NodeId],
        leaves: [NodeId; 2],
    ) -> Option<Projection> {
        let mut ranks = 0u64;
        for (li, l) in program.levels.iter().enumerate() {
            if l.default_pathways.iter().any(|p| p.index() == pi) {
                ranks |= 1u64.checked_shl(u32::try_from(li + 1).ok()?)?;
            }
        }
        let n = self.nodes.len();
        // Post-order: children are mapped before their parents.
        let mut of = vec![NONE; n];
        let mut kids: Vec<NodeId> = Vec::new();
        for id in level_nodes.iter().copied() {
            let d = self.node(id);
            let mapped = if d.var == LEAF {
                let v = self.leaf_values.get(d.start as usize).copied()?;
                let yes = u32::try_from(v)
                    .ok()
                    .and_then(|r| 1u64.checked_shl(r))
                    .is_some_and(|bit| ranks & bit != 0);
                *leaves.get(usize::from(yes))?
            } else {
                kids.clear();
                kids.extend(
                    self.kids_of(d)
                        .iter()
                        .map(|k| of.get(*k as usize).copied().unwrap_or(NONE)),
                );
                let first = *kids.first()?;
                if kids.iter().all(|k| *k == first) {
                    first
                } else {
                    let same = |x: Ref| {
                        let e = self.node(x);
                        e.var == d.var && self.kids_of(e) == kids.as_slice()
                    };
                    self.unique.find(hash(d.var, &kids), same).ok()?
                }
            };
            if mapped == NONE {
                return None;
            }
            if let Some(slot) = of.get_mut(id as usize) {
                *slot = mapped;
            }
        }
        let root = of.get(self.level as usize).copied()?;
        let size = self.reachable(root).into_iter().filter(|r| *r).count();
        (Some(&root) == self.pathways.get(pi)).then_some(Projection {
            ranks,
            of,
            leaves,
            size,
        })
    }

    /// Copies the nodes reachable from the roots, in post-order, with their supports and bounds.
    pub(crate) fn freeze(b: Built, n_vars: usize) -> Option<Compiled> {
        if n_vars > MAX_VARS {
            return None;
        }
        let mut c = Compiled::empty(n_vars);
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
        self.data.push(Data {
            support: VarSet::default(),
            lo: v,
            hi: v,
        });
        id
    }

    fn push_node(&mut self, var: u32, kids: &[NodeId]) -> NodeId {
        let start = self.kids.len();
        self.kids.extend_from_slice(kids);
        self.push_placed(var, start)
    }

    /// The node testing `var` whose children are `kids[start..]`, already in place.
    fn push_placed(&mut self, var: u32, start: usize) -> NodeId {
        let id = self.next_id();
        let kids = self.kids.get(start..).unwrap_or(&[]);
        let len = u32::try_from(kids.len()).unwrap_or(0);
        let data = Data::of(var, kids.iter().map(|k| self.data_of(*k)));
        let start = u32::try_from(start).unwrap_or(u32::MAX);
        self.nodes.push(NodeData { var, start, len });
        self.data.push(data);
        id
    }

    fn next_id(&self) -> NodeId {
        u32::try_from(self.nodes.len()).unwrap_or(u32::MAX)
    }

    fn data_of(&self, id: NodeId) -> Data {
        self.data.get(id as usize).copied().unwrap_or_default()
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

    /// Per node, whether it is reachable from `root`.
    fn reachable(&self, root: NodeId) -> Vec<bool> {
        // Children come before their parents: one pass down from the root marks them all.
        let mut seen = vec![false; self.nodes.len()];
        if let Some(s) = seen.get_mut(root as usize) {
            *s = true;
        }
        for id in (0..=root as usize).rev() {
            if !seen.get(id).copied().unwrap_or(false) {
                continue;
            }
            for k in self.kids_of(self.node(id as NodeId)) {
                if let Some(s) = seen.get_mut(*k as usize) {
                    *s = true;
                }
            }
        }
        seen
    }

    /// The level diagram's root.
    pub(crate) fn level_root(&self) -> NodeId {
        self.level
    }

    /// A node's variable (`LEAF` for a leaf) and children.
    pub(crate) fn shape(&self, id: NodeId) -> (u32, &[NodeId]) {
        let n = self.node(id);
        (n.var, self.kids_of(n))
    }

    /// The lowest and highest leaf below a node.
    pub(crate) fn bounds(&self, id: NodeId) -> (i64, i64) {
        let d = self.data_of(id);
        (d.lo, d.hi)
    }

    /// A leaf's value; `None` for an inner node.
    pub(crate) fn leaf(&self, id: NodeId) -> Option<i64> {
        let n = self.node(id);
        if n.var == LEAF {
            self.leaf_values.get(n.start as usize).copied()
        } else {
            None
        }
    }

    /// Which unknown facts could change the decision on these facts, what each could change,
    /// and the bounds of the level.
    pub(crate) fn query(
        &self,
        program: &Program,
        layout: &Layout,
        facts: &[Option<i64>],
    ) -> Relevance {
        with_scratch(|sc| self.query_with(sc, program, layout, facts))
    }

    /// The lowest level over every completion of the unknown facts (0 with no levels): the
    /// level diagram's restriction alone, without the rest of the query.
    pub(crate) fn level_floor(
        &self,
        program: &Program,
        layout: &Layout,
        facts: &[Option<i64>],
    ) -> i64 {
        with_scratch(|sc| {
            sc.begin(self, program, layout, facts);
            let level = sc.restrict(self, self.level);
            sc.bounds(self, level).0
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
        let (level, pathways) = self.restrict_outcome(sc);
        let Supports {
            level_of,
            pathways_of,
            in_missing,
            words: pw,
        } = self.supports(sc, program, layout, level, &pathways);
        let n_facts = program.facts.len();
        let has_levels = !program.levels.is_empty();
        // Most decisive first: the facts that could change the level, then by the most urgent
        // pathway each could change, then in declaration order. Every part is a property of
        // the restricted functions (their supports), so the order is the same whatever the
        // variable order.
        let first_pathway = |f: usize| {
            pathways_of
                .get(f * pw..f * pw + pw)
                .and_then(|w| super::bits(w).next())
                .unwrap_or(u32::MAX)
        };
        let mut keyed: Vec<(bool, u32, FactId)> = (0..n_facts)
            .filter(|f| in_missing.get(*f).copied().unwrap_or(false))
            .map(|f| {
                let level = level_of.get(f).copied().unwrap_or(false);
                (!level, first_pathway(f), FactId::from_usize(f))
            })
            .collect();
        crate::sort::sort(&mut keyed);
        let missing: Vec<FactId> = keyed.into_iter().map(|(_, _, f)| f).collect();
        let mut changes = Changes {
            level: Vec::with_capacity(missing.len()),
            pathways: Vec::with_capacity(missing.len() * pw),
            words: pw,
        };
        for f in &missing {
            let f = f.index();
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
                LevelRank(u32::try_from(lo).unwrap_or(1).max(1)),
                LevelRank(u32::try_from(hi).unwrap_or(1).max(1)),
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
                .map(|(i, _)| PathwayId::from_usize(i))
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

impl Compiled {
    /// The restrictions of the level diagram and of every pathway's: a pathway that is a
    /// function of the level is the restricted level diagram mapped through.
    fn restrict_outcome(&self, sc: &mut Scratch) -> (Ref, Vec<Ref>) {
        let level = sc.restrict(self, self.level);
        let pathways = self
            .pathways
            .iter()
            .enumerate()
            .map(|(pi, p)| match self.projections.get(pi) {
                Some(Some(pr)) if 2 * sc.nodes.len() <= pr.size => sc
                    .project(self, level, pr)
                    .unwrap_or_else(|| sc.restrict(self, *p)),
                _ => sc.restrict(self, *p),
            })
            .collect();
        (level, pathways)
    }

    /// For each assignment of the facts (`asked when` applied), the unknown facts that could
    /// change the level or a pathway, in declaration order, each with whether it could change
    /// the level: the `missing` and `changes.level` of [`Compiled::query`] without the order,
    /// the bounds, the advisory and the settled outcome, which ranking questions does not read.
    pub(crate) fn open_all(
        &self,
        program: &Program,
        layout: &Layout,
        assignments: &[Vec<Option<i64>>],
    ) -> Vec<Vec<(FactId, bool)>> {
        with_scratch(|sc| self.open_all_with(sc, program, layout, assignments))
    }

    fn open_all_with(
        &self,
        sc: &mut Scratch,
        program: &Program,
        layout: &Layout,
        assignments: &[Vec<Option<i64>>],
    ) -> Vec<Vec<(FactId, bool)>> {
        let mut out = Vec::with_capacity(assignments.len());
        for facts in assignments {
            sc.begin(self, program, layout, facts);
            let (level, pathways) = self.restrict_outcome(sc);
            let s = self.supports(sc, program, layout, level, &pathways);
            out.push(
                s.in_missing
                    .iter()
                    .zip(&s.level_of)
                    .enumerate()
                    .filter(|(_, (m, _))| **m)
                    .map(|(f, (_, l))| (FactId::from_usize(f), *l))
                    .collect(),
            );
        }
        out
    }

    /// The restricted roots' supports, per fact: whether it could change the level, which
    /// pathways (a bit set of `words` words per fact), and whether it could change anything.
    fn supports(
        &self,
        sc: &Scratch,
        program: &Program,
        layout: &Layout,
        level: Ref,
        pathways: &[Ref],
    ) -> Supports {
        let n_facts = program.facts.len();
        let pw = program.pathways.len().div_ceil(64).max(1);
        let mut s = Supports {
            level_of: vec![false; n_facts],
            pathways_of: vec![0u64; n_facts * pw],
            in_missing: vec![false; n_facts],
            words: pw,
        };
        if !program.levels.is_empty() {
            for var in super::bits(&sc.support_of(self, level)) {
                if let Some(f) = layout.var_fact.get(var as usize).map(|f| f.index()) {
                    if let (Some(c), Some(m)) = (s.level_of.get_mut(f), s.in_missing.get_mut(f)) {
                        *c = true;
                        *m = true;
                    }
                }
            }
        }
        for (pi, p) in pathways.iter().enumerate() {
            for var in super::bits(&sc.support_of(self, *p)) {
                if let Some(f) = layout.var_fact.get(var as usize).map(|f| f.index()) {
                    if let (Some(w), Some(m)) = (
                        s.pathways_of.get_mut(f * pw + pi / 64),
                        s.in_missing.get_mut(f),
                    ) {
                        *w |= 1u64 << (pi % 64);
                        *m = true;
                    }
                }
            }
        }
        s
    }
}

/// Per fact, what the restricted roots' supports say it could change (`Compiled::supports`).
struct Supports {
    level_of: Vec<bool>,
    pathways_of: Vec<u64>,
    in_missing: Vec<bool>,
    words: usize,
}

fn set_bit(words: &mut [u64], var: u32) {
    if let Some(w) = words.get_mut(var as usize / 64) {
        *w |= 1u64 << (var % 64);
    }
}

/// The hash of a node by its variable and children.
fn hash(var: u32, kids: &[Ref]) -> u64 {
    const K: u64 = 0x517C_C1B7_2722_0A95;
    let mut h = u64::from(var).wrapping_mul(K);
    for k in kids {
        h = (h.rotate_left(5) ^ u64::from(*k)).wrapping_mul(K);
    }
    h
}

/// An open-addressing table of node ids by (variable, children), at most half full. Entries
/// carry a generation, so the per-referral table empties in constant time.
#[derive(Debug, Default)]
struct Unique {
    gen: u32,
    slots: Vec<(u32, Ref)>,
}

impl Unique {
    /// Room for `n` nodes.
    fn with_room(n: usize) -> Unique {
        Unique {
            gen: 1,
            slots: vec![(0, 0); (2 * n + 2).next_power_of_two()],
        }
    }

    fn clear(&mut self) {
        self.gen = self.gen.wrapping_add(1);
        if self.gen == 0 {
            self.gen = 1;
            self.slots.iter_mut().for_each(|s| *s = (0, 0));
        }
    }

    /// The node with this hash for which `same` holds, or the empty slot where it belongs.
    fn find(&self, h: u64, same: impl Fn(Ref) -> bool) -> Result<Ref, usize> {
        let mask = self.slots.len().wrapping_sub(1);
        let mut at = (h as usize) & mask;
        // At most half full: an empty slot comes within `len` probes.
        for _ in 0..self.slots.len() {
            match self.slots.get(at) {
                Some((g, id)) if *g == self.gen => {
                    if same(*id) {
                        return Ok(*id);
                    }
                }
                _ => return Err(at),
            }
            at = (at + 1) & mask;
        }
        Err(usize::MAX)
    }

    fn fill(&mut self, slot: usize, id: Ref) {
        if let Some(s) = self.slots.get_mut(slot) {
            *s = (self.gen, id);
        }
    }
}

thread_local! {
    static SCRATCH_SPACE: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// Runs `f` with this thread's scratch space.
fn with_scratch<R>(f: impl FnOnce(&mut Scratch) -> R) -> R {
    SCRATCH_SPACE.with(|cell| match cell.try_borrow_mut() {
        Ok(mut sc) => f(&mut sc),
        // Re-entered on this thread (never expected): a fresh scratch space is as correct.
        Err(_) => f(&mut Scratch::default()),
    })
}

/// Per-thread working space for restriction, reused across evaluations: the per-node tables
/// are stamped with a generation instead of being cleared.
#[derive(Default)]
struct Scratch {
    gen: u32,
    /// Per compiled node: the generation its entry belongs to, and its restriction.
    memo: Vec<(u32, Ref)>,
    /// The nodes this referral's restriction made (ref `Compiled::nodes.len() + i`), their
    /// children (refs) and their data.
    nodes: Vec<NodeData>,
    kids: Vec<Ref>,
    data: Vec<Data>,
    /// The made nodes by variable and children.
    unique: Unique,
    /// Restricted children of the nodes being restricted, innermost last.
    stack: Vec<Ref>,
    /// Per made node: the stamp of the projection that mapped it, and its image.
    proj_memo: Vec<(u32, Ref)>,
    proj_stamp: u32,
    /// Per variable: the child a known fact selects, or `UNKNOWN`.
    known: Vec<u32>,
    known_mask: VarSet,
}

/// A function's support and bounds.
#[derive(Debug, Clone, Copy, Default)]
struct Data {
    support: VarSet,
    lo: i64,
    hi: i64,
}

impl Data {
    /// The data of a node testing `var` with children of these data. The support is gathered
    /// word by word in registers (setting `var`'s bit in memory and then reading the words back
    /// stalls on store forwarding, and this runs for every node a referral's restriction makes).
    fn of(var: u32, kids: impl Iterator<Item = Data>) -> Data {
        let word = var / 64;
        let bit = 1u64 << (var % 64);
        let mut support: VarSet = [0, 1, 2, 3].map(|w| if w == word { bit } else { 0 });
        let (mut lo, mut hi) = (i64::MAX, i64::MIN);
        for k in kids {
            let [a, b, c, d] = k.support;
            let [s0, s1, s2, s3] = support;
            support = [s0 | a, s1 | b, s2 | c, s3 | d];
            lo = lo.min(k.lo);
            hi = hi.max(k.hi);
        }
        Data { support, lo, hi }
    }
}

impl Scratch {
    fn begin(&mut self, c: &Compiled, program: &Program, layout: &Layout, facts: &[Option<i64>]) {
        self.gen = self.gen.wrapping_add(1);
        let n = c.nodes.len();
        if self.gen == 0 || self.memo.len() != n {
            self.gen = 1;
            self.memo = vec![(0, 0); n];
            self.unique = Unique::with_room(n);
        }
        self.unique.clear();
        self.nodes.clear();
        self.kids.clear();
        self.data.clear();
        self.stack.clear();
        self.known.clear();
        self.known.resize(c.n_vars, UNKNOWN);
        self.known_mask = VarSet::default();
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

    /// A made node's index, when `r` is one.
    fn made(c: &Compiled, r: Ref) -> Option<usize> {
        (r as usize).checked_sub(c.nodes.len())
    }

    /// The support and bounds of `r` (a result of `restrict`).
    fn data_of(&self, c: &Compiled, r: Ref) -> Data {
        match Scratch::made(c, r) {
            Some(i) => self.data.get(i).copied().unwrap_or_default(),
            None => c.data_of(r),
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

    /// The restriction of compiled node `id` by the known facts.
    fn restrict(&mut self, c: &Compiled, id: NodeId) -> Ref {
        if !self.touched(c, id) {
            return id;
        }
        let i = id as usize;
        if let Some((g, r)) = self.memo.get(i) {
            if *g == self.gen {
                return *r;
            }
        }
        let d = c.node(id);
        let kids = c.kids_of(d);
        let known = self.known.get(d.var as usize).copied().unwrap_or(UNKNOWN);
        let r = if let Some(k) = kids.get(known as usize) {
            self.restrict(c, *k)
        } else {
            let base = self.stack.len();
            for k in kids {
                let r = if self.touched(c, *k) {
                    self.restrict(c, *k)
                } else {
                    *k
                };
                self.stack.push(r);
            }
            let r = self.node(c, d.var, base);
            self.stack.truncate(base);
            r
        };
        if let Some(m) = self.memo.get_mut(i) {
            *m = (self.gen, r);
        }
        r
    }

    /// The restricted level diagram `level` mapped through a pathway that is a function of the
    /// level: that pathway's restriction, canonical like every result of `restrict`. Compiled
    /// nodes of the level diagram map through the table; made nodes (and any compiled node
    /// restriction found outside the level diagram) are mapped child by child. `None` if a node
    /// has no image (never expected: the caller then restricts the pathway itself).
    fn project(&mut self, c: &Compiled, level: Ref, pr: &Projection) -> Option<Ref> {
        self.proj_stamp = self.proj_stamp.wrapping_add(1);
        if self.proj_stamp == 0 {
            self.proj_stamp = 1;
            self.proj_memo.iter_mut().for_each(|m| *m = (0, 0));
        }
        if self.proj_memo.len() < self.nodes.len() {
            self.proj_memo.resize(self.nodes.len(), (0, 0));
        }
        let base = self.stack.len();
        let r = self.project_ref(c, level, pr);
        self.stack.truncate(base);
        r
    }

    fn project_ref(&mut self, c: &Compiled, r: Ref, pr: &Projection) -> Option<Ref> {
        let Some(i) = Scratch::made(c, r) else {
            if let Some(x) = pr.of.get(r as usize).copied().filter(|x| *x != NONE) {
                return Some(x);
            }
            let d = c.node(r);
            if d.var == LEAF {
                let v = c.leaf_values.get(d.start as usize).copied()?;
                let yes = u32::try_from(v)
                    .ok()
                    .and_then(|k| 1u64.checked_shl(k))
                    .is_some_and(|bit| pr.ranks & bit != 0);
                return pr.leaves.get(usize::from(yes)).copied();
            }
            let base = self.stack.len();
            for k in c.kids_of(d) {
                let x = self.project_ref(c, *k, pr)?;
                self.stack.push(x);
            }
            let x = self.node(c, d.var, base);
            self.stack.truncate(base);
            return Some(x);
        };
        if let Some((s, x)) = self.proj_memo.get(i) {
            if *s == self.proj_stamp {
                return Some(*x);
            }
        }
        let d = self.nodes.get(i).copied()?;
        let base = self.stack.len();
        for j in d.start..d.start + d.len {
            let k = self.kids.get(j as usize).copied()?;
            let x = self.project_ref(c, k, pr)?;
            self.stack.push(x);
        }
        let x = self.node(c, d.var, base);
        self.stack.truncate(base);
        if let Some(m) = self.proj_memo.get_mut(i) {
            *m = (self.proj_stamp, x);
        }
        Some(x)
    }

    /// Whether compiled node `id` depends on a known fact.
    #[inline]
    fn touched(&self, c: &Compiled, id: NodeId) -> bool {
        c.data
            .get(id as usize)
            .is_some_and(|d| meets(&d.support, &self.known_mask))
    }

    /// The node testing `var` whose children are `stack[base..]`: their function when they are
    /// all one, else the compiled node or made node with those children, else a new made node.
    fn node(&mut self, c: &Compiled, var: u32, base: usize) -> Ref {
        let Scratch {
            stack,
            nodes,
            kids,
            data,
            unique,
            ..
        } = self;
        let here = stack.get(base..).unwrap_or(&[]);
        let Some(first) = here.first().copied() else {
            return 0;
        };
        if here.iter().all(|k| *k == first) {
            return first;
        }
        let h = hash(var, here);
        let n = c.next_id();
        if here.iter().all(|k| *k < n) {
            let same = |id: Ref| {
                let d = c.node(id);
                d.var == var && c.kids_of(d) == here
            };
            if let Ok(id) = c.unique.find(h, same) {
                return id;
            }
        }
        let same = |r: Ref| {
            let Some(d) = r.checked_sub(n).and_then(|i| nodes.get(i as usize)) else {
                return false;
            };
            d.var == var && kids.get(d.start as usize..(d.start + d.len) as usize) == Some(here)
        };
        match unique.find(h, same) {
            Ok(r) => r,
            Err(slot) => {
                let r = n.saturating_add(u32::try_from(nodes.len()).unwrap_or(u32::MAX));
                let start = u32::try_from(kids.len()).unwrap_or(u32::MAX);
                let len = u32::try_from(here.len()).unwrap_or(0);
                kids.extend_from_slice(here);
                nodes.push(NodeData { var, start, len });
                let of = |k: &Ref| match k.checked_sub(n) {
                    Some(i) => data.get(i as usize).copied().unwrap_or_default(),
                    None => c.data_of(*k),
                };
                let d = Data::of(var, here.iter().map(of));
                data.push(d);
                unique.fill(slot, r);
                r
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A referral with a few known facts, from a small deterministic generator.
    pub(crate) fn referral(program: &Program, seed: &mut u64, known: usize) -> Vec<Option<i64>> {
        let mut next = |n: u64| {
            *seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (*seed >> 33) % n.max(1)
        };
        let mut slots = vec![None; program.facts.len()];
        for _ in 0..known {
            let f = next(program.facts.len() as u64) as usize;
            let v = match &program.facts.of(FactId::from_usize(f)).ty {
                FactTy::Bool => next(2) as i64,
                FactTy::Enum(codes) => next(codes.len() as u64) as i64,
                FactTy::Int { lo, hi } => lo + next((hi - lo + 1).min(40) as u64) as i64,
                FactTy::Set(codes) => next(1 << codes.len().min(8)) as i64,
            };
            slots[f] = Some(v);
        }
        slots
    }

    /// The level's rank from the level diagram alone (`Ruleset::level_rank`, what explaining
    /// checks its answers with) is the level the decision reports, `missing` worked out.
    #[test]
    fn the_level_alone_is_the_decisions_level() {
        let rs = crate::Ruleset::builtin().unwrap();
        let p = rs.program();
        let mut seed = 11;
        let mut ranks = std::collections::BTreeSet::new();
        for i in 0..600 {
            let slots = referral(p, &mut seed, i % 16);
            let d = rs.evaluate_compact(
                &crate::Facts {
                    slots: slots.clone(),
                },
                true,
            );
            let want = d.level.map_or(0, |l| i64::from(l) + 1);
            assert_eq!(rs.level_rank(&slots), want, "{slots:?}");
            ranks.insert(want);
        }
        assert_eq!(ranks.len(), p.levels.len(), "every level is met: {ranks:?}");
    }

    /// The variable order keeps the shipped rules' diagrams small (`diagram::force_order`: 2,345
    /// nodes; the former order made 6,620), which is what a sparse referral's restriction costs.
    #[test]
    fn the_shipped_rules_compile_small() {
        let rs = crate::Ruleset::builtin().unwrap();
        let c = rs.compiled().unwrap();
        assert!(c.nodes.len() < 3_000, "{} nodes", c.nodes.len());
    }

    /// `missing`, its order, what each fact could change and the level's bounds are properties of
    /// the restricted functions: compiled under other variable orders (declaration order, and
    /// its reverse), the shipped rules give the same on sparse referrals.
    #[test]
    fn the_variable_order_does_not_show_in_missing() {
        let rs = crate::Ruleset::builtin().unwrap();
        let (p, layout) = (rs.program(), rs.layout());
        let c = rs.compiled().unwrap();
        let decl: Vec<usize> = (0..p.facts.len()).collect();
        let rev: Vec<usize> = decl.iter().rev().copied().collect();
        let others: Vec<(Layout, Compiled)> = [decl, rev]
            .iter()
            .map(|o| {
                let l = layout.reordered(&p.facts, o);
                let c = Compiled::new(p, &l, 2_000_000).unwrap();
                (l, c)
            })
            .collect();
        let mut seed = 19;
        let mut provisional = 0;
        for i in 0..300 {
            let facts = referral(p, &mut seed, i % 14);
            let want = c.query(p, layout, &facts);
            provisional += usize::from(!want.missing.is_empty());
            for (l, other) in &others {
                let got = other.query(p, l, &facts);
                assert_eq!(got.missing, want.missing, "{facts:?}");
                assert_eq!(got.changes, want.changes, "{facts:?}");
                assert_eq!(got.bounds, want.bounds, "{facts:?}");
                assert_eq!(got.advisory, want.advisory, "{facts:?}");
            }
        }
        assert!(provisional > 200, "{provisional}");
    }

    /// Mapping the restricted level diagram through a pathway that is a function of the level
    /// gives the very node (canonical ref) restricting that pathway's own diagram gives.
    #[test]
    fn a_projected_pathway_is_its_restriction() {
        let rs = crate::Ruleset::builtin().unwrap();
        let (p, layout) = (rs.program(), rs.layout());
        let c = rs.compiled().unwrap();
        let projected: Vec<&str> = c
            .projections
            .iter()
            .zip(p.pathways.iter())
            .filter(|(pr, _)| pr.is_some())
            .map(|(_, pw)| pw.id.as_str())
            .collect();
        // The shipped rules' level-only pathways; a pathway some rule adds is never projected.
        assert!(projected.contains(&"irh_marf"), "{projected:?}");
        assert!(
            projected.contains(&"early_help_assessment"),
            "{projected:?}"
        );
        assert!(!projected.contains(&"consult_dsl"), "{projected:?}");
        let mut sc = Scratch::default();
        let mut seed = 7;
        for i in 0..400 {
            let facts = referral(p, &mut seed, i % 12);
            sc.begin(c, p, layout, &facts);
            let level = sc.restrict(c, c.level);
            for (pi, pr) in c.projections.iter().enumerate() {
                let Some(pr) = pr else { continue };
                let by_map = sc.project(c, level, pr).expect("every node has an image");
                let restricted = sc.restrict(c, c.pathways[pi]);
                assert_eq!(by_map, restricted, "pathway {pi} on {facts:?}");
            }
        }
    }
}
