//! The workload as a GoRules JDM decision graph run by `zen-engine`: an expression node for the
//! matrices, a collect decision table with one row per rule, and an expression node that combines.

use serde_json::{json, Value};

fn list(items: &[&str]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| format!("'{s}'")).collect();
    format!("[{}]", quoted.join(", "))
}

use crate::workload::{CCE_HIGH, CCE_LOW, CCE_MEDIUM, CSE_HIGH, CSE_LOW, CSE_MEDIUM, PATHWAYS};

const AGE_LT13: &str = "(age_years != null and age_years < 13)";
const AGE_13_15: &str = "(age_years != null and age_years >= 13 and age_years <= 15)";
const ACTIVE: &str = "sexual_activity in ['non_penetrative', 'penetrative']";

/// The rules: condition, rank, pathways, domain of a level 2 indicator.
fn rules() -> Vec<(String, u8, Vec<&'static str>, Option<&'static str>)> {
    let s = |x: &str| x.to_string();
    let mut r: Vec<(String, u8, Vec<&'static str>, Option<&'static str>)> = vec![
        (s("m.cse == 'low'"), 2, vec![], None),
        (s("m.cse == 'medium'"), 3, vec!["exploitation_panel"], None),
        (s("m.cse == 'high'"), 4, vec!["strategy_discussion", "exploitation_panel"], None),
        (s("m.cce == 'low'"), 2, vec![], None),
        (s("m.cce == 'medium'"), 3, vec!["exploitation_panel"], None),
        (s("m.cce == 'high'"), 4, vec!["strategy_discussion", "exploitation_panel"], None),
        (s("m.o4"), 3, vec![], None),
        (s("immediate_danger == true"), 4, vec!["call_999"], None),
        (format!("{AGE_LT13} and {ACTIVE}"), 4, vec!["strategy_discussion", "irh_phone_now"], None),
        (
            format!("{AGE_13_15} and {ACTIVE} and (sexual_coercion == true or (sexual_partner_age_gap_years != null and sexual_partner_age_gap_years >= 5))"),
            3,
            vec![],
            None,
        ),
        (s("disclosed_abuse == true or injury_unexplained == true"), 4, vec![], None),
        (
            s("unborn == true and (previous_children_removed == true or sibling_on_cp_plan == true or risky_adult_in_household == true or parent_under_18 == true or concealed_pregnancy == true or domestic_abuse in ['current', 'high_risk'] or parental_mental_health == 'significant_impact' or parental_substance_misuse == 'significant_impact')"),
            3,
            vec!["pre_birth_assessment"],
            None,
        ),
        (s("non_mobile_infant == true and injury_unexplained == true"), 4, vec![], None),
        (s("fgm == 'known_performed'"), 4, vec!["police_fgm_report"], None),
        (s("fgm == 'at_risk'"), 4, vec![], None),
        (s("allegation_against_professional == true"), 1, vec!["lado"], None),
        (s("radicalisation_concern == true"), 1, vec!["prevent"], None),
        (s("domestic_abuse == 'high_risk'"), 4, vec!["marac"], None),
    ];
    let missing =
        |n: i64| format!("(missing_episodes_90d != null and missing_episodes_90d >= {n})");
    for c in [
        format!("{AGE_LT13} and pregnant == true"),
        format!("{AGE_LT13} and sti == true"),
        s("fabricated_illness_suspected == true"),
        s("trafficking_suspected == true"),
        s("forced_marriage_or_hbv == true"),
        s("suicidal_plans == true"),
        missing(5),
        s("neglect == 'chronic'"),
        s("basic_care == 'inadequate'"),
        s("risky_adult_in_household == true"),
    ] {
        r.push((c, 4, vec![], None));
    }
    for c in [
        s("school_attendance in ['persistent_absence', 'not_in_education']"),
        s("exclusion in ['at_risk_permanent', 'permanent']"),
        s("pregnant == true"),
        s("self_harm == 'repeated'"),
        missing(2),
        s("homeless == true and age_years != null and age_years >= 16 and age_years <= 17"),
        s("privately_fostered == true"),
        s("parental_substance_misuse == 'significant_impact'"),
        s("parental_mental_health == 'significant_impact'"),
        s("parental_learning_disability == true and basic_care in ['inconsistent', 'inadequate']"),
        s("parent_engagement == 'refuses'"),
        s("domestic_abuse == 'current'"),
        s("housing == 'temporary_or_overcrowded' and financial_hardship == true"),
        s("housing == 'homeless_family'"),
        s("young_carer == 'significant'"),
    ] {
        r.push((c, 3, vec![], None));
    }
    for (c, d) in [
        (s("school_attendance == 'some_absence'"), "developmental"),
        (s("exclusion == 'fixed_term'"), "developmental"),
        (s("self_harm == 'single'"), "developmental"),
        (missing(1), "developmental"),
        (format!("{AGE_13_15} and {ACTIVE}"), "developmental"),
        (s("sen_disability == true"), "developmental"),
        (s("basic_care == 'inconsistent'"), "parenting"),
        (s("parental_substance_misuse == 'some_impact'"), "parenting"),
        (s("parental_mental_health == 'some_impact'"), "parenting"),
        (s("parent_engagement == 'inconsistent'"), "parenting"),
        (s("neglect == 'some_concerns'"), "parenting"),
        (s("young_carer == 'some'"), "family"),
        (s("housing == 'poor'"), "family"),
        (s("financial_hardship == true"), "family"),
        (s("parent_in_prison == true"), "family"),
        (s("no_recourse_public_funds == true"), "family"),
        (s("domestic_abuse == 'historic'"), "family"),
    ] {
        r.push((c, 2, vec![], Some(d)));
    }
    r
}

