//! The fixed workload's vocabulary and a seeded generator of referrals.
//!
//! One generator feeds all four implementations: each referral is a JSON object of facts named as in
//! the domain reference (section 7); any fact may be absent.

use serde_json::{Map, Value};

/// CSE codes by tier: low, medium, high.
pub const CSE_LOW: &[&str] = &[
    "going_missing",
    "late_nights",
    "sexualised_risk_taking",
    "unexplained_gifts",
    "unknown_adults",
    "peers_at_risk",
    "reduced_family_contact",
    "sti",
    "drugs_alcohol",
    "poor_self_image",
    "eating_disorder",
    "superficial_self_harm",
];
/// Medium CSE codes.
pub const CSE_MEDIUM: &[&str] = &[
    "cars_with_unknown_adults",
    "known_exploitative_adults",
    "online_grooming",
    "clipping",
    "assault_disclosed_withdrawn",
];
/// High CSE codes.
pub const CSE_HIGH: &[&str] = &[
    "older_controlling_partner",
    "sex_exchanged",
    "missing_overnight",
    "exploitation_hotspots",
    "trafficked",
];
/// Low CCE codes.
pub const CCE_LOW: &[&str] = &[
    "unexplained_money",
    "older_peers",
    "going_missing",
    "school_exclusion",
    "drugs_use",
];
/// Medium CCE codes.
pub const CCE_MEDIUM: &[&str] = &[
    "multiple_phones",
    "found_out_of_area",
    "gang_association",
    "arrested_with_drugs",
];
/// High CCE codes.
pub const CCE_HIGH: &[&str] = &[
    "carrying_weapon",
    "drug_debt",
    "threats_to_family",
    "county_lines_travel",
    "unexplained_injuries",
];

/// Pathways in the order of urgency (domain reference, section 2), restricted to those the workload uses.
pub const PATHWAYS: &[&str] = &[
    "call_999",
    "irh_phone_now",
    "strategy_discussion",
    "irh_marf",
    "pre_birth_assessment",
    "early_help_assessment",
    "exploitation_panel",
    "police_fgm_report",
    "lado",
    "prevent",
    "marac",
    "universal_services",
    "consult_dsl",
];

/// Level ids, rank 1 first.
pub const LEVELS: &[&str] = &["universal", "early_help", "complex", "acute"];

/// How a fact's value is drawn when the fact is present.
enum Gen {
    /// True with this probability.
    Bool(f64),
    /// One of the codes, with weights.
    Enum(&'static [(&'static str, u32)]),
    /// An integer from weighted ranges `(lo, hi, weight)`.
    Int(&'static [(i64, i64, u32)]),
    /// 0-4 codes drawn from the low, medium and high tiers.
    Set(
        &'static [&'static str],
        &'static [&'static str],
        &'static [&'static str],
    ),
}

