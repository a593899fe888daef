//! Exact questions about rule sets, answered on decision diagrams over every fact: proofs over
//! one rule set (`proofs`: monotonicity, reachability, shadowing, matrix bands, test coverage)
//! and the semantic difference between two versions (`diff`). Each finding comes with a
//! minimal example referral, checked by evaluating it.
//!
//! The diagrams are those of `crate::relevance::build` (the stages of `crate::stages` over
//! diagrams, as `missing` uses them), built in one arena (`Space`), so that two diagrams are
//! equal exactly when their functions are: a rule left out that leaves every root unchanged
//! never changes a decision.

use serde::Serialize;

use crate::diag::{Code, Diagnostic};
use crate::diagram::{Layout, Mdd, NodeId, LEAF};
use crate::error::Error;
use crate::ir::{FactTy, Program};

mod diff;
mod proofs;

pub use diff::{Diff, DiffExample, Region};
pub use proofs::{Analysis, Check, Example, Finding};

/// Node budget of an analysis arena: far above what the shipped rules need (about 10^4), low
/// enough to stop a pathological rule set with a clear error.
const MAX_NODES: usize = 4_000_000;

/// The outcome of one program as diagrams in a shared arena.
#[derive(Debug, Clone)]
pub(crate) struct Roots {
    pub(crate) level: NodeId,
    pub(crate) pathways: Vec<NodeId>,
    pub(crate) categories: Vec<NodeId>,
    pub(crate) advisory: NodeId,
    /// Each rule's firing condition.
    pub(crate) conds: Vec<NodeId>,
}

/// One arena and one variable layout, shared by every program built in it (the programs must
/// declare the same facts, in the same order).
pub(crate) struct Space<'p> {
    pub(crate) facts: &'p [crate::ir::Fact],
    pub(crate) layout: Layout,
    pub(crate) mdd: Mdd,
}

impl std::fmt::Debug for Space<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Space")
            .field("facts", &self.facts.len())
            .field("nodes", &self.mdd.nodes.len())
            .finish()
    }
}

fn over_budget() -> Error {
    Error::facts(vec![Diagnostic::error(
        Code::EvalLimit,
        format!("the rule set's diagrams exceed {MAX_NODES} nodes: it cannot be analysed exactly"),
    )])
}

/// Every expression a program's diagrams read, for the layout.
pub(crate) fn exprs(p: &Program) -> impl Iterator<Item = &crate::ir::Expr> {
    p.rules.iter().map(|r| &r.cond).chain(
        p.matrices
            .iter()
            .flat_map(|m| m.bands.iter().map(|(_, e)| e).chain(m.score.iter())),
    )
}

