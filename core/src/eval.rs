//! Runs a compiled program on facts, deterministically and without panicking.
//!
//! Unknown facts are handled by interval evaluation: every value is a range of what it could
//! be given the known facts, and every condition is true, false or unknown. A rule fires only
//! when its condition is true for every possible value of the unknown facts.

use crate::ir::{Cmp, Expr, FactId, FactTy, LevelRank, PathwayId, Program, SetMode, Stage};

/// Three-valued truth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tri {
    False,
    Unknown,
    True,
}

impl Tri {
    fn from_iv(iv: Iv) -> Tri {
        if iv.lo > 0 || iv.hi < 0 {
            Tri::True
        } else if iv.lo == 0 && iv.hi == 0 {
            Tri::False
        } else {
            Tri::Unknown
        }
    }
    fn iv(self) -> Iv {
        match self {
            Tri::False => Iv::point(0),
            Tri::True => Iv::point(1),
            Tri::Unknown => Iv { lo: 0, hi: 1 },
        }
    }
}

/// An integer interval of possible values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Iv {
    pub(crate) lo: i64,
    pub(crate) hi: i64,
}

impl Iv {
    pub(crate) fn point(v: i64) -> Iv {
        Iv { lo: v, hi: v }
    }
}

/// What evaluation decided, before explanation.
#[derive(Debug, Clone)]
pub(crate) struct Outcome {
    /// Per rule, in program order: whether its condition held.
    pub(crate) fired: Vec<Tri>,
    /// Per matrix: band conditions' truth, in band order.
    pub(crate) bands: Vec<Vec<Tri>>,
    /// Per matrix: the category index (what is certain).
    pub(crate) categories: Vec<u32>,
    /// Level rank (1-based), if the program has levels.
    pub(crate) level: Option<LevelRank>,
    /// Pathways, most urgent first.
    pub(crate) pathways: Vec<PathwayId>,
}

impl Outcome {
    /// Whether any condition was left undecided by unknown facts.
    pub(crate) fn has_open(&self) -> bool {
        self.fired.contains(&Tri::Unknown)
            || self.bands.iter().flatten().any(|t| *t == Tri::Unknown)
    }
}

pub(crate) struct Env<'a> {
    pub(crate) program: &'a Program,
    pub(crate) facts: &'a [Option<i64>],
    /// Per matrix its category, then per level rank (and 0) the indicator counts, then the
    /// domain counts: one allocation per evaluation.
    counts: Vec<Iv>,
    level: Iv,
    score: Iv,
}

fn popcount(m: u64) -> i64 {
    i64::from(m.count_ones())
}

impl<'a> Env<'a> {
    fn new(program: &'a Program, facts: &'a [Option<i64>]) -> Self {
        let n = program.levels.len() + 1;
        Env {
            program,
            facts,
            counts: vec![Iv::point(0); program.matrices.len() + 2 * n],
            level: Iv {
                lo: 1,
                hi: i64::try_from(program.levels.len()).unwrap_or(1).max(1),
            },
            score: Iv::point(0),
        }
    }

    /// An environment for conditions that read facts only (`asked when`, `question when`).
    fn facts_only(program: &'a Program, facts: &'a [Option<i64>]) -> Self {
        Env {
            program,
            facts,
            counts: Vec::new(),
            level: Iv::point(0),
            score: Iv::point(0),
        }
    }

    /// Where in `counts` the categories (`None`), the indicator counts (`Some(false)`) or the
    /// domain counts (`Some(true)`) are.
    fn part(&self, counts: Option<bool>) -> std::ops::Range<usize> {
        let (m, n) = (self.program.matrices.len(), self.program.levels.len() + 1);
        match counts {
            None => 0..m,
            Some(false) => m..m + n,
            Some(true) => m + n..m + 2 * n,
        }
    }

    /// The categories' bounds, per matrix.
    fn categories(&self) -> &[Iv] {
        self.counts.get(self.part(None)).unwrap_or(&[])
    }

    fn categories_mut(&mut self) -> &mut [Iv] {
        let at = self.part(None);
        self.counts.get_mut(at).unwrap_or(&mut [])
    }

