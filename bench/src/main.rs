//! The benchmark workload written four ways (Thresholds, hand-written Rust, Rego on regorus, JDM on
//! zen-engine): checks that all four agree on every generated referral, then times them side by side.
//!
//! `thresholds-bench [--quick] [--sparse] [--n N] [--seed S] [--passes P] [--stream N]`
//!
//! `--sparse` prints only the sparse tables (the shipped rules, `missing` on and off).
//!
//! For `scripts/bench-hosts.sh`: `--emit-referrals PATH` writes the N seeded referrals as JSON
//! lines and exits; `--time-json LINES --sample K --sample-out PATH` times the Rust JSON entry
//! point over those lines (P passes) and writes the first K decisions.

mod hosts;
mod native;
mod rego;
mod sparse;
mod workload;
mod zen;

use thresholds::{Options, Ruleset};

/// The bench rule set, as shipped in `rules/bench/`.
const RULES: &[(&str, &str)] = &[
    (
        "00-ruleset.thr",
        include_str!("../../rules/bench/00-ruleset.thr"),
    ),
    (
        "10-facts.thr",
        include_str!("../../rules/bench/10-facts.thr"),
    ),
    (
        "20-matrices.thr",
        include_str!("../../rules/bench/20-matrices.thr"),
    ),
    (
        "30-overrides.thr",
        include_str!("../../rules/bench/30-overrides.thr"),
    ),
    (
        "40-indicators.thr",
        include_str!("../../rules/bench/40-indicators.thr"),
    ),
    (
        "90-tests.thr",
        include_str!("../../rules/bench/90-tests.thr"),
    ),
];

pub(crate) const OFF: Options = Options {
    reasons: false,
    missing: false,
};
pub(crate) const ON: Options = Options {
    reasons: true,
    missing: true,
};

/// What every implementation must agree on.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Out {
    level: String,
    pathways: Vec<String>,
    cse: String,
    cce: String,
}

impl Out {
    fn from_json(v: &serde_json::Value) -> Out {
        let s = |k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or("?").to_string();
        let pathways = v
            .get("pathways")
            .and_then(|p| p.as_array())
            .map(|a| {
                a.iter()
                    .map(|x| x.as_str().unwrap_or("?").to_string())
                    .collect()
            })
            .unwrap_or_default();
        let cat = |k: &str| {
            v.get(k)
                .or_else(|| v.get("exploitation").and_then(|e| e.get(k)))
                .and_then(|x| x.as_str())
                .unwrap_or("?")
                .to_string()
        };
        Out {
            level: s("level"),
            pathways,
            cse: cat("cse"),
            cce: cat("cce"),
        }
    }

    fn from_text(t: &str) -> Out {
        Out::from_json(&serde_json::from_str(t).unwrap_or_default())
    }

    fn from_native(d: &native::Decision) -> Out {
        Out {
            level: d.level_id().to_string(),
            pathways: d.pathway_ids().iter().map(|p| p.to_string()).collect(),
            cse: native::Decision::category(d.cse).to_string(),
            cce: native::Decision::category(d.cce).to_string(),
        }
    }

    fn from_decision(d: &thresholds::Decision) -> Out {
        let cat = |k: &str| {
            d.exploitation
                .get(k)
                .and_then(|x| x.as_str())
                .unwrap_or("?")
                .to_string()
        };
        Out {
            level: d.level.clone().unwrap_or_default(),
            pathways: d.pathways.clone(),
            cse: cat("cse"),
            cce: cat("cce"),
        }
    }
}

#[derive(Debug)]
pub(crate) struct Args {
    quick: bool,
    sparse: bool,
    n: usize,
    seed: u64,
    passes: usize,
    stream: usize,
    emit_referrals: Option<String>,
    time_json: Option<String>,
    sample: usize,
    sample_out: Option<String>,
}

