//! What would change a decision: for each level above the one decided, the smallest sets of
//! answers (to unknown facts) or changes (to known ones) that would reach it, and for the level
//! below, the changes to known answers that would lower it.
//!
//! The search runs on the compiled level diagram over every fact. A known fact's variable
//! keeps its child or changes to another (one change). To raise the level every completion of
//! the facts still unknown must reach it, as the decision's level is the lowest over them: an
//! unknown variable is either answered (one change) or stays unknown, and then every child
//! must reach it: the search goes on in the conjunction of the children's goals (a Boolean
//! diagram made on demand, [`Goals`]), so a change further down holds whatever the answer. A
//! set fact is answered as a whole: the codes it holds are the changes, or "none of these" is
//! one. To lower the level some completion suffices, so unknown facts are
//! never answered. Each node's family is the antichain of its smallest change sets (at most
//! [`MAX_CHANGES`] changes, at most [`MAX_FAMILY`] sets, smallest first), so a set at the root
//! holds no other. Every set with fewer changes than any set a cap left out is found: only
//! those are shown when there are any (else the target is `truncated`), in declaration order,
//! so the variable order does not show. Every set reported is then checked by evaluating the
//! facts it makes: it reaches the level, and dropping any one change, or every change to one
//! fact, does not.

use std::rc::Rc;

use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::decision::{Decision, Options};
use crate::diagram::{NodeId, LEAF};
use crate::facts::{value_to_json, Facts};
use crate::ir::{FactId, FactTy, Program};
use crate::relevance::{Compiled, Layout};
use crate::ruleset::Ruleset;

/// The most changes in one set.
pub const MAX_CHANGES: usize = 3;
/// The most sets of two or more changes kept per diagram node (the smallest, in a fixed
/// order); single changes are all kept.
const MAX_FAMILY: usize = 48;
/// The most ways shown per level, and the most sets shown per way.
const MAX_WAYS: usize = 6;
const MAX_SETS: usize = 4;

/// What would change a decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Explanation {
    /// The level the changes start from: the rules' level (before any escalation; on a
    /// provisional decision, the level reported, "at least").
    pub from: String,
    /// Its label.
    #[serde(skip)]
    pub from_label: String,
    /// Per level above the decided one, lowest first: what would reach it.
    pub raise: Vec<Target>,
    /// The level below the decided one: what changes to known answers would lower the level to
    /// it or below. Absent at the lowest level or when no change of at most `MAX_CHANGES`
    /// answers lowers it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lower: Option<Target>,
    /// Set when the rule set is too large to explain (its diagrams are over the node budget):
    /// then `raise` is empty and `lower` absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unavailable: Option<String>,
}

/// One level and the ways to reach it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(rename = "ExplainTarget")
)]
pub struct Target {
    /// The level id.
    pub level: String,
    /// The level's label.
    pub label: String,
    /// The ways, fewest changes first. Empty when no set of at most `MAX_CHANGES` changes
    /// reaches the level.
    pub ways: Vec<Way>,
    /// Ways left out (beyond the first few).
    pub more: usize,
    /// Set when the search had to leave sets out at some step (it keeps at most 48 sets of two
    /// or more changes per step) and found no way with fewer changes than those: other ways,
    /// with as few changes as some shown, may exist. Absent otherwise: the ways are every way
    /// of at most three changes or, where sets were left out, every way with fewer changes
    /// than they have (so the ways shown never depend on the diagrams' variable order).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
    /// The rule set's lowest level (nothing is lower).
    #[serde(skip)]
    pub level_is_lowest: bool,
}

/// Change sets with the same effect: the same rules would start (to raise) or stop (to lower)
/// deciding the level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(rename = "ExplainWay")
)]
pub struct Way {
    /// What changes, in words: the deciding rule's title (raising), or the rule that would no
    /// longer hold (lowering).
    pub title: String,
    /// Rule ids: those that would fire and set a level at or above the target (raising), or
    /// those that would stop firing (lowering), in rule-set order. `matrix:<id>` for a matrix.
    pub rules: Vec<String>,
    /// Matrix categories that would change, with their new category.
    #[cfg_attr(
        feature = "schema",
        schemars(with = "std::collections::BTreeMap<String, String>")
    )]
    pub exploitation: serde_json::Map<String, serde_json::Value>,
    /// Alternative minimal change sets, fewest changes first; each is enough on its own.
    pub sets: Vec<Vec<Change>>,
    /// Sets left out.
    pub more: usize,
}

/// One fact's new answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(rename = "ExplainChange")
)]
pub struct Change {
    /// The fact id.
    pub fact: String,
    /// The new answer (for a number, the lowest of a range).
    #[cfg_attr(feature = "schema", schemars(with = "crate::facts::FactValue"))]
    pub value: serde_json::Value,
    /// For a number: any value from `value` up to this one will do.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub up_to: Option<i64>,
    /// The answer now; absent when the fact is unknown.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schemars(with = "Option<crate::facts::FactValue>"))]
    pub from: Option<serde_json::Value>,
    /// In words, e.g. `cse indicators: add missing overnight`.
    pub text: String,
}

/// A change: a variable and its new child. On a set fact's first variable, child
/// [`EMPTY`] answers the set "none of these".
type Elem = (u32, u32);
type Set = Vec<Elem>;
type Family = Rc<Vec<Small>>;
const UNKNOWN: u32 = u32::MAX;
const EMPTY: u32 = 2;

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Goal {
    /// Every completion's level at least this rank.
    AtLeast(i64),
    /// Some completion's level below this rank.
    Below(i64),
}

/// How an unknown set fact is being answered along a path, while its variables are read.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Mode {
    Free,
    /// Answered, no code held yet.
    Answering(FactId),
    /// Answered, some code held.
    Answered(FactId),
}

/// The false and true leaves of a [`Goals`] diagram.
const NO: u32 = 0;
const YES: u32 = 1;
/// The most nodes a [`Goals`] diagram makes before the search gives up (the explanation is
/// then unavailable, never incomplete without saying so).
const GOAL_NODES: usize = 1 << 20;