    /// The indicator counts (`domains`: the domain counts), per level rank.
    fn counts_of(&self, domains: bool) -> &[Iv] {
        self.counts.get(self.part(Some(domains))).unwrap_or(&[])
    }

    fn counts_of_mut(&mut self, domains: bool) -> &mut [Iv] {
        let at = self.part(Some(domains));
        self.counts.get_mut(at).unwrap_or(&mut [])
    }

    fn fact(&self, i: FactId) -> Option<i64> {
        self.facts.get(i.index()).copied().flatten()
    }

    fn fact_ty(&self, i: FactId) -> &FactTy {
        &self.program.facts.of(i).ty
    }

    pub(crate) fn truth(&self, e: &Expr) -> Tri {
        match e {
            Expr::Bool(b) => {
                if *b {
                    Tri::True
                } else {
                    Tri::False
                }
            }
            Expr::Not(x) => match self.truth(x) {
                Tri::True => Tri::False,
                Tri::False => Tri::True,
                Tri::Unknown => Tri::Unknown,
            },
            Expr::And(xs) => {
                let mut out = Tri::True;
                for x in xs {
                    match self.truth(x) {
                        Tri::False => return Tri::False,
                        Tri::Unknown => out = Tri::Unknown,
                        Tri::True => {}
                    }
                }
                out
            }
            Expr::Or(xs) => {
                let mut out = Tri::False;
                for x in xs {
                    match self.truth(x) {
                        Tri::True => return Tri::True,
                        Tri::Unknown => out = Tri::Unknown,
                        Tri::False => {}
                    }
                }
                out
            }
            // The common cases, a known fact, count or category against a constant, skip
            // interval arithmetic.
            Expr::Cmp(op, a, b) => match (&**a, &**b) {
                (Expr::Fact(i), Expr::Int(c)) => match self.fact(*i) {
                    Some(v) => tri(op.holds(v, *c)),
                    None => cmp_iv(*op, self.value(a), Iv::point(*c)),
                },
                (Expr::Count(i, mask), Expr::Int(c)) => match self.fact(*i) {
                    Some(v) => tri(op.holds(popcount((v as u64) & mask), *c)),
                    None => cmp_iv(*op, self.value(a), Iv::point(*c)),
                },
                (_, Expr::Int(c)) => match self.value(a) {
                    Iv { lo, hi } if lo == hi => tri(op.holds(lo, *c)),
                    iv => cmp_iv(*op, iv, Iv::point(*c)),
                },
                _ => cmp_iv(*op, self.value(a), self.value(b)),
            },
            Expr::EnumIn(i, mask) => match self.fact(*i) {
                Some(v) => tri((0..64).contains(&v) && mask & (1u64 << v) != 0),
                None => {
                    let n = match self.fact_ty(*i) {
                        FactTy::Enum(c) => c.len(),
                        _ => 0,
                    };
                    let all = if n >= 64 { u64::MAX } else { (1u64 << n) - 1 };
                    if mask & all == all {
                        Tri::True
                    } else if mask & all == 0 {
                        Tri::False
                    } else {
                        Tri::Unknown
                    }
                }
            },
            Expr::Has(i, mask, mode) => match (self.fact(*i), mode) {
                (Some(v), SetMode::Any) => tri((v as u64) & mask != 0),
                (Some(v), SetMode::All) => tri((v as u64) & mask == *mask),
                (None, _) if *mask == 0 => tri(*mode == SetMode::All),
                (None, _) => Tri::Unknown,
            },
            Expr::Fact(i) => match self.fact(*i) {
                Some(v) => tri(v != 0),
                None => Tri::from_iv(self.value(e)),
            },
            _ => Tri::from_iv(self.value(e)),
        }
    }

