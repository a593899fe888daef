//! `thresholds diff`: where two versions of a rule set decide differently, computed on the
//! diagrams of both over the union of their facts, each region with a minimal example.

use serde::Serialize;

use super::{brief, internal, Brief, Space};
use crate::diag::{Code, Diagnostic};
use crate::diagram::{NodeId, Op};
use crate::error::Error;
use crate::ir::{Cmp, Expr, Fact, FactId, FactTy, Program};
use crate::ruleset::Ruleset;

/// Where `new` decides differently from `old`.
#[derive(Debug, Clone, Serialize)]
pub struct Diff {
    /// The old rule set: `name version`.
    pub old: String,
    /// The new rule set: `name version`.
    pub new: String,
    /// Each kind of difference that some referral shows: level transitions (old level, then
    /// new), pathways gained or lost (most urgent first), category transitions per matrix,
    /// and a level that becomes, or stops being, advice only.
    pub regions: Vec<Region>,
    /// What the comparison assumes (facts only one version declares, widened ranges).
    pub notes: Vec<String>,
}

/// One kind of difference and a referral that shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Region {
    /// `level`, `pathway`, `category` or `advisory`.
    pub what: &'static str,
    /// The pathway or the matrix; `None` for the level and for advisory.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// Under the old rules: the level, the category, for a pathway `absent`/`present`, for
    /// advisory `no`/`yes` (whether the level is advice only; the example's decisions do not
    /// show it).
    pub from: String,
    /// Under the new rules.
    pub to: String,
    /// A referral in the region, with as few answers that are not benign as possible.
    pub example: DiffExample,
}

/// An example referral and what each version decides for it.
#[derive(Debug, Clone, Serialize)]
pub struct DiffExample {
    /// The facts that matter, less those at their benign answer: every fact left out has its
    /// benign answer (an int or enum without one: its lowest value or first code).
    pub facts: serde_json::Map<String, serde_json::Value>,
    /// The old rules' decision.
    pub old: Brief,
    /// The new rules' decision.
    pub new: Brief,
}

impl Diff {
    /// No referral is decided differently.
    pub fn is_empty(&self) -> bool {
        self.regions.is_empty()
    }

    /// The difference as JSON.
    pub fn to_json(&self) -> String {
        crate::ruleset::to_json(self)
    }

    /// The difference for a rule author: one line per region, with its example.
    pub fn text(&self) -> String {
        let mut s = format!("{} → {}\n", self.old, self.new);
        for n in &self.notes {
            s.push_str(&format!("note: {n}\n"));
        }
        if self.regions.is_empty() {
            s.push_str("\nNo referral is decided differently.\n");
            return s;
        }
        s.push_str(&match self.regions.len() {
            1 => "\n1 kind of referral is decided differently:\n".to_string(),
            n => format!("\n{n} kinds of referral are decided differently:\n"),
        });
        for r in &self.regions {
            let head = match (r.what, &r.subject) {
                ("pathway", Some(p)) if r.to == "present" => format!("pathway {p} added"),
                ("pathway", Some(p)) => format!("pathway {p} removed"),
                ("advisory", _) if r.to == "yes" => "the level becomes advice only".to_string(),
                ("advisory", _) => "the level is no longer advice only".to_string(),
                (_, Some(m)) => format!("{m}: {} → {}", r.from, r.to),
                (_, None) => format!("level: {} → {}", r.from, r.to),
            };
            s.push_str(&format!("\n  {head}\n"));
            let advice = |yes: bool| if yes { " (advice only)" } else { "" };
            let (old_advice, new_advice) = match r.what {
                "advisory" => (advice(r.from == "yes"), advice(r.to == "yes")),
                _ => ("", ""),
            };
            s.push_str(&format!(
                "    e.g. {}\n      old: {}{old_advice}\n      new: {}{new_advice}\n",
                serde_json::Value::Object(r.example.facts.clone()),
                super::proofs::brief_text(&r.example.old),
                super::proofs::brief_text(&r.example.new)
            ));
        }
        s
    }
}

fn incompatible(message: String) -> Error {
    Error::rules(
        vec![Diagnostic::error(Code::Incompatible, message)],
        crate::diag::Sources::default(),
    )
}

fn kind(t: &FactTy) -> &'static str {
    match t {
        FactTy::Bool => "bool",
        FactTy::Int { .. } => "int",
        FactTy::Enum(_) => "enum",
        FactTy::Set(_) => "set",
    }
}

/// How `new`'s facts map into the union: per new fact, its index and, for enums and sets, each
/// code's index.
struct Map {
    fact: Vec<FactId>,
    code: Vec<Vec<u32>>,
}

