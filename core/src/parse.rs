//! Source text → [`ast`]. The only module that sees pest types.

use pest::iterators::{Pair, Pairs};
use pest::pratt_parser::{Assoc, Op, PrattParser};
use pest::Parser as _;

use crate::ast::{self, BinOp, ExprKind, HasMode};
use crate::check::did_you_mean;
use crate::diag::{Code, Diagnostic, SourceId, Span};
use crate::grammar::{Rule, RulesParser};
use crate::limits::Limits;

type PResult<T> = Result<T, Diagnostic>;

fn span_of(source: SourceId, s: pest::Span<'_>) -> Span {
    Span::new(source, s.start(), s.end())
}

/// Whether tests are parsed now or kept as text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Everything (checking, formatting, running tests).
    Full,
    /// Test bodies are kept as text (loading for evaluation).
    SkipTests,
}

/// Parses one test kept as text by [`Mode::SkipTests`].
pub(crate) fn parse_test(
    source: SourceId,
    text: &str,
    span: Span,
    limits: &Limits,
) -> Result<ast::TestDecl, Diagnostic> {
    let base = span.start as usize;
    let slice = text.get(base..span.end as usize).unwrap_or("");
    let mut pairs =
        RulesParser::parse(Rule::test, slice).map_err(|e| pest_error(source, base, slice, e))?;
    let pair = pairs.next().ok_or_else(|| {
        Diagnostic::error(Code::Internal, "internal parser error: empty test").at(span, "here")
    })?;
    let cx = Lower {
        source,
        limits,
        base,
    };
    match cx.item(pair)? {
        ast::Item::Test(t) => Ok(t),
        _ => Err(
            Diagnostic::error(Code::Internal, "internal parser error: not a test").at(span, "here"),
        ),
    }
}

/// Parses one file, collecting every syntax error.
pub(crate) fn parse_file(
    source: SourceId,
    text: &str,
    limits: &Limits,
    diags: &mut Vec<Diagnostic>,
    mode: Mode,
) -> ast::File {
    let mut file = ast::File {
        source,
        items: Vec::new(),
        comments: scan_comments(text),
        skipped: ast::Skipped::default(),
    };
    if text.len() > limits.max_source_bytes {
        file.skipped.all = true;
        diags.push(
            Diagnostic::error(
                Code::SourceTooLarge,
                format!(
                    "rule file is {} bytes; the limit is {}",
                    text.len(),
                    limits.max_source_bytes
                ),
            )
            .at(Span::new(source, 0, 0), "file starts here"),
        );
        return file;
    }
    if let Some(offset) = too_deep(text, limits.max_depth) {
        file.skipped.all = true;
        diags.push(
            Diagnostic::error(
                Code::TooDeep,
                format!("brackets are nested more than {} deep", limits.max_depth),
            )
            .at(
                Span::new(source, offset, offset + 1),
                "this bracket is too deep",
            )
            .help("split the condition into smaller rules"),
        );
        return file;
    }
    let start_rule = if mode == Mode::Full {
        Rule::file
    } else {
        Rule::file_fast
    };
    let pairs = match RulesParser::parse(start_rule, text) {
        Ok(p) => p,
        Err(e) => {
            file.skipped.all = true;
            diags.push(pest_error(source, 0, text, e));
            return file;
        }
    };
    let cx = Lower {
        source,
        limits,
        base: 0,
    };
    let mut in_bad_run = false;
    for pair in pairs.flatten().take(1).flat_map(|p| p.into_inner()) {
        match pair.as_rule() {
            Rule::EOI => {}
            Rule::CATCH_ALL => {
                // A line that starts like an item begins a new broken item.
                let mut words = pair
                    .as_str()
                    .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
                    .filter(|w| !w.is_empty());
                let first = words.next().unwrap_or("");
                if ITEM_KEYWORDS.contains(&first) && pair.as_str().starts_with(first) {
                    in_bad_run = false;
                    let name = words.next().filter(|_| DECLARES_NAME.contains(&first));
                    file.skipped
                        .items
                        .push((first.to_string(), name.map(str::to_string)));
                }
                if !in_bad_run {
                    let start = pair.as_span().start();
                    let rest = text.get(start..).unwrap_or("");
                    let diag = match RulesParser::parse(Rule::item_strict, rest) {
                        Err(e) => pest_error(source, start, rest, e),
                        Ok(_) => Diagnostic::error(Code::Syntax, "unexpected text")
                            .at(span_of(source, pair.as_span()), "not a rule-file item"),
                    };
                    diags.push(diag);
                }
                in_bad_run = true;
            }
            Rule::test_raw => {
                in_bad_run = false;
                file.items
                    .push(ast::Item::RawTest(span_of(source, pair.as_span())));
            }
            _ => {
                in_bad_run = false;
                match cx.item(pair) {
                    Ok(item) => file.items.push(item),
                    Err(d) => diags.push(d),
                }
            }
        }
    }
    file
}

const ITEM_KEYWORDS: &[&str] = &[
    "ruleset",
    "guidance",
    "levels",
    "pathways",
    "domains",
    "provisional",
    "fact",
    "area",
    "checklist",
    "triage",
    "matrix",
    "rule",
    "test",
];

/// The items whose second word is the name they declare.
const DECLARES_NAME: &[&str] = &["guidance", "fact", "area", "checklist", "matrix", "rule"];

