//! What an editor needs to know of a rule set: its declarations and the uses of their names,
//! each with its file and byte range, and its diagnostics with their places. The outline is
//! built from the parser alone, so it is there while the rule set does not check (a syntax
//! error loses only the item it is in).

use std::collections::BTreeSet;
use std::ops::Range;

use crate::ast::{self, BinOp, ExprKind, Item};
use crate::diag::{Diagnostic, SourceId, Span};
use crate::error::Error;
use crate::limits::Limits;
use crate::parse::{self, Mode};
use crate::ruleset::Ruleset;

/// What a name declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// `guidance id "Title"`.
    Guidance,
    /// A level of the `levels` block.
    Level,
    /// A pathway of the `pathways` block.
    Pathway,
    /// A domain of the `domains` block.
    Domain,
    /// `fact id: type { ... }`.
    Fact,
    /// A code of an enum or set fact (its parent is the fact).
    Code,
    /// `area id "Label" { facts }`.
    Area,
    /// `checklist id "Question" { facts }`.
    Checklist,
    /// `matrix id "Label" { ... }`.
    Matrix,
    /// A tier of a matrix (its parent is the matrix).
    Tier,
    /// A category of a matrix (its parent is the matrix).
    Category,
    /// `rule id "Title" { ... }`.
    Rule,
}

impl Kind {
    /// The kind as the rule language names it: `fact`, `pathway`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Guidance => "guidance",
            Kind::Level => "level",
            Kind::Pathway => "pathway",
            Kind::Domain => "domain",
            Kind::Fact => "fact",
            Kind::Code => "code",
            Kind::Area => "area",
            Kind::Checklist => "checklist",
            Kind::Matrix => "matrix",
            Kind::Tier => "tier",
            Kind::Category => "category",
            Kind::Rule => "rule",
        }
    }
}

/// A declared name with what the declaration says of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declaration {
    /// What it declares.
    pub kind: Kind,
    /// The name.
    pub name: String,
    /// The fact a code belongs to; the matrix a tier or a category belongs to.
    pub parent: Option<String>,
    /// The file it is declared in.
    pub file: String,
    /// The byte range of the name in that file.
    pub span: Range<usize>,
    /// Its text: a guidance document's title; a level's, pathway's, matrix's or area's label;
    /// a fact's or checklist's question; a rule's title.
    pub label: Option<String>,
    /// Its longer text: a pathway's what-to-do, a fact's help, a rule's reason.
    pub text: Option<String>,
    /// A fact's type as written: `bool`, `int 0..25`, `enum` or `set`.
    pub ty: Option<String>,
    /// The names it lists: a fact's codes, a level's default pathways, a matrix's categories,
    /// a tier's codes, an area's or checklist's facts.
    pub members: Vec<String>,
}

/// A use of a name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// What the name is used as.
    pub kind: Kind,
    /// The name.
    pub name: String,
    /// The fact of a code; the matrix of a tier or a category.
    pub parent: Option<String>,
    /// The file it is used in.
    pub file: String,
    /// The byte range of the name in that file.
    pub span: Range<usize>,
}

/// The declarations of a rule set and the uses of their names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outline {
    /// Every declaration, in file order.
    pub declarations: Vec<Declaration>,
    /// Every use of a name, in file order. A use need not resolve: the name may be undeclared.
    pub references: Vec<Reference>,
}

impl Outline {
    /// The first declaration of a name.
    pub fn find(&self, kind: Kind, name: &str, parent: Option<&str>) -> Option<&Declaration> {
        self.declarations
            .iter()
            .find(|d| d.kind == kind && d.name == name && d.parent.as_deref() == parent)
    }

    /// The declaration a use refers to.
    pub fn resolve(&self, reference: &Reference) -> Option<&Declaration> {
        self.find(reference.kind, &reference.name, reference.parent.as_deref())
    }

    /// The declarations of one kind, in file order.
    pub fn of_kind(&self, kind: Kind) -> impl Iterator<Item = &Declaration> {
        self.declarations.iter().filter(move |d| d.kind == kind)
    }

    /// The name at a byte offset of a file (the offset may be just past its end): its byte
    /// range there and the declaration it names, whether it is declared there or used there.
    pub fn at(&self, file: &str, offset: usize) -> Option<(Range<usize>, &Declaration)> {
        let covers = |f: &str, r: &Range<usize>| f == file && r.start <= offset && offset <= r.end;
        if let Some(d) = self.declarations.iter().find(|d| covers(&d.file, &d.span)) {
            return Some((d.span.clone(), d));
        }
        self.references
            .iter()
            .filter(|r| covers(&r.file, &r.span))
            .find_map(|r| Some((r.span.clone(), self.resolve(r)?)))
    }
}