impl Map {
    fn fact(&self, f: FactId) -> FactId {
        self.fact.get(f.index()).copied().unwrap_or(f)
    }
    fn mask(&self, f: FactId, mask: u64) -> u64 {
        let codes = self.code.get(f.index());
        (0..64u32)
            .filter(|b| mask >> b & 1 == 1)
            .filter_map(|b| codes.and_then(|c| c.get(b as usize)).copied())
            .filter(|c| *c < 64)
            .fold(0, |m, c| m | 1u64 << c)
    }
    fn value(&self, f: FactId, ty: &FactTy, v: i64) -> i64 {
        match ty {
            FactTy::Enum(_) => usize::try_from(v)
                .ok()
                .and_then(|i| self.code.get(f.index())?.get(i).copied())
                .map_or(v, i64::from),
            FactTy::Set(_) => self.mask(f, v as u64) as i64,
            _ => v,
        }
    }
    fn expr(&self, e: &Expr) -> Expr {
        let b = |x: &Expr| Box::new(self.expr(x));
        match e {
            Expr::Fact(f) => Expr::Fact(self.fact(*f)),
            Expr::EnumIn(f, m) => Expr::EnumIn(self.fact(*f), self.mask(*f, *m)),
            Expr::Has(f, m, mode) => Expr::Has(self.fact(*f), self.mask(*f, *m), *mode),
            Expr::Count(f, m) => Expr::Count(self.fact(*f), self.mask(*f, *m)),
            Expr::Not(x) => Expr::Not(b(x)),
            Expr::Neg(x) => Expr::Neg(b(x)),
            Expr::And(xs) => Expr::And(xs.iter().map(|x| self.expr(x)).collect()),
            Expr::Or(xs) => Expr::Or(xs.iter().map(|x| self.expr(x)).collect()),
            Expr::Cmp(c, x, y) => Expr::Cmp(*c, b(x), b(y)),
            Expr::Add(x, y) => Expr::Add(b(x), b(y)),
            Expr::Sub(x, y) => Expr::Sub(b(x), b(y)),
            Expr::Mul(x, y) => Expr::Mul(b(x), b(y)),
            other => other.clone(),
        }
    }
}

/// The union of both versions' facts (old ones first, in order; enum and set codes and int
/// ranges widened to both), and both programs over it.
fn unify(
    old: &Program,
    new: &Program,
    notes: &mut Vec<String>,
) -> Result<(Program, Program), Error> {
    let mut facts: Vec<Fact> = old.facts.to_vec();
    let mut map = Map {
        fact: Vec::new(),
        code: Vec::new(),
    };
    for nf in &new.facts {
        let at = facts.iter().position(|f| f.id == nf.id);
        let Some(i) = at else {
            map.fact.push(FactId::from_usize(facts.len()));
            map.code.push(match &nf.ty {
                FactTy::Enum(c) | FactTy::Set(c) => {
                    (0..u32::try_from(c.len()).unwrap_or(0)).collect()
                }
                _ => Vec::new(),
            });
            notes.push(format!("{} is new: the old rules never read it", nf.id));
            facts.push(nf.clone());
            continue;
        };
        let Some(of) = facts.get_mut(i) else {
            continue;
        };
        map.fact.push(FactId::from_usize(i));
        let mut codes_of = Vec::new();
        match (&mut of.ty, &nf.ty) {
            (FactTy::Bool, FactTy::Bool) => {}
            (FactTy::Int { lo, hi }, FactTy::Int { lo: nlo, hi: nhi }) => {
                if (*lo, *hi) != (*nlo, *nhi) {
                    notes.push(format!(
                        "{}: range {}..{} became {}..{}; both are compared over {}..{}",
                        nf.id,
                        lo,
                        hi,
                        nlo,
                        nhi,
                        (*lo).min(*nlo),
                        (*hi).max(*nhi)
                    ));
                }
                *lo = (*lo).min(*nlo);
                *hi = (*hi).max(*nhi);
            }
            (FactTy::Enum(oc), FactTy::Enum(nc)) | (FactTy::Set(oc), FactTy::Set(nc)) => {
                for c in oc.iter().filter(|c| !nc.contains(c)) {
                    notes.push(format!(
                        "{} has lost the code {c}: the new rules never read it",
                        nf.id
                    ));
                }
                for c in nc {
                    let j = match oc.iter().position(|x| x == c) {
                        Some(j) => j,
                        None => {
                            notes.push(format!("{} has a new code {c}", nf.id));
                            oc.push(c.clone());
                            oc.len() - 1
                        }
                    };
                    codes_of.push(u32::try_from(j).unwrap_or(u32::MAX));
                }
                if oc.len() > 64 {
                    return Err(incompatible(format!(
                        "`{}` has more than 64 codes across both versions",
                        nf.id
                    )));
                }
            }
            (ot, nt) => {
                return Err(incompatible(format!(
                    "fact `{}` is {} in the old rules and {} in the new: a fact's type cannot \
                     change (it is a contract with case systems)",
                    nf.id,
                    kind(ot),
                    kind(nt)
                )));
            }
        }
        map.code.push(codes_of);
    }
    for of in &old.facts {
        if !new.facts.iter().any(|f| f.id == of.id) {
            notes.push(format!("{} is gone: the new rules never read it", of.id));
        }
    }
    let index = facts
        .iter()
        .enumerate()
        .map(|(i, f)| (f.id.clone(), FactId::from_usize(i)))
        .collect();
    let mut o = old.clone();
    o.facts = crate::ir::Table::new(facts.clone());
    o.fact_index.clone_from(&index);
    let mut n = new.clone();
    for r in &mut n.rules {
        r.cond = map.expr(&r.cond);
        r.reads = r.reads.iter().map(|f| map.fact(*f)).collect();
    }
    for m in &mut n.matrices {
        for (_, e) in &mut m.bands {
            *e = map.expr(e);
        }
        m.score = m.score.as_ref().map(|e| map.expr(e));
        m.reads = m.reads.iter().map(|f| map.fact(*f)).collect();
    }
    for (i, f) in new.facts.enumerate() {
        let Some(u) = facts.get_mut(map.fact(i).index()) else {
            continue;
        };
        u.asked = f
            .asked
            .as_ref()
            .map(|(e, v)| (map.expr(e), map.value(i, &f.ty, *v)));
    }
    n.asked_order = n.asked_order.iter().map(|f| map.fact(*f)).collect();
    for g in n.areas.iter_mut().chain(n.checklists.iter_mut()) {
        g.facts = g.facts.iter().map(|f| map.fact(*f)).collect();
    }
    n.facts = crate::ir::Table::new(facts);
    n.fact_index = index;
    Ok((o, n))
}