    pub(crate) fn value(&self, e: &Expr) -> Iv {
        match e {
            Expr::Int(n) => Iv::point(*n),
            Expr::Fact(i) => match self.fact(*i) {
                Some(v) => Iv::point(v),
                None => match self.fact_ty(*i) {
                    FactTy::Int { lo, hi } => Iv { lo: *lo, hi: *hi },
                    _ => Iv { lo: 0, hi: 1 },
                },
            },
            Expr::Count(i, mask) => match self.fact(*i) {
                Some(v) => Iv::point(popcount((v as u64) & mask)),
                None => Iv {
                    lo: 0,
                    hi: popcount(*mask),
                },
            },
            Expr::Add(a, b) => {
                let (a, b) = (self.value(a), self.value(b));
                Iv {
                    lo: a.lo.saturating_add(b.lo),
                    hi: a.hi.saturating_add(b.hi),
                }
            }
            Expr::Sub(a, b) => {
                let (a, b) = (self.value(a), self.value(b));
                Iv {
                    lo: a.lo.saturating_sub(b.hi),
                    hi: a.hi.saturating_sub(b.lo),
                }
            }
            Expr::Mul(a, b) => {
                let (a, b) = (self.value(a), self.value(b));
                let p = [
                    a.lo.saturating_mul(b.lo),
                    a.lo.saturating_mul(b.hi),
                    a.hi.saturating_mul(b.lo),
                    a.hi.saturating_mul(b.hi),
                ];
                Iv {
                    lo: p.iter().copied().min().unwrap_or(0),
                    hi: p.iter().copied().max().unwrap_or(0),
                }
            }
            Expr::Neg(a) => {
                let a = self.value(a);
                Iv {
                    lo: a.hi.saturating_neg(),
                    hi: a.lo.saturating_neg(),
                }
            }
            Expr::Category(m) => self
                .categories()
                .get(m.index())
                .copied()
                .unwrap_or(Iv::point(0)),
            Expr::Level => self.level,
            Expr::Score => self.score,
            Expr::Indicators(r) => self
                .counts_of(false)
                .get(r.index())
                .copied()
                .unwrap_or(Iv::point(0)),
            Expr::Domains(r) => self
                .counts_of(true)
                .get(r.index())
                .copied()
                .unwrap_or(Iv::point(0)),
            Expr::Bool(_)
            | Expr::Not(_)
            | Expr::And(_)
            | Expr::Or(_)
            | Expr::Cmp(..)
            | Expr::EnumIn(..)
            | Expr::Has(..) => self.truth(e).iv(),
        }
    }
}

fn tri(b: bool) -> Tri {
    if b {
        Tri::True
    } else {
        Tri::False
    }
}

fn cmp_iv(op: Cmp, a: Iv, b: Iv) -> Tri {
    match op {
        Cmp::Eq => {
            if a.lo == a.hi && b.lo == b.hi && a.lo == b.lo {
                Tri::True
            } else if a.hi < b.lo || b.hi < a.lo {
                Tri::False
            } else {
                Tri::Unknown
            }
        }
        Cmp::Ne => match cmp_iv(Cmp::Eq, a, b) {
            Tri::True => Tri::False,
            Tri::False => Tri::True,
            Tri::Unknown => Tri::Unknown,
        },
        Cmp::Lt => {
            if a.hi < b.lo {
                Tri::True
            } else if a.lo >= b.hi {
                Tri::False
            } else {
                Tri::Unknown
            }
        }
        Cmp::Le => {
            if a.hi <= b.lo {
                Tri::True
            } else if a.lo > b.hi {
                Tri::False
            } else {
                Tri::Unknown
            }
        }
        Cmp::Gt => cmp_iv(Cmp::Lt, b, a),
        Cmp::Ge => cmp_iv(Cmp::Le, b, a),
    }
}

/// Whether a condition over facts alone certainly holds, certainly does not, or may.
pub(crate) fn truth_on(program: &Program, facts: &[Option<i64>], cond: &Expr) -> Tri {
    Env::facts_only(program, facts).truth(cond)
}

/// The facts as the rules see them: each unanswered fact whose `asked when` condition
/// certainly does not hold takes its declared value (in dependency order, so a fact that is
/// not asked can make another not asked). An answer given explicitly always stands.
pub(crate) fn applied<'a>(
    program: &Program,
    facts: &'a [Option<i64>],
) -> std::borrow::Cow<'a, [Option<i64>]> {
    let mut out = std::borrow::Cow::Borrowed(facts);
    for &f in &program.asked_order {
        let i = f.index();
        if out.get(i).copied().flatten().is_some() {
            continue;
        }
        let Some((cond, otherwise)) = program.facts.get(i).and_then(|x| x.asked.as_ref()) else {
            continue;
        };
        if truth_on(program, &out, cond) == Tri::False {
            if let Some(slot) = out.to_mut().get_mut(i) {
                *slot = Some(*otherwise);
            }
        }
    }
    out
}

