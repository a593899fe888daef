#![doc = include_str!("../../README.md")]
#![deny(missing_docs)]
#![cfg_attr(
    not(feature = "source"),
    allow(
        dead_code,
        reason = "without `source` (the browser's checker build) the parser and checker are left \
                  out, and some helpers only they call are unused there"
    )
)]

#[cfg(feature = "source")]
mod analysis;
#[cfg(feature = "source")]
mod ast;
mod batch;
#[cfg(feature = "source")]
mod check;
mod compare;
mod decision;
mod diag;
mod diagram;
mod error;
mod eval;
mod explain;
mod facts;
#[cfg(feature = "source")]
mod fmt;
#[cfg(feature = "source")]
mod grammar;
pub mod host;
mod ir;
mod json;
mod json_reader;
mod limits;
#[cfg(feature = "source")]
mod outline;
#[cfg(feature = "source")]
mod parse;
mod precompiled;
mod questions;
mod relevance;
#[cfg(feature = "render")]
mod render;
mod ruleset;
mod sort;
mod stages;
mod summary;
#[cfg(feature = "source")]
mod testing;
mod wire;

#[cfg(feature = "default-rules")]
mod default_rules {
    include!(concat!(env!("OUT_DIR"), "/default_rules.rs"));
}

#[cfg(feature = "source")]
pub use analysis::{Analysis, Brief, Check, Diff, DiffExample, Example, Finding, Region};
pub use batch::{BatchSummary, ColumnError, ColumnValues, Columns, IdTables};
pub use compare::{
    compare, compare_converted, compare_json, referrals_from_text, Change, Comparison,
    PathwayChange, Transition,
};
pub use decision::{
    Changes, CompactDecision, Decision, Effects, Escalated, Escalation, Missing, Options, Reason,
    RulesetRef, Status,
};
pub use diag::{Code, Diagnostic, Severity};
pub use error::{DetailedError, Error, ErrorBody, ErrorClass, ErrorKind};
pub use explain::{Change as ExplainChange, Explanation, Target, Way, MAX_CHANGES};
pub use facts::Facts;
pub use limits::Limits;
#[cfg(feature = "source")]
pub use outline::{located_diagnostics, outline, Declaration, Kind, Located, Outline, Reference};
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub use precompiled::reseal as reseal_precompiled;
pub use questions::{InterviewRun, Question, QuestionItem, QuestionKind, BENIGN};
#[cfg(feature = "source")]
pub use ruleset::format_source;
pub use ruleset::{
    FactInfo, GuidanceInfo, LevelInfo, MatrixInfo, PathwayInfo, Request, Ruleset, RulesetInfo,
};
pub use summary::{AskLine, Line, ReasonLine, Summary};
#[cfg(feature = "source")]
pub use testing::{TestReport, TestResult};
