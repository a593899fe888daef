//! Which unknown facts could change a decision, computed exactly with decision diagrams.
//!
//! `build` runs the program's stages (`crate::stages`, the one copy of them) over multi-valued
//! decision diagrams over the fact variables (`crate::diagram`). A rule set
//! is built once over every fact (`compiled::Compiled`) and each referral restricts those
//! diagrams by its known facts: the variables a restricted, reduced diagram still depends on
//! are exactly the unknown facts that could change the outcome, and its leaves bound the level.
//! When the compiled diagrams exceed the node budget, diagrams are built per referral with the
//! known facts substituted; when those exceed it too, `conservative` lists every unknown fact an
//! undecided rule reads (a superset).

use std::collections::HashMap;

use rustc_hash::FxHashMap;

pub(crate) use crate::diagram::Layout;
use crate::diagram::{Mdd, NodeId, Op, Sym};
use crate::eval::{Outcome, Tri};
use crate::ir::{Cmp, Expr, FactId, LevelRank, PathwayId, Program, Stage};
use crate::stages::Domain;

mod compiled;

#[cfg(test)]
pub(crate) use compiled::tests::referral;
pub(crate) use compiled::{Compiled, Image};

impl Sym<'_> {
    /// A condition's diagram; conditions already decided by interval evaluation are constants.
    pub(crate) fn cond(&mut self, e: &Expr, known: Tri) -> NodeId {
        match known {
            Tri::True => self.mdd.leaf(1),
            Tri::False => self.mdd.leaf(0),
            Tri::Unknown => self.expr(e),
        }
    }
}

/// The stages (`crate::stages`) over diagrams: each value as a function of the unknown facts.
/// A condition interval evaluation decided is a constant (it holds, or not, on every
/// completion); the rules that read the level read the level's diagram, so they are always
/// built.
struct Lowering<'s, 'a> {
    s: &'s mut Sym<'a>,
    outcome: &'s Outcome,
    /// Every rule's condition, in program order.
    conds: Vec<NodeId>,
    zero: NodeId,
}

impl Domain for Lowering<'_, '_> {
    type V = NodeId;
    fn konst(&mut self, n: i64) -> NodeId {
        self.s.mdd.leaf(n)
    }
    fn is_zero(&self, v: NodeId) -> bool {
        v == self.zero
    }
    fn rule(&mut self, i: usize, cond: &Expr) -> NodeId {
        let post = self.s.program.rules.get(i).map(|r| r.stage) == Some(Stage::Post);
        let known = match self.outcome.fired.get(i) {
            _ if post => Tri::Unknown,
            Some(t) => *t,
            None => Tri::False,
        };
        let c = self.s.cond(cond, known);
        if let Some(slot) = self.conds.get_mut(i) {
            *slot = c;
        }
        c
    }
    fn band(&mut self, m: usize, b: usize, cond: &Expr) -> NodeId {
        let known = self.outcome.bands.get(m).and_then(|t| t.get(b));
        self.s.cond(cond, known.copied().unwrap_or(Tri::False))
    }
    fn score(&mut self, m: usize, score: Option<&Expr>) {
        let open = self
            .outcome
            .bands
            .get(m)
            .is_some_and(|t| t.contains(&Tri::Unknown));
        self.s.score = match score {
            Some(e) if open => self.s.expr(e),
            _ => self.s.mdd.leaf(0),
        };
    }
    fn max(&mut self, a: NodeId, b: NodeId) -> NodeId {
        self.s.mdd.apply(Op::Max, a, b)
    }
    fn add(&mut self, a: NodeId, b: NodeId) -> NodeId {
        self.s.mdd.apply(Op::Add, a, b)
    }
    fn or(&mut self, a: NodeId, b: NodeId) -> NodeId {
        self.s.mdd.apply(Op::Or, a, b)
    }
    fn scale(&mut self, c: NodeId, k: i64) -> NodeId {
        self.s.weighted(c, k)
    }
    fn is(&mut self, a: NodeId, k: i64) -> NodeId {
        let k = self.s.mdd.leaf(k);
        self.s.mdd.apply(Op::Cmp(Cmp::Eq), a, k)
    }
    fn level(&mut self, exact: NodeId, at_least: NodeId) -> NodeId {
        self.s.level = self.s.mdd.apply(Op::IfPos, exact, at_least);
        self.s.level
    }
    fn categories(&mut self, categories: &[NodeId]) {
        self.s.categories = categories.to_vec();
    }
    fn counts(&mut self, indicators: &[NodeId], domains: &[NodeId]) {
        self.s.indicators = indicators.to_vec();
        self.s.domains = domains.to_vec();
    }
}