/// The question to put for a fact: the first `question when` variant whose condition
/// certainly holds, else its question (the program's shared string).
pub(crate) fn question_text<'p>(
    program: &'p Program,
    facts: &[Option<i64>],
    fact: FactId,
) -> &'p std::sync::Arc<str> {
    let shared = program.shared.fact(fact);
    question_variant(program, facts, fact)
        .and_then(|i| shared.variants.get(i))
        .unwrap_or(&shared.question)
}

/// Which `question when` variant a fact is asked with on these facts (the first whose condition
/// certainly holds), or `None` for its own question.
pub(crate) fn question_variant(
    program: &Program,
    facts: &[Option<i64>],
    fact: FactId,
) -> Option<usize> {
    program
        .facts
        .of(fact)
        .questions_when
        .iter()
        .position(|(c, _)| truth_on(program, facts, c) == Tri::True)
}

/// Evaluates the program on fact slots.
pub(crate) fn run(program: &Program, facts: &[Option<i64>]) -> Outcome {
    run_at_level(program, facts, None)
}

/// Evaluates the program on fact slots; with `level`, the rules that read the level read that
/// rank instead of the one interval evaluation decided (the decision reports the lowest level
/// over every completion of the unknown facts, which the compiled diagrams give).
/// Runs the rules of one stage (`range`, in program order): records each one's truth in
/// `fired` and what it decides in `d`, and shows `each` every rule with its truth.
fn run_stage(
    env: &Env<'_>,
    rules: &[crate::ir::Rule],
    range: std::ops::Range<usize>,
    fired: &mut [Tri],
    d: &mut Decided,
    mut each: impl FnMut(&crate::ir::Rule, Tri),
) {
    let stage = rules.get(range.clone()).unwrap_or(&[]);
    let slots = fired.get_mut(range).unwrap_or(&mut []);
    for (r, f) in stage.iter().zip(slots) {
        let t = env.truth(&r.cond);
        *f = t;
        d.note(r, t);
        each(r, t);
    }
}

/// What the fired rules decide, gathered as they fire.
struct Decided {
    /// The highest level a rule certainly sets "at least" (1 when none).
    at_least: i64,
    /// The highest level a rule certainly sets "exactly" (0 when none).
    exactly: i64,
    /// The pathways certainly added, in firing order.
    pathways: Vec<PathwayId>,
}

impl Decided {
    fn note(&mut self, r: &crate::ir::Rule, t: Tri) {
        if t == Tri::True {
            match r.level {
                Some((rank, false)) => self.at_least = self.at_least.max(i64::from(rank)),
                Some((rank, true)) => self.exactly = self.exactly.max(i64::from(rank)),
                None => {}
            }
            self.pathways.extend(&r.pathways);
        }
    }
}

