//! Which unknown facts could change a decision, computed exactly with decision diagrams.
//!
//! `build` lowers the program's stages (floors, matrices, the level with its "at least" and
//! "exactly" rules and indicator counts, default pathways, rules reading the level, advisory)
//! into multi-valued decision diagrams over the fact variables (`crate::diagram`). A rule set
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
            if let Some(x) = ind.get_mut(rank.index()) {
                x.push(c);
            }
            if let Some(x) = dom
                .get_mut(rank.index())
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
    all_rules: bool,
) -> Option<Built> {
    build_in(
        Mdd::new(max_nodes),
        program,
        layout,
        facts,
        outcome,
        all_rules,
    )
}

/// `build` in an existing arena: diagrams built in one arena are equal exactly when their
/// functions are, so two programs (or one program with a rule left out) can be compared.
pub(crate) fn build_in(
    mdd: Mdd,
    program: &Program,
    layout: &Layout,
    facts: &[Option<i64>],
    outcome: &Outcome,
    all_rules: bool,
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
            if let Some(f) = floors.get_mut(m.index()) {
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
            LevelRank(1)
        } else {
            program
                .rules
                .iter()
                .zip(&outcome.fired)
                .filter(|(r, t)| **t == Tri::True && matches!(r.level, Some((_, false))))
                .filter_map(|(r, _)| r.level.map(|(k, _)| k))
                .max()
                .unwrap_or(LevelRank(1))
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
                exact_conds.get_mut(rank.index())
            } else {
                at_least_conds.get_mut(rank.index())
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
            .filter(|(_, r)| r.pathways.iter().any(|p| p.index() == pi))
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
            if l.default_pathways.iter().any(|p| p.index() == pi) {
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
        categories: s.categories,
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
