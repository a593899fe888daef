//! Runs a compiled program on facts, deterministically and without panicking.
//!
//! Unknown facts are handled by interval evaluation: every value is a range of what it could
//! be given the known facts, and every condition is true, false or unknown. A rule fires only
//! when its condition is true for every possible value of the unknown facts. The stages
//! themselves are `crate::stages`, run here over intervals (`Intervals`).

use crate::ir::{Cmp, Expr, FactId, FactTy, LevelRank, PathwayId, Program, SetMode};
use crate::stages::Domain;

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

/// The stages (`crate::stages`) over intervals: each rule's truth is recorded as it is read.
struct Intervals<'a> {
    env: Env<'a>,
    fired: Vec<Tri>,
    bands: Vec<Vec<Tri>>,
    /// The level the rules that read `level` read, instead of the one decided.
    at: Option<LevelRank>,
}

impl Domain for Intervals<'_> {
    type V = Iv;
    fn konst(&mut self, n: i64) -> Iv {
        Iv::point(n)
    }
    fn is_zero(&self, v: Iv) -> bool {
        v.lo == 0 && v.hi == 0
    }
    fn rule(&mut self, i: usize, cond: &Expr) -> Iv {
        let t = self.env.truth(cond);
        if let Some(f) = self.fired.get_mut(i) {
            *f = t;
        }
        t.iv()
    }
    fn band(&mut self, m: usize, _: usize, cond: &Expr) -> Iv {
        let t = self.env.truth(cond);
        if self.bands.len() <= m {
            self.bands.resize_with(m + 1, Vec::new);
        }
        if let Some(b) = self.bands.get_mut(m) {
            b.push(t);
        }
        t.iv()
    }
    fn score(&mut self, _: usize, score: Option<&Expr>) {
        self.env.score = score.map_or(Iv::point(0), |s| self.env.value(s));
    }
    fn max(&mut self, a: Iv, b: Iv) -> Iv {
        Iv {
            lo: a.lo.max(b.lo),
            hi: a.hi.max(b.hi),
        }
    }
    fn add(&mut self, a: Iv, b: Iv) -> Iv {
        Iv {
            lo: a.lo.saturating_add(b.lo),
            hi: a.hi.saturating_add(b.hi),
        }
    }
    fn or(&mut self, a: Iv, b: Iv) -> Iv {
        self.max(a, b)
    }
    fn scale(&mut self, c: Iv, k: i64) -> Iv {
        // `c` is a condition (within 0..=1) and `k` a rank or category index (0 or more).
        Iv {
            lo: c.lo.saturating_mul(k),
            hi: c.hi.saturating_mul(k),
        }
    }
    fn is(&mut self, a: Iv, k: i64) -> Iv {
        cmp_iv(Cmp::Eq, a, Iv::point(k)).iv()
    }
    /// The lower bound this domain can certainly give: a `level exactly` that certainly holds,
    /// else the highest "at least" that certainly holds. Whether unknown facts could still
    /// change it is the diagrams' job: they give the lowest level over every completion, which
    /// the caller passes in as `at` so that what the rules reading the level add (consent
    /// refused at early help, say) agrees with the level shown.
    fn level(&mut self, exact: Iv, at_least: Iv) -> Iv {
        let decided = if exact.lo > 0 { exact.lo } else { at_least.lo };
        self.env.level = Iv::point(self.at.map_or(decided, i64::from));
        self.env.level
    }
    fn categories(&mut self, categories: &[Iv]) {
        for (slot, c) in self.env.categories_mut().iter_mut().zip(categories) {
            *slot = *c;
        }
    }
    fn counts(&mut self, indicators: &[Iv], domains: &[Iv]) {
        for (slot, c) in self.env.counts_of_mut(false).iter_mut().zip(indicators) {
            *slot = *c;
        }
        for (slot, c) in self.env.counts_of_mut(true).iter_mut().zip(domains) {
            *slot = *c;
        }
    }
}

/// Evaluates the program on fact slots; with `level`, the rules that read the level read that
/// rank instead of the one interval evaluation decided (the decision reports the lowest level
/// over every completion of the unknown facts, which the compiled diagrams give).
pub(crate) fn run_at_level(
    program: &Program,
    facts: &[Option<i64>],
    level: Option<LevelRank>,
) -> Outcome {
    let mut d = Intervals {
        env: Env::new(program, facts),
        fired: vec![Tri::False; program.rules.len()],
        bands: Vec::with_capacity(program.matrices.len()),
        at: level,
    };
    let decided = crate::stages::decide(program, &mut d);
    let mut bands = d.bands;
    bands.resize_with(program.matrices.len(), Vec::new);
    Outcome {
        fired: d.fired,
        bands,
        categories: decided
            .categories()
            .iter()
            .map(|c| u32::try_from(c.lo).unwrap_or(0))
            .collect(),
        level: decided
            .level
            .and_then(|l| u32::try_from(l.lo).ok())
            .map(LevelRank),
        pathways: decided
            .pathways()
            .iter()
            .enumerate()
            .filter(|(_, p)| p.lo > 0)
            .map(|(i, _)| PathwayId::from_usize(i))
            .collect(),
    }
}
