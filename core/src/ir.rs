//! The compact, checked form that `eval` runs: facts are slots, codes are bit masks,
//! levels are ranks and pathways are urgency indexes. Nothing here is looked up by name.

/// Index of a declared fact.
pub(crate) type FactIdx = u32;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FactTy {
    Bool,
    Int { lo: i64, hi: i64 },
    Enum(Vec<String>),
    Set(Vec<String>),
}

#[derive(Debug, Clone)]
pub(crate) struct Fact {
    pub(crate) id: String,
    pub(crate) ty: FactTy,
    pub(crate) question: String,
    pub(crate) help: Option<String>,
    pub(crate) domain: Option<String>,
    /// The answer that raises no concern (what "none of these" and an unticked area mean).
    /// Bool facts default to `false` and set facts to the empty set.
    pub(crate) benign: Option<i64>,
    /// `asked when cond otherwise value`: where the condition certainly does not hold, the
    /// unknown fact takes the value.
    pub(crate) asked: Option<(Expr, i64)>,
    /// `question when cond "..."`: the question put differently while the condition holds.
    pub(crate) questions_when: Vec<(Expr, String)>,
}

#[derive(Debug, Clone)]
pub(crate) struct Level {
    pub(crate) id: String,
    pub(crate) label: String,
    pub(crate) default_pathways: Vec<u32>,
}

#[derive(Debug, Clone)]
pub(crate) struct Pathway {
    pub(crate) id: String,
    pub(crate) label: String,
    pub(crate) todo: String,
}

#[derive(Debug, Clone)]
pub(crate) struct Citation {
    pub(crate) guidance: String,
    pub(crate) text: String,
}

#[derive(Debug, Clone)]
pub(crate) struct Matrix {
    pub(crate) id: String,
    pub(crate) label: String,
    pub(crate) categories: Vec<String>,
    /// (category index, condition): the matrix is at least that category when the condition holds.
    pub(crate) bands: Vec<(u32, Expr)>,
    pub(crate) score: Option<Expr>,
    pub(crate) cite: Option<Citation>,
    pub(crate) reads: Vec<FactIdx>,
    /// The indicators its tiers name: per set fact, a mask of codes.
    pub(crate) tiers: Vec<(FactIdx, u64)>,
}

/// When a rule runs, relative to the values it reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Stage {
    /// Raises a matrix category; reads facts only.
    Floors,
    /// Reads facts and matrix categories.
    Main,
    /// Reads `indicators(...)` / `domains(...)`.
    Aggregate,
    /// Reads the decided level; adds pathways only.
    Post,
}

#[derive(Debug, Clone)]
pub(crate) struct Rule {
    pub(crate) id: String,
    pub(crate) title: Option<String>,
    /// Domain index, for indicator rules.
    pub(crate) domain: Option<u32>,
    pub(crate) cond: Expr,
    /// Level rank (1-based) and whether it is exact.
    pub(crate) level: Option<(u32, bool)>,
    pub(crate) pathways: Vec<u32>,
    /// (matrix, category) floors.
    pub(crate) categories: Vec<(u32, u32)>,
    /// Marks the decided level as advice only.
    pub(crate) advisory: bool,
    pub(crate) cite: Option<Citation>,
    pub(crate) because: String,
    pub(crate) stage: Stage,
    pub(crate) reads: Vec<FactIdx>,
    /// Matrices whose category the condition reads.
    pub(crate) reads_categories: Vec<u32>,
}