/// The unknown facts that could change the level or a pathway, most decisive first.
#[derive(Debug, Clone, Default)]
pub(crate) struct Relevance {
    pub(crate) missing: Vec<FactId>,
    /// Per missing fact, in the same order: what it could change.
    pub(crate) changes: Changes,
    /// The lowest and highest level rank over every completion of the unknown facts, when the
    /// rule set has levels and some condition is undecided.
    pub(crate) bounds: Option<(LevelRank, LevelRank)>,
    /// When every completion of the unknown facts gives the same outcome, that outcome.
    pub(crate) settled: Option<(Option<LevelRank>, Vec<PathwayId>, Vec<usize>)>,
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
    pub(crate) fn pathways(&self, i: usize) -> impl Iterator<Item = PathwayId> + '_ {
        let at = i * self.words;
        let words = self.pathways.get(at..at + self.words).unwrap_or(&[]);
        bits(words).map(PathwayId::new)
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
    #[cfg_attr(
        not(feature = "source"),
        expect(
            unused_variables,
            reason = "no per-referral diagrams without the parser"
        )
    )]
    max_nodes: usize,
) -> Relevance {
    if !outcome.has_open() {
        return Relevance::default();
    }
    if let Some(c) = compiled {
        return c.query(program, layout, facts);
    }
    // Without the parser every rule set comes with its diagrams compiled (`precompiled::read`).
    #[cfg(not(feature = "source"))]
    return conservative(program, facts, outcome);
    #[cfg(feature = "source")]
    match build(program, layout, facts, outcome, max_nodes)
        .and_then(|b| Compiled::freeze(b, layout.var_fact.len()))
    {
        // The diagrams were built with the known facts substituted: nothing is left to restrict.
        Some(c) => c.query(program, layout, &vec![None; facts.len()]),
        None => conservative(program, facts, outcome),
    }
}

/// The outcome as diagrams in one arena: the level, each pathway and every rule's condition.
pub(crate) struct Built {
    pub(crate) mdd: Mdd,
    pub(crate) level: NodeId,
    pub(crate) pathways: Vec<NodeId>,
    pub(crate) conds: Vec<NodeId>,
    /// Whether some advisory rule fires.
    pub(crate) advisory: NodeId,
    /// Each matrix's category index.
    pub(crate) categories: Vec<NodeId>,
}

/// Builds the outcome's diagrams over the unknown facts (known facts substituted, conditions
/// decided by interval evaluation as constants). `None` over the node budget.
pub(crate) fn build(
    program: &Program,
    layout: &Layout,
    facts: &[Option<i64>],
    outcome: &Outcome,
    max_nodes: usize,
) -> Option<Built> {
    build_in(Mdd::new(max_nodes), program, layout, facts, outcome)
}

/// `build` in an existing arena: diagrams built in one arena are equal exactly when their
/// functions are, so two programs (or one program with a rule left out) can be compared.
pub(crate) fn build_in(
    mdd: Mdd,
    program: &Program,
    layout: &Layout,
    facts: &[Option<i64>],
    outcome: &Outcome,
) -> Option<Built> {
    let mut s = Sym {
        program,
        layout,
        facts,
        mdd,
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
    let mut lowering = Lowering {
        s: &mut s,
        outcome,
        conds: vec![zero; program.rules.len()],
        zero,
    };
    let decided = crate::stages::decide(program, &mut lowering);
    let conds = lowering.conds;
    if s.mdd.over {
        return None;
    }
    Some(Built {
        level: decided.level.unwrap_or(zero),
        pathways: decided.pathways().to_vec(),
        conds,
        advisory: decided.advisory,
        categories: decided.categories().to_vec(),
        mdd: s.mdd,
    })
}

/// Over the node budget: every unknown fact that an undecided condition reads, which never
/// leaves out a fact that matters.
fn conservative(program: &Program, facts: &[Option<i64>], outcome: &Outcome) -> Relevance {
    let mut score: HashMap<FactId, i64> = HashMap::new();
    let unknown = |f: &FactId| facts.get(f.index()).copied().flatten().is_none();
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
    let mut missing: Vec<FactId> = score.keys().copied().collect();
    crate::sort::sort_by_key(&mut missing, |f| {
        (std::cmp::Reverse(score.get(f).copied().unwrap_or(0)), *f)
    });
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
    let top = program.top();
    Relevance {
        missing,
        changes,
        bounds: outcome.level.map(|l| {
            // A `level exactly` rule that may still fire may set a lower level.
            let lo = program
                .rules
                .iter()
                .zip(&outcome.fired)
                .filter(|(_, t)| **t != Tri::False)
                .filter_map(|(r, _)| match r.level {
                    Some((rank, true)) => Some(rank),
                    _ => None,
                })
                .fold(l, LevelRank::min);
            (lo, top.max(l))
        }),
        settled: None,
        undecided: false,
        advisory: false,
    }
}
