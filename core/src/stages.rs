//! The stage logic, written once: what a rule set decides from its rules' conditions.
//!
//! Category floors, then the matrices with their scores and bands, the main rules and the
//! indicator counts they make, the rules that read those counts, the level (a `level exactly`
//! that holds wins, else the highest "at least"), the rules that read the level, the pathways
//! (those the rules add and the level's defaults) and advisory: one fold over the program's rules
//! in stage order, `decide`, generic over the values it folds ([`Domain`]).
//!
//! Two domains instantiate it, and neither has a copy of the stages of its own:
//! - intervals (`eval.rs`): what each value could be given the known facts, the fast path and
//!   the rules that fired (reasons);
//! - decision diagrams (`relevance`): each value as a function of the unknown facts, which
//!   `missing`, `changes`, `could_reach` and the level on partial facts come from.

use crate::ir::{Expr, Program, Stage};

/// The values the stages fold, and what a rule's condition reads.
///
/// Conditions and flags are 0 or 1; levels are ranks (1-based); categories are indexes.
pub(crate) trait Domain {
    type V: Copy;
    fn konst(&mut self, n: i64) -> Self::V;
    /// Whether `v` is certainly 0 (a condition that certainly does not hold).
    fn is_zero(&self, v: Self::V) -> bool;
    /// Rule `i`'s condition, in the context the stages set so far (called once per rule, in
    /// program order).
    fn rule(&mut self, i: usize, cond: &Expr) -> Self::V;
    /// Matrix `m`'s band `b`, read after its score is set.
    fn band(&mut self, m: usize, b: usize, cond: &Expr) -> Self::V;
    /// Matrix `m`'s score, which its bands read next.
    fn score(&mut self, m: usize, score: Option<&Expr>);
    fn max(&mut self, a: Self::V, b: Self::V) -> Self::V;
    fn add(&mut self, a: Self::V, b: Self::V) -> Self::V;
    fn or(&mut self, a: Self::V, b: Self::V) -> Self::V;
    /// `k` (a level rank or category index, 0 or more) where the condition `c` holds, else 0.
    fn scale(&mut self, c: Self::V, k: i64) -> Self::V;
    /// Whether `a` is `k`.
    fn is(&mut self, a: Self::V, k: i64) -> Self::V;
    /// The level the decision reports: `exact` (0 when no `level exactly` rule holds) wins,
    /// else `at_least`. The rules that read `level` read it next.
    fn level(&mut self, exact: Self::V, at_least: Self::V) -> Self::V;
    /// Every matrix's category, which the main rules read next.
    fn categories(&mut self, categories: &[Self::V]);
    /// Per level rank (0 included), the indicator counts and the domain counts, which the
    /// rules that read them read next.
    fn counts(&mut self, indicators: &[Self::V], domains: &[Self::V]);
}

/// What the stages decide, as values of the domain.
pub(crate) struct Decided<V> {
    /// The level rank, when the program has levels.
    pub(crate) level: Option<V>,
    /// Whether some advisory rule holds.
    pub(crate) advisory: V,
    /// The categories, then the pathways, then the counts: one buffer for every fold.
    acc: Vec<V>,
    n_matrices: usize,
    n_pathways: usize,
}

impl<V> Decided<V> {
    /// Per matrix, its category index.
    pub(crate) fn categories(&self) -> &[V] {
        self.acc.get(..self.n_matrices).unwrap_or(&[])
    }

    /// Per pathway (urgency index), whether it is to be followed.
    pub(crate) fn pathways(&self) -> &[V] {
        let at = self.n_matrices;
        self.acc.get(at..at + self.n_pathways).unwrap_or(&[])
    }
}

/// What the rules decided so far, folded as each rule's condition is read.
struct Fold<V> {
    /// Per matrix its category floor (then its category), per pathway whether it is added, and
    /// when the program counts indicators, per level rank the indicators that hold, then per
    /// level rank and domain whether one of its indicators holds, then per level rank the
    /// domains that hold.
    acc: Vec<V>,
    n_matrices: usize,
    n_pathways: usize,
    n_levels: usize,
    n_domains: usize,
    counting: bool,
    exact: V,
    at_least: V,
    advisory: V,
}

/// Where each section of the buffer is, said once.
impl<V> Fold<V> {
    /// Pathway `p`'s flag.
    fn pathway(&self, p: usize) -> usize {
        self.n_matrices + p
    }

    /// Level rank `rank`'s indicator count (`rank` up to `n_levels`: the end of the counts).
    fn indicators(&self, rank: usize) -> usize {
        self.n_matrices + self.n_pathways + rank
    }

    /// Whether an indicator of level rank `rank` in domain `dom` holds.
    fn flag(&self, rank: usize, dom: usize) -> usize {
        self.indicators(self.n_levels) + rank * self.n_domains + dom
    }

    /// Level rank `rank`'s domain count (`rank` up to `n_levels`: the end of the buffer).
    fn domains(&self, rank: usize) -> usize {
        self.flag(self.n_levels, 0) + rank
    }

    fn slot(&mut self, at: usize) -> Option<&mut V> {
        self.acc.get_mut(at)
    }
}

