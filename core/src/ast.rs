//! Owned, typed syntax tree. Every node carries a [`Span`]; nothing borrows the input.

use crate::diag::{SourceId, Span};

/// A name with its location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Ident {
    pub(crate) name: String,
    pub(crate) span: Span,
}

/// A string literal with its location (the value is unescaped).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Str {
    pub(crate) value: String,
    pub(crate) span: Span,
}

/// One parsed file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct File {
    pub(crate) source: SourceId,
    pub(crate) items: Vec<Item>,
    /// Line comments, in order (kept for the formatter).
    pub(crate) comments: Vec<Comment>,
    /// What syntax errors left out of `items`, so the checker does not report its absence.
    pub(crate) skipped: Skipped,
}

/// The parts of a file that syntax errors left out.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Skipped {
    /// The whole file (too large, too deep, or not parsed at all).
    pub(crate) all: bool,
    /// Each broken item: its keyword (`fact`, `levels`, ...) and the name it declares, if any.
    pub(crate) items: Vec<(String, Option<String>)>,
}

/// One `//` line comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Comment {
    /// Byte offset of the `//`.
    pub(crate) offset: u32,
    /// The comment, `//` included, without trailing whitespace.
    pub(crate) text: String,
    /// True when code comes before it on its line (an end-of-line comment).
    pub(crate) trailing: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Item {
    Header(Header),
    Guidance(Guidance),
    Levels(Vec<LevelDecl>, Span),
    Pathways(Vec<PathwayDecl>, Span),
    Domains(Vec<Ident>, Span),
    Provisional(Vec<Ident>, Span),
    Fact(FactDecl),
    /// `area id "Label" { facts }`
    Area(Group),
    /// `checklist id "Question" { facts }`
    Checklist(Group),
    /// `triage "Question" { areas }` (its id is `triage`)
    Triage(Group),
    Matrix(MatrixDecl),
    Rule(RuleDecl),
    Test(TestDecl),
    /// A test read as text only (loading for evaluation); parsed when tests run.
    RawTest(Span),
}

impl Item {
    pub(crate) fn span(&self) -> Span {
        match self {
            Item::Header(h) => h.span,
            Item::Guidance(g) => g.span,
            Item::Levels(_, s)
            | Item::Pathways(_, s)
            | Item::Domains(_, s)
            | Item::Provisional(_, s) => *s,
            Item::Fact(f) => f.span,
            Item::Area(g) | Item::Checklist(g) | Item::Triage(g) => g.span,
            Item::Matrix(m) => m.span,
            Item::Rule(r) => r.span,
            Item::Test(t) => t.span,
            Item::RawTest(s) => *s,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Header {
    pub(crate) name: Str,
    pub(crate) version: Str,
    pub(crate) span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Guidance {
    pub(crate) id: Ident,
    pub(crate) title: Str,
    pub(crate) span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LevelDecl {
    pub(crate) id: Ident,
    pub(crate) label: Str,
    pub(crate) pathways: Vec<Ident>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PathwayDecl {
    pub(crate) id: Ident,
    pub(crate) label: Str,
    pub(crate) todo: Str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FactDecl {
    pub(crate) id: Ident,
    pub(crate) ty: FactType,
    pub(crate) question: Option<Str>,
    /// `question when cond "..."`, in order.
    pub(crate) questions_when: Vec<(Expr, Str)>,
    pub(crate) help: Option<Str>,
    pub(crate) domain: Option<Ident>,
    /// `asked when cond otherwise value`
    pub(crate) asked: Option<(Expr, Value)>,
    /// `benign value`
    pub(crate) benign: Option<Value>,
    pub(crate) span: Span,
}

/// An area, a checklist or the triage question: an id, its text and the names it groups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Group {
    pub(crate) id: Ident,
    pub(crate) text: Str,
    pub(crate) items: Vec<Ident>,
    pub(crate) span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FactType {
    Bool,
    Int { lo: i64, hi: i64, span: Span },
    Enum(Vec<Ident>),
    Set(Vec<Ident>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MatrixDecl {
    pub(crate) id: Ident,
    pub(crate) label: Str,
    pub(crate) from: Option<Ident>,
    pub(crate) categories: Vec<Ident>,
    pub(crate) tiers: Vec<Tier>,
    pub(crate) score: Option<Expr>,
    pub(crate) cite: Option<Citation>,
    pub(crate) bands: Vec<Band>,
    pub(crate) span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Tier {
    pub(crate) id: Ident,
    pub(crate) from: Option<Ident>,
    pub(crate) codes: Vec<Ident>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Band {
    pub(crate) category: Ident,
    pub(crate) cond: Expr,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RuleDecl {
    pub(crate) id: Ident,
    pub(crate) title: Option<Str>,
    pub(crate) domain: Option<Ident>,
    pub(crate) when: Option<Expr>,
    pub(crate) effects: Vec<Effect>,
    pub(crate) cite: Option<Citation>,
    pub(crate) because: Option<Str>,
    pub(crate) span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Citation {
    pub(crate) guidance: Ident,
    pub(crate) detail: Option<Str>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Effect {
    Level { exact: bool, level: Ident },
    Pathway(Ident),
    Category { matrix: Ident, at_least: Ident },
    Advisory,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TestDecl {
    pub(crate) name: Str,
    pub(crate) given: Vec<(Ident, Value)>,
    pub(crate) expects: Vec<Expect>,
    pub(crate) span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Value {
    Bool(bool, Span),
    Int(i64, Span),
    Code(Ident),
    Codes(Vec<Ident>, Span),
    Null(Span),
}

impl Value {
    pub(crate) fn span(&self) -> Span {
        match self {
            Value::Bool(_, s) | Value::Int(_, s) | Value::Codes(_, s) | Value::Null(s) => *s,
            Value::Code(i) => i.span,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Expect {
    Level(Ident),
    Pathways(Vec<Ident>, Span),
    Pathway(Ident),
    NoPathway(Ident),
    Status(Ident),
    Missing(Vec<Ident>, Span),
    Category(Ident, Ident),
    Advisory,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Expr {
    pub(crate) kind: ExprKind,
    pub(crate) span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BinOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
}

impl BinOp {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            BinOp::Or => "or",
            BinOp::And => "and",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
        }
    }
    /// Binding power, loosest 1.
    pub(crate) fn precedence(self) -> u8 {
        match self {
            BinOp::Or => 1,
            BinOp::And => 2,
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => 4,
            BinOp::Add | BinOp::Sub => 5,
            BinOp::Mul => 6,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HasMode {
    One,
    Any,
    All,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ExprKind {
    Bool(bool),
    Int(i64),
    Name(Ident),
    Level,
    Score,
    Not(Box<Expr>),
    Neg(Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    In(Box<Expr>, Vec<Ident>),
    Has(Box<Expr>, HasMode, Vec<Ident>),
    Count(Ident, Option<Vec<Ident>>),
    Indicators(Ident),
    Domains(Ident),
}