/// The goal as a reduced Boolean diagram over the level diagram's variables, made on demand:
/// a node holds where the goal holds. Leaving an unknown fact unknown needs the goal on every
/// answer to it, which is the conjunction of its children: the search goes on in that one
/// node, so a change further down is the same change whatever the answer. (Sets found under
/// each answer and merged afterwards can disagree about a fact neither changes but one relies
/// on.)
struct Goals<'a> {
    c: &'a Compiled,
    goal: Goal,
    /// Per node: its variable (`LEAF` for the two leaves) and where its children start in
    /// `kids`, and how many.
    nodes: Vec<(u32, u32, u32)>,
    kids: Vec<u32>,
    unique: FxHashMap<(u32, Box<[u32]>), u32>,
    lifted: FxHashMap<NodeId, u32>,
    and: FxHashMap<(u32, u32), u32>,
    /// Per node reading a fact: the goal whatever the answer to it.
    every: FxHashMap<u32, u32>,
    over: bool,
}

impl<'a> Goals<'a> {
    fn new(c: &'a Compiled, goal: Goal) -> Goals<'a> {
        Goals {
            c,
            goal,
            nodes: vec![(LEAF, 0, 0), (LEAF, 0, 0)],
            kids: Vec::new(),
            unique: FxHashMap::default(),
            lifted: FxHashMap::default(),
            and: FxHashMap::default(),
            every: FxHashMap::default(),
            over: false,
        }
    }

    fn var(&self, id: u32) -> u32 {
        self.nodes.get(id as usize).map_or(LEAF, |n| n.0)
    }

    fn kids(&self, id: u32) -> &[u32] {
        let (_, start, len) = self.nodes.get(id as usize).copied().unwrap_or((LEAF, 0, 0));
        self.kids
            .get(start as usize..(start + len) as usize)
            .unwrap_or(&[])
    }

    /// The reduced node testing `var` with these children.
    fn node(&mut self, var: u32, kids: &[u32]) -> u32 {
        let Some(first) = kids.first().copied() else {
            return NO;
        };
        if kids.iter().all(|k| *k == first) {
            return first;
        }
        if let Some(id) = self.unique.get(&(var, kids.into())) {
            return *id;
        }
        if self.nodes.len() >= GOAL_NODES {
            self.over = true;
            return NO;
        }
        let id = u32::try_from(self.nodes.len()).unwrap_or(NO);
        let start = u32::try_from(self.kids.len()).unwrap_or(0);
        self.kids.extend_from_slice(kids);
        self.nodes.push((var, start, kids.len() as u32));
        self.unique.insert((var, kids.into()), id);
        id
    }

    /// The goal on the level diagram's node `id`.
    fn lift(&mut self, id: NodeId) -> u32 {
        let (lo, hi) = match self.c.leaf(id) {
            Some(v) => (v, v),
            None => self.c.bounds(id),
        };
        let (all, none) = match self.goal {
            Goal::AtLeast(t) => (lo >= t, hi < t),
            Goal::Below(t) => (hi < t, lo >= t),
        };
        if all {
            return YES;
        }
        if none {
            return NO;
        }
        if let Some(g) = self.lifted.get(&id) {
            return *g;
        }
        let (var, kids) = self.c.shape(id);
        let kids: Vec<NodeId> = kids.to_vec();
        let kids: Vec<u32> = kids.into_iter().map(|k| self.lift(k)).collect();
        let g = self.node(var, &kids);
        self.lifted.insert(id, g);
        g
    }

    /// Both goals.
    fn both(&mut self, a: u32, b: u32) -> u32 {
        if a == NO || b == NO {
            return NO;
        }
        if a == YES || a == b {
            return b;
        }
        if b == YES {
            return a;
        }
        let key = (a.min(b), a.max(b));
        if let Some(g) = self.and.get(&key) {
            return *g;
        }
        let (va, vb) = (self.var(a), self.var(b));
        let var = va.min(vb);
        let n = if va == var {
            self.kids(a).len()
        } else {
            self.kids(b).len()
        };
        let mut kids = Vec::with_capacity(n);
        for i in 0..n {
            let x = if va == var {
                self.kids(a).get(i).copied().unwrap_or(NO)
            } else {
                a
            };
            let y = if vb == var {
                self.kids(b).get(i).copied().unwrap_or(NO)
            } else {
                b
            };
            kids.push(self.both(x, y));
        }
        let g = self.node(var, &kids);
        self.and.insert(key, g);
        g
    }

    /// The goal whatever the answer to `fact`, from a node that reads it: the conjunction over
    /// each of its variables (a set fact's codes) read from here on.
    fn every(&mut self, id: u32, fact: FactId, layout: &Layout) -> u32 {
        let var = self.var(id);
        if var == LEAF || layout.var_fact.get(var as usize) != Some(&fact) {
            return id;
        }
        if let Some(g) = self.every.get(&id) {
            return *g;
        }
        let kids: Vec<u32> = self.kids(id).to_vec();
        let mut g = YES;
        for k in kids {
            let k = self.every(k, fact, layout);
            g = self.both(g, k);
        }
        self.every.insert(id, g);
        g
    }
}

struct Search<'a> {
    g: Goals<'a>,
    layout: &'a Layout,
    /// Per variable: the known child, or `UNKNOWN`.
    cur: &'a [u32],
    /// Per variable: its fact was not asked (`asked when` is certainly false), so it keeps
    /// the value it took.
    frozen: &'a [bool],
    /// Per variable: whether its fact is an unknown set fact.
    unknown_set: &'a [bool],
    memo: FxHashMap<(u32, Mode), Family>,
    /// The fewest changes in a set some node's cap left out (`MAX_CHANGES + 1`: none): every
    /// set with fewer changes is found.
    cut: usize,
}