/// Finds the first bracket nested deeper than `max`, ignoring strings and comments.
fn too_deep(text: &str, max: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => {
                while let Some((_, c)) = chars.next() {
                    match c {
                        '\\' => {
                            chars.next();
                        }
                        '"' | '\n' => break,
                        _ => {}
                    }
                }
            }
            '/' if chars.peek().map(|(_, c)| *c) == Some('/') => {
                for (_, c) in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
            }
            '(' | '{' | '[' => {
                depth += 1;
                if depth > max {
                    return Some(i);
                }
            }
            ')' | '}' | ']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

/// Collects `//` comments outside strings, each with its offset and whether code precedes it
/// on its line.
fn scan_comments(text: &str) -> Vec<ast::Comment> {
    let mut out = Vec::new();
    let mut code_on_line = false;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '\n' => code_on_line = false,
            '"' => {
                code_on_line = true;
                while let Some((_, c)) = chars.next() {
                    match c {
                        '\\' => {
                            chars.next();
                        }
                        '"' => break,
                        '\n' => {
                            code_on_line = false;
                            break;
                        }
                        _ => {}
                    }
                }
            }
            '/' if chars.peek().map(|(_, c)| *c) == Some('/') => {
                let end = text
                    .get(i..)
                    .and_then(|r| r.find('\n'))
                    .map_or(text.len(), |n| i + n);
                let body = text.get(i..end).unwrap_or("").trim_end().to_string();
                out.push(ast::Comment {
                    offset: u32::try_from(i).unwrap_or(u32::MAX),
                    text: body,
                    trailing: code_on_line,
                });
                while let Some((j, _)) = chars.peek() {
                    if *j >= end {
                        break;
                    }
                    chars.next();
                }
            }
            c if c.is_whitespace() => {}
            _ => code_on_line = true,
        }
    }
    out
}

/// The length of `item` without the whitespace and comments pest's implicit skipping leaves at
/// its end (after an optional part that was not there), so an item's span ends at its last token.
fn token_len(item: &str) -> usize {
    let mut last = 0;
    let mut chars = item.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => {
                let mut end = i + 1;
                while let Some((j, c)) = chars.next() {
                    end = j + c.len_utf8();
                    match c {
                        '\\' => {
                            if let Some((k, c)) = chars.next() {
                                end = k + c.len_utf8();
                            }
                        }
                        '"' | '\n' => break,
                        _ => {}
                    }
                }
                last = end;
            }
            '/' if chars.peek().map(|(_, c)| *c) == Some('/') => {
                while let Some((_, c)) = chars.peek() {
                    if *c == '\n' {
                        break;
                    }
                    chars.next();
                }
            }
            c if c.is_whitespace() => {}
            c => last = i + c.len_utf8(),
        }
    }
    last
}

fn pest_error(
    source: SourceId,
    base: usize,
    rest: &str,
    e: pest::error::Error<Rule>,
) -> Diagnostic {
    let (start, end) = match e.location {
        pest::error::InputLocation::Pos(p) => (p, p),
        pest::error::InputLocation::Span((s, e)) => (s, e),
    };
    let mut help = None;
    let message = match &e.variant {
        pest::error::ErrorVariant::ParsingError {
            positives,
            negatives,
        } => {
            let found = rest
                .get(start..)
                .unwrap_or("")
                .split_whitespace()
                .next()
                .unwrap_or("");
            let found: String = found.chars().take(20).collect();
            let mut m = if found.is_empty() {
                "unexpected end of input".to_string()
            } else {
                format!("unexpected `{found}`")
            };
            let expr_start = positives.iter().any(|r| {
                matches!(
                    r,
                    Rule::ident | Rule::paren | Rule::int | Rule::op_not | Rule::op_neg
                )
            });
            let pos: Vec<String> = positives
                .iter()
                .filter(|r| {
                    !(expr_start
                        && matches!(
                            r,
                            Rule::KW_COUNT
                                | Rule::KW_DOMAINS
                                | Rule::KW_INDICATORS
                                | Rule::KW_LEVEL
                                | Rule::KW_SCORE
                                | Rule::KW_TRUE
                                | Rule::KW_FALSE
                        ))
                })
                .map(rename_rule)
                .collect();
            if !pos.is_empty() {
                m = format!("{m}; expected {}", join_or(&pos));
            }
            if positives.is_empty() && !negatives.is_empty() {
                let neg: Vec<String> = negatives.iter().map(rename_rule).collect();
                m = format!("unexpected {}", join_or(&neg));
            }
            // `then levle complex` reads `levle` as a matrix (`<matrix> at least <category>`)
            // and fails at `complex`: the effect as a whole is what is wrong.
            if positives.as_slice() == [Rule::KW_AT] {
                if let Some((at, word)) = word_before(rest, start) {
                    let d = Diagnostic::error(
                        Code::Syntax,
                        format!("unexpected `{word} {found}`; expected {EFFECT}"),
                    )
                    .at(
                        Span::new(source, base + at, base + at + word.len()),
                        "not an effect",
                    )
                    .help_opt(did_you_mean(word, ["level", "pathway", "advisory"]));
                    return d;
                }
            }
            let keywords: Vec<String> = positives.iter().flat_map(keywords_of).collect();
            help = did_you_mean(
                found.trim_end_matches(|c: char| !c.is_ascii_alphanumeric() && c != '_'),
                keywords.iter().map(String::as_str),
            );
            m
        }
        pest::error::ErrorVariant::CustomError { message } => message.clone(),
    };
    Diagnostic::error(Code::Syntax, message)
        .at(
            Span::new(source, base + start, base + end.max(start)),
            "here",
        )
        .help_opt(help)
}

