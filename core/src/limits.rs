//! Limits on the size of rules and facts. Exceeding one is a coded error, never a crash.

/// Limits applied while loading rules and evaluating facts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest rule file, in bytes.
    pub max_source_bytes: usize,
    /// Deepest bracket nesting in a rule file.
    pub max_depth: usize,
    /// Most operands in one expression.
    pub max_expr_terms: usize,
    /// Most codes in one `set` or `enum` fact.
    pub max_set_codes: usize,
    /// Most rules in a rule set.
    pub max_rules: usize,
    /// Largest facts input, in bytes.
    pub max_facts_bytes: usize,
    /// Most decision-diagram nodes built while working out which unknown facts matter: for the
    /// rule set's compiled diagrams, or (past it) for one referral's. Past both, `missing` is a
    /// conservative superset: every unknown fact an undecided rule reads.
    pub max_relevance_nodes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_source_bytes: 1 << 20,
            max_depth: 64,
            max_expr_terms: 2_000,
            max_set_codes: 64,
            max_rules: 10_000,
            max_facts_bytes: 1 << 20,
            max_relevance_nodes: 200_000,
        }
    }
}
