# The benchmark workload (shared/perf/WORKLOAD.md) as a Rego policy. Entry point: data.workload.decision.
# An absent fact leaves its comparisons undefined, so it never fires a rule.
package workload

import rego.v1

cse_low := {"going_missing", "late_nights", "sexualised_risk_taking", "unexplained_gifts", "unknown_adults", "peers_at_risk", "reduced_family_contact", "sti", "drugs_alcohol", "poor_self_image", "eating_disorder", "superficial_self_harm"}
cse_medium := {"cars_with_unknown_adults", "known_exploitative_adults", "online_grooming", "clipping", "assault_disclosed_withdrawn"}
cse_high := {"older_controlling_partner", "sex_exchanged", "missing_overnight", "exploitation_hotspots", "trafficked"}
cce_low := {"unexplained_money", "older_peers", "going_missing", "school_exclusion", "drugs_use"}
cce_medium := {"multiple_phones", "found_out_of_area", "gang_association", "arrested_with_drugs"}
cce_high := {"carrying_weapon", "drug_debt", "threats_to_family", "county_lines_travel", "unexplained_injuries"}

order := ["call_999", "irh_phone_now", "strategy_discussion", "irh_marf", "pre_birth_assessment", "early_help_assessment", "exploitation_panel", "police_fgm_report", "lado", "prevent", "marac", "universal_services", "consult_dsl"]
levels := ["universal", "early_help", "complex", "acute"]
rank_of := {"none": 0, "low": 1, "medium": 2, "high": 3}

cse_codes := {c | some c in input.cse_indicators}
cce_codes := {c | some c in input.cce_indicators}

category(codes, low, medium, high) := "high" if {
	count(codes & high) >= 1
} else := "high" if {
	count(codes & medium) >= 2
} else := "medium" if {
	count(codes & medium) >= 1
} else := "medium" if {
	count(codes & low) >= 4
} else := "low" if {
	count(codes & low) >= 1
} else := "none"

cse_raw := category(cse_codes, cse_low, cse_medium, cse_high)
cce := category(cce_codes, cce_low, cce_medium, cce_high)

under_13 if input.age_years < 13
aged_13_15 if {
	input.age_years >= 13
	input.age_years <= 15
}
sexually_active if input.sexual_activity in {"non_penetrative", "penetrative"}

# O4: a CSE code and (under 13 or a learning disability): CSE at least medium.
o4 if {
	count(cse_codes) >= 1
	under_13
}
o4 if {
	count(cse_codes) >= 1
	input.learning_disability == true
}

cse := "medium" if {
	o4
	rank_of[cse_raw] < 2
} else := cse_raw

# Each fired rule: [rank, pathways].
hits contains [rank, []] if {
	some cat in [cse, cce]
	rank := {"low": 2}[cat]
}
hits contains [3, ["exploitation_panel"]] if "medium" in {cse, cce}
hits contains [4, ["strategy_discussion", "exploitation_panel"]] if "high" in {cse, cce}
hits contains [3, []] if o4

hits contains [4, ["call_999"]] if input.immediate_danger == true
hits contains [4, ["strategy_discussion", "irh_phone_now"]] if {
	under_13
	sexually_active
}
hits contains [3, []] if {
	aged_13_15
	sexually_active
	input.sexual_coercion == true
}
hits contains [3, []] if {
	aged_13_15
	sexually_active
	input.sexual_partner_age_gap_years >= 5
}
hits contains [4, []] if input.disclosed_abuse == true
hits contains [4, []] if input.injury_unexplained == true
hits contains [3, ["pre_birth_assessment"]] if {
	input.unborn == true
	pre_birth_risk
}
pre_birth_risk if input.previous_children_removed == true
pre_birth_risk if input.sibling_on_cp_plan == true
pre_birth_risk if input.risky_adult_in_household == true
pre_birth_risk if input.parent_under_18 == true
pre_birth_risk if input.concealed_pregnancy == true
pre_birth_risk if input.domestic_abuse in {"current", "high_risk"}
pre_birth_risk if input.parental_mental_health == "significant_impact"
pre_birth_risk if input.parental_substance_misuse == "significant_impact"
hits contains [4, []] if {
	input.non_mobile_infant == true
	input.injury_unexplained == true
}
hits contains [4, ["police_fgm_report"]] if input.fgm == "known_performed"
hits contains [4, []] if input.fgm == "at_risk"
hits contains [1, ["lado"]] if input.allegation_against_professional == true
hits contains [1, ["prevent"]] if input.radicalisation_concern == true
hits contains [4, ["marac"]] if input.domestic_abuse == "high_risk"