fn args() -> Result<Args, String> {
    let mut a = Args {
        quick: false,
        sparse: false,
        n: 0,
        seed: 20_260_601,
        passes: 7,
        stream: 1_000_000,
        emit_referrals: None,
        time_json: None,
        sample: 200,
        sample_out: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(x) = it.next() {
        let mut num = |name: &str| -> Result<u64, String> {
            it.next()
                .and_then(|v| v.replace('_', "").parse().ok())
                .ok_or(format!("{name} needs a number"))
        };
        match x.as_str() {
            "--quick" => a.quick = true,
            "--sparse" => a.sparse = true,
            "--n" => a.n = usize::try_from(num("--n")?).unwrap_or(0),
            "--seed" => a.seed = num("--seed")?,
            "--passes" => a.passes = usize::try_from(num("--passes")?).unwrap_or(1).max(1),
            "--stream" => a.stream = usize::try_from(num("--stream")?).unwrap_or(0),
            "--sample" => a.sample = usize::try_from(num("--sample")?).unwrap_or(0),
            "--emit-referrals" | "--time-json" | "--sample-out" => {
                let v = it.next().ok_or(format!("{x} needs a path"))?;
                match x.as_str() {
                    "--emit-referrals" => a.emit_referrals = Some(v),
                    "--time-json" => a.time_json = Some(v),
                    _ => a.sample_out = Some(v),
                }
            }
            other => return Err(format!("unknown argument `{other}`; usage: thresholds-bench [--quick] [--sparse] [--n N] [--seed S] [--passes P] [--stream N] [--emit-referrals PATH] [--time-json LINES [--sample K] [--sample-out PATH]]")),
        }
    }
    if a.n == 0 {
        a.n = if a.quick { 2_000 } else { 20_000 };
    }
    Ok(a)
}

pub(crate) fn thresholds_rules() -> Result<Ruleset, String> {
    Ruleset::from_sources(
        RULES
            .iter()
            .map(|(n, t)| (n.to_string(), t.to_string()))
            .collect(),
    )
    .map_err(|e| format!("thresholds: {e}"))
}

pub(crate) fn zen_decision() -> Result<zen_engine::Decision, String> {
    let content: zen_engine::model::DecisionContent =
        serde_json::from_value(zen::graph()).map_err(|e| format!("zen: {e}"))?;
    let engine = zen_engine::DecisionEngine::default();
    let mut decision = engine
        .create_decision(std::sync::Arc::new(content))
        .map_err(|e| format!("zen: {e:?}"))?;
    decision.compile();
    Ok(decision)
}

pub(crate) fn zen_eval(
    d: &zen_engine::Decision,
    v: &zen_engine::Variable,
) -> Result<zen_engine::Variable, String> {
    pollster::block_on(d.evaluate(v.clone()))
        .map(|r| r.result)
        .map_err(|e| format!("zen: {e:?}"))
}

pub(crate) fn zen_json_to_json(d: &zen_engine::Decision, text: &str) -> Result<String, String> {
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| format!("zen: {e}"))?;
    let out = zen_eval(d, &zen_engine::Variable::from(v))?;
    serde_json::to_string(&out).map_err(|e| format!("zen: {e}"))
}

/// The referrals in every form the implementations take.
pub(crate) struct Inputs {
    texts: Vec<String>,
    typed: Vec<native::Referral>,
    facts: Vec<thresholds::Facts>,
    rego: Vec<regorus::Value>,
    zen: Vec<zen_engine::Variable>,
}

fn inputs(rs: &Ruleset, seed: u64, n: usize) -> Result<Inputs, String> {
    let values = workload::referrals(seed, n);
    let texts: Vec<String> = values.iter().map(|v| v.to_string()).collect();
    let mut typed = Vec::with_capacity(n);
    let mut facts = Vec::with_capacity(n);
    let mut rego = Vec::with_capacity(n);
    let mut zen = Vec::with_capacity(n);
    for (v, t) in values.iter().zip(&texts) {
        typed.push(serde_json::from_str(t).map_err(|e| format!("typed: {e}: {t}"))?);
        facts.push(
            rs.facts_from_value(v)
                .map_err(|e| format!("thresholds facts: {e}: {t}"))?,
        );
        rego.push(regorus::Value::from_json_str(t).map_err(|e| format!("rego: {e}"))?);
        zen.push(zen_engine::Variable::from(v.clone()));
    }
    Ok(Inputs {
        texts,
        typed,
        facts,
        rego,
        zen,
    })
}