impl Search<'_> {
    fn family(&mut self, id: u32, mode: Mode) -> Family {
        let var = self.g.var(id);
        let mode = match mode {
            Mode::Answering(f) | Mode::Answered(f)
                if var != LEAF && self.layout.var_fact.get(var as usize) == Some(&f) =>
            {
                mode
            }
            // Past the set fact's variables: an answer holding no code is "none of these".
            Mode::Answering(f) => {
                let rest = self.family(id, Mode::Free);
                let e = (
                    self.layout.first_var.get(f.index()).copied().unwrap_or(0),
                    EMPTY,
                );
                return Rc::new(add(e, &rest));
            }
            _ => Mode::Free,
        };
        if let Some(f) = self.memo.get(&(id, mode)) {
            return f.clone();
        }
        let fam = match id {
            YES => vec![Small::NONE],
            NO => Vec::new(),
            _ => self.inner(id, var, mode),
        };
        let fam = Rc::new(minimise(fam, &mut self.cut));
        self.memo.insert((id, mode), fam.clone());
        fam
    }

    fn inner(&mut self, id: u32, var: u32, mode: Mode) -> Vec<Small> {
        let kids: Vec<u32> = self.g.kids(id).to_vec();
        let known = self.cur.get(var as usize).copied().unwrap_or(UNKNOWN);
        let mut out = Vec::new();
        if known != UNKNOWN {
            // Keep the answer, or change it.
            let frozen = self.frozen.get(var as usize).copied().unwrap_or(false);
            for (i, k) in kids.iter().enumerate() {
                let i = i as u32;
                if i == known {
                    out.extend(self.family(*k, Mode::Free).iter().cloned());
                } else if !frozen {
                    out.extend(add((var, i), &self.family(*k, Mode::Free)));
                }
            }
            return out;
        }
        if let Goal::Below(_) = self.g.goal {
            // Some completion: an unknown fact need not be answered.
            for k in kids {
                out.extend(self.family(k, Mode::Free).iter().cloned());
            }
            return out;
        }
        let Some(fact) = self.layout.var_fact.get(var as usize).copied() else {
            return out;
        };
        if mode == Mode::Free {
            // Left unknown: the goal must hold whatever the answer.
            let every = self.g.every(id, fact, self.layout);
            out.extend(self.family(every, Mode::Free).iter().cloned());
        }
        if self.unknown_set.get(var as usize).copied().unwrap_or(false) {
            // Answered as a whole: each code held or not, and the codes held are the changes.
            let not_held = match mode {
                Mode::Answered(_) => Mode::Answered(fact),
                _ => Mode::Answering(fact),
            };
            if let Some(k0) = kids.first() {
                out.extend(self.family(*k0, not_held).iter().cloned());
            }
            if let Some(k1) = kids.get(1) {
                out.extend(add((var, 1), &self.family(*k1, Mode::Answered(fact))));
            }
            return out;
        }
        for (i, k) in kids.iter().enumerate() {
            out.extend(add((var, i as u32), &self.family(*k, Mode::Free)));
        }
        out
    }
}

/// A set of at most [`MAX_CHANGES`] changes in order, held inline: the search makes millions of
/// them, so none is allocated. Unused places stay `(0, 0)`, so equal sets are equal values, and
/// the derived order is the length, then the changes in order. `mask` has one bit per change
/// (a hash of it), so a set that cannot hold another is mostly told by one test.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
struct Small {
    len: u8,
    elems: [Elem; MAX_CHANGES],
    mask: u64,
}

impl Small {
    /// No change.
    const NONE: Small = Small {
        len: 0,
        elems: [(0, 0); MAX_CHANGES],
        mask: 0,
    };

    fn as_slice(&self) -> &[Elem] {
        self.elems.get(..usize::from(self.len)).unwrap_or(&[])
    }

    fn len(&self) -> usize {
        usize::from(self.len)
    }