impl<'p> Space<'p> {
    pub(crate) fn new<'e>(
        facts: &'p [crate::ir::Fact],
        exprs: impl IntoIterator<Item = &'e crate::ir::Expr>,
    ) -> Space<'p> {
        Space {
            facts,
            layout: Layout::new(facts, exprs),
            mdd: Mdd::new(MAX_NODES),
        }
    }

    /// The program's level, pathways, categories and advisory over every fact.
    pub(crate) fn roots(&mut self, program: &Program) -> Result<Roots, Error> {
        let none = vec![None; program.facts.len()];
        let outcome = crate::eval::run(program, &none);
        let mdd = std::mem::replace(&mut self.mdd, Mdd::new(0));
        let built = crate::relevance::build_in(mdd, program, &self.layout, &none, &outcome)
            .ok_or_else(over_budget)?;
        self.mdd = built.mdd;
        Ok(Roots {
            level: built.level,
            pathways: built.pathways,
            categories: built.categories,
            advisory: built.advisory,
            conds: built.conds,
        })
    }

    fn fact_of(&self, var: u32) -> Option<(usize, &crate::ir::Fact, u32)> {
        let f = self.layout.var_fact.get(var as usize)?.index();
        let first = *self.layout.first_var.get(f)?;
        Some((f, self.facts.get(f)?, var - first))
    }

    /// The child index of `var` that is its fact's benign answer, if the fact has one.
    pub(crate) fn benign_child(&self, var: u32) -> Option<usize> {
        let (f, fact, bit) = self.fact_of(var)?;
        match &fact.ty {
            FactTy::Bool => Some(usize::from(fact.benign.unwrap_or(0) != 0)),
            FactTy::Set(_) => Some(usize::from(
                (fact.benign.unwrap_or(0) as u64) >> bit & 1 == 1,
            )),
            FactTy::Enum(_) => fact.benign.and_then(|b| usize::try_from(b).ok()),
            FactTy::Int { .. } => {
                let b = fact.benign?;
                let reps = self.layout.reps.get(f)?;
                Some(reps.partition_point(|r| *r <= b).saturating_sub(1))
            }
        }
    }

    /// A path from `root` to a leaf whose value satisfies `pred`, with as few answers other than
    /// the benign one as possible (then as few variables): the variables it fixes, each with its
    /// child index. `None` when no leaf satisfies `pred`.
    pub(crate) fn example(
        &self,
        root: NodeId,
        pred: impl Fn(i64) -> bool,
    ) -> Option<Vec<(u32, usize)>> {
        // Costs in post-order: (non-benign answers, fixed variables, best child).
        let mut cost: rustc_hash::FxHashMap<NodeId, Option<(u32, u32, usize)>> =
            rustc_hash::FxHashMap::default();
        let mut stack = vec![(root, false)];
        while let Some((id, expanded)) = stack.pop() {
            if cost.contains_key(&id) {
                continue;
            }
            let n = self.mdd.data(id);
            if n.var == LEAF {
                let ok = self.mdd.leaf_value(id).is_some_and(&pred);
                cost.insert(id, ok.then_some((0, 0, 0)));
                continue;
            }
            let kids = self.mdd.kids_of(n);
            if !expanded {
                stack.push((id, true));
                stack.extend(
                    kids.iter()
                        .filter(|k| !cost.contains_key(k))
                        .map(|k| (*k, false)),
                );
                continue;
            }
            let benign = self.benign_child(n.var);
            let best = kids
                .iter()
                .enumerate()
                .filter_map(|(i, k)| {
                    let (a, v, _) = cost.get(k).copied().flatten()?;
                    Some((a + u32::from(benign != Some(i)), v + 1, i))
                })
                .min();
            cost.insert(id, best);
        }
        let mut path = Vec::new();
        let mut id = root;
        loop {
            let n = self.mdd.data(id);
            if n.var == LEAF {
                return Some(path);
            }
            let (_, _, i) = cost.get(&id).copied().flatten()?;
            path.push((n.var, i));
            id = *self.mdd.kids_of(n).get(i)?;
        }
    }

    /// The facts a path fixes (a set fact: the codes it ticks), in fact order.
    pub(crate) fn path_facts(&self, path: &[(u32, usize)]) -> Vec<Option<i64>> {
        let mut facts: Vec<Option<i64>> = vec![None; self.facts.len()];
        for (var, i) in path {
            let Some((f, fact, bit)) = self.fact_of(*var) else {
                continue;
            };
            let Some(slot) = facts.get_mut(f) else {
                continue;
            };
            let i64_of = |i: usize| i64::try_from(i).unwrap_or(0);
            *slot = Some(match &fact.ty {
                FactTy::Bool | FactTy::Enum(_) => i64_of(*i),
                FactTy::Int { .. } => self
                    .layout
                    .reps
                    .get(f)
                    .and_then(|r| r.get(*i))
                    .copied()
                    .unwrap_or(0),
                FactTy::Set(_) => {
                    // From the benign set: the path ticks or unticks each code it reads.
                    let had = slot.unwrap_or(fact.benign.unwrap_or(0));
                    if *i == 1 {
                        had | (1i64 << bit)
                    } else {
                        had & !(1i64 << bit)
                    }
                }
            });
        }
        facts
    }

    /// `partial` completed with each unknown fact's benign answer (an int without one: its
    /// lowest value), for evaluating an example whose other facts do not matter.
    pub(crate) fn complete(&self, partial: &[Option<i64>]) -> Vec<Option<i64>> {
        self.facts
            .iter()
            .zip(partial)
            .map(|(fact, v)| {
                Some(v.unwrap_or_else(|| {
                    fact.benign.unwrap_or(match fact.ty {
                        FactTy::Int { lo, .. } => lo,
                        _ => 0,
                    })
                }))
            })
            .collect()
    }

    /// The facts as a JSON object, by fact id (unknown facts left out).
    pub(crate) fn facts_json(
        &self,
        facts: &[Option<i64>],
    ) -> serde_json::Map<String, serde_json::Value> {
        self.facts
            .iter()
            .zip(facts)
            .filter(|(_, v)| v.is_some())
            .map(|(f, v)| (f.id.clone(), crate::facts::value_to_json(f, *v)))
            .collect()
    }

    /// The leaf values a diagram can take, ascending.
    pub(crate) fn leaves(&self, root: NodeId) -> Vec<i64> {
        let mut seen = rustc_hash::FxHashSet::default();
        let mut out = std::collections::BTreeSet::new();
        let mut stack = vec![root];
        while let Some(id) = stack.pop() {
            if !seen.insert(id) {
                continue;
            }
            match self.mdd.leaf_value(id) {
                Some(v) => {
                    out.insert(v);
                }
                None => stack.extend_from_slice(self.mdd.kids_of(self.mdd.data(id))),
            }
        }
        out.into_iter().collect()
    }
}

/// What a complete referral gets: its level and pathways, by id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Brief {
    /// The level's id, or `None` when the rule set has no levels.
    pub level: Option<String>,
    /// The pathways' ids, most urgent first.
    pub pathways: Vec<String>,
    /// Each matrix's category, `matrix: category`, where it is not the first (`none`).
    pub categories: Vec<String>,
}

pub(crate) fn brief(program: &Program, facts: &[Option<i64>]) -> Brief {
    let o = crate::eval::run(program, facts);
    Brief {
        level: o.level.and_then(|r| program.level(r)).map(|l| l.id.clone()),
        pathways: o
            .pathways
            .iter()
            .map(|p| program.pathways.of(*p).id.clone())
            .collect(),
        categories: program
            .matrices
            .iter()
            .zip(&o.categories)
            .filter(|(_, c)| **c > 0)
            .filter_map(|(m, c)| Some(format!("{}: {}", m.id, m.categories.get(*c as usize)?)))
            .collect(),
    }
}

/// An internal inconsistency between the diagrams and evaluation: a bug, reported as one.
pub(crate) fn internal(what: String) -> Error {
    Error::facts(vec![Diagnostic::error(Code::Internal, what)])
}