/// What an effect is, in the language's own terms.
const EFFECT: &str = "an effect: `level <level>`, `level exactly <level>`, `pathway <pathway>`, \
                      `advisory` or `<matrix> at least <category>`";

/// The word that ends before `pos` (skipping spaces), with its offset.
fn word_before(text: &str, pos: usize) -> Option<(usize, &str)> {
    let head = text.get(..pos)?.trim_end();
    let at = head
        .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .map_or(0, |i| i + 1);
    let word = head.get(at..)?;
    (!word.is_empty()).then_some((at, word))
}

/// The keywords a rule expected at a position: `KW_RULE` is `rule`; an item or item part is
/// its keyword; a rule-file item is any item keyword.
fn keywords_of(r: &Rule) -> Vec<String> {
    let one = |k: &str| vec![k.to_string()];
    match r {
        Rule::item_strict => ITEM_KEYWORDS.iter().map(|k| k.to_string()).collect(),
        Rule::header => one("ruleset"),
        Rule::eff_level | Rule::x_level => one("level"),
        Rule::eff_pathway | Rule::x_pathway => one("pathway"),
        Rule::eff_advisory | Rule::x_advisory => one("advisory"),
        Rule::r_when => one("when"),
        Rule::r_then => one("then"),
        Rule::cite | Rule::m_cite => one("cite"),
        Rule::r_because => one("because"),
        Rule::r_domain | Rule::attr_domain => one("domain"),
        Rule::attr_question => one("question"),
        Rule::attr_help => one("help"),
        Rule::given => one("given"),
        Rule::expect => one("expect"),
        Rule::m_from => one("from"),
        Rule::m_categories => one("categories"),
        Rule::m_tier => one("tier"),
        Rule::m_score => one("score"),
        other => format!("{other:?}")
            .strip_prefix("KW_")
            .map(|k| vec![k.to_lowercase()])
            .unwrap_or_default(),
    }
}

fn join_or(items: &[String]) -> String {
    let mut items = items.to_vec();
    items.sort();
    items.dedup();
    if items.len() > 6 {
        items.truncate(6);
        items.push("...".to_string());
    }
    match items.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {}", init.join(", "), last),
    }
}

fn rename_rule(r: &Rule) -> String {
    let s = match r {
        Rule::ident
        | Rule::paren
        | Rule::e_count
        | Rule::e_domains
        | Rule::e_indicators
        | Rule::e_level
        | Rule::e_score
        | Rule::e_true
        | Rule::e_false
        | Rule::op_not
        | Rule::op_neg
        | Rule::int
        | Rule::expr => "an expression",
        Rule::name => "a name",
        Rule::string | Rule::string_inner => "a string in double quotes",

        Rule::infix_op | Rule::op_or | Rule::op_and => "an operator",
        Rule::op_eq | Rule::op_ne | Rule::op_lt | Rule::op_le | Rule::op_gt | Rule::op_ge => {
            "a comparison"
        }
        Rule::op_add | Rule::op_sub | Rule::op_mul => "an arithmetic operator",
        Rule::op_in => "`in { ... }`",
        Rule::op_has => "`has ...`",
        Rule::EOI => "end of file",
        Rule::item_strict => {
            "an item: `ruleset`, `guidance`, `levels`, `pathways`, `domains`, `provisional`, \
             `fact`, `matrix`, `rule` or `test`"
        }
        Rule::header => "`ruleset \"name\" version \"1\"`",
        Rule::effect
        | Rule::eff_level
        | Rule::eff_pathway
        | Rule::eff_category
        | Rule::eff_advisory => EFFECT,
        Rule::value => "a value",
        Rule::name_list => "a list of names",
        Rule::fact_type | Rule::ty_bool | Rule::ty_int | Rule::ty_enum | Rule::ty_set => {
            "a type (`bool`, `int`, `enum` or `set`)"
        }
        Rule::rule_item
        | Rule::r_when
        | Rule::r_then
        | Rule::r_domain
        | Rule::r_because
        | Rule::cite => "a rule item (`when`, `then`, `cite`, `because`, `domain`) or `}`",
        Rule::matrix_item
        | Rule::m_from
        | Rule::m_categories
        | Rule::m_tier
        | Rule::m_score
        | Rule::m_band
        | Rule::m_cite => "a matrix item or `}`",
        Rule::test_item | Rule::given | Rule::expect => "`given`, `expect` or `}`",
        other => {
            let dbg = format!("{other:?}");
            if let Some(kw) = dbg.strip_prefix("KW_") {
                return format!("`{}`", kw.to_lowercase().replace('_', " "));
            }
            return format!("`{}`", dbg.replace('_', " "));
        }
    };
    s.to_string()
}

static PRATT: std::sync::OnceLock<PrattParser<Rule>> = std::sync::OnceLock::new();