    /// `e` inserted in order (no check that its variable is new); `None` when full.
    fn with(&self, e: Elem) -> Option<Small> {
        let items = self.as_slice();
        if items.len() >= MAX_CHANGES {
            return None;
        }
        let at = items.partition_point(|x| *x < e);
        let mut out = Small::NONE;
        let before = items.iter().take(at);
        let after = items.iter().skip(at);
        for (slot, x) in out
            .elems
            .iter_mut()
            .zip(before.chain(std::iter::once(&e)).chain(after))
        {
            *slot = *x;
        }
        out.len = self.len + 1;
        let h = (u64::from(e.0) << 32 | u64::from(e.1)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        out.mask = self.mask | 1 << (h >> 58);
        Some(out)
    }

    /// Whether every change of `other` is one of these.
    fn holds(&self, other: &Small) -> bool {
        other.mask & !self.mask == 0 && other.as_slice().iter().all(|e| self.as_slice().contains(e))
    }
}

/// Each set with `e` added (sets of at most `MAX_CHANGES`).
fn add(e: Elem, fam: &[Small]) -> Vec<Small> {
    fam.iter().filter_map(|s| s.with(e)).collect()
}

/// The antichain of the smallest sets: sorted, without duplicates or supersets, capped. Sorted
/// a length at a time: the fewest changes first, then in order of their changes. `cut` is
/// lowered to the length of any set the cap leaves out that holds no set kept.
fn minimise(fam: Vec<Small>, cut: &mut usize) -> Vec<Small> {
    let mut by_len: [Vec<Small>; MAX_CHANGES + 1] = Default::default();
    for s in fam {
        if let Some(b) = by_len.get_mut(s.len()) {
            b.push(s);
        }
    }
    // No change needed: every other set holds it.
    if by_len.first().is_some_and(|b| !b.is_empty()) {
        return vec![Small::NONE];
    }
    let mut out: Vec<Small> = Vec::new();
    for (n, mut bucket) in by_len.into_iter().enumerate().skip(1) {
        // Every single change is kept (there are at most as many as answers); larger sets up
        // to the cap. A set can only hold a shorter one, so a length's sets are checked against
        // the shorter ones kept before they are sorted, and none of them against another.
        if n == 1 {
            crate::sort::sort(&mut bucket);
            bucket.dedup();
            out.extend(bucket);
            continue;
        }
        let room = MAX_FAMILY.saturating_sub(out.len());
        if room == 0 {
            if bucket.iter().any(|s| !out.iter().any(|t| s.holds(t))) {
                *cut = (*cut).min(n);
            }
            continue;
        }
        bucket.retain(|s| !out.iter().any(|t| s.holds(t)));
        crate::sort::sort(&mut bucket);
        bucket.dedup();
        if bucket.len() > room {
            *cut = (*cut).min(n);
        }
        out.extend(bucket.into_iter().take(room));
    }
    out
}

/// Explains a decision on these facts (the rules' decision, before any escalation).
pub(crate) fn explain(rs: &Ruleset, facts: &Facts) -> Explanation {
    explain_in(rs, facts, rs.compiled(), rs.layout())
}

/// [`explain`] on these diagrams and their layout (the rule set's own, or in a test another
/// variable order of them).
fn explain_in(
    rs: &Ruleset,
    facts: &Facts,
    compiled: Option<&Compiled>,
    layout: &Layout,
) -> Explanation {
    let p = rs.program();
    let levels = p.levels.len() as i64;
    let base = rs.evaluate(facts, Options::default());
    let rank = base
        .level
        .as_ref()
        .and_then(|l| p.levels.iter().position(|x| &x.id == l))
        .map_or(0, |i| i as i64 + 1);
    let from = base
        .level
        .as_ref()
        .and_then(|l| p.levels.iter().find(|x| &x.id == l));
    let mut out = Explanation {
        from: from.map_or_else(String::new, |l| l.id.clone()),
        from_label: from.map_or_else(String::new, |l| l.label.clone()),
        raise: Vec::new(),
        lower: None,
        unavailable: None,
    };
    if levels == 0 || rank == 0 {
        return out;
    }
    let Some(c) = compiled else {
        out.unavailable = Some(
            "the rule set's diagrams are over the node budget, so what would change this is not \
             worked out"
                .to_string(),
        );
        return out;
    };
    let slots = crate::eval::applied(p, &facts.slots).into_owned();
    let n_vars = layout.var_fact.len();
    let mut cur = vec![UNKNOWN; n_vars];
    let mut unknown_set = vec![false; n_vars];
    // Facts the referral left unknown that took their `otherwise` value: not asked, so
    // nothing suggests answering them.
    let frozen: Vec<bool> = layout
        .var_fact
        .iter()
        .map(|f| {
            let f = f.index();
            facts.slots.get(f).copied().flatten().is_none()
                && slots.get(f).copied().flatten().is_some()
        })
        .collect();
    for (i, (fact, value)) in p.facts.iter().zip(&slots).enumerate() {
        let Some(first) = layout.first_var.get(i).copied() else {
            continue;
        };
        let first = first as usize;
        match (&fact.ty, value) {
            (FactTy::Set(codes), None) => {
                for j in 0..codes.len().min(64) {
                    if let Some(u) = unknown_set.get_mut(first + j) {
                        *u = true;
                    }
                }
            }
            (FactTy::Set(codes), Some(v)) => {
                for j in 0..codes.len().min(64) {
                    if let Some(k) = cur.get_mut(first + j) {
                        *k = u32::from((*v as u64) >> j & 1 == 1);
                    }
                }
            }
            (FactTy::Int { .. }, Some(v)) => {
                let reps = layout.reps.get(i).map_or(&[][..], Vec::as_slice);
                let class = reps.partition_point(|r| r <= v).saturating_sub(1);
                if let Some(k) = cur.get_mut(first) {
                    *k = u32::try_from(class).unwrap_or(UNKNOWN);
                }
            }
            (_, Some(v)) => {
                if let Some(k) = cur.get_mut(first) {
                    *k = u32::try_from(*v).unwrap_or(UNKNOWN);
                }
            }
            (_, None) => {}
        }
    }
    let ctx = Ctx {
        rs,
        p,
        layout,
        slots: &slots,
        base: &base,
    };
    // The variables in declaration order (each fact's in turn, a set's by code), and each
    // variable's place in it.
    let mut var_of: Vec<u32> = Vec::with_capacity(n_vars);
    for (f, first) in layout.first_var.iter().enumerate() {
        let mut v = *first;
        while layout.var_fact.get(v as usize).map(|x| x.index()) == Some(f) {
            var_of.push(v);
            v += 1;
        }
    }
    let mut rank_of = vec![0u32; n_vars];
    for (r, v) in var_of.iter().enumerate() {
        if let Some(x) = rank_of.get_mut(*v as usize) {
            *x = r as u32;
        }
    }
    // `None` when the goal's diagram is over its budget.
    let search = |goal: Goal| {
        let mut g = Goals::new(c, goal);
        let root = g.lift(c.level_root());
        let mut s = Search {
            g,
            layout,
            cur: &cur,
            frozen: &frozen,
            unknown_set: &unknown_set,
            memo: FxHashMap::default(),
            cut: MAX_CHANGES + 1,
        };
        let fam = s.family(root, Mode::Free);
        if s.g.over {
            return None;
        }
        // In declaration order (fact, code, answer), not the diagram's variable order: the
        // sets found are the same whatever the order (unless cut), and so is what is shown.
        let mut sets: Vec<Small> = fam
            .iter()
            .map(|s| {
                s.as_slice()
                    .iter()
                    .try_fold(Small::NONE, |d, e| {
                        d.with((rank_of.get(e.0 as usize).copied()?, e.1))
                    })
                    .unwrap_or(*s)
            })
            .collect();
        crate::sort::sort(&mut sets);
        let sets: Vec<Set> = sets
            .iter()
            .map(|s| {
                s.as_slice()
                    .iter()
                    .map(|e| (var_of.get(e.0 as usize).copied().unwrap_or(e.0), e.1))
                    .collect()
            })
            .collect();
        Some((sets, s.cut))
    };
    let too_large = |mut out: Explanation| {
        out.raise.clear();
        out.lower = None;
        out.unavailable = Some(
            "working out what would change this took too many steps, so it is not shown"
                .to_string(),
        );
        out
    };
    for t in rank + 1..=levels {
        let Some((fam, cut)) = search(Goal::AtLeast(t)) else {
            return too_large(out);
        };
        out.raise.push(ctx.target(t, &fam, true, cut));
    }
    if rank > 1 {
        let Some((fam, cut)) = search(Goal::Below(rank)) else {
            return too_large(out);
        };
        let target = ctx.target(rank - 1, &fam, false, cut);
        if !target.ways.is_empty() {
            out.lower = Some(target);
        }
    }
    out
}

struct Ctx<'a> {
    rs: &'a Ruleset,
    p: &'a Program,
    layout: &'a Layout,
    slots: &'a [Option<i64>],
    base: &'a Decision,
}