/// Outlines the `(file name, text)` pairs of one rule set.
pub fn outline(files: &[(String, String)]) -> Outline {
    let limits = Limits::default();
    // Syntax errors are the checker's to report; the outline keeps what parsed.
    let mut syntax_errors = Vec::new();
    let parsed: Vec<ast::File> = files
        .iter()
        .enumerate()
        .map(|(i, (_, text))| {
            let id = SourceId(u32::try_from(i).unwrap_or(u32::MAX));
            parse::parse_file(id, text, &limits, &mut syntax_errors, Mode::Full)
        })
        .collect();
    let items: Vec<&Item> = parsed.iter().flat_map(|f| f.items.iter()).collect();
    let mut builder = Builder {
        files,
        facts: items
            .iter()
            .filter_map(|i| match i {
                Item::Fact(f) => Some(f.id.name.as_str()),
                _ => None,
            })
            .collect(),
        matrices: items
            .iter()
            .filter_map(|i| match i {
                Item::Matrix(m) => Some(m.id.name.as_str()),
                _ => None,
            })
            .collect(),
        out: Outline::default(),
    };
    for item in items {
        builder.item(item);
    }
    builder.out
}

/// Walks the parsed files, collecting declarations and references.
struct Builder<'a> {
    files: &'a [(String, String)],
    /// Declared facts and matrices: what a bare name in an expression may be.
    facts: BTreeSet<&'a str>,
    matrices: BTreeSet<&'a str>,
    out: Outline,
}

fn range(span: Span) -> Range<usize> {
    span.start as usize..span.end as usize
}

fn names(ids: &[ast::Ident]) -> Vec<String> {
    ids.iter().map(|i| i.name.clone()).collect()
}