# Level 4 indicators.
hits contains [4, []] if {
	under_13
	input.pregnant == true
}
hits contains [4, []] if {
	under_13
	input.sti == true
}
hits contains [4, []] if input.fabricated_illness_suspected == true
hits contains [4, []] if input.trafficking_suspected == true
hits contains [4, []] if input.forced_marriage_or_hbv == true
hits contains [4, []] if input.suicidal_plans == true
hits contains [4, []] if input.missing_episodes_90d >= 5
hits contains [4, []] if input.neglect == "chronic"
hits contains [4, []] if input.basic_care == "inadequate"
hits contains [4, []] if input.risky_adult_in_household == true

# Level 3 indicators.
hits contains [3, []] if input.school_attendance in {"persistent_absence", "not_in_education"}
hits contains [3, []] if input.exclusion in {"at_risk_permanent", "permanent"}
hits contains [3, []] if input.pregnant == true
hits contains [3, []] if input.self_harm == "repeated"
hits contains [3, []] if input.missing_episodes_90d >= 2
hits contains [3, []] if {
	input.homeless == true
	input.age_years >= 16
	input.age_years <= 17
}
hits contains [3, []] if input.privately_fostered == true
hits contains [3, []] if input.parental_substance_misuse == "significant_impact"
hits contains [3, []] if input.parental_mental_health == "significant_impact"
hits contains [3, []] if {
	input.parental_learning_disability == true
	input.basic_care in {"inconsistent", "inadequate"}
}
hits contains [3, []] if input.parent_engagement == "refuses"
hits contains [3, []] if input.domestic_abuse == "current"
hits contains [3, []] if {
	input.housing == "temporary_or_overcrowded"
	input.financial_hardship == true
}
hits contains [3, []] if input.housing == "homeless_family"
hits contains [3, []] if input.young_carer == "significant"

# Level 2 indicators: [id, domain].
l2 contains ["attendance", "developmental"] if input.school_attendance == "some_absence"
l2 contains ["exclusion", "developmental"] if input.exclusion == "fixed_term"
l2 contains ["self_harm", "developmental"] if input.self_harm == "single"
l2 contains ["missing", "developmental"] if input.missing_episodes_90d >= 1
l2 contains ["sexually_active", "developmental"] if {
	aged_13_15
	sexually_active
}
l2 contains ["sen", "developmental"] if input.sen_disability == true
l2 contains ["care", "parenting"] if input.basic_care == "inconsistent"
l2 contains ["substance_misuse", "parenting"] if input.parental_substance_misuse == "some_impact"
l2 contains ["mental_health", "parenting"] if input.parental_mental_health == "some_impact"
l2 contains ["engagement", "parenting"] if input.parent_engagement == "inconsistent"
l2 contains ["neglect", "parenting"] if input.neglect == "some_concerns"
l2 contains ["young_carer", "family"] if input.young_carer == "some"
l2 contains ["housing", "family"] if input.housing == "poor"
l2 contains ["hardship", "family"] if input.financial_hardship == true
l2 contains ["parent_in_prison", "family"] if input.parent_in_prison == true
l2 contains ["no_recourse", "family"] if input.no_recourse_public_funds == true
l2 contains ["historic_abuse", "family"] if input.domestic_abuse == "historic"

hits contains [2, []] if count(l2) >= 1
hits contains [3, []] if {
	count(l2) >= 3
	count({d | some [_, d] in l2}) >= 2
}

rank := max({1} | {r | some [r, _] in hits})
level := levels[rank - 1]

default_pathways := {
	1: ["universal_services"],
	2: ["early_help_assessment"],
	3: ["irh_marf"],
	4: ["irh_phone_now", "strategy_discussion"],
}

fired contains p if {
	some [_, ps] in hits
	some p in ps
}
fired contains p if some p in default_pathways[rank]
fired contains "consult_dsl" if {
	rank == 2
	input.consent == "refused"
}

decision := {
	"level": level,
	"pathways": [p | some p in order; p in fired],
	"cse": cse,
	"cce": cce,
}