fn pratt() -> &'static PrattParser<Rule> {
    PRATT.get_or_init(|| {
        PrattParser::new()
            .op(Op::infix(Rule::op_or, Assoc::Left))
            .op(Op::infix(Rule::op_and, Assoc::Left))
            .op(Op::prefix(Rule::op_not))
            .op(Op::infix(Rule::op_eq, Assoc::Left)
                | Op::infix(Rule::op_ne, Assoc::Left)
                | Op::infix(Rule::op_lt, Assoc::Left)
                | Op::infix(Rule::op_le, Assoc::Left)
                | Op::infix(Rule::op_gt, Assoc::Left)
                | Op::infix(Rule::op_ge, Assoc::Left)
                | Op::postfix(Rule::op_in)
                | Op::postfix(Rule::op_has))
            .op(Op::infix(Rule::op_add, Assoc::Left) | Op::infix(Rule::op_sub, Assoc::Left))
            .op(Op::infix(Rule::op_mul, Assoc::Left))
            .op(Op::prefix(Rule::op_neg))
    })
}

struct Lower<'l> {
    source: SourceId,
    limits: &'l Limits,
    /// Offset of the parsed text in its file (non-zero for a test parsed on its own).
    base: usize,
}

fn unexpected(source: SourceId, pair: &Pair<'_, Rule>) -> Diagnostic {
    Diagnostic::error(
        Code::Internal,
        format!("internal parser error near `{:?}`", pair.as_rule()),
    )
    .at(span_of(source, pair.as_span()), "here")
}