impl Builder<'_> {
    fn file(&self, span: Span) -> String {
        self.files
            .get(span.source.0 as usize)
            .map(|(name, _)| name.clone())
            .unwrap_or_default()
    }

    /// A declaration of `id` that says nothing more yet.
    fn decl(&self, kind: Kind, id: &ast::Ident, parent: Option<&str>) -> Declaration {
        Declaration {
            kind,
            name: id.name.clone(),
            parent: parent.map(str::to_string),
            file: self.file(id.span),
            span: range(id.span),
            label: None,
            text: None,
            ty: None,
            members: Vec::new(),
        }
    }

    fn declare(&mut self, d: Declaration) {
        self.out.declarations.push(d);
    }

    fn refer(&mut self, kind: Kind, id: &ast::Ident, parent: Option<&str>) {
        self.out.references.push(Reference {
            kind,
            name: id.name.clone(),
            parent: parent.map(str::to_string),
            file: self.file(id.span),
            span: range(id.span),
        });
    }

    fn refer_all(&mut self, kind: Kind, ids: &[ast::Ident], parent: Option<&str>) {
        for id in ids {
            self.refer(kind, id, parent);
        }
    }

    fn item(&mut self, item: &Item) {
        match item {
            Item::Header(_) | Item::RawTest(_) => {}
            Item::Guidance(g) => self.declare(Declaration {
                label: Some(g.title.value.clone()),
                ..self.decl(Kind::Guidance, &g.id, None)
            }),
            Item::Levels(levels, _) => {
                for l in levels {
                    self.declare(Declaration {
                        label: Some(l.label.value.clone()),
                        members: names(&l.pathways),
                        ..self.decl(Kind::Level, &l.id, None)
                    });
                    self.refer_all(Kind::Pathway, &l.pathways, None);
                }
            }
            Item::Pathways(pathways, _) => {
                for p in pathways {
                    self.declare(Declaration {
                        label: Some(p.label.value.clone()),
                        text: Some(p.todo.value.clone()),
                        ..self.decl(Kind::Pathway, &p.id, None)
                    });
                }
            }
            Item::Domains(domains, _) => {
                for d in domains {
                    self.declare(self.decl(Kind::Domain, d, None));
                }
            }
            Item::Provisional(pathways, _) => self.refer_all(Kind::Pathway, pathways, None),
            Item::Fact(f) => self.fact(f),
            Item::Area(g) | Item::Checklist(g) => {
                let kind = if matches!(item, Item::Area(_)) {
                    Kind::Area
                } else {
                    Kind::Checklist
                };
                self.declare(Declaration {
                    label: Some(g.text.value.clone()),
                    members: names(&g.items),
                    ..self.decl(kind, &g.id, None)
                });
                self.refer_all(Kind::Fact, &g.items, None);
            }
            Item::Triage(g) => self.refer_all(Kind::Area, &g.items, None),
            Item::Matrix(m) => self.matrix(m),
            Item::Rule(r) => self.rule(r),
            Item::Test(t) => self.test(t),
        }
    }

    fn fact(&mut self, f: &ast::FactDecl) {
        let (ty, codes) = match &f.ty {
            ast::FactType::Bool => ("bool".to_string(), &[][..]),
            ast::FactType::Int { lo, hi, .. } => (format!("int {lo}..{hi}"), &[][..]),
            ast::FactType::Enum(codes) => ("enum".to_string(), codes.as_slice()),
            ast::FactType::Set(codes) => ("set".to_string(), codes.as_slice()),
        };
        self.declare(Declaration {
            label: f.question.as_ref().map(|q| q.value.clone()),
            text: f.help.as_ref().map(|h| h.value.clone()),
            ty: Some(ty),
            members: names(codes),
            ..self.decl(Kind::Fact, &f.id, None)
        });
        for c in codes {
            self.declare(self.decl(Kind::Code, c, Some(&f.id.name)));
        }
        if let Some(d) = &f.domain {
            self.refer(Kind::Domain, d, None);
        }
        for (cond, _) in &f.questions_when {
            self.expr(cond, None);
        }
        if let Some((cond, value)) = &f.asked {
            self.expr(cond, None);
            self.value(&f.id.name, value);
        }
        if let Some(value) = &f.benign {
            self.value(&f.id.name, value);
        }
    }

    fn matrix(&mut self, m: &ast::MatrixDecl) {
        self.declare(Declaration {
            label: Some(m.label.value.clone()),
            members: names(&m.categories),
            ..self.decl(Kind::Matrix, &m.id, None)
        });
        for c in &m.categories {
            self.declare(self.decl(Kind::Category, c, Some(&m.id.name)));
        }
        if let Some(from) = &m.from {
            self.refer(Kind::Fact, from, None);
        }
        for t in &m.tiers {
            self.declare(Declaration {
                members: names(&t.codes),
                ..self.decl(Kind::Tier, &t.id, Some(&m.id.name))
            });
            if let Some(from) = &t.from {
                self.refer(Kind::Fact, from, None);
            }
            if let Some(source) = t.from.as_ref().or(m.from.as_ref()) {
                self.refer_all(Kind::Code, &t.codes, Some(&source.name));
            }
        }
        if let Some(score) = &m.score {
            self.expr(score, Some(m));
        }
        if let Some(c) = &m.cite {
            self.refer(Kind::Guidance, &c.guidance, None);
        }
        for b in &m.bands {
            self.refer(Kind::Category, &b.category, Some(&m.id.name));
            self.expr(&b.cond, Some(m));
        }
    }

    fn rule(&mut self, r: &ast::RuleDecl) {
        self.declare(Declaration {
            label: r.title.as_ref().map(|t| t.value.clone()),
            text: r.because.as_ref().map(|b| b.value.clone()),
            ..self.decl(Kind::Rule, &r.id, None)
        });
        if let Some(d) = &r.domain {
            self.refer(Kind::Domain, d, None);
        }
        if let Some(cond) = &r.when {
            self.expr(cond, None);
        }
        for e in &r.effects {
            match e {
                ast::Effect::Level { level, .. } => self.refer(Kind::Level, level, None),
                ast::Effect::Pathway(p) => self.refer(Kind::Pathway, p, None),
                ast::Effect::Category { matrix, at_least } => {
                    self.refer(Kind::Matrix, matrix, None);
                    self.refer(Kind::Category, at_least, Some(&matrix.name));
                }
                ast::Effect::Advisory => {}
            }
        }
        if let Some(c) = &r.cite {
            self.refer(Kind::Guidance, &c.guidance, None);
        }
    }

    fn test(&mut self, t: &ast::TestDecl) {
        for (fact, value) in &t.given {
            self.refer(Kind::Fact, fact, None);
            self.value(&fact.name, value);
        }
        for e in &t.expects {
            match e {
                ast::Expect::Level(l) => self.refer(Kind::Level, l, None),
                ast::Expect::Pathways(ps, _) => self.refer_all(Kind::Pathway, ps, None),
                ast::Expect::Pathway(p) | ast::Expect::NoPathway(p) => {
                    self.refer(Kind::Pathway, p, None);
                }
                ast::Expect::Missing(facts, _) => self.refer_all(Kind::Fact, facts, None),
                ast::Expect::Category(m, c) => {
                    self.refer(Kind::Matrix, m, None);
                    self.refer(Kind::Category, c, Some(&m.name));
                }
                ast::Expect::Status(_) | ast::Expect::Advisory => {}
            }
        }
    }

    /// The codes in a value given to `fact`.
    fn value(&mut self, fact: &str, value: &ast::Value) {
        match value {
            ast::Value::Code(c) => self.refer(Kind::Code, c, Some(fact)),
            ast::Value::Codes(codes, _) => self.refer_all(Kind::Code, codes, Some(fact)),
            ast::Value::Bool(..) | ast::Value::Int(..) | ast::Value::Null(_) => {}
        }
    }

    /// Whether a bare name is a fact, a matrix or a tier of the matrix it is in (otherwise, in
    /// a comparison, it is a code of the other side, as the checker reads it).
    fn is_declared(&self, id: &ast::Ident, matrix: Option<&ast::MatrixDecl>) -> bool {
        self.facts.contains(id.name.as_str())
            || self.matrices.contains(id.name.as_str())
            || matrix.is_some_and(|m| m.tiers.iter().any(|t| t.id.name == id.name))
    }

    fn expr(&mut self, e: &ast::Expr, matrix: Option<&ast::MatrixDecl>) {
        match &e.kind {
            ExprKind::Bool(_) | ExprKind::Int(_) | ExprKind::Level | ExprKind::Score => {}
            ExprKind::Name(id) => {
                let name = id.name.as_str();
                if self.facts.contains(name) {
                    self.refer(Kind::Fact, id, None);
                } else if self.matrices.contains(name) {
                    self.refer(Kind::Matrix, id, None);
                } else if let Some(m) = matrix.filter(|m| m.tiers.iter().any(|t| t.id.name == name))
                {
                    self.refer(Kind::Tier, id, Some(&m.id.name));
                } else {
                    self.refer(Kind::Fact, id, None);
                }
            }
            ExprKind::Not(x) | ExprKind::Neg(x) => self.expr(x, matrix),
            ExprKind::Binary(op, a, b) => {
                let compares = matches!(
                    op,
                    BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge
                );
                let bare = |x: &ast::Expr| match &x.kind {
                    ExprKind::Name(id) if compares && !self.is_declared(id, matrix) => {
                        Some(id.clone())
                    }
                    _ => None,
                };
                match (bare(a), bare(b)) {
                    (Some(code), None) => {
                        self.expr(b, matrix);
                        self.codes_of(b, std::slice::from_ref(&code));
                    }
                    (None, Some(code)) => {
                        self.expr(a, matrix);
                        self.codes_of(a, std::slice::from_ref(&code));
                    }
                    _ => {
                        self.expr(a, matrix);
                        self.expr(b, matrix);
                    }
                }
            }
            ExprKind::In(x, codes) | ExprKind::Has(x, _, codes) => {
                self.expr(x, matrix);
                self.codes_of(x, codes);
            }
            ExprKind::Count(id, codes) => {
                match matrix.filter(|m| m.tiers.iter().any(|t| t.id.name == id.name)) {
                    Some(m) => self.refer(Kind::Tier, id, Some(&m.id.name)),
                    None => self.refer(Kind::Fact, id, None),
                }
                for c in codes.iter().flatten() {
                    self.refer(Kind::Code, c, Some(&id.name));
                }
            }
            ExprKind::Indicators(l) | ExprKind::Domains(l) => self.refer(Kind::Level, l, None),
        }
    }

    /// Codes used as values of `owner`: a fact's codes, a matrix's categories or levels.
    fn codes_of(&mut self, owner: &ast::Expr, codes: &[ast::Ident]) {
        let (kind, parent) = match &owner.kind {
            ExprKind::Name(id) if self.facts.contains(id.name.as_str()) => {
                (Kind::Code, Some(id.name.as_str()))
            }
            ExprKind::Name(id) if self.matrices.contains(id.name.as_str()) => {
                (Kind::Category, Some(id.name.as_str()))
            }
            ExprKind::Level => (Kind::Level, None),
            _ => return,
        };
        self.refer_all(kind, codes, parent);
    }
}

