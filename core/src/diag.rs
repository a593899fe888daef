//! Sources, spans, diagnostics and the table of stable error codes.

use std::fmt;

/// Identifies one source file of a rule set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct SourceId(pub(crate) u32);

/// A byte range in one source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Span {
    pub(crate) source: SourceId,
    pub(crate) start: u32,
    pub(crate) end: u32,
}

impl Span {
    pub(crate) fn new(source: SourceId, start: usize, end: usize) -> Self {
        Span {
            source,
            start: clamp_u32(start),
            end: clamp_u32(end),
        }
    }
    /// Joins two spans of the same file.
    pub(crate) fn to(self, other: Span) -> Span {
        Span {
            source: self.source,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

fn clamp_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// One named source file.
#[derive(Debug, Clone)]
pub(crate) struct SourceFile {
    pub(crate) name: String,
    pub(crate) text: String,
    line_starts: Vec<usize>,
}

/// The source files of a rule set.
#[derive(Debug, Clone, Default)]
pub(crate) struct Sources {
    pub(crate) files: Vec<SourceFile>,
}

impl Sources {
    pub(crate) fn add(&mut self, name: String, text: String) -> SourceId {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        self.files.push(SourceFile {
            name,
            text,
            line_starts,
        });
        SourceId(clamp_u32(self.files.len() - 1))
    }

    pub(crate) fn get(&self, id: SourceId) -> Option<&SourceFile> {
        self.files.get(id.0 as usize)
    }

    /// The 1-based line and column (in characters) of a byte offset.
    pub(crate) fn line_col(&self, id: SourceId, offset: u32) -> (u32, u32) {
        let Some(file) = self.get(id) else {
            return (1, 1);
        };
        let offset = (offset as usize).min(file.text.len());
        let line = match file.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let start = file.line_starts.get(line).copied().unwrap_or(0);
        let col = file
            .text
            .get(start..offset)
            .map_or(0, |s| s.chars().count());
        (clamp_u32(line + 1), clamp_u32(col + 1))
    }
}

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// The rule set or the facts cannot be used.
    Error,
    /// Worth fixing; the rule set still works.
    Warning,
}

impl Severity {
    /// `error` or `warning`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// A labelled place in a source file.
#[derive(Debug, Clone)]
pub(crate) struct Label {
    pub(crate) span: Span,
    pub(crate) text: String,
}

/// A problem found in rules or facts, with a stable code.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub(crate) code: Code,
    pub(crate) severity: Severity,
    pub(crate) message: String,
    pub(crate) help: Option<String>,
    pub(crate) labels: Vec<Label>,
    /// For facts errors: the fact the error is about.
    pub(crate) fact: Option<String>,
}

impl Diagnostic {
    pub(crate) fn error(code: Code, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity: Severity::Error,
            message: message.into(),
            help: None,
            labels: Vec::new(),
            fact: None,
        }
    }
    pub(crate) fn warning(code: Code, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, message)
        }
    }
    pub(crate) fn at(mut self, span: Span, text: impl Into<String>) -> Self {
        self.labels.push(Label {
            span,
            text: text.into(),
        });
        self
    }
    pub(crate) fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
    /// Adds help text after any help already given.
    pub(crate) fn help_opt(mut self, help: Option<String>) -> Self {
        if let Some(h) = help {
            self.help = Some(match self.help.take() {
                Some(old) => format!("{old} {h}"),
                None => h,
            });
        }
        self
    }
    pub(crate) fn for_fact(mut self, fact: impl Into<String>) -> Self {
        self.fact = Some(fact.into());
        self
    }

    /// The stable code, e.g. `thr::check::unknown_name`.
    pub fn code(&self) -> &'static str {
        self.code.as_str()
    }
    /// Error or warning.
    pub fn severity(&self) -> Severity {
        self.severity
    }
    /// The one-line message.
    pub fn message(&self) -> &str {
        &self.message
    }
    /// A hint on how to fix it.
    pub fn help_text(&self) -> Option<&str> {
        self.help.as_deref()
    }
    /// The fact a facts error is about.
    pub fn fact(&self) -> Option<&str> {
        self.fact.as_deref()
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// The closest candidate to `name`, if one is close enough to be a likely typo.
pub(crate) fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    let mut best: Option<(usize, &str)> = None;
    // Otherwise a name that is a prefix or a whole word of a candidate (`age` for `age_years`,
    // `learning` for `learning_disability`), the shortest such candidate first.
    let mut word: Option<&str> = None;
    for c in candidates {
        // Optimal string alignment: a swapped pair of letters (`levle`) is one edit.
        let d = strsim::osa_distance(name, c);
        let limit = (name.len().max(c.len()) / 3).max(1);
        if d <= limit && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
        if name.len() >= 3
            && (c.starts_with(name) || c.split('_').any(|w| w == name))
            && word.is_none_or(|w| c.len() < w.len())
        {
            word = Some(c);
        }
    }
    best.map(|(_, c)| c)
        .or(word)
        .map(|c| format!("did you mean `{c}`?"))
}

