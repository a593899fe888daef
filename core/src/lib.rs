#![doc = include_str!("../../README.md")]
#![deny(missing_docs)]

mod analysis;
mod ast;
mod batch;
mod check;
mod compare;
mod decision;
mod diag;
mod diagram;
mod error;
mod eval;
mod explain;
mod facts;
mod fmt;
mod grammar;
mod ir;
mod json;
mod limits;
mod outline;
mod parse;
mod questions;
mod relevance;
#[cfg(feature = "render")]
mod render;
mod ruleset;
mod summary;
mod testing;

#[cfg(feature = "default-rules")]
mod default_rules {
    include!(concat!(env!("OUT_DIR"), "/default_rules.rs"));
}

pub use analysis::{Analysis, Brief, Check, Diff, DiffExample, Example, Finding, Region};
pub use batch::Columns;
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
pub use outline::{located_diagnostics, outline, Declaration, Kind, Located, Outline, Reference};
pub use questions::{InterviewRun, Question, QuestionItem, QuestionKind, BENIGN};
pub use ruleset::{
    format_source, FactInfo, GuidanceInfo, LevelInfo, MatrixInfo, PathwayInfo, Request, Ruleset,
    RulesetInfo,
};
pub use summary::{AskLine, Line, ReasonLine, Summary};
pub use testing::{TestReport, TestResult};