impl Ctx<'_> {
    /// The facts with a set's changes made.
    fn apply(&self, set: &[Elem]) -> Vec<Option<i64>> {
        let mut slots = self.slots.to_vec();
        for (var, child) in set {
            let Some(f) = self.layout.var_fact.get(*var as usize).map(|f| f.index()) else {
                continue;
            };
            let (Some(fact), Some(first)) = (self.p.facts.get(f), self.layout.first_var.get(f))
            else {
                continue;
            };
            let Some(slot) = slots.get_mut(f) else {
                continue;
            };
            match &fact.ty {
                FactTy::Set(_) => {
                    let known = self.slots.get(f).copied().flatten();
                    let mut mask = slot.unwrap_or(0) as u64;
                    if *child != EMPTY {
                        let bit = 1u64 << (var - first);
                        if *child == 1 {
                            mask |= bit;
                        } else if known.is_some() {
                            mask &= !bit;
                        }
                    }
                    *slot = Some(mask as i64);
                }
                FactTy::Int { .. } => {
                    let reps = self.layout.reps.get(f).map_or(&[][..], Vec::as_slice);
                    *slot = reps.get(*child as usize).copied();
                }
                _ => *slot = Some(i64::from(*child)),
            }
        }
        slots
    }

    /// The level rank the facts decide (the lowest over the unknown facts' completions).
    fn rank(&self, slots: &[Option<i64>]) -> i64 {
        self.rs.level_rank(slots)
    }

    /// When `var` is a code of a set fact that is unknown and `set` answers it with no other
    /// code, `set` with the fact answered "none of these".
    fn empty_instead(&self, set: &[Elem], var: u32) -> Option<Set> {
        let f = *self.layout.var_fact.get(var as usize)?;
        let fact = self.p.facts.get(f.index())?;
        if !matches!(fact.ty, FactTy::Set(_)) || self.slots.get(f.index())?.is_some() {
            return None;
        }
        let same = |v: &u32| self.layout.var_fact.get(*v as usize) == Some(&f);
        if set.iter().any(|(v, _)| same(v)) {
            return None;
        }
        let mut out = set.to_vec();
        let e = (*self.layout.first_var.get(f.index())?, EMPTY);
        let at = out.partition_point(|x| *x < e);
        out.insert(at, e);
        Some(out)
    }

    /// The set reaches the target, and no smaller part of it does (dropping one change, or
    /// every change to one fact).
    fn verified(&self, set: &[Elem], t: i64, up: bool) -> bool {
        let holds = |s: &[Elem]| {
            let r = self.rank(&self.apply(s));
            if up {
                r >= t
            } else {
                r <= t
            }
        };
        if !holds(set) {
            return false;
        }
        for i in 0..set.len() {
            let mut less = set.to_vec();
            let (var, child) = less.remove(i);
            if holds(&less) {
                return false;
            }
            // The last code of an unknown set's answer: the smaller answer is "none of these".
            if let Some(empty) = (child == 1)
                .then(|| self.empty_instead(&less, var))
                .flatten()
            {
                if holds(&empty) {
                    return false;
                }
            }
        }
        let facts: Vec<FactId> = {
            let mut v: Vec<FactId> = set
                .iter()
                .filter_map(|(var, _)| self.layout.var_fact.get(*var as usize).copied())
                .collect();
            v.dedup();
            v
        };
        for f in facts {
            let less: Set = set
                .iter()
                .filter(|(var, _)| self.layout.var_fact.get(*var as usize) != Some(&f))
                .copied()
                .collect();
            if less.len() + 1 < set.len() && holds(&less) {
                return false;
            }
        }
        true
    }

    /// The ways to the level `t` among the sets found; every set with fewer than `cut`
    /// changes was found.
    fn target(&self, t: i64, fam: &[Set], up: bool, cut: usize) -> Target {
        let level = self.p.levels.get((t - 1) as usize);
        let mut found: Vec<(&Set, Vec<Option<i64>>)> = Vec::new();
        for set in fam {
            if !self.verified(set, t, up) {
                continue;
            }
            let slots = self.apply(set);
            // A set that goes past this level is shown under the higher one (where it is
            // minimal too).
            if up && t < self.p.levels.len() as i64 && self.rank(&slots) > t {
                continue;
            }
            found.push((set, slots));
        }
        // Where the search was cut, only the sets below the cut are certainly all found: they
        // are the ones shown, unless there are none.
        let truncated = !found.iter().any(|(s, _)| s.len() < cut);
        if !truncated {
            found.retain(|(s, _)| s.len() < cut);
        }
        let truncated = truncated && cut <= MAX_CHANGES;
        let mut groups: Vec<(Way, Vec<Set>)> = Vec::new();
        for (set, slots) in found {
            let d = self.rs.evaluate(&Facts { slots }, Options::default());
            let (title, rules) = if up {
                self.started(&d, t)
            } else {
                self.stopped(&d)
            };
            let mut exploitation = serde_json::Map::new();
            for (k, v) in &d.exploitation {
                if self.base.exploitation.get(k) != Some(v) {
                    exploitation.insert(k.clone(), v.clone());
                }
            }
            match groups
                .iter_mut()
                .find(|w| w.0.rules == rules && w.0.exploitation == exploitation)
            {
                Some(w) => w.1.push(set.clone()),
                None => groups.push((
                    Way {
                        title,
                        rules,
                        exploitation,
                        sets: Vec::new(),
                        more: 0,
                    },
                    vec![set.clone()],
                )),
            }
        }
        let mut ways: Vec<Way> = groups
            .into_iter()
            .map(|(mut w, sets)| {
                w.sets = self.merged(&sets);
                w
            })
            .collect();
        // Fewest changes first; among as few, answers to open questions before changes to
        // answers already given.
        let cost = |set: &Vec<Change>| (set.len(), set.iter().filter(|c| c.from.is_some()).count());
        for w in &mut ways {
            crate::sort::sort_by_key(&mut w.sets, cost);
        }
        // Then in rule-file order (the overrides first).
        let order = |w: &Way| {
            w.rules
                .iter()
                .filter_map(|id| self.p.rules.iter().position(|r| &r.id == id))
                .min()
                .unwrap_or(usize::MAX)
        };
        crate::sort::sort_by_key(&mut ways, |w| {
            let (n, known) = w.sets.first().map_or((usize::MAX, 0), cost);
            (n, known, order(w))
        });
        let more = ways.len().saturating_sub(MAX_WAYS);
        ways.truncate(MAX_WAYS);
        for w in &mut ways {
            w.more = w.sets.len().saturating_sub(MAX_SETS);
            w.sets.truncate(MAX_SETS);
        }
        Target {
            level: level.map_or_else(String::new, |l| l.id.clone()),
            label: level.map_or_else(String::new, |l| l.label.clone()),
            ways,
            more,
            truncated,
            level_is_lowest: t == 1,
        }
    }

    /// The rules that would newly fire and set a level at or above the target (all the new
    /// ones when none does), and the title of the one setting the highest level.
    fn started(&self, d: &Decision, t: i64) -> (String, Vec<String>) {
        let rank_of = |id: &str| {
            self.p
                .levels
                .iter()
                .position(|l| l.id == id)
                .map_or(0, |i| i as i64 + 1)
        };
        let new: Vec<&crate::decision::Reason> = d
            .reasons
            .iter()
            .filter(|r| !self.base.reasons.iter().any(|b| b.rule == r.rule))
            .collect();
        let deciding: Vec<&&crate::decision::Reason> = new
            .iter()
            .filter(|r| r.set.level.as_deref().is_some_and(|l| rank_of(l) >= t))
            .collect();
        let chosen: Vec<&crate::decision::Reason> = if deciding.is_empty() {
            new.clone()
        } else {
            deciding.into_iter().copied().collect()
        };
        let top = chosen
            .iter()
            .max_by_key(|r| r.set.level.as_deref().map_or(0, rank_of))
            .or_else(|| new.first());
        let title = top.map_or_else(String::new, |r| {
            r.title.clone().unwrap_or_else(|| r.rule.clone())
        });
        (title, chosen.iter().map(|r| r.rule.clone()).collect())
    }

    /// The rules of the decision that would no longer fire.
    fn stopped(&self, d: &Decision) -> (String, Vec<String>) {
        let gone: Vec<&crate::decision::Reason> = self
            .base
            .reasons
            .iter()
            .filter(|b| !d.reasons.iter().any(|r| r.rule == b.rule))
            .collect();
        let deciding: Vec<&&crate::decision::Reason> =
            gone.iter().filter(|r| r.set.level.is_some()).collect();
        let named: Vec<&crate::decision::Reason> = if deciding.is_empty() {
            gone.clone()
        } else {
            deciding.into_iter().copied().collect()
        };
        let title = named
            .iter()
            .map(|r| r.title.clone().unwrap_or_else(|| r.rule.clone()))
            .collect::<Vec<_>>()
            .join(" and ");
        (title, gone.iter().map(|r| r.rule.clone()).collect())
    }

    /// The sets' changes, where sets that each change one number to neighbouring classes of
    /// values become one range (`age years: 0 to 12`).
    fn merged(&self, sets: &[Set]) -> Vec<Vec<Change>> {
        let mut out: Vec<Vec<Change>> = Vec::new();
        // Per int variable: its index in `out` and the last class merged into it.
        let mut open: Vec<(u32, usize, u32)> = Vec::new();
        for set in sets {
            let int = match set.as_slice() {
                [(var, child)] => self
                    .layout
                    .var_fact
                    .get(*var as usize)
                    .and_then(|f| self.p.facts.get(f.index()).map(|x| (f.index(), x)))
                    .filter(|(_, x)| matches!(x.ty, FactTy::Int { .. }))
                    .map(|(f, x)| (*var, *child, f, x)),
                _ => None,
            };
            let Some((var, child, f, fact)) = int else {
                out.push(self.changes(set));
                continue;
            };
            let (lo, hi) = self.class_range(f, child);
            if let Some(slot) = open.iter_mut().find(|o| o.0 == var && o.2 + 1 == child) {
                slot.2 = child;
                if let Some(c) = out.get_mut(slot.1).and_then(|c| c.first_mut()) {
                    let from = c.value.as_i64().unwrap_or(lo);
                    c.up_to = Some(hi);
                    c.text = int_text(fact, from, Some(hi), self.slots.get(f).copied().flatten());
                }
                continue;
            }
            let mut changes = self.changes(set);
            if let Some(c) = changes.first_mut() {
                if hi > lo {
                    c.value = serde_json::Value::from(lo);
                    c.up_to = Some(hi);
                    c.text = int_text(fact, lo, Some(hi), self.slots.get(f).copied().flatten());
                }
            }
            open.push((var, out.len(), child));
            out.push(changes);
        }
        out
    }

    /// The values of an int fact's class: from its representative to the next one's.
    fn class_range(&self, f: usize, child: u32) -> (i64, i64) {
        let reps = self.layout.reps.get(f).map_or(&[][..], Vec::as_slice);
        let lo = reps.get(child as usize).copied().unwrap_or(0);
        let top = match self.p.facts.get(f).map(|x| &x.ty) {
            Some(FactTy::Int { hi, .. }) => *hi,
            _ => lo,
        };
        let hi = reps
            .get(child as usize + 1)
            .map_or(top, |n| n.saturating_sub(1));
        (lo, hi.max(lo))
    }

    /// A set's changes, one per fact, in fact order.
    fn changes(&self, set: &[Elem]) -> Vec<Change> {
        let after = self.apply(set);
        let mut facts: Vec<usize> = set
            .iter()
            .filter_map(|(v, _)| self.layout.var_fact.get(*v as usize).map(|f| f.index()))
            .collect();
        crate::sort::sort(&mut facts);
        facts.dedup();
        facts
            .into_iter()
            .filter_map(|f| {
                let fact = self.p.facts.get(f)?;
                let before = self.slots.get(f).copied().flatten();
                let now = after.get(f).copied().flatten();
                let label = words(&fact.id);
                let text = match &fact.ty {
                    FactTy::Bool => {
                        let yes_no = |v: Option<i64>| if v == Some(1) { "yes" } else { "no" };
                        match before {
                            Some(_) => format!("{label}: {} (now {})", yes_no(now), yes_no(before)),
                            None => format!("{label}: {}", yes_no(now)),
                        }
                    }
                    FactTy::Enum(codes) => {
                        let code = |v: Option<i64>| {
                            v.and_then(|v| usize::try_from(v).ok())
                                .and_then(|i| codes.get(i))
                                .map_or_else(String::new, |c| words(c))
                        };
                        match before {
                            Some(_) => format!("{label}: {} (now {})", code(now), code(before)),
                            None => format!("{label}: {}", code(now)),
                        }
                    }
                    FactTy::Int { .. } => int_text(fact, now.unwrap_or(0), None, before),
                    FactTy::Set(codes) => {
                        let of = |m: u64| -> Vec<String> {
                            codes
                                .iter()
                                .enumerate()
                                .filter(|(i, _)| *i < 64 && m >> i & 1 == 1)
                                .map(|(_, c)| words(c))
                                .collect()
                        };
                        let n = now.unwrap_or(0) as u64;
                        match before {
                            None if n == 0 => format!("{label}: none of these"),
                            None => format!("{label}: {}", of(n).join(", ")),
                            Some(b) => {
                                let b = b as u64;
                                let mut parts = Vec::new();
                                let added = of(n & !b);
                                let removed = of(b & !n);
                                if !added.is_empty() {
                                    parts.push(format!("add {}", added.join(", ")));
                                }
                                if !removed.is_empty() {
                                    parts.push(format!("remove {}", removed.join(", ")));
                                }
                                format!("{label}: {}", parts.join("; "))
                            }
                        }
                    }
                };
                Some(Change {
                    fact: fact.id.clone(),
                    value: value_to_json(fact, now),
                    up_to: None,
                    from: before.map(|b| value_to_json(fact, Some(b))),
                    text,
                })
            })
            .collect()
    }
}

