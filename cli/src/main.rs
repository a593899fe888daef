//! `thresholds`: check, evaluate, test and format rule files.
//!
//! Exit codes: 0 ok; 1 rule or facts errors, or failing tests (diagnostics on stderr); 2 usage.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use thresholds::{Escalation, Options, Ruleset};

#[derive(Parser)]
#[command(
    name = "thresholds",
    version,
    about = "Safeguarding thresholds rules engine: check, evaluate, test and format rule files"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum Format {
    Text,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Check rule sets: every error and warning, with locations.
    Check {
        /// Rule files or directories (a directory's .thr files form one rule set; subdirectories are their own).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Evaluate a referral's facts into a decision.
    Eval {
        /// Rule set to use (file or directory); the shipped rules by default.
        #[arg(long)]
        rules: Option<PathBuf>,
        /// Facts JSON file, or `-` for standard input.
        #[arg(long)]
        facts: PathBuf,
        /// `text` for practitioners, `json` for the decision JSON alone.
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
        /// Escalate to this level (your professional judgement; it never lowers the level).
        #[arg(long, value_name = "LEVEL", requires = "reason")]
        escalate: Option<String>,
        /// Why you escalate (required with `--escalate`).
        #[arg(long, requires = "escalate")]
        reason: Option<String>,
        /// Add the unanswered questions that could still change the decision, best first.
        #[arg(long)]
        questions: bool,
        /// A question already answered whose facts may still be unknown (`triage`); repeat.
        #[arg(long, value_name = "QUESTION", requires = "questions")]
        answered: Vec<String>,
        /// Add what would change the level: the fewest answers or changes that would raise it
        /// to each level above, or lower it.
        #[arg(long)]
        explain: bool,
    },
    /// Run the tests written in rule files.
    Test {
        /// Rule files or directories; the shipped rules by default.
        paths: Vec<PathBuf>,
        /// List rules that no test fires (and fail if there are any).
        #[arg(long)]
        coverage: bool,
    },
    /// Format rule files canonically.
    Fmt {
        /// Only check that files are formatted; exit 1 if not.
        #[arg(long)]
        check: bool,
        /// Rule files or directories.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// What changes when a new version of the rules replaces the old, over a set of referrals:
    /// level transitions, pathways gained and lost, and each changed referral.
    Compare {
        /// The rules in use now (file or directory).
        #[arg(long)]
        old: PathBuf,
        /// The proposed rules (file or directory).
        #[arg(long)]
        new: PathBuf,
        /// Referrals: a JSON array of facts objects, or JSON lines; `-` for standard input.
        #[arg(long)]
        facts: PathBuf,
        /// `text` for a summary, `json` for the whole comparison.
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Run the interview protocol over cases: a practitioner who knows each child's whole
    /// truth answers the top-ranked question until nothing is left to ask. Prints the number
    /// of answers until the level shown is final and until the decision is complete, then the
    /// medians and maxima.
    Interview {
        /// Rule set to use; the shipped rules by default.
        #[arg(long)]
        rules: Option<PathBuf>,
        /// Cases: a JSON array of `{"id": ..., "facts": {...}}` (facts left out are benign in
        /// the truth); `-` for standard input.
        #[arg(long)]
        cases: PathBuf,
        /// `text` for a table, `json` for every case with the questions it was asked.
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Print the declared facts (JSON): ids, types, values, questions.
    Facts {
        /// Rule set to use; the shipped rules by default.
        #[arg(long)]
        rules: Option<PathBuf>,
    },
    /// Precompile a rule set into one file that loads without parsing, checking or compiling
    /// (the checked program and its decision diagrams). Every command's `--rules` takes it, and
    /// so does `Ruleset::from_precompiled` in every binding; only this engine version reads it.
    Compile {
        /// The rule set (file or directory); the shipped rules by default.
        path: Option<PathBuf>,
        /// Where to write it (`rules.thrc`, say).
        #[arg(long, short)]
        output: PathBuf,
    },
    /// Print the rule set's levels, pathways, matrices and hash (JSON).
    Info {
        /// Rule set to use; the shipped rules by default.
        #[arg(long)]
        rules: Option<PathBuf>,
    },
    /// Prove properties of a rule set over every referral it can receive: monotonicity,
    /// reachability, shadowing, matrix bands, test coverage; each failure with a counterexample.
    /// Exit 1 when a check fails.
    Analyze {
        /// The rule set (file or directory); the shipped rules by default.
        path: Option<PathBuf>,
        /// `text` for a rule author, `json` for the whole analysis.
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Where a new version of the rules decides differently from the old, over every referral:
    /// each level transition, pathway gained or lost and category transition, with a minimal
    /// example referral. With `--facts`, also the counts over those referrals (as `compare`).
    Diff {
        /// The rules in use now (file or directory).
        old: PathBuf,
        /// The proposed rules (file or directory).
        new: PathBuf,
        /// Referrals to count: a JSON array of facts objects, or JSON lines; `-` for standard input.
        #[arg(long)]
        facts: Option<PathBuf>,
        /// `text` for a rule author, `json` for `{"diff": ..., "comparison": ...}`.
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Serve the Language Server Protocol over standard input and output, for editors.
    Lsp,
}

/// Writes to standard output. When the reader has gone (`thresholds eval | head`), the program
/// ends quietly, as other command-line tools do, instead of panicking.
macro_rules! out_raw {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = write!(std::io::stdout().lock(), $($arg)*) {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                std::process::exit(0);
            }
            return Err(format!("cannot write to standard output: {e}"));
        }
    }};
}

/// As `out_raw!`, with a newline.
macro_rules! out {
    ($($arg:tt)*) => {{
        out_raw!($($arg)*);
        out_raw!("\n");
    }};
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(msg) => {
            eprintln!("{msg}");
            ExitCode::from(1)
        }
    }
}

/// A rule set on disk: its name for messages and its files.
struct Found {
    label: String,
    files: Vec<(String, String)>,
}

fn thr_files(dir: &Path) -> Result<(Vec<PathBuf>, Vec<PathBuf>), String> {
    let rd = std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    let mut files = Vec::new();
    let mut dirs = Vec::new();
    for entry in rd.flatten() {
        let p = entry.path();
        if p.is_dir() {
            dirs.push(p);
        } else if p.extension().is_some_and(|x| x == "thr") {
            files.push(p);
        }
    }
    files.sort();
    dirs.sort();
    Ok((files, dirs))
}

fn read(p: &Path) -> Result<(String, String), String> {
    let text =
        std::fs::read_to_string(p).map_err(|e| format!("cannot read {}: {e}", p.display()))?;
    Ok((p.display().to_string(), text))
}

/// Finds the rule sets under a path: a file is one; a directory's own .thr files are one,
/// and each subdirectory is searched the same way.
fn discover(path: &Path, out: &mut Vec<Found>) -> Result<(), String> {
    if path.is_file() {
        out.push(Found {
            label: path.display().to_string(),
            files: vec![read(path)?],
        });
        return Ok(());
    }
    if !path.is_dir() {
        return Err(format!("no such file or directory: {}", path.display()));
    }
    let (files, dirs) = thr_files(path)?;
    if !files.is_empty() {
        let files = files
            .iter()
            .map(|f| read(f))
            .collect::<Result<Vec<_>, _>>()?;
        out.push(Found {
            label: path.display().to_string(),
            files,
        });
    }
    for d in dirs {
        discover(&d, out)?;
    }
    Ok(())
}

/// A rule set from a path: rule files, a directory of them, or a precompiled file
/// (`thresholds compile`, recognised by its `THRC` magic); the shipped rules without one.
fn load_one(path: Option<&Path>) -> Result<Ruleset, String> {
    let Some(path) = path else {
        return Ruleset::builtin()
            .map_err(|e| format!("the embedded rules do not check:\n{}", e.render()));
    };
    if path.is_file() {
        let bytes =
            std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        if bytes.starts_with(b"THRC") {
            return Ruleset::from_precompiled(&bytes)
                .map_err(|e| format!("{}: {}", path.display(), e.render()));
        }
    }
    let files = if path.is_dir() {
        let (files, _) = thr_files(path)?;
        if files.is_empty() {
            return Err(format!("{} has no .thr files", path.display()));
        }
        files
            .iter()
            .map(|f| read(f))
            .collect::<Result<Vec<_>, _>>()?
    } else {
        vec![read(path)?]
    };
    Ruleset::from_sources(files).map_err(|e| e.render())
}

fn run(cli: Cli) -> Result<u8, String> {
    match cli.command {
        Command::Check { paths } => {
            let mut found = Vec::new();
            for p in &paths {
                discover(p, &mut found)?;
            }
            let mut bad = 0;
            for f in found {
                match Ruleset::from_sources(f.files) {
                    Ok(rs) => {
                        if !rs.warnings().is_empty() {
                            eprintln!("{}", rs.render_warnings());
                        }
                        if let Some(e) = rs.tests_error() {
                            bad += 1;
                            eprintln!("{}", e.render());
                            out!("error: {} (errors in its tests)", f.label);
                            continue;
                        }
                        out!(
                            "ok: {} ({} {}, {} rules, {} warnings)",
                            f.label,
                            rs.name(),
                            rs.version(),
                            rs.rule_ids().len(),
                            rs.warnings().len()
                        );
                    }
                    Err(e) => {
                        bad += 1;
                        eprintln!("{}", e.render());
                        let n = e
                            .diagnostics()
                            .iter()
                            .filter(|d| d.severity() == thresholds::Severity::Error)
                            .count();
                        out!("error: {} ({n} errors)", f.label);
                    }
                }
            }
            Ok(u8::from(bad > 0))
        }
        Command::Eval {
            rules,
            facts,
            format,
            escalate,
            reason,
            questions,
            answered,
            explain,
        } => {
            let rs = load_one(rules.as_deref())?;
            let text = read_input(&facts)?;
            let parsed = match rs.facts_from_json(&text) {
                Ok(f) => f,
                Err(e) => {
                    return report(&e, format, 1);
                }
            };
            let request = thresholds::Request {
                options: Options::default(),
                escalation: escalate
                    .zip(reason)
                    .map(|(level, reason)| Escalation { level, reason }),
                questions,
                answered,
                summary: false,
                explain,
            };
            let d = match rs.evaluate_request(&parsed, &request) {
                Ok(d) => d,
                Err(e) => {
                    return report(&e, format, 2);
                }
            };
            match format {
                Format::Json => {
                    out!("{}", d.to_json())
                }
                Format::Text => {
                    out_raw!("{}", rs.summary(&d, Some(&parsed)).text);
                    if let Some(x) = &d.explain {
                        out_raw!("\n{}", x.text());
                    }
                }
            }
            Ok(0)
        }
        Command::Test { paths, coverage } => {
            let mut sets = Vec::new();
            if paths.is_empty() {
                sets.push(("(shipped rules)".to_string(), load_one(None)?));
            } else {
                let mut found = Vec::new();
                for p in &paths {
                    discover(p, &mut found)?;
                }
                for f in found {
                    match Ruleset::from_sources(f.files) {
                        Ok(rs) => sets.push((f.label, rs)),
                        Err(e) => {
                            eprintln!("{}", e.render());
                            return Ok(1);
                        }
                    }
                }
            }
            let (mut passed, mut failed, mut unfired) = (0, 0, 0);
            for (label, rs) in &sets {
                let report = rs.run_tests();
                for r in &report.results {
                    if !r.passed() {
                        out!("FAIL {}:{} {}", r.file, r.line, r.name);
                        for f in &r.failures {
                            out!("     {f}");
                        }
                    }
                }
                out!(
                    "{label}: {} passed, {} failed",
                    report.passed(),
                    report.failed()
                );
                passed += report.passed();
                failed += report.failed();
                if coverage {
                    for id in &report.unfired_rules {
                        out!("  not fired by any test: {id}");
                    }
                    unfired += report.unfired_rules.len();
                }
            }
            out!("test result: {passed} passed, {failed} failed");
            if coverage {
                out!("coverage: {unfired} rules not fired by any test");
            }
            Ok(u8::from(failed > 0 || unfired > 0))
        }
        Command::Fmt { check, paths } => {
            let mut found = Vec::new();
            for p in &paths {
                discover(p, &mut found)?;
            }
            let mut bad = 0;
            for (name, text) in found.iter().flat_map(|f| f.files.iter()) {
                match thresholds::format_source(name, text) {
                    Ok(out) if out == *text => {}
                    Ok(out) => {
                        if check {
                            out!("not formatted: {name}");
                            bad += 1;
                        } else {
                            std::fs::write(name, out)
                                .map_err(|e| format!("cannot write {name}: {e}"))?;
                            out!("formatted: {name}");
                        }
                    }
                    Err(e) => {
                        eprintln!("{}", e.render());
                        bad += 1;
                    }
                }
            }
            Ok(u8::from(bad > 0))
        }
        Command::Compare {
            old,
            new,
            facts,
            format,
        } => {
            let (old, new) = (load_one(Some(&old))?, load_one(Some(&new))?);
            let text = read_input(&facts)?;
            let result = thresholds::referrals_from_text(&text)
                .and_then(|r| thresholds::compare(&old, &new, &r));
            let c = match result {
                Ok(c) => c,
                Err(e) => {
                    return report(&e, format, 1);
                }
            };
            match format {
                Format::Json => {
                    out!("{}", serde_json::to_string(&c).map_err(|e| e.to_string())?)
                }
                Format::Text => out_raw!("{}", comparison_text(&old, &new, &c)),
            }
            Ok(0)
        }
        Command::Interview {
            rules,
            cases,
            format,
        } => interview(&load_one(rules.as_deref())?, &read_input(&cases)?, format),
        Command::Facts { rules } => {
            out!("{}", load_one(rules.as_deref())?.facts_json());
            Ok(0)
        }
        Command::Compile { path, output } => {
            let rs = load_one(path.as_deref())?;
            let bytes = rs.to_precompiled().map_err(|e| e.render())?;
            std::fs::write(&output, &bytes)
                .map_err(|e| format!("cannot write {}: {e}", output.display()))?;
            out!(
                "{}: {} {} ({}), {} bytes",
                output.display(),
                rs.name(),
                rs.version(),
                rs.hash(),
                bytes.len()
            );
            Ok(0)
        }
        Command::Info { rules } => {
            out!("{}", load_one(rules.as_deref())?.info_json());
            Ok(0)
        }
        Command::Analyze { path, format } => {
            let rs = load_one(path.as_deref())?;
            let a = match rs.analyze() {
                Ok(a) => a,
                Err(e) => return report(&e, format, 1),
            };
            match format {
                Format::Json => out!("{}", a.to_json()),
                Format::Text => out_raw!("{}", a.text()),
            }
            Ok(u8::from(!a.passed()))
        }
        Command::Diff {
            old,
            new,
            facts,
            format,
        } => {
            let (old, new) = (load_one(Some(&old))?, load_one(Some(&new))?);
            let d = match old.diff(&new) {
                Ok(d) => d,
                Err(e) => return report(&e, format, 1),
            };
            let comparison = match facts {
                None => None,
                Some(f) => {
                    let text = read_input(&f)?;
                    match thresholds::referrals_from_text(&text)
                        .and_then(|r| thresholds::compare(&old, &new, &r))
                    {
                        Ok(c) => Some(c),
                        Err(e) => return report(&e, format, 1),
                    }
                }
            };
            match format {
                Format::Json => out!(
                    "{}",
                    serde_json::json!({"diff": d, "comparison": comparison})
                ),
                Format::Text => {
                    out_raw!("{}", d.text());
                    if let Some(c) = &comparison {
                        out_raw!(
                            "\nOver the referrals given:\n{}",
                            comparison_text(&old, &new, c)
                        );
                    }
                }
            }
            Ok(0)
        }
        Command::Lsp => thresholds_lsp::serve_stdio().map(|()| 0),
    }
}

/// The decision as a practitioner reads it: level, what to do, why, what is still unknown.
/// The interview protocol over a list of cases, with medians and maxima.
fn interview(rs: &Ruleset, text: &str, format: Format) -> Result<u8, String> {
    let cases: Vec<serde_json::Value> = match serde_json::from_str(text) {
        Ok(serde_json::Value::Array(a)) => a,
        Ok(_) => return Err("cases are a JSON array of {\"id\", \"facts\"}".to_string()),
        Err(e) => return Err(format!("cases are not valid JSON: {e}")),
    };
    let mut runs = Vec::new();
    for (i, c) in cases.iter().enumerate() {
        let id = c
            .get("id")
            .and_then(serde_json::Value::as_str)
            .map_or_else(|| format!("#{i}"), str::to_string);
        let Some(facts) = c.get("facts") else {
            return Err(format!("case {id} has no `facts`"));
        };
        let facts = match rs.facts_from_value(facts) {
            Ok(f) => f,
            Err(e) => {
                eprintln!("case {id}:");
                return report(&e, format, 1);
            }
        };
        runs.push((id, rs.interview(&facts)));
    }
    let median = |mut v: Vec<usize>| -> f64 {
        v.sort_unstable();
        let n = v.len();
        let at = |i: usize| v.get(i).copied().unwrap_or(0) as f64;
        if n % 2 == 1 {
            at(n / 2)
        } else {
            (at((n / 2).saturating_sub(1)) + at(n / 2)) / 2.0
        }
    };
    let to_level: Vec<usize> = runs.iter().map(|(_, r)| r.answers_to_level).collect();
    let to_complete: Vec<usize> = runs.iter().map(|(_, r)| r.answers_to_complete).collect();
    let (med_level, med_complete) = (median(to_level.clone()), median(to_complete.clone()));
    let max_level = to_level.iter().max().copied().unwrap_or(0);
    let max_complete = to_complete.iter().max().copied().unwrap_or(0);
    let summary = serde_json::json!({
        "cases": runs.len(),
        "median_to_level": med_level,
        "median_to_complete": med_complete,
        "max_to_level": max_level,
        "max_to_complete": max_complete,
    });
    match format {
        Format::Json => {
            let cases: Vec<serde_json::Value> = runs
                .iter()
                .map(|(id, r)| {
                    let mut v = serde_json::to_value(r).unwrap_or_default();
                    if let Some(m) = v.as_object_mut() {
                        m.insert("id".to_string(), serde_json::Value::String(id.clone()));
                    }
                    v
                })
                .collect();
            out!("{}", serde_json::json!({"summary": summary, "runs": cases}));
        }
        Format::Text => {
            let w = runs
                .iter()
                .map(|(id, _)| id.len())
                .max()
                .unwrap_or(4)
                .max(4);
            out!("{:<w$}  {:>5}  {:>8}  level", "case", "level", "complete");
            for (id, r) in &runs {
                out!(
                    "{id:<w$}  {:>5}  {:>8}  {}",
                    r.answers_to_level,
                    r.answers_to_complete,
                    r.level.as_deref().unwrap_or("-")
                );
            }
            out!(
                "\n{} cases: median {} answers until the level shown is final, {} until complete; \
                 at most {} and {}",
                runs.len(),
                med_level,
                med_complete,
                max_level,
                max_complete
            );
        }
    }
    Ok(0)
}

/// Reports an error: its JSON on standard output for `--format json`, rendered on standard
/// error always; `code` is the exit code.
fn report(e: &thresholds::Error, format: Format, code: u8) -> Result<u8, String> {
    if format == Format::Json {
        out!("{}", e.to_json());
    }
    eprintln!("{}", e.render());
    Ok(code)
}

/// Standard input for `-`, otherwise the file.
fn read_input(path: &Path) -> Result<String, String> {
    if path.as_os_str() == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| format!("cannot read standard input: {e}"))?;
        Ok(s)
    } else {
        std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
    }
}