/// Checks that every implementation gives the same decision; returns the number that agree.
fn agreement(
    rs: &Ruleset,
    vm: &mut regorus::rvm::vm::RegoVM,
    zd: &zen_engine::Decision,
    inp: &Inputs,
) -> Result<(usize, Vec<String>), String> {
    let mut agree = 0;
    let mut diffs = Vec::new();
    let mut wrong: Vec<(&str, usize)> = Vec::new();
    let mut levels = [0usize; 4];
    for (i, text) in inp.texts.iter().enumerate() {
        let (Some(typed), Some(facts), Some(rv), Some(zv)) = (
            inp.typed.get(i),
            inp.facts.get(i),
            inp.rego.get(i),
            inp.zen.get(i),
        ) else {
            continue;
        };
        let d = native::decide(typed);
        if let Some(c) = levels.get_mut(usize::from(d.rank).wrapping_sub(1)) {
            *c += 1;
        }
        let want = Out::from_native(&d);
        let rego_out = rego::eval(vm, rv)?;
        let rego_json = serde_json::to_value(&rego_out).map_err(|e| format!("rego: {e}"))?;
        let zen_out = zen_eval(zd, zv)?;
        let got = [
            (
                "hand-written JSON",
                Out::from_text(&native::json_to_json(text).map_err(|e| e.to_string())?),
            ),
            ("thresholds", Out::from_decision(&rs.evaluate(facts, OFF))),
            (
                "thresholds reasons+missing",
                Out::from_decision(&rs.evaluate(facts, ON)),
            ),
            (
                "thresholds JSON",
                Out::from_text(
                    &rs.evaluate_json_str_with(text, ON)
                        .map_err(|e| e.to_string())?,
                ),
            ),
            ("regorus", Out::from_json(&rego_json)),
            ("zen-engine", Out::from_json(&zen_out.to_value())),
        ];
        let mut ok = true;
        for (name, g) in &got {
            if *g != want {
                ok = false;
                match wrong.iter_mut().find(|(n, _)| n == name) {
                    Some((_, c)) => *c += 1,
                    None => wrong.push((name, 1)),
                }
                if diffs.len() < 6 {
                    diffs.push(format!(
                        "referral {i}: {name} gives {g:?}, hand-written gives {want:?}\n  facts: {text}"
                    ));
                }
            }
        }
        if ok {
            agree += 1;
        }
    }
    for (name, c) in &wrong {
        diffs.push(format!("{name}: {c} referrals differ from hand-written"));
    }
    let n = inp.texts.len().max(1);
    let pct = |c: usize| 100.0 * c as f64 / n as f64;
    println!(
        "levels: universal {:.1}%, early_help {:.1}%, complex {:.1}%, acute {:.1}%",
        pct(levels[0]),
        pct(levels[1]),
        pct(levels[2]),
        pct(levels[3])
    );
    Ok((agree, diffs))
}

fn main() {
    match run() {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    }
}

fn run() -> Result<i32, String> {
    let a = args()?;
    if let Some(path) = &a.emit_referrals {
        hosts::emit(path, a.seed, a.n)?;
        return Ok(0);
    }
    if a.sparse {
        let shipped = Ruleset::builtin().map_err(|e| e.to_json())?;
        sparse::run(&a, &shipped)?;
        return Ok(0);
    }
    let rs = thresholds_rules()?;
    if let Some(lines) = &a.time_json {
        let out = a.sample_out.as_deref().unwrap_or("/dev/null");
        hosts::time_json(&rs, lines, a.passes, a.sample, out)?;
        return Ok(0);
    }
    if !a.quick {
        // Streams first, so that the referrals stored below do not count in the peak.
        timings::stream(&a, &rs)?;
    }
    let program = rego::compile()?;
    let mut vm = rego::vm(&program);
    let zd = zen_decision()?;
    let inp = inputs(&rs, a.seed, a.n)?;
    let (agree, diffs) = agreement(&rs, &mut vm, &zd, &inp)?;
    println!(
        "agreement: {agree}/{} referrals agree (seed {})",
        a.n, a.seed
    );
    if agree != a.n {
        for d in &diffs {
            eprintln!("{d}");
        }
        eprintln!("the implementations disagree: the benchmark measures nothing until they agree");
        return Ok(1);
    }
    if a.quick {
        return Ok(0);
    }
    timings::run(&a, &rs, &mut vm, &zd, &inp)?;
    let shipped = Ruleset::builtin().map_err(|e| e.to_json())?;
    sparse::run(&a, &shipped)?;
    Ok(0)
}

mod timings;