fn name(rs: &Ruleset) -> String {
    format!("{} {}", rs.name(), rs.version())
}

impl Ruleset {
    /// Where `new` decides differently from this rule set, over every referral: each level
    /// transition, pathway gained or lost, category transition and change of advice only that
    /// some referral shows, with a minimal example referral evaluated under both.
    ///
    /// # Errors
    /// A fact whose type differs between the versions (`thr::diff::incompatible`); diagrams over
    /// the analysis node budget (`thr::eval::limit_exceeded`); for a bug, an example that does
    /// not evaluate as the diagrams say (`thr::internal`).
    pub fn diff(&self, new: &Ruleset) -> Result<Diff, Error> {
        let mut notes = Vec::new();
        let (o, n) = unify(self.program(), new.program(), &mut notes)?;
        let mut space = Space::new(&o.facts, super::exprs(&o).chain(super::exprs(&n)));
        let ro = space.roots(&o)?;
        let rn = space.roots(&n)?;
        let mut regions = Vec::new();
        // Levels, by id.
        for (a, la) in o.levels.iter().enumerate() {
            for (b, lb) in n.levels.iter().enumerate() {
                if la.id == lb.id {
                    continue;
                }
                let ea = eq(&mut space, ro.level, i64::try_from(a + 1).unwrap_or(0));
                let eb = eq(&mut space, rn.level, i64::try_from(b + 1).unwrap_or(0));
                let region = space.mdd.apply(Op::And, ea, eb);
                if let Some(example) = example(&space, &o, &n, region)? {
                    if example.old.level.as_ref() != Some(&la.id)
                        || example.new.level.as_ref() != Some(&lb.id)
                    {
                        return Err(internal(format!(
                            "diff: the example of {} → {} evaluates otherwise",
                            la.id, lb.id
                        )));
                    }
                    regions.push(Region {
                        what: "level",
                        subject: None,
                        from: la.id.clone(),
                        to: lb.id.clone(),
                        example,
                    });
                }
            }
        }
        // Pathways, by id: the old order, then pathways only the new rules have.
        let mut ids: Vec<&str> = o.pathways.iter().map(|p| p.id.as_str()).collect();
        for p in &n.pathways {
            if !ids.contains(&p.id.as_str()) {
                ids.push(&p.id);
            }
        }
        let zero = space.mdd.leaf(0);
        for id in ids {
            let root = |prog: &Program, roots: &super::Roots| {
                prog.pathways
                    .iter()
                    .position(|p| p.id == id)
                    .and_then(|i| roots.pathways.get(i).copied())
                    .unwrap_or(zero)
            };
            let (po, pn) = (root(&o, &ro), root(&n, &rn));
            for (from, to, region) in [
                (
                    "absent",
                    "present",
                    space.mdd.apply(Op::Cmp(Cmp::Lt), po, pn),
                ),
                (
                    "present",
                    "absent",
                    space.mdd.apply(Op::Cmp(Cmp::Gt), po, pn),
                ),
            ] {
                if let Some(example) = example(&space, &o, &n, region)? {
                    let has = |b: &Brief| b.pathways.iter().any(|p| p == id);
                    if has(&example.old) != (from == "present")
                        || has(&example.new) != (to == "present")
                    {
                        return Err(internal(format!(
                            "diff: the example of pathway {id} {from} → {to} evaluates otherwise"
                        )));
                    }
                    regions.push(Region {
                        what: "pathway",
                        subject: Some(id.to_string()),
                        from: from.to_string(),
                        to: to.to_string(),
                        example,
                    });
                }
            }
        }
        // Categories, by matrix id and category name.
        for (mo, m) in o.matrices.iter().enumerate() {
            let Some(mn) = n.matrices.iter().position(|x| x.id == m.id) else {
                continue;
            };
            let (Some(co), Some(cn)) = (
                ro.categories.get(mo).copied(),
                rn.categories.get(mn).copied(),
            ) else {
                continue;
            };
            let new_cats = n
                .matrices
                .get(mn)
                .map(|x| x.categories.clone())
                .unwrap_or_default();
            for (a, ca) in m.categories.iter().enumerate() {
                for (b, cb) in new_cats.iter().enumerate() {
                    if ca == cb {
                        continue;
                    }
                    let ea = eq(&mut space, co, i64::try_from(a).unwrap_or(0));
                    let eb = eq(&mut space, cn, i64::try_from(b).unwrap_or(0));
                    let region = space.mdd.apply(Op::And, ea, eb);
                    if let Some(example) = example(&space, &o, &n, region)? {
                        regions.push(Region {
                            what: "category",
                            subject: Some(m.id.clone()),
                            from: ca.clone(),
                            to: cb.clone(),
                            example,
                        });
                    }
                }
            }
        }
        // Advice only: the briefs do not carry it, so the region says it and evaluation checks it.
        for (from, to, cmp) in [("no", "yes", Cmp::Lt), ("yes", "no", Cmp::Gt)] {
            let region = space.mdd.apply(Op::Cmp(cmp), ro.advisory, rn.advisory);
            if let Some((example, full)) = example_full(&space, &o, &n, region)? {
                if advised(&o, &full) != (from == "yes") || advised(&n, &full) != (to == "yes") {
                    return Err(internal(format!(
                        "diff: the example of advisory {from} → {to} evaluates otherwise"
                    )));
                }
                regions.push(Region {
                    what: "advisory",
                    subject: None,
                    from: from.to_string(),
                    to: to.to_string(),
                    example,
                });
            }
        }
        Ok(Diff {
            old: name(self),
            new: name(new),
            regions,
            notes,
        })
    }
}