/// The comparison for a rule author: counts first, then each changed referral.
fn comparison_text(old: &Ruleset, new: &Ruleset, c: &thresholds::Comparison) -> String {
    let level = |l: &Option<String>| l.clone().unwrap_or_else(|| "(no level)".to_string());
    let mut s = format!(
        "{} of {} referrals change level or pathways ({} {} → {} {}).\n\nLevels (old → new: referrals):\n",
        c.changed,
        c.total,
        old.name(),
        old.version(),
        new.name(),
        new.version()
    );
    for t in &c.transitions {
        let mark = if t.from == t.to { "" } else { "  *" };
        s.push_str(&format!(
            "  {} → {}: {}{mark}\n",
            level(&t.from),
            level(&t.to),
            t.count
        ));
    }
    if !c.pathways.is_empty() {
        s.push_str("\nPathways (gained / lost):\n");
        for p in &c.pathways {
            s.push_str(&format!("  {}: +{} / -{}\n", p.pathway, p.added, p.removed));
        }
    }
    if !c.changes.is_empty() {
        s.push_str("\nChanged referrals:\n");
        for ch in &c.changes {
            s.push_str(&format!(
                "  #{}: {} → {}; pathways [{}] → [{}]\n",
                ch.index,
                level(&ch.old.level),
                level(&ch.new.level),
                ch.old.pathways.join(", "),
                ch.new.pathways.join(", ")
            ));
        }
    }
    s
}