/// A diagnostic with the file and byte range it points at.
#[derive(Debug, Clone)]
pub struct Located {
    /// The diagnostic: its code, severity, message and help.
    pub diagnostic: Diagnostic,
    /// The file it points at; `None` when it points at no place (a limit on the whole rule set).
    pub file: Option<String>,
    /// The byte range it points at in that file (empty when it points at none).
    pub range: Range<usize>,
}

/// Checks the `(file name, text)` pairs of one rule set as `thresholds check` does (the rules,
/// then, when they check, the tests written in them) and returns every error and warning with
/// its place.
pub fn located_diagnostics(files: &[(String, String)]) -> Vec<Located> {
    match Ruleset::from_sources(files.to_vec()) {
        Ok(rs) => {
            let mut out: Vec<Located> = rs
                .warnings()
                .iter()
                .map(|d| {
                    // A rule set's sources are its files, in the order `files()` gives them.
                    let span = d.labels.first().map(|l| l.span);
                    Located {
                        file: span
                            .and_then(|s| rs.files().get(s.source.0 as usize))
                            .map(|(name, _)| name.clone()),
                        range: span.map_or(0..0, range),
                        diagnostic: d.clone(),
                    }
                })
                .collect();
            if let Some(e) = rs.tests_error() {
                out.extend(located_errors(&e));
            }
            out
        }
        Err(e) => located_errors(&e),
    }
}

