//! The pest grammar. Only `parse` may use it.

/// The generated parser for `rules.pest`.
#[derive(pest_derive::Parser)]
#[grammar = "grammar/rules.pest"]
pub(crate) struct RulesParser;