fn category(prefix: &str) -> String {
    format!(
        "$.{prefix}_h >= 1 or $.{prefix}_m >= 2 ? 'high' : ($.{prefix}_m >= 1 or $.{prefix}_l >= 4 ? 'medium' : ($.{prefix}_l >= 1 ? 'low' : 'none'))"
    )
}

/// The JDM graph, as JSON.
pub fn graph() -> Value {
    let count = |set: &str, codes: &[&str]| format!("count({set} ?? [], # in {})", list(codes));
    let mut exprs: Vec<(String, String)> = vec![
        ("cse_l".into(), count("cse_indicators", CSE_LOW)),
        ("cse_m".into(), count("cse_indicators", CSE_MEDIUM)),
        ("cse_h".into(), count("cse_indicators", CSE_HIGH)),
        ("cse_raw".into(), category("cse")),
        (
            "o4".into(),
            format!(
                "len(cse_indicators ?? []) >= 1 and ({AGE_LT13} or learning_disability == true)"
            ),
        ),
        (
            "cse".into(),
            "$.o4 and $.cse_raw in ['none', 'low'] ? 'medium' : $.cse_raw".into(),
        ),
        ("cce_l".into(), count("cce_indicators", CCE_LOW)),
        ("cce_m".into(), count("cce_indicators", CCE_MEDIUM)),
        ("cce_h".into(), count("cce_indicators", CCE_HIGH)),
        ("cce".into(), category("cce")),
    ];
    let matrices: Vec<Value> = exprs
        .drain(..)
        .enumerate()
        .map(|(i, (k, v))| json!({"id": format!("m{i}"), "key": k, "value": v}))
        .collect();

    let rows: Vec<Value> = rules()
        .into_iter()
        .enumerate()
        .map(|(i, (cond, rank, pathways, domain))| {
            let mut row = json!({
                "_id": format!("r{i}"),
                "when": cond,
                "rank": rank.to_string(),
                "pathways": list(&pathways),
            });
            if let (Some(d), Some(obj)) = (domain, row.as_object_mut()) {
                obj.insert("domain".into(), Value::from(format!("'{d}'")));
            }
            row
        })
        .collect();

    let combine = [
        ("l2", "filter(hits, #.domain != null)".to_string()),
        (
            "domains",
            "(some($.l2, #.domain == 'developmental') ? 1 : 0) + (some($.l2, #.domain == 'parenting') ? 1 : 0) + (some($.l2, #.domain == 'family') ? 1 : 0)".to_string(),
        ),
        (
            "rank",
            "max(flatten([[1], map(hits, #.rank), len($.l2) >= 3 and $.domains >= 2 ? [3] : []]))".to_string(),
        ),
        (
            "fired",
            "flatten(flatten([map(hits, #.pathways), [$.rank == 1 ? ['universal_services'] : [], $.rank == 2 ? ['early_help_assessment'] : [], $.rank == 3 ? ['irh_marf'] : [], $.rank == 4 ? ['irh_phone_now', 'strategy_discussion'] : [], $.rank == 2 and consent == 'refused' ? ['consult_dsl'] : []]]))".to_string(),
        ),
    ];
    let decision = [
        (
            "level",
            "['universal', 'early_help', 'complex', 'acute'][c.rank - 1]".to_string(),
        ),
        (
            "pathways",
            format!("filter({}, # in c.fired)", list(PATHWAYS)),
        ),
        ("cse", "m.cse".to_string()),
        ("cce", "m.cce".to_string()),
    ];
    let decision: Vec<Value> = decision
        .iter()
        .enumerate()
        .map(|(i, (k, v))| json!({"id": format!("d{i}"), "key": k, "value": v}))
        .collect();
    let combine: Vec<Value> = combine
        .iter()
        .enumerate()
        .map(|(i, (k, v))| json!({"id": format!("c{i}"), "key": k, "value": v}))
        .collect();

    json!({
        "nodes": [
            {"id": "input", "name": "request", "type": "inputNode", "content": {}},
            {"id": "matrices", "name": "matrices", "type": "expressionNode",
             "content": {"expressions": matrices, "passThrough": true, "outputPath": "m", "inputField": null, "executionMode": "single"}},
            {"id": "rules", "name": "rules", "type": "decisionTableNode",
             "content": {"hitPolicy": "collect", "passThrough": true, "outputPath": "hits", "inputField": null, "executionMode": "single",
                         "inputs": [{"id": "when", "name": "When"}],
                         "outputs": [{"id": "rank", "name": "Rank", "field": "rank"},
                                     {"id": "pathways", "name": "Pathways", "field": "pathways"},
                                     {"id": "domain", "name": "Domain", "field": "domain"}],
                         "rules": rows}},
            {"id": "combine", "name": "combine", "type": "expressionNode",
             "content": {"expressions": combine, "passThrough": true, "inputField": null, "outputPath": "c", "executionMode": "single"}},
            {"id": "decision", "name": "decision", "type": "expressionNode",
             "content": {"expressions": decision, "passThrough": false, "inputField": null, "outputPath": null, "executionMode": "single"}},
            {"id": "output", "name": "response", "type": "outputNode", "content": {}}
        ],
        "edges": [
            {"id": "e1", "sourceId": "input", "targetId": "matrices"},
            {"id": "e2", "sourceId": "matrices", "targetId": "rules"},
            {"id": "e3", "sourceId": "rules", "targetId": "combine"},
            {"id": "e4", "sourceId": "combine", "targetId": "decision"},
            {"id": "e5", "sourceId": "decision", "targetId": "output"}
        ]
    })
}