fn located_errors(e: &Error) -> Vec<Located> {
    // `detailed()` names the file of each diagnostic's first label, in the same order.
    e.diagnostics()
        .iter()
        .zip(e.detailed())
        .map(|(d, detail)| Located {
            file: detail.file,
            range: d.labels.first().map_or(0..0, |l| range(l.span)),
            diagnostic: d.clone(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = r#"ruleset "T" version "1"
guidance wt "Working Together"
levels {
  universal "Universal" -> universal_services
  acute "Acute" -> call_police
}
pathways {
  call_police "Call the police" "Phone 999."
  universal_services "Universal services" "Carry on."
}
"#;

    const BODY: &str = r#"fact age: int 0..25 { question "How old?" help "In years." }
fact stage: enum { primary, secondary } { question "Which school?" benign primary }
fact signs: set { missing, gifts } { question "Which signs?" }
matrix cse "CSE" {
  from signs
  categories none, high
  tier hi { missing }
  high when count(hi) >= 1
}
rule r1 "Old" {
  when age > 15 and stage == secondary and signs has gifts and stage in { primary, secondary }
  then level acute, pathway call_police, cse at least high
  cite wt "s1"
  because "Because."
}
test "t" {
  given { age: 16, stage: secondary, signs: [gifts] }
  expect level acute
  expect cse high
}
"#;

    fn files() -> Vec<(String, String)> {
        vec![
            ("a.thr".to_string(), HEAD.to_string()),
            ("b.thr".to_string(), BODY.to_string()),
        ]
    }

    fn offset(text: &str, needle: &str) -> usize {
        text.find(needle).unwrap_or(usize::MAX)
    }

    #[test]
    fn declarations_say_what_hover_shows() {
        let o = outline(&files());
        let age = o.find(Kind::Fact, "age", None);
        assert_eq!(age.and_then(|d| d.ty.as_deref()), Some("int 0..25"));
        assert_eq!(age.and_then(|d| d.label.as_deref()), Some("How old?"));
        assert_eq!(age.and_then(|d| d.text.as_deref()), Some("In years."));
        let stage = o.find(Kind::Fact, "stage", None);
        assert_eq!(
            stage.map(|d| d.members.clone()),
            Some(vec!["primary".to_string(), "secondary".to_string()])
        );
        let p = o.find(Kind::Pathway, "call_police", None);
        assert_eq!(p.and_then(|d| d.text.as_deref()), Some("Phone 999."));
        assert_eq!(p.map(|d| d.file.as_str()), Some("a.thr"));
        let start = offset(HEAD, "call_police \"");
        assert_eq!(p.map(|d| d.span.clone()), Some(start..start + 11));
        assert!(o.find(Kind::Code, "secondary", Some("stage")).is_some());
        assert!(o.find(Kind::Category, "high", Some("cse")).is_some());
        assert!(o.find(Kind::Tier, "hi", Some("cse")).is_some());
        assert_eq!(o.of_kind(Kind::Level).count(), 2);
    }

    #[test]
    fn names_resolve_across_files() {
        let o = outline(&files());
        let at = |needle: &str| {
            o.at("b.thr", offset(BODY, needle))
                .map(|(_, d)| (d.kind, d.name.clone(), d.file.clone()))
        };
        let want = |kind, name: &str, file: &str| Some((kind, name.to_string(), file.to_string()));
        assert_eq!(at("age > 15"), want(Kind::Fact, "age", "b.thr"));
        assert_eq!(at("secondary and"), want(Kind::Code, "secondary", "b.thr"));
        assert_eq!(at("gifts and"), want(Kind::Code, "gifts", "b.thr"));
        assert_eq!(
            at("secondary }\n  then"),
            want(Kind::Code, "secondary", "b.thr")
        );
        assert_eq!(at("acute, pathway"), want(Kind::Level, "acute", "a.thr"));
        assert_eq!(
            at("call_police, cse"),
            want(Kind::Pathway, "call_police", "a.thr")
        );
        assert_eq!(at("high\n  cite"), want(Kind::Category, "high", "b.thr"));
        assert_eq!(at("wt \"s1\""), want(Kind::Guidance, "wt", "a.thr"));
        assert_eq!(at("hi) >= 1"), want(Kind::Tier, "hi", "b.thr"));
        assert_eq!(
            at("missing }\n  high"),
            want(Kind::Code, "missing", "b.thr")
        );
        assert_eq!(
            at("secondary, signs"),
            want(Kind::Code, "secondary", "b.thr")
        );
        assert_eq!(at("gifts] }"), want(Kind::Code, "gifts", "b.thr"));
        assert_eq!(at("cse high"), want(Kind::Matrix, "cse", "b.thr"));
        // The end of a name still counts; a keyword is no name.
        let end = offset(BODY, "age > 15") + 3;
        assert_eq!(o.at("b.thr", end).map(|(r, _)| r), Some(end - 3..end));
        assert_eq!(o.at("b.thr", offset(BODY, "when age")), None);
    }

    #[test]
    fn an_outline_survives_errors() {
        let broken = BODY.replace("then level acute", "then level acute +");
        let o = outline(&[
            ("a.thr".to_string(), HEAD.to_string()),
            ("b.thr".to_string(), broken),
        ]);
        assert!(o.find(Kind::Fact, "signs", None).is_some());
        assert!(o.find(Kind::Rule, "r1", None).is_none());
        assert_eq!(
            outline(&[("x.thr".to_string(), "{{{".to_string())]),
            Outline::default()
        );
    }

    #[test]
    fn diagnostics_point_at_their_file_and_bytes() {
        let bad = BODY.replace("pathway call_police", "pathway call_polise");
        let found = located_diagnostics(&[
            ("a.thr".to_string(), HEAD.to_string()),
            ("b.thr".to_string(), bad.clone()),
        ]);
        let start = offset(&bad, "call_polise");
        let unknown: Vec<_> = found
            .iter()
            .map(|l| (l.diagnostic.code(), l.file.as_deref(), l.range.clone()))
            .collect();
        assert_eq!(
            unknown,
            vec![("thr::check::unknown_name", Some("b.thr"), start..start + 11)]
        );
        assert!(located_diagnostics(&files()).is_empty());
        let quiet = BODY.replace("{ question \"Which signs?\" }", "");
        let warned = located_diagnostics(&[
            ("b.thr".to_string(), quiet.clone()),
            ("a.thr".to_string(), HEAD.to_string()),
        ]);
        let start = offset(&quiet, "signs: set");
        assert_eq!(
            warned
                .iter()
                .map(|l| (l.diagnostic.code(), l.file.as_deref(), l.range.clone()))
                .collect::<Vec<_>>(),
            vec![(
                "thr::check::missing_question",
                Some("b.thr"),
                start..start + 5
            )]
        );
        let failing = BODY.replace("expect level acute", "expect level nowhere");
        let tests = located_diagnostics(&[
            ("a.thr".to_string(), HEAD.to_string()),
            ("b.thr".to_string(), failing.clone()),
        ]);
        let start = offset(&failing, "nowhere");
        assert_eq!(
            tests
                .iter()
                .map(|l| (l.file.as_deref(), l.range.clone()))
                .collect::<Vec<_>>(),
            vec![(Some("b.thr"), start..start + 7)]
        );
    }
}