macro_rules! codes {
    ($( $(#[$doc:meta])* $variant:ident = $text:literal, )*) => {
        /// Every stable diagnostic code. Codes are a contract with every binding: never rename one.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Code { $( $(#[$doc])* $variant, )* }

        impl Code {
            /// All codes, in table order.
            pub const ALL: &'static [Code] = &[ $( Code::$variant, )* ];
            /// The code as text.
            pub fn as_str(self) -> &'static str {
                match self { $( Code::$variant => $text, )* }
            }
        }
    };
}

codes! {
    /// The rule text does not follow the grammar.
    Syntax = "thr::parse::syntax",
    /// Brackets nested deeper than the limit.
    TooDeep = "thr::parse::too_deep",
    /// A source file is larger than the limit.
    SourceTooLarge = "thr::parse::source_too_large",
    /// An expression has more terms than the limit.
    ExprTooLong = "thr::parse::expression_too_long",
    /// A string has an invalid escape.
    BadEscape = "thr::parse::bad_escape",
    /// An integer literal does not fit.
    BadInt = "thr::parse::bad_integer",
    /// No `ruleset` header.
    MissingHeader = "thr::check::missing_header",
    /// More than one `ruleset` header.
    DuplicateHeader = "thr::check::duplicate_header",
    /// A name is defined twice.
    Duplicate = "thr::check::duplicate",
    /// A name does not refer to anything declared.
    UnknownName = "thr::check::unknown_name",
    /// An operand has the wrong type.
    Type = "thr::check::type_mismatch",
    /// A literal is outside the declared range of the fact.
    OutOfRange = "thr::check::out_of_range",
    /// An empty int range, enum or set.
    EmptyType = "thr::check::empty_type",
    /// A rule without a condition or without effects.
    IncompleteRule = "thr::check::incomplete_rule",
    /// A rule without a citation.
    MissingCitation = "thr::check::missing_citation",
    /// A rule without a reason.
    MissingReason = "thr::check::missing_reason",
    /// A fact without a question.
    MissingQuestion = "thr::check::missing_question",
    /// A condition that can never hold.
    Unsatisfiable = "thr::check::unsatisfiable",
    /// A condition that always holds.
    AlwaysTrue = "thr::check::always_true",
    /// A construct used where it is not allowed (e.g. `level` in a rule that sets the level).
    Misplaced = "thr::check::misplaced",
    /// Multiplication of two non-constant operands.
    Nonlinear = "thr::check::nonlinear",
    /// A set with more codes than the limit.
    SetTooLarge = "thr::check::set_too_large",
    /// More rules than the limit.
    TooManyRules = "thr::check::too_many_rules",
    /// A matrix is incomplete.
    BadMatrix = "thr::check::bad_matrix",
    /// A test expectation is malformed.
    BadTest = "thr::check::bad_test",
    /// The facts are not a JSON object or not valid JSON.
    FactsNotObject = "thr::facts::not_an_object",
    /// The facts text is not valid JSON.
    FactsJson = "thr::facts::invalid_json",
    /// A fact name that the rule set does not declare.
    UnknownFact = "thr::facts::unknown_fact",
    /// A fact value of the wrong type.
    FactType = "thr::facts::wrong_type",
    /// A number outside the declared range.
    FactRange = "thr::facts::out_of_range",
    /// An enum or set code that the fact does not declare.
    UnknownCode = "thr::facts::unknown_code",
    /// The facts input is larger than the limit.
    FactsTooLarge = "thr::facts::too_large",
    /// The facts JSON names the same fact twice (which value was meant is unknowable).
    DuplicateFact = "thr::facts::duplicate_fact",
    /// The request is malformed (unknown option, bad escalation).
    BadRequest = "thr::request::invalid",
    /// Evaluation exceeded a limit.
    EvalLimit = "thr::eval::limit_exceeded",
    /// Two versions of a rule set cannot be compared (a fact's type differs between them).
    Incompatible = "thr::diff::incompatible",
    /// A rule-file test failed.
    TestFailed = "thr::test::failed",
    /// Bytes that are not a precompiled rule set of this engine (`Ruleset::from_precompiled`):
    /// not one at all, damaged, or made by another version.
    Precompiled = "thr::precompiled::invalid",
    /// An internal error: a bug in the engine, reported instead of crashing.
    Internal = "thr::internal",
    /// A pointer argument that must not be NULL was NULL (the C binding only).
    FfiNullArgument = "thr::ffi::null_argument",
    /// A text argument is not valid UTF-8 (the C binding only).
    FfiInvalidUtf8 = "thr::ffi::invalid_utf8",
    /// An argument out of its domain: a length above `PTRDIFF_MAX`, no rule files (the C
    /// binding only).
    FfiInvalidArgument = "thr::ffi::invalid_argument",
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_well_formed() {
        let mut seen = std::collections::BTreeSet::new();
        for code in Code::ALL {
            let text = code.as_str();
            assert!(seen.insert(text), "duplicate code {text}");
            assert!(text.starts_with("thr::"), "{text}");
            // Lower-case words (digits allowed after the first letter, as in `invalid_utf8`).
            assert!(
                text.split("::")
                    .all(|w| w.starts_with(|c: char| c.is_ascii_lowercase())
                        && w.chars()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')),
                "{text}"
            );
        }
    }

    #[test]
    fn line_col_counts_characters() {
        let mut s = Sources::default();
        let id = s.add("a.thr".into(), "ab\n\u{e9}x\n".into());
        assert_eq!(s.line_col(id, 0), (1, 1));
        assert_eq!(s.line_col(id, 3), (2, 1));
        assert_eq!(s.line_col(id, 5), (2, 2));
    }
}