/// The facts and how they are drawn: values are biased toward the benign end.
const FACTS: &[(&str, Gen)] = &[
    ("age_years", Gen::Int(&[(0, 17, 1)])),
    ("unborn", Gen::Bool(0.02)),
    ("non_mobile_infant", Gen::Bool(0.03)),
    ("learning_disability", Gen::Bool(0.06)),
    ("sen_disability", Gen::Bool(0.08)),
    ("privately_fostered", Gen::Bool(0.015)),
    ("pregnant", Gen::Bool(0.015)),
    ("sti", Gen::Bool(0.015)),
    ("homeless", Gen::Bool(0.03)),
    (
        "legal_status",
        Gen::Enum(&[
            ("none", 80),
            ("cin_plan", 8),
            ("cp_plan", 5),
            ("looked_after", 5),
            ("care_leaver", 2),
        ]),
    ),
    (
        "young_carer",
        Gen::Enum(&[("none", 88), ("some", 6), ("significant", 3)]),
    ),
    (
        "school_attendance",
        Gen::Enum(&[
            ("good", 80),
            ("some_absence", 10),
            ("persistent_absence", 6),
            ("not_in_education", 4),
        ]),
    ),
    (
        "exclusion",
        Gen::Enum(&[
            ("none", 88),
            ("fixed_term", 5),
            ("at_risk_permanent", 3),
            ("permanent", 1),
        ]),
    ),
    ("immediate_danger", Gen::Bool(0.008)),
    ("injury_unexplained", Gen::Bool(0.01)),
    ("disclosed_abuse", Gen::Bool(0.01)),
    ("fabricated_illness_suspected", Gen::Bool(0.004)),
    ("suicidal_plans", Gen::Bool(0.008)),
    ("trafficking_suspected", Gen::Bool(0.004)),
    ("radicalisation_concern", Gen::Bool(0.01)),
    ("forced_marriage_or_hbv", Gen::Bool(0.004)),
    ("allegation_against_professional", Gen::Bool(0.01)),
    ("found_out_of_area", Gen::Bool(0.03)),
    (
        "sexual_activity",
        Gen::Enum(&[("none", 85), ("non_penetrative", 9), ("penetrative", 6)]),
    ),
    ("sexual_coercion", Gen::Bool(0.06)),
    (
        "sexual_partner_age_gap_years",
        Gen::Int(&[(0, 3, 90), (4, 9, 10)]),
    ),
    (
        "fgm",
        Gen::Enum(&[("none", 992), ("at_risk", 5), ("known_performed", 3)]),
    ),
    (
        "self_harm",
        Gen::Enum(&[("none", 88), ("single", 6), ("repeated", 3)]),
    ),
    (
        "missing_episodes_90d",
        Gen::Int(&[(0, 0, 85), (1, 1, 5), (2, 4, 5), (5, 9, 2)]),
    ),
    (
        "basic_care",
        Gen::Enum(&[("good", 88), ("inconsistent", 7), ("inadequate", 2)]),
    ),
    (
        "parental_substance_misuse",
        Gen::Enum(&[("none", 90), ("some_impact", 7), ("significant_impact", 3)]),
    ),
    (
        "parental_mental_health",
        Gen::Enum(&[("none", 88), ("some_impact", 6), ("significant_impact", 3)]),
    ),
    ("parental_learning_disability", Gen::Bool(0.05)),
    ("risky_adult_in_household", Gen::Bool(0.008)),
    ("parent_in_prison", Gen::Bool(0.03)),
    ("financial_hardship", Gen::Bool(0.10)),
    ("no_recourse_public_funds", Gen::Bool(0.04)),
    ("previous_children_removed", Gen::Bool(0.05)),
    ("sibling_on_cp_plan", Gen::Bool(0.05)),
    ("parent_under_18", Gen::Bool(0.05)),
    ("concealed_pregnancy", Gen::Bool(0.04)),
    (
        "domestic_abuse",
        Gen::Enum(&[
            ("none", 86),
            ("historic", 5),
            ("current", 5),
            ("high_risk", 1),
        ]),
    ),
    (
        "parent_engagement",
        Gen::Enum(&[("engaged", 88), ("inconsistent", 6), ("refuses", 3)]),
    ),
    (
        "housing",
        Gen::Enum(&[
            ("stable", 85),
            ("poor", 6),
            ("temporary_or_overcrowded", 5),
            ("homeless_family", 1),
        ]),
    ),
    (
        "neglect",
        Gen::Enum(&[("none", 90), ("some_concerns", 5), ("chronic", 2)]),
    ),
    ("cse_indicators", Gen::Set(CSE_LOW, CSE_MEDIUM, CSE_HIGH)),
    ("cce_indicators", Gen::Set(CCE_LOW, CCE_MEDIUM, CCE_HIGH)),
    (
        "consent",
        Gen::Enum(&[("given", 60), ("refused", 25), ("not_sought", 15)]),
    ),
];

/// A small deterministic generator (SplitMix64).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A float in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// An integer in `0..n` (n > 0).
    fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    fn weighted<'a, T>(&mut self, items: &'a [(T, u32)]) -> Option<&'a T> {
        let total: u64 = items.iter().map(|(_, w)| u64::from(*w)).sum();
        let mut x = self.below(total);
        for (t, w) in items {
            if x < u64::from(*w) {
                return Some(t);
            }
            x -= u64::from(*w);
        }
        None
    }
}

/// Draws one referral: about two thirds of the facts present.
pub fn referral(rng: &mut Rng) -> Value {
    let mut m = Map::new();
    for (name, gen) in FACTS {
        if rng.unit() >= 2.0 / 3.0 {
            continue;
        }
        let v = match gen {
            Gen::Bool(p) => Value::Bool(rng.unit() < *p),
            Gen::Enum(items) => match rng.weighted(items) {
                Some(code) => Value::from(*code),
                None => continue,
            },
            Gen::Int(ranges) => {
                let items: Vec<((i64, i64), u32)> =
                    ranges.iter().map(|(lo, hi, w)| ((*lo, *hi), *w)).collect();
                match rng.weighted(&items) {
                    Some((lo, hi)) => {
                        let span = u64::try_from(hi - lo + 1).unwrap_or(1);
                        Value::from(lo + i64::try_from(rng.below(span)).unwrap_or(0))
                    }
                    None => continue,
                }
            }
            Gen::Set(low, medium, high) => {
                let n = *rng
                    .weighted(&[(0usize, 62u32), (1, 16), (2, 10), (3, 7), (4, 5)])
                    .unwrap_or(&0);
                let mut codes: Vec<&str> = Vec::new();
                while codes.len() < n {
                    let tiers = [(*low, 82u32), (*medium, 12), (*high, 6)];
                    let Some(tier) = rng.weighted(&tiers).copied() else {
                        break;
                    };
                    let i = usize::try_from(rng.below(tier.len() as u64)).unwrap_or(0);
                    if let Some(c) = tier.get(i) {
                        if !codes.contains(c) {
                            codes.push(c);
                        }
                    }
                }
                Value::from(codes)
            }
        };
        m.insert((*name).to_string(), v);
    }
    Value::Object(m)
}

/// `n` referrals from `seed`.
pub fn referrals(seed: u64, n: usize) -> Vec<Value> {
    let mut rng = Rng::new(seed);
    (0..n).map(|_| referral(&mut rng)).collect()
}