/// Alternative change sets in words, each set's changes joined by "and". Alternatives that
/// each add one code to the same checklist become one: `cse indicators: add any one of a, b`.
fn one_line(sets: &[Vec<Change>]) -> Vec<String> {
    /// (fact, label) of a run of one-code additions, its codes; or a set's own text.
    type Alt<'a> = (Option<(&'a str, &'a str)>, Vec<&'a str>, String);
    let mut out: Vec<Alt<'_>> = Vec::new();
    for set in sets {
        let tick = match set.as_slice() {
            [c] => c
                .text
                .split_once(": add ")
                .filter(|(_, code)| !code.contains(", "))
                .map(|(label, code)| ((c.fact.as_str(), label), code)),
            _ => None,
        };
        match (tick, out.last_mut()) {
            (Some((key, code)), Some((Some(last), codes, _))) if *last == key => codes.push(code),
            (Some((key, code)), _) => out.push((Some(key), vec![code], String::new())),
            (None, _) => {
                let text = set
                    .iter()
                    .map(|c| c.text.as_str())
                    .collect::<Vec<_>>()
                    .join(" and ");
                out.push((None, Vec::new(), text));
            }
        }
    }
    out.into_iter()
        .map(|(key, codes, text)| match (key, codes.as_slice()) {
            (Some((_, label)), [one]) => format!("{label}: add {one}"),
            (Some((_, label)), _) => format!("{label}: add any one of {}", codes.join(", ")),
            (None, _) => text,
        })
        .collect()
}