fn eq(space: &mut Space<'_>, root: NodeId, v: i64) -> NodeId {
    let leaf = space.mdd.leaf(v);
    space.mdd.apply(Op::Cmp(Cmp::Eq), root, leaf)
}

/// A minimal referral in `region`, evaluated under both programs; `None` when the region is
/// empty.
fn example(
    space: &Space<'_>,
    o: &Program,
    n: &Program,
    region: NodeId,
) -> Result<Option<DiffExample>, Error> {
    Ok(example_full(space, o, n, region)?.map(|(e, _)| e))
}

/// Complete facts, one slot per fact of the union.
type Slots = Vec<Option<i64>>;

/// As [`example`], with the complete facts the decisions are for.
fn example_full(
    space: &Space<'_>,
    o: &Program,
    n: &Program,
    region: NodeId,
) -> Result<Option<(DiffExample, Slots)>, Error> {
    if space.mdd.leaf_value(region) == Some(0) {
        return Ok(None);
    }
    let Some(path) = space.example(region, |v| v != 0) else {
        return Err(internal("diff: a region without a path".to_string()));
    };
    let facts = space.path_facts(&path);
    let full = space.complete(&facts);
    let example = DiffExample {
        facts: super::proofs::shown(space, &facts),
        old: brief(o, &full),
        new: brief(n, &full),
    };
    Ok(Some((example, full)))
}

/// Whether some advisory rule fires for complete facts: the level is advice only.
fn advised(p: &Program, full: &[Option<i64>]) -> bool {
    let o = crate::eval::run(p, full);
    p.rules
        .iter()
        .zip(&o.fired)
        .any(|(r, t)| r.advisory && *t == crate::eval::Tri::True)
}