impl<V: Copy> Fold<V> {
    #[inline]
    fn rule<D: Domain<V = V>>(&mut self, d: &mut D, r: &crate::ir::Rule, c: V) {
        // Every fold below starts at 0 or more, and 0 is the identity of `max`, `add` and `or`
        // over those values: a rule that certainly does not hold changes nothing.
        if d.is_zero(c) {
            return;
        }
        for (m, cat) in &r.categories {
            let w = d.scale(c, i64::from(*cat));
            if let Some(f) = self.slot(m.index()) {
                *f = d.max(*f, w);
            }
        }
        match r.level {
            Some((rank, true)) => {
                let w = d.scale(c, i64::from(rank));
                self.exact = d.max(self.exact, w);
            }
            Some((rank, false)) => {
                let w = d.scale(c, i64::from(rank));
                self.at_least = d.max(self.at_least, w);
            }
            None => {}
        }
        if let (true, Some((rank, dom))) = (self.counting, r.indicator_rank()) {
            let at = self.indicators(rank.index());
            if let Some(n) = self.slot(at) {
                *n = d.add(*n, c);
            }
            let at = self.flag(rank.index(), dom as usize);
            if let Some(x) = self.slot(at) {
                *x = d.or(*x, c);
            }
        }
        for p in &r.pathways {
            let at = self.pathway(p.index());
            if let Some(x) = self.slot(at) {
                *x = d.or(*x, c);
            }
        }
        if r.advisory {
            self.advisory = d.or(self.advisory, c);
        }
    }

    /// Reads the conditions of `rules[range]` and folds what they decide.
    fn run<D: Domain<V = V>>(
        &mut self,
        d: &mut D,
        rules: &[crate::ir::Rule],
        range: std::ops::Range<usize>,
    ) {
        let start = range.start;
        for (i, r) in rules.get(range).unwrap_or(&[]).iter().enumerate() {
            let c = d.rule(start + i, &r.cond);
            self.rule(d, r, c);
        }
    }
}

/// Runs the stages over `d`. Rules are sorted by stage (`ir::Stage`), so each stage is one run
/// of them; every rule's condition is read exactly once.
pub(crate) fn decide<D: Domain>(program: &Program, d: &mut D) -> Decided<D::V> {
    let rules = &program.rules;
    let zero = d.konst(0);
    let main = rules.partition_point(|r| r.stage < Stage::Main);
    let aggregate = rules.partition_point(|r| r.stage < Stage::Aggregate);
    let post = rules.partition_point(|r| r.stage < Stage::Post);
    let counting = aggregate < post;
    let (n_matrices, n_pathways) = (program.matrices.len(), program.pathways.len());
    let (n_levels, n_domains) = (program.levels.len() + 1, program.domains.len());
    let counts = if counting {
        n_levels * (n_domains + 2)
    } else {
        0
    };
    let mut f = Fold {
        acc: vec![zero; n_matrices + n_pathways + counts],
        n_matrices,
        n_pathways,
        n_levels,
        n_domains,
        counting,
        exact: zero,
        at_least: d.konst(1),
        advisory: zero,
    };

    // Category floors, then each matrix: its floor raised by the bands that hold.
    f.run(d, rules, 0..main);
    for (mi, (m, slot)) in program.matrices.iter().zip(&mut f.acc).enumerate() {
        d.score(mi, m.score.as_ref());
        for (bi, (c, cond)) in m.bands.iter().enumerate() {
            let b = d.band(mi, bi, cond);
            let w = d.scale(b, i64::from(*c));
            *slot = d.max(*slot, w);
        }
    }
    d.categories(f.acc.get(..n_matrices).unwrap_or(&[]));
    // Main rules, counting indicators (the floors' too), then the rules that read the counts.
    f.run(d, rules, main..aggregate);
    if counting {
        for rank in 0..n_levels {
            let mut n = zero;
            for x in f.acc.iter().skip(f.flag(rank, 0)).take(n_domains) {
                n = d.add(n, *x);
            }
            let at = f.domains(rank);
            if let Some(slot) = f.slot(at) {
                *slot = n;
            }
        }
        let indicators = f.acc.get(f.indicators(0)..f.indicators(n_levels));
        let domains = f.acc.get(f.domains(0)..f.domains(n_levels));
        d.counts(indicators.unwrap_or(&[]), domains.unwrap_or(&[]));
    }
    f.run(d, rules, aggregate..post);
    // The level, then the rules that read it.
    let level = if program.levels.is_empty() {
        None
    } else {
        Some(d.level(f.exact, f.at_least))
    };
    f.run(d, rules, post..rules.len());
    // Each level's default pathways.
    if let Some(level) = level {
        for (li, l) in program.levels.iter().enumerate() {
            if l.default_pathways.is_empty() {
                continue;
            }
            let here = d.is(level, i64::try_from(li + 1).unwrap_or(0));
            for p in &l.default_pathways {
                let at = f.pathway(p.index());
                if let Some(x) = f.slot(at) {
                    *x = d.or(*x, here);
                }
            }
        }
    }
    Decided {
        level,
        advisory: f.advisory,
        acc: f.acc,
        n_matrices,
        n_pathways,
    }
}