/// A number's new value or range in words, with the value now.
fn int_text(fact: &crate::ir::Fact, from: i64, to: Option<i64>, now: Option<i64>) -> String {
    let value = match to {
        Some(to) if to > from => format!("{from} to {to}"),
        _ => from.to_string(),
    };
    match now {
        Some(n) => format!("{}: {value} (now {n})", words(&fact.id)),
        None => format!("{}: {value}", words(&fact.id)),
    }
}

/// An id in words: `missing_overnight` → `missing overnight`.
fn words(id: &str) -> String {
    id.replace('_', " ")
}

impl Explanation {
    /// As plain text, a paragraph per level ("What would change this").
    pub fn text(&self) -> String {
        let mut out = if self.from_label.is_empty() {
            String::from("What would change this\n")
        } else {
            format!("What would change the rules' level ({})\n", self.from_label)
        };
        if let Some(u) = &self.unavailable {
            out.push_str(&format!("  {u}\n"));
            return out;
        }
        if self.raise.is_empty() && self.lower.is_none() {
            out.push_str("  Nothing: no change of up to three answers moves the level.\n");
        }
        for t in &self.raise {
            t.text_into(&mut out, "Would become", "if", "");
        }
        if let Some(t) = &self.lower {
            let cond = if t.level_is_lowest {
                "if"
            } else {
                "or lower if"
            };
            t.text_into(&mut out, "Would be", cond, "no longer: ");
        }
        out
    }
}

