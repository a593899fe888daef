//! The corpus stays alive: every rule set under `rules/` checks, passes its own tests and is
//! formatted; the embedded default is the shipped rule set.

use std::path::{Path, PathBuf};

use thresholds::Ruleset;

fn rule_sets(dir: &Path, out: &mut Vec<(PathBuf, Vec<(String, String)>)>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    let files: Vec<(String, String)> = entries
        .iter()
        .filter(|p| p.extension().is_some_and(|x| x == "thr"))
        .map(|p| (p.display().to_string(), std::fs::read_to_string(p).unwrap()))
        .collect();
    if !files.is_empty() {
        out.push((dir.to_path_buf(), files));
    }
    for d in entries.iter().filter(|p| p.is_dir()) {
        rule_sets(d, out);
    }
}

#[test]
fn every_rule_set_checks_passes_its_tests_and_is_formatted() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../rules");
    let mut sets = Vec::new();
    rule_sets(&root, &mut sets);
    assert!(
        sets.len() >= 2,
        "expected the shipped rules and examples under rules/"
    );
    for (dir, files) in sets {
        for (name, text) in &files {
            let formatted = thresholds::format_source(name, text)
                .unwrap_or_else(|e| panic!("{name}: {}", e.to_json()));
            assert_eq!(
                &formatted, text,
                "{name} is not formatted: run `thresholds fmt rules/`"
            );
        }
        let rs = Ruleset::from_sources(files)
            .unwrap_or_else(|e| panic!("{}: {}", dir.display(), e.to_json()));
        let report = rs.run_tests();
        assert!(!report.results.is_empty(), "{} has no tests", dir.display());
        let failed: Vec<_> = report.results.iter().filter(|r| !r.passed()).collect();
        assert!(
            failed.is_empty(),
            "{}: failing tests: {failed:#?}",
            dir.display()
        );
    }
}

#[test]
fn the_builtin_rules_are_the_shipped_directory() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../rules/threshold");
    let mut sets = Vec::new();
    rule_sets(&root, &mut sets);
    let (_, files) = sets.into_iter().next().unwrap();
    let from_disk = Ruleset::from_sources(files).unwrap();
    let builtin = Ruleset::builtin().unwrap();
    assert_eq!(builtin.hash(), from_disk.hash());
    assert_eq!(builtin.rule_ids(), from_disk.rule_ids());
}