impl Lower<'_> {
    fn span(&self, pair: &Pair<'_, Rule>) -> Span {
        self.sp(pair.as_span())
    }

    fn sp(&self, s: pest::Span<'_>) -> Span {
        Span::new(self.source, self.base + s.start(), self.base + s.end())
    }

    fn missing(&self, span: Span) -> Diagnostic {
        Diagnostic::error(Code::Internal, "internal parser error: missing part").at(span, "here")
    }

    fn next<'i>(&self, it: &mut Pairs<'i, Rule>, span: Span) -> PResult<Pair<'i, Rule>> {
        it.next().ok_or_else(|| self.missing(span))
    }

    fn item(&self, pair: Pair<'_, Rule>) -> PResult<ast::Item> {
        let whole = pair.as_span();
        let start = self.base + whole.start();
        let span = Span::new(self.source, start, start + token_len(whole.as_str()));
        let kind = pair.as_rule();
        let mut it = pair.clone().into_inner();
        Ok(match kind {
            Rule::header => {
                let _kw = self.next(&mut it, span)?;
                let name = self.string(self.next(&mut it, span)?)?;
                let _kw = self.next(&mut it, span)?;
                let version = self.string(self.next(&mut it, span)?)?;
                ast::Item::Header(ast::Header {
                    name,
                    version,
                    span,
                })
            }
            Rule::guidance => {
                let _kw = self.next(&mut it, span)?;
                let id = self.ident(self.next(&mut it, span)?);
                let title = self.string(self.next(&mut it, span)?)?;
                ast::Item::Guidance(ast::Guidance { id, title, span })
            }
            Rule::levels => {
                let mut out = Vec::new();
                for p in it.filter(|p| p.as_rule() == Rule::level_decl) {
                    let s = self.span(&p);
                    let mut i = p.into_inner();
                    let id = self.ident(self.next(&mut i, s)?);
                    let label = self.string(self.next(&mut i, s)?)?;
                    let pathways = match i.next() {
                        Some(l) => self.names(l),
                        None => Vec::new(),
                    };
                    out.push(ast::LevelDecl {
                        id,
                        label,
                        pathways,
                    });
                }
                ast::Item::Levels(out, span)
            }
            Rule::pathways => {
                let mut out = Vec::new();
                for p in it.filter(|p| p.as_rule() == Rule::pathway_decl) {
                    let s = self.span(&p);
                    let mut i = p.into_inner();
                    let id = self.ident(self.next(&mut i, s)?);
                    let label = self.string(self.next(&mut i, s)?)?;
                    let todo = self.string(self.next(&mut i, s)?)?;
                    out.push(ast::PathwayDecl { id, label, todo });
                }
                ast::Item::Pathways(out, span)
            }
            Rule::domains => {
                let names = it
                    .find(|p| p.as_rule() == Rule::name_list)
                    .map(|p| self.names(p))
                    .unwrap_or_default();
                ast::Item::Domains(names, span)
            }
            Rule::provisional => {
                let names = it
                    .find(|p| p.as_rule() == Rule::name_list)
                    .map(|p| self.names(p))
                    .unwrap_or_default();
                ast::Item::Provisional(names, span)
            }
            Rule::fact => ast::Item::Fact(self.fact(it, span)?),
            Rule::area | Rule::checklist => {
                let _kw = self.next(&mut it, span)?;
                let id = self.ident(self.next(&mut it, span)?);
                let text = self.string(self.next(&mut it, span)?)?;
                let items = it.next().map(|p| self.names(p)).unwrap_or_default();
                let g = ast::Group {
                    id,
                    text,
                    items,
                    span,
                };
                if kind == Rule::area {
                    ast::Item::Area(g)
                } else {
                    ast::Item::Checklist(g)
                }
            }
            Rule::triage => {
                let kw = self.next(&mut it, span)?;
                let id = ast::Ident {
                    name: "triage".to_string(),
                    span: self.span(&kw),
                };
                let text = self.string(self.next(&mut it, span)?)?;
                let items = it.next().map(|p| self.names(p)).unwrap_or_default();
                ast::Item::Triage(ast::Group {
                    id,
                    text,
                    items,
                    span,
                })
            }
            Rule::matrix => ast::Item::Matrix(self.matrix(it, span)?),
            Rule::rule => ast::Item::Rule(self.rule(it, span)?),
            Rule::test => ast::Item::Test(self.test(it, span)?),
            _ => return Err(unexpected(self.source, &pair)),
        })
    }

    fn fact(&self, mut it: Pairs<'_, Rule>, span: Span) -> PResult<ast::FactDecl> {
        let _kw = self.next(&mut it, span)?;
        let id = self.ident(self.next(&mut it, span)?);
        let ty_pair = self.next(&mut it, span)?;
        let ty_span = self.span(&ty_pair);
        let ty = match ty_pair.as_rule() {
            Rule::ty_bool => ast::FactType::Bool,
            Rule::ty_int => {
                let mut i = ty_pair.into_inner();
                let _kw = self.next(&mut i, ty_span)?;
                let lo = self.int(self.next(&mut i, ty_span)?)?;
                let hi = self.int(self.next(&mut i, ty_span)?)?;
                ast::FactType::Int {
                    lo,
                    hi,
                    span: ty_span,
                }
            }
            Rule::ty_enum | Rule::ty_set => {
                let is_set = ty_pair.as_rule() == Rule::ty_set;
                let names = ty_pair
                    .into_inner()
                    .find(|p| p.as_rule() == Rule::name_list)
                    .map(|p| self.names(p))
                    .unwrap_or_default();
                if is_set {
                    ast::FactType::Set(names)
                } else {
                    ast::FactType::Enum(names)
                }
            }
            _ => return Err(unexpected(self.source, &ty_pair)),
        };
        let mut fact = ast::FactDecl {
            id,
            ty,
            question: None,
            questions_when: Vec::new(),
            help: None,
            domain: None,
            asked: None,
            benign: None,
            span,
        };
        for attr in it {
            let s = self.span(&attr);
            let kind = attr.as_rule();
            let mut i = attr.into_inner();
            let _kw = self.next(&mut i, s)?;
            match kind {
                Rule::attr_question_when | Rule::attr_asked => {
                    let _when = self.next(&mut i, s)?;
                    let cond = self.expr(self.next(&mut i, s)?)?;
                    if kind == Rule::attr_asked {
                        let _otherwise = self.next(&mut i, s)?;
                        let v = self.value(self.next(&mut i, s)?)?;
                        fact.asked = Some((cond, v));
                    } else {
                        let text = self.string(self.next(&mut i, s)?)?;
                        fact.questions_when.push((cond, text));
                    }
                    continue;
                }
                _ => {}
            }
            let v = self.next(&mut i, s)?;
            match kind {
                Rule::attr_question => fact.question = Some(self.string(v)?),
                Rule::attr_help => fact.help = Some(self.string(v)?),
                Rule::attr_domain => fact.domain = Some(self.ident(v)),
                Rule::attr_benign => fact.benign = Some(self.value(v)?),
                _ => return Err(unexpected(self.source, &v)),
            }
        }
        Ok(fact)
    }

    fn matrix(&self, mut it: Pairs<'_, Rule>, span: Span) -> PResult<ast::MatrixDecl> {
        let _kw = self.next(&mut it, span)?;
        let id = self.ident(self.next(&mut it, span)?);
        let label = self.string(self.next(&mut it, span)?)?;
        let mut m = ast::MatrixDecl {
            id,
            label,
            from: None,
            categories: Vec::new(),
            tiers: Vec::new(),
            score: None,
            cite: None,
            bands: Vec::new(),
            span,
        };
        for p in it {
            let s = self.span(&p);
            match p.as_rule() {
                Rule::m_from => {
                    let mut i = p.into_inner();
                    let _kw = self.next(&mut i, s)?;
                    m.from = Some(self.ident(self.next(&mut i, s)?));
                }
                Rule::m_categories => {
                    let mut i = p.into_inner();
                    let _kw = self.next(&mut i, s)?;
                    m.categories = self.names(self.next(&mut i, s)?);
                }
                Rule::m_tier => {
                    let mut id = None;
                    let mut from = None;
                    let mut codes = Vec::new();
                    let mut after_from = false;
                    for q in p.into_inner() {
                        match q.as_rule() {
                            Rule::KW_TIER => {}
                            Rule::KW_FROM => after_from = true,
                            Rule::name if after_from => from = Some(self.ident(q)),
                            Rule::name => id = Some(self.ident(q)),
                            Rule::name_list => codes = self.names(q),
                            _ => return Err(unexpected(self.source, &q)),
                        }
                    }
                    let id = id.ok_or_else(|| self.missing(s))?;
                    m.tiers.push(ast::Tier { id, from, codes });
                }
                Rule::m_score => {
                    let mut i = p.into_inner();
                    let _kw = self.next(&mut i, s)?;
                    m.score = Some(self.expr(self.next(&mut i, s)?)?);
                }
                Rule::m_cite => {
                    let c = self.next(&mut p.into_inner(), s)?;
                    m.cite = Some(self.cite(c)?);
                }
                Rule::m_band => {
                    let mut i = p.into_inner();
                    let category = self.ident(self.next(&mut i, s)?);
                    let _kw = self.next(&mut i, s)?;
                    let cond = self.expr(self.next(&mut i, s)?)?;
                    m.bands.push(ast::Band { category, cond });
                }
                _ => return Err(unexpected(self.source, &p)),
            }
        }
        Ok(m)
    }

    fn cite(&self, p: Pair<'_, Rule>) -> PResult<ast::Citation> {
        let s = self.span(&p);
        let mut i = p.into_inner();
        let _kw = self.next(&mut i, s)?;
        let guidance = self.ident(self.next(&mut i, s)?);
        let detail = match i.next() {
            Some(d) => Some(self.string(d)?),
            None => None,
        };
        Ok(ast::Citation { guidance, detail })
    }

    fn rule(&self, mut it: Pairs<'_, Rule>, span: Span) -> PResult<ast::RuleDecl> {
        let _kw = self.next(&mut it, span)?;
        let id = self.ident(self.next(&mut it, span)?);
        let mut r = ast::RuleDecl {
            id,
            title: None,
            domain: None,
            when: None,
            effects: Vec::new(),
            cite: None,
            because: None,
            span,
        };
        for p in it {
            let s = self.span(&p);
            match p.as_rule() {
                Rule::string => r.title = Some(self.string(p)?),
                Rule::r_domain => {
                    let mut i = p.into_inner();
                    let _kw = self.next(&mut i, s)?;
                    r.domain = Some(self.ident(self.next(&mut i, s)?));
                }
                Rule::r_when => {
                    let mut i = p.into_inner();
                    let _kw = self.next(&mut i, s)?;
                    r.when = Some(self.expr(self.next(&mut i, s)?)?);
                }
                Rule::r_then => {
                    for e in p.into_inner() {
                        let es = self.span(&e);
                        match e.as_rule() {
                            Rule::KW_THEN => {}
                            Rule::eff_level => {
                                let mut exact = false;
                                let mut level = None;
                                for q in e.into_inner() {
                                    match q.as_rule() {
                                        Rule::exactly => exact = true,
                                        Rule::name => level = Some(self.ident(q)),
                                        _ => {}
                                    }
                                }
                                let level = level.ok_or_else(|| self.missing(es))?;
                                r.effects.push(ast::Effect::Level { exact, level });
                            }
                            Rule::eff_pathway => {
                                let q = e
                                    .into_inner()
                                    .find(|q| q.as_rule() == Rule::name)
                                    .ok_or_else(|| self.missing(es))?;
                                r.effects.push(ast::Effect::Pathway(self.ident(q)));
                            }
                            Rule::eff_advisory => r.effects.push(ast::Effect::Advisory),
                            Rule::eff_category => {
                                let names: Vec<_> = e
                                    .into_inner()
                                    .filter(|q| q.as_rule() == Rule::name)
                                    .collect();
                                let [m, c] = names.as_slice() else {
                                    return Err(self.missing(es));
                                };
                                r.effects.push(ast::Effect::Category {
                                    matrix: self.ident(m.clone()),
                                    at_least: self.ident(c.clone()),
                                });
                            }
                            _ => return Err(unexpected(self.source, &e)),
                        }
                    }
                }
                Rule::cite => r.cite = Some(self.cite(p)?),
                Rule::r_because => {
                    let mut i = p.into_inner();
                    let _kw = self.next(&mut i, s)?;
                    r.because = Some(self.string(self.next(&mut i, s)?)?);
                }
                _ => return Err(unexpected(self.source, &p)),
            }
        }
        Ok(r)
    }

    fn test(&self, mut it: Pairs<'_, Rule>, span: Span) -> PResult<ast::TestDecl> {
        let _kw = self.next(&mut it, span)?;
        let name = self.string(self.next(&mut it, span)?)?;
        let mut t = ast::TestDecl {
            name,
            given: Vec::new(),
            expects: Vec::new(),
            span,
        };
        for p in it {
            let s = self.span(&p);
            match p.as_rule() {
                Rule::given => {
                    for e in p.into_inner().filter(|e| e.as_rule() == Rule::given_entry) {
                        let es = self.span(&e);
                        let mut i = e.into_inner();
                        let name = self.ident(self.next(&mut i, es)?);
                        let v = self.next(&mut i, es)?;
                        t.given.push((name, self.value(v)?));
                    }
                }
                Rule::expect => {
                    let x = p
                        .into_inner()
                        .find(|x| x.as_rule() != Rule::KW_EXPECT)
                        .ok_or_else(|| self.missing(s))?;
                    t.expects.push(self.expect(x)?);
                }
                _ => return Err(unexpected(self.source, &p)),
            }
        }
        Ok(t)
    }

    fn value(&self, v: Pair<'_, Rule>) -> PResult<ast::Value> {
        let s = self.span(&v);
        let inner = self.next(&mut v.into_inner(), s)?;
        Ok(match inner.as_rule() {
            Rule::v_true => ast::Value::Bool(true, s),
            Rule::v_false => ast::Value::Bool(false, s),
            Rule::v_null => ast::Value::Null(s),
            Rule::int => ast::Value::Int(self.int(inner)?, s),
            Rule::v_codes => {
                let names = inner
                    .into_inner()
                    .find(|p| p.as_rule() == Rule::name_list)
                    .map(|p| self.names(p))
                    .unwrap_or_default();
                ast::Value::Codes(names, s)
            }
            Rule::name => ast::Value::Code(self.ident(inner)),
            _ => return Err(unexpected(self.source, &inner)),
        })
    }

    fn expect(&self, x: Pair<'_, Rule>) -> PResult<ast::Expect> {
        let s = self.span(&x);
        let kind = x.as_rule();
        let names: Vec<Pair<'_, Rule>> = x
            .clone()
            .into_inner()
            .filter(|p| p.as_rule() == Rule::name)
            .collect();
        let list = x
            .clone()
            .into_inner()
            .find(|p| p.as_rule() == Rule::name_list)
            .map(|p| self.names(p))
            .unwrap_or_default();
        let first = || {
            names
                .first()
                .cloned()
                .map(|p| self.ident(p))
                .ok_or_else(|| self.missing(s))
        };
        Ok(match kind {
            Rule::x_level => ast::Expect::Level(first()?),
            Rule::x_pathways => ast::Expect::Pathways(list, s),
            Rule::x_pathway => ast::Expect::Pathway(first()?),
            Rule::x_no_pathway => ast::Expect::NoPathway(first()?),
            Rule::x_status => ast::Expect::Status(first()?),
            Rule::x_missing => ast::Expect::Missing(list, s),
            Rule::x_advisory => ast::Expect::Advisory,
            Rule::x_category => {
                let [m, c] = names.as_slice() else {
                    return Err(self.missing(s));
                };
                ast::Expect::Category(self.ident(m.clone()), self.ident(c.clone()))
            }
            _ => return Err(unexpected(self.source, &x)),
        })
    }

    fn ident(&self, p: Pair<'_, Rule>) -> ast::Ident {
        ast::Ident {
            name: p.as_str().to_string(),
            span: self.span(&p),
        }
    }

    fn names(&self, p: Pair<'_, Rule>) -> Vec<ast::Ident> {
        p.into_inner()
            .filter(|q| q.as_rule() == Rule::name)
            .map(|q| self.ident(q))
            .collect()
    }

    fn int(&self, p: Pair<'_, Rule>) -> PResult<i64> {
        p.as_str().parse::<i64>().map_err(|_| {
            Diagnostic::error(
                Code::BadInt,
                format!("integer `{}` is too large", p.as_str()),
            )
            .at(self.span(&p), "here")
        })
    }

    fn string(&self, p: Pair<'_, Rule>) -> PResult<ast::Str> {
        let span = self.span(&p);
        let raw = p.into_inner().next().map_or("", |i| i.as_str());
        let mut out = String::with_capacity(raw.len());
        let mut chars = raw.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                match chars.next() {
                    Some('n') => out.push('\n'),
                    Some('t') => out.push('\t'),
                    Some('"') => out.push('"'),
                    Some('\\') => out.push('\\'),
                    other => {
                        return Err(Diagnostic::error(
                            Code::BadEscape,
                            format!("invalid escape `\\{}`", other.unwrap_or(' ')),
                        )
                        .at(span, "in this string"))
                    }
                }
            } else {
                out.push(c);
            }
        }
        Ok(ast::Str { value: out, span })
    }

    fn expr(&self, pair: Pair<'_, Rule>) -> PResult<ast::Expr> {
        let span = self.span(&pair);
        let inner = pair.into_inner();
        if inner.len() > self.limits.max_expr_terms {
            return Err(Diagnostic::error(
                Code::ExprTooLong,
                format!(
                    "expression has more than {} terms",
                    self.limits.max_expr_terms
                ),
            )
            .at(span, "this expression")
            .help("split the condition into smaller rules"));
        }
        let source = self.source;
        pratt()
            .map_primary(move |p| self.primary(p))
            .map_prefix(move |op, rhs| {
                let rhs = rhs?;
                let span = self.sp(op.as_span()).to(rhs.span);
                let kind = match op.as_rule() {
                    Rule::op_not => ExprKind::Not(Box::new(rhs)),
                    Rule::op_neg => ExprKind::Neg(Box::new(rhs)),
                    _ => return Err(unexpected(source, &op)),
                };
                Ok(ast::Expr { kind, span })
            })
            .map_postfix(move |lhs, op| {
                let lhs = lhs?;
                let span = lhs.span.to(self.sp(op.as_span()));
                let kind = match op.as_rule() {
                    Rule::op_in => {
                        let list = op
                            .into_inner()
                            .find(|p| p.as_rule() == Rule::name_list)
                            .map(|p| self.names(p))
                            .unwrap_or_default();
                        ExprKind::In(Box::new(lhs), list)
                    }
                    Rule::op_has => {
                        let arg = op
                            .clone()
                            .into_inner()
                            .find(|p| p.as_rule() != Rule::KW_HAS)
                            .ok_or_else(|| self.missing(span))?;
                        match arg.as_rule() {
                            Rule::name => {
                                ExprKind::Has(Box::new(lhs), HasMode::One, vec![self.ident(arg)])
                            }
                            Rule::has_any | Rule::has_all => {
                                let mode = if arg.as_rule() == Rule::has_any {
                                    HasMode::Any
                                } else {
                                    HasMode::All
                                };
                                let list = arg
                                    .into_inner()
                                    .find(|p| p.as_rule() == Rule::name_list)
                                    .map(|p| self.names(p))
                                    .unwrap_or_default();
                                ExprKind::Has(Box::new(lhs), mode, list)
                            }
                            _ => return Err(unexpected(source, &arg)),
                        }
                    }
                    _ => return Err(unexpected(source, &op)),
                };
                Ok(ast::Expr { kind, span })
            })
            .map_infix(move |lhs, op, rhs| {
                let (lhs, rhs) = (lhs?, rhs?);
                let span = lhs.span.to(rhs.span);
                let bin = match op.as_rule() {
                    Rule::op_or => BinOp::Or,
                    Rule::op_and => BinOp::And,
                    Rule::op_eq => BinOp::Eq,
                    Rule::op_ne => BinOp::Ne,
                    Rule::op_lt => BinOp::Lt,
                    Rule::op_le => BinOp::Le,
                    Rule::op_gt => BinOp::Gt,
                    Rule::op_ge => BinOp::Ge,
                    Rule::op_add => BinOp::Add,
                    Rule::op_sub => BinOp::Sub,
                    Rule::op_mul => BinOp::Mul,
                    _ => return Err(unexpected(source, &op)),
                };
                Ok(ast::Expr {
                    kind: ExprKind::Binary(bin, Box::new(lhs), Box::new(rhs)),
                    span,
                })
            })
            .parse(inner)
    }

    fn primary(&self, p: Pair<'_, Rule>) -> PResult<ast::Expr> {
        let span = self.span(&p);
        let kind = match p.as_rule() {
            Rule::paren => {
                let inner = self.next(&mut p.into_inner(), span)?;
                let mut e = self.expr(inner)?;
                e.span = span;
                return Ok(e);
            }
            Rule::e_true => ExprKind::Bool(true),
            Rule::e_false => ExprKind::Bool(false),
            Rule::int => ExprKind::Int(self.int(p)?),
            Rule::e_level => ExprKind::Level,
            Rule::e_score => ExprKind::Score,
            Rule::ident => ExprKind::Name(self.ident(p)),
            Rule::e_count => {
                let mut name = None;
                let mut list = None;
                for q in p.into_inner() {
                    match q.as_rule() {
                        Rule::name => name = Some(self.ident(q)),
                        Rule::name_list => list = Some(self.names(q)),
                        _ => {}
                    }
                }
                ExprKind::Count(name.ok_or_else(|| self.missing(span))?, list)
            }
            Rule::e_indicators | Rule::e_domains => {
                let is_ind = p.as_rule() == Rule::e_indicators;
                let q = p
                    .into_inner()
                    .find(|q| q.as_rule() == Rule::name)
                    .ok_or_else(|| self.missing(span))?;
                let id = self.ident(q);
                if is_ind {
                    ExprKind::Indicators(id)
                } else {
                    ExprKind::Domains(id)
                }
            }
            _ => return Err(unexpected(self.source, &p)),
        };
        Ok(ast::Expr { kind, span })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(src: &str) -> (ast::File, Vec<Diagnostic>) {
        let mut d = Vec::new();
        let f = parse_file(SourceId(0), src, &Limits::default(), &mut d, Mode::Full);
        (f, d)
    }

    #[test]
    fn keywords_are_not_prefixes() {
        let (f, d) = parse("rule r { when android and order then level acute }");
        assert!(d.is_empty(), "{d:?}");
        let ast::Item::Rule(r) = &f.items[0] else {
            panic!()
        };
        let Some(ast::Expr {
            kind: ExprKind::Binary(BinOp::And, a, b),
            ..
        }) = &r.when
        else {
            panic!("{:?}", r.when)
        };
        assert!(matches!(&a.kind, ExprKind::Name(i) if i.name == "android"));
        assert!(matches!(&b.kind, ExprKind::Name(i) if i.name == "order"));
    }

    #[test]
    fn deep_nesting_is_a_coded_error() {
        let src = format!(
            "rule r {{ when {}x{} then level acute }}",
            "(".repeat(100_000),
            ")".repeat(100_000)
        );
        let (_, d) = parse(&src);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].code(), "thr::parse::too_deep");
    }

    #[test]
    fn one_diagnostic_per_broken_item() {
        let (f, d) = parse(
            "rule a { when x then }\nrule b { when y then level acute }\nrule c { when ) }\n",
        );
        assert_eq!(d.len(), 2, "{d:?}");
        assert_eq!(f.items.len(), 1);
    }

    #[test]
    fn precedence() {
        let (f, d) = parse("rule r { when not a and b or c then level acute }");
        assert!(d.is_empty());
        let ast::Item::Rule(r) = &f.items[0] else {
            panic!()
        };
        let Some(ast::Expr {
            kind: ExprKind::Binary(BinOp::Or, l, _),
            ..
        }) = &r.when
        else {
            panic!()
        };
        let ExprKind::Binary(BinOp::And, nl, _) = &l.kind else {
            panic!()
        };
        assert!(matches!(nl.kind, ExprKind::Not(_)));
    }
}