impl Target {
    fn text_into(&self, out: &mut String, lead: &str, cond: &str, rule: &str) {
        if self.ways.is_empty() {
            let found = if self.truncated {
                "no change of up to three answers was found (the search kept only the smallest sets) that gives"
            } else {
                "no change of up to three answers gives"
            };
            out.push_str(&format!("  {}: {found} exactly this level.\n", self.label));
            return;
        }
        out.push_str(&format!("  {lead} {} {cond} any one of:\n", self.label));
        for w in &self.ways {
            let mut line = one_line(&w.sets).join("; or ");
            if w.more > 0 {
                line.push_str(&format!(" (or {} more like these)", w.more));
            }
            let cats: Vec<String> = w
                .exploitation
                .iter()
                .map(|(k, v)| {
                    format!(
                        "{} risk would be {}",
                        k.to_uppercase(),
                        v.as_str().unwrap_or("?")
                    )
                })
                .collect();
            let mut why = vec![format!("{rule}{}", w.title)];
            why.extend(cats);
            let why = why.join("; ");
            out.push_str(&format!("    - {line}\n        ({why})\n"));
        }
        if self.more > 0 {
            let ways = if self.more == 1 { "way" } else { "ways" };
            out.push_str(&format!("    - and {} other {ways}\n", self.more));
        }
        if self.truncated {
            out.push_str("    - and perhaps others: the search kept only the smallest sets\n");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small(elems: &[Elem]) -> Small {
        elems
            .iter()
            .try_fold(Small::NONE, |s, e| s.with(*e))
            .unwrap()
    }

    /// The antichain as it was first written, on vectors: the reference for `minimise`, and
    /// the fewest changes in a set the cap left out that holds none kept.
    fn reference(mut fam: Vec<Set>) -> (Vec<Set>, Option<usize>) {
        fam.retain(|s| s.len() <= MAX_CHANGES);
        fam.sort_by(|a, b| a.len().cmp(&b.len()).then_with(|| a.cmp(b)));
        fam.dedup();
        let mut out: Vec<Set> = Vec::new();
        let mut cut = None;
        for s in fam {
            if out.iter().any(|t| t.iter().all(|e| s.contains(e))) {
                continue;
            }
            if out.len() >= MAX_FAMILY && s.len() > 1 {
                cut = cut.or(Some(s.len()));
                continue;
            }
            out.push(s);
        }
        (out, cut)
    }

    #[test]
    fn an_inline_set_is_ordered_and_compared_as_its_changes() {
        let a = small(&[(5, 1), (2, 0)]);
        assert_eq!(a.as_slice(), &[(2, 0), (5, 1)]);
        assert_eq!(
            a,
            small(&[(2, 0), (5, 1)]),
            "the order of insertion does not matter"
        );
        assert_eq!(small(&[(1, 0), (2, 0), (3, 0)]).with((4, 0)), None);
        assert!(a.holds(&small(&[(5, 1)])) && a.holds(&Small::NONE));
        assert!(!a.holds(&small(&[(5, 0)])));
        // The derived order is the length, then the changes in order, as slices compare.
        let sets = [
            small(&[(3, 0)]),
            small(&[(1, 1), (9, 0)]),
            small(&[(1, 1), (2, 0)]),
            small(&[(2, 5)]),
            small(&[(1, 0), (2, 0), (3, 0)]),
        ];
        for x in &sets {
            for y in &sets {
                let slices = x
                    .len()
                    .cmp(&y.len())
                    .then_with(|| x.as_slice().cmp(y.as_slice()));
                assert_eq!(x.cmp(y), slices, "{x:?} {y:?}");
            }
        }
    }

    /// What is shown is the same whatever the diagrams' variable order: the shipped rules
    /// compiled in declaration order and in the shipped order explain sparse referrals alike
    /// (where neither search was cut).
    #[test]
    fn the_variable_order_does_not_show_in_explanations() {
        let rs = Ruleset::builtin().unwrap();
        let p = rs.program();
        let decl: Vec<usize> = (0..p.facts.len()).collect();
        let l = rs.layout().reordered(&p.facts, &decl);
        let c = Compiled::new(p, &l, 2_000_000).unwrap();
        let mut seed = 23;
        let (mut compared, mut ways) = (0, 0);
        for i in 0..24 {
            let facts = Facts {
                slots: crate::relevance::referral(p, &mut seed, 2 + i % 7),
            };
            let want = explain(&rs, &facts);
            let got = explain_in(&rs, &facts, Some(&c), &l);
            let cut = |x: &Explanation| x.raise.iter().chain(&x.lower).any(|t| t.truncated);
            if cut(&want) || cut(&got) {
                continue;
            }
            assert_eq!(got, want, "{:?}", facts.slots);
            compared += 1;
            ways += want.raise.iter().map(|t| t.ways.len()).sum::<usize>();
        }
        assert!(
            compared >= 16 && ways >= 30,
            "{compared} compared, {ways} ways"
        );
    }

    #[test]
    fn minimise_keeps_the_smallest_sets_as_the_reference_does() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            u32::try_from(seed % n).unwrap()
        };
        let (mut capped, mut nested, mut cuts) = (0, 0, 0);
        for round in 0..400 {
            // Every fourth family large, of longer sets over more variables: past the cap.
            let big = round % 4 == 0;
            let count = next(if big { 400 } else { 60 }) as usize;
            let fam: Vec<Set> = (0..count)
                .map(|_| {
                    let mut s: Set = Vec::new();
                    // Now and then no change at all, which every other set holds.
                    let len = match (next(300), big) {
                        (0, _) => 0,
                        (_, true) => 2 + next(2),
                        (_, false) => 1 + next(3),
                    };
                    for _ in 0..len {
                        let e = (next(if big { 40 } else { 12 }), next(3));
                        if !s.iter().any(|x| x.0 == e.0) {
                            let at = s.partition_point(|x| *x < e);
                            s.insert(at, e);
                        }
                    }
                    s
                })
                .collect();
            let smalls: Vec<Small> = fam.iter().map(|s| small(s)).collect();
            let mut cut = MAX_CHANGES + 1;
            let got: Vec<Set> = minimise(smalls, &mut cut)
                .iter()
                .map(|s| s.as_slice().to_vec())
                .collect();
            let (want, want_cut) = reference(fam);
            assert_eq!(got, want, "round {round}");
            assert_eq!(cut, want_cut.unwrap_or(MAX_CHANGES + 1), "round {round}");
            cuts += usize::from(want_cut.is_some());
            capped += usize::from(want.len() >= MAX_FAMILY);
            nested += usize::from(want.iter().any(|s| s.len() == 3));
        }
        assert!(
            capped > 10 && nested > 100 && cuts > 10 && cuts < 400,
            "the cap, cuts and longer sets are reached ({capped}, {cuts}, {nested})"
        );
    }
}