pub(crate) fn run_at_level(
    program: &Program,
    facts: &[Option<i64>],
    level: Option<LevelRank>,
) -> Outcome {
    let mut env = Env::new(program, facts);
    let rules = &program.rules;
    let mut fired = vec![Tri::False; rules.len()];
    let n_levels = program.levels.len() + 1;
    // Rules are sorted by stage: each stage is one run of them.
    let main_start = rules.partition_point(|r| r.stage < Stage::Main);
    let aggregate_start = rules.partition_point(|r| r.stage < Stage::Aggregate);
    let post_start = rules.partition_point(|r| r.stage < Stage::Post);
    let mut d = Decided {
        at_least: 1,
        exactly: 0,
        pathways: Vec::new(),
    };

    // Stage 1: category floors, kept as the categories' bounds until the matrices raise them.
    let floors = rules.get(..main_start).unwrap_or(&[]);
    for (r, f) in floors.iter().zip(fired.iter_mut()) {
        let t = env.truth(&r.cond);
        *f = t;
        d.note(r, t);
        for (m, c) in &r.categories {
            let c = i64::from(*c);
            if let Some(iv) = env.categories_mut().get_mut(m.index()) {
                if t == Tri::True {
                    iv.lo = iv.lo.max(c);
                }
                if t != Tri::False {
                    iv.hi = iv.hi.max(c);
                }
            }
        }
    }

    // Stage 2: matrices.
    let mut bands_out = Vec::with_capacity(program.matrices.len());
    for (mi, m) in program.matrices.iter().enumerate() {
        env.score = m.score.as_ref().map_or(Iv::point(0), |s| env.value(s));
        let floor = env.categories().get(mi).copied().unwrap_or(Iv::point(0));
        let (mut lo, mut hi) = (floor.lo, floor.hi.max(floor.lo));
        let mut ts = Vec::with_capacity(m.bands.len());
        for (cat, cond) in &m.bands {
            let t = env.truth(cond);
            let c = i64::from(*cat);
            if t == Tri::True {
                lo = lo.max(c);
            }
            if t != Tri::False {
                hi = hi.max(c);
            }
            ts.push(t);
        }
        if let Some(slot) = env.categories_mut().get_mut(mi) {
            *slot = Iv { lo, hi: hi.max(lo) };
        }
        bands_out.push(ts);
    }

    // Stage 3: main rules, counting indicators (of this stage and the floors) as they fire.
    let mut acc = vec![(0i64, 0i64, 0u64, 0u64); n_levels];
    let mut count = |r: &crate::ir::Rule, t: Tri| {
        let Some((rank, d)) = r.indicator_rank() else {
            return;
        };
        if t == Tri::False {
            return;
        }
        let bit = 1u64.checked_shl(d).unwrap_or(0);
        if let Some(a) = acc.get_mut(rank.index()) {
            if t == Tri::True {
                a.0 += 1;
                a.2 |= bit;
            }
            a.1 += 1;
            a.3 |= bit;
        }
    };
    for (r, t) in floors.iter().zip(&fired) {
        count(r, *t);
    }
    run_stage(
        &env,
        rules,
        main_start..aggregate_start,
        &mut fired,
        &mut d,
        count,
    );
    // Stage 4: the indicator counts, then the rules that read them.
    if aggregate_start < rules.len() {
        for (rank, (lo, hi, dom_lo, dom_hi)) in acc.into_iter().enumerate() {
            if let Some(s) = env.counts_of_mut(false).get_mut(rank) {
                *s = Iv { lo, hi };
            }
            if let Some(s) = env.counts_of_mut(true).get_mut(rank) {
                *s = Iv {
                    lo: i64::from(dom_lo.count_ones()),
                    hi: i64::from(dom_hi.count_ones()),
                };
            }
        }
    }
    run_stage(
        &env,
        rules,
        aggregate_start..post_start,
        &mut fired,
        &mut d,
        |_, _| {},
    );

    // Stage 5: the level.
    let level = if program.levels.is_empty() {
        None
    } else {
        // A certain `level exactly` wins; otherwise the highest certain "at least". Rules that
        // read `level` read the level the decision reports, so that what they add (consent
        // refused at early help, say) agrees with the level shown. Whether unknown facts could
        // still change that level is the compiled diagrams' job: they give the lowest level
        // over every completion, which the caller passes in as `level`, and list the facts.
        let decided = if d.exactly > 0 { d.exactly } else { d.at_least };
        let decided = level.map_or(decided, i64::from);
        env.level = Iv::point(decided);
        u32::try_from(decided).ok().map(LevelRank)
    };

    // Stage 6: rules that read the level.
    run_stage(
        &env,
        rules,
        post_start..rules.len(),
        &mut fired,
        &mut d,
        |_, _| {},
    );

    let mut pathways = d.pathways;
    if let Some(l) = level.and_then(|r| program.level(r)) {
        pathways.extend(&l.default_pathways);
    }
    crate::sort::sort(&mut pathways);
    pathways.dedup();

    let categories = env
        .categories()
        .iter()
        .map(|c| u32::try_from(c.lo).unwrap_or(0))
        .collect();
    Outcome {
        fired,
        bands: bands_out,
        categories,
        level,
        pathways,
    }
}
