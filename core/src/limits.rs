//! Limits on the size of rules and facts. Exceeding one is a coded error, never a crash.

/// Limits applied while loading rules and evaluating facts (in C, `thr_limits`: get the defaults
/// with `thr_limits_default()` and change the fields you need). Exceeding one is a coded error,
/// never a crash.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest rule file, in bytes (default 1 MiB).
    pub max_source_bytes: usize,
    /// Deepest bracket nesting in a rule file (default 64).
    pub max_depth: usize,
    /// Most operands in one expression (default 2000).
    pub max_expr_terms: usize,
    /// Most codes in one `set` or `enum` fact (default 64).
    pub max_set_codes: usize,
    /// Most rules in a rule set (default 10000).
    pub max_rules: usize,
    /// Largest facts input, in bytes (default 1 MiB).
    pub max_facts_bytes: usize,
    /// Most decision-diagram nodes built while working out which unknown facts matter: for the
    /// rule set's compiled diagrams, or (past it) for one referral's (default 200000). Past
    /// both, `missing` is a conservative superset: every unknown fact an undecided rule reads,
    /// and the decision is still given.
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