impl Rule {
    /// An indicator counts towards `indicators(level)`: it has a domain and sets that level.
    pub(crate) fn indicator_rank(&self) -> Option<(u32, u32)> {
        match (self.domain, self.level) {
            (Some(d), Some((rank, false))) => Some((rank, d)),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Cmp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Cmp {
    pub(crate) fn holds(self, a: i64, b: i64) -> bool {
        match self {
            Cmp::Eq => a == b,
            Cmp::Ne => a != b,
            Cmp::Lt => a < b,
            Cmp::Le => a <= b,
            Cmp::Gt => a > b,
            Cmp::Ge => a >= b,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SetMode {
    Any,
    All,
}

/// A typed expression. Boolean and integer expressions share one tree; the checker
/// guarantees each node is used at its own type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Expr {
    Bool(bool),
    Int(i64),
    /// A bool (0/1) or int fact.
    Fact(FactIdx),
    Not(Box<Expr>),
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Cmp(Cmp, Box<Expr>, Box<Expr>),
    /// The enum fact's value is one of the codes in the mask.
    EnumIn(FactIdx, u64),
    /// The set fact has any / all of the codes in the mask.
    Has(FactIdx, u64, SetMode),
    /// How many codes of the mask the set fact has.
    Count(FactIdx, u64),
    Add(Box<Expr>, Box<Expr>),
    Sub(Box<Expr>, Box<Expr>),
    Mul(Box<Expr>, Box<Expr>),
    Neg(Box<Expr>),
    /// A matrix's category index.
    Category(u32),
    /// The decided level's rank.
    Level,
    /// The enclosing matrix's score.
    Score,
    /// Fired indicator rules of this rank.
    Indicators(u32),
    /// Distinct domains of fired indicator rules of this rank.
    Domains(u32),
}

impl Expr {
    /// Matrices whose category this expression reads, in order of appearance.
    pub(crate) fn categories_read(&self, out: &mut Vec<u32>) {
        match self {
            Expr::Category(m) if !out.contains(m) => out.push(*m),
            Expr::Not(e) | Expr::Neg(e) => e.categories_read(out),
            Expr::And(v) | Expr::Or(v) => v.iter().for_each(|e| e.categories_read(out)),
            Expr::Cmp(_, a, b) | Expr::Add(a, b) | Expr::Sub(a, b) | Expr::Mul(a, b) => {
                a.categories_read(out);
                b.categories_read(out);
            }
            _ => {}
        }
    }

    /// Calls `f` on every fact this expression reads, in order of appearance.
    pub(crate) fn visit_facts(&self, f: &mut impl FnMut(FactIdx)) {
        match self {
            Expr::Fact(i) | Expr::EnumIn(i, _) | Expr::Has(i, _, _) | Expr::Count(i, _) => f(*i),
            Expr::Not(e) | Expr::Neg(e) => e.visit_facts(f),
            Expr::And(v) | Expr::Or(v) => v.iter().for_each(|e| e.visit_facts(f)),
            Expr::Cmp(_, a, b) | Expr::Add(a, b) | Expr::Sub(a, b) | Expr::Mul(a, b) => {
                a.visit_facts(f);
                b.visit_facts(f);
            }
            Expr::Bool(_)
            | Expr::Int(_)
            | Expr::Category(_)
            | Expr::Level
            | Expr::Score
            | Expr::Indicators(_)
            | Expr::Domains(_) => {}
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TestExpect {
    Level(Option<u32>),
    Pathways(Vec<u32>),
    Pathway(u32),
    NoPathway(u32),
    Provisional(bool),
    Missing(Vec<FactIdx>),
    Category(u32, u32),
    Advisory,
}

#[derive(Debug, Clone)]
pub(crate) struct Test {
    pub(crate) name: String,
    pub(crate) file: String,
    pub(crate) line: u32,
    pub(crate) given: Vec<Option<i64>>,
    pub(crate) expects: Vec<(TestExpect, String)>,
}

/// A checked, compiled rule set.
#[derive(Debug, Clone)]
pub(crate) struct Program {
    pub(crate) name: String,
    pub(crate) version: String,
    pub(crate) hash: String,
    pub(crate) guidance: Vec<(String, String)>,
    pub(crate) levels: Vec<Level>,
    pub(crate) pathways: Vec<Pathway>,
    pub(crate) domains: Vec<String>,
    pub(crate) provisional: Vec<u32>,
    pub(crate) facts: Vec<Fact>,
    /// Fact id → index, for converting facts by name.
    pub(crate) fact_index: rustc_hash::FxHashMap<String, u32>,
    pub(crate) matrices: Vec<Matrix>,
    /// Rules sorted by stage (stable within a stage).
    pub(crate) rules: Vec<Rule>,
    /// Tests kept as text, parsed when they are run.
    pub(crate) raw_tests: Vec<crate::diag::Span>,
    /// Facts with an `asked when` condition, each after every such fact its condition reads.
    pub(crate) asked_order: Vec<FactIdx>,
    /// `area` groups, for the triage question.
    pub(crate) areas: Vec<Group>,
    /// `checklist` questions.
    pub(crate) checklists: Vec<Group>,
    /// The triage question: its text and the areas it offers (indexes into `areas`).
    pub(crate) triage: Option<(String, Vec<u32>)>,
}

/// An area or a checklist: facts asked about together.
#[derive(Debug, Clone)]
pub(crate) struct Group {
    pub(crate) id: String,
    pub(crate) text: String,
    pub(crate) facts: Vec<FactIdx>,
}
