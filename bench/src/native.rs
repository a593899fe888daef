//! The workload written by hand in Rust over a typed struct: the limit the engines are measured against.

use serde::{Deserialize, Serialize};

use crate::workload::{
    CCE_HIGH, CCE_LOW, CCE_MEDIUM, CSE_HIGH, CSE_LOW, CSE_MEDIUM, LEVELS, PATHWAYS,
};

macro_rules! codes {
    ($name:ident { $($v:ident),* $(,)? }) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
        #[serde(rename_all = "snake_case")]
        #[expect(non_camel_case_types, reason = "variants are the wire codes")]
        pub enum $name { $($v),* }
    };
}

codes!(LegalStatus {
    none,
    cin_plan,
    cp_plan,
    looked_after,
    care_leaver
});
codes!(YoungCarer {
    none,
    some,
    significant
});
codes!(Attendance {
    good,
    some_absence,
    persistent_absence,
    not_in_education
});
codes!(Exclusion {
    none,
    fixed_term,
    at_risk_permanent,
    permanent
});
codes!(SexualActivity {
    none,
    non_penetrative,
    penetrative
});
codes!(Fgm {
    none,
    at_risk,
    known_performed
});
codes!(SelfHarm {
    none,
    single,
    repeated
});
codes!(Care {
    good,
    inconsistent,
    inadequate
});
codes!(Impact {
    none,
    some_impact,
    significant_impact
});
codes!(DomesticAbuse {
    none,
    historic,
    current,
    high_risk
});
codes!(Engagement {
    engaged,
    inconsistent,
    refuses
});
codes!(Housing {
    stable,
    poor,
    temporary_or_overcrowded,
    homeless_family
});
codes!(Neglect {
    none,
    some_concerns,
    chronic
});
codes!(Consent {
    given,
    refused,
    not_sought
});

/// One referral; an absent fact is `None`. Sets are kept as code strings and counted per tier.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[expect(
    dead_code,
    reason = "legal_status and found_out_of_area are in the vocabulary but no rule reads them"
)]
pub struct Referral {
    pub age_years: Option<i64>,
    pub unborn: Option<bool>,
    pub non_mobile_infant: Option<bool>,
    pub learning_disability: Option<bool>,
    pub sen_disability: Option<bool>,
    pub privately_fostered: Option<bool>,
    pub pregnant: Option<bool>,
    pub sti: Option<bool>,
    pub homeless: Option<bool>,
    pub legal_status: Option<LegalStatus>,
    pub young_carer: Option<YoungCarer>,
    pub school_attendance: Option<Attendance>,
    pub exclusion: Option<Exclusion>,
    pub immediate_danger: Option<bool>,
    pub injury_unexplained: Option<bool>,
    pub disclosed_abuse: Option<bool>,
    pub fabricated_illness_suspected: Option<bool>,
    pub suicidal_plans: Option<bool>,
    pub trafficking_suspected: Option<bool>,
    pub radicalisation_concern: Option<bool>,
    pub forced_marriage_or_hbv: Option<bool>,
    pub allegation_against_professional: Option<bool>,
    pub found_out_of_area: Option<bool>,
    pub sexual_activity: Option<SexualActivity>,
    pub sexual_coercion: Option<bool>,
    pub sexual_partner_age_gap_years: Option<i64>,
    pub fgm: Option<Fgm>,
    pub self_harm: Option<SelfHarm>,
    pub missing_episodes_90d: Option<i64>,
    pub basic_care: Option<Care>,
    pub parental_substance_misuse: Option<Impact>,
    pub parental_mental_health: Option<Impact>,
    pub parental_learning_disability: Option<bool>,
    pub risky_adult_in_household: Option<bool>,
    pub parent_in_prison: Option<bool>,
    pub financial_hardship: Option<bool>,
    pub no_recourse_public_funds: Option<bool>,
    pub previous_children_removed: Option<bool>,
    pub sibling_on_cp_plan: Option<bool>,
    pub parent_under_18: Option<bool>,
    pub concealed_pregnancy: Option<bool>,
    pub domestic_abuse: Option<DomesticAbuse>,
    pub parent_engagement: Option<Engagement>,
    pub housing: Option<Housing>,
    pub neglect: Option<Neglect>,
    pub cse_indicators: Option<Vec<String>>,
    pub cce_indicators: Option<Vec<String>>,
    pub consent: Option<Consent>,
}

/// Pathway bits, in the order of [`PATHWAYS`].
mod pw {
    pub const CALL_999: u16 = 1 << 0;
    pub const IRH_PHONE_NOW: u16 = 1 << 1;
    pub const STRATEGY_DISCUSSION: u16 = 1 << 2;
    pub const IRH_MARF: u16 = 1 << 3;
    pub const PRE_BIRTH_ASSESSMENT: u16 = 1 << 4;
    pub const EARLY_HELP_ASSESSMENT: u16 = 1 << 5;
    pub const EXPLOITATION_PANEL: u16 = 1 << 6;
    pub const POLICE_FGM_REPORT: u16 = 1 << 7;
    pub const LADO: u16 = 1 << 8;
    pub const PREVENT: u16 = 1 << 9;
    pub const MARAC: u16 = 1 << 10;
    pub const UNIVERSAL_SERVICES: u16 = 1 << 11;
    pub const CONSULT_DSL: u16 = 1 << 12;
}

/// A decision: level rank 1-4, pathway bits, CSE and CCE categories (0 none .. 3 high).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub rank: u8,
    pub pathways: u16,
    pub cse: u8,
    pub cce: u8,
}

const CATEGORIES: &[&str] = &["none", "low", "medium", "high"];

/// The decision as written to JSON.
#[derive(Debug, Serialize)]
struct Wire<'a> {
    level: &'a str,
    pathways: Vec<&'a str>,
    cse: &'a str,
    cce: &'a str,
}

impl Decision {
    /// Pathway ids, most urgent first.
    pub fn pathway_ids(&self) -> Vec<&'static str> {
        PATHWAYS
            .iter()
            .enumerate()
            .filter(|(i, _)| self.pathways & (1 << i) != 0)
            .map(|(_, p)| *p)
            .collect()
    }

    /// Level id.
    pub fn level_id(&self) -> &'static str {
        LEVELS
            .get(usize::from(self.rank).wrapping_sub(1))
            .copied()
            .unwrap_or("")
    }

    /// Category id.
    pub fn category(c: u8) -> &'static str {
        CATEGORIES.get(usize::from(c)).copied().unwrap_or("")
    }

    /// The decision JSON text.
    pub fn to_json(self) -> String {
        let w = Wire {
            level: self.level_id(),
            pathways: self.pathway_ids(),
            cse: Decision::category(self.cse),
            cce: Decision::category(self.cce),
        };
        serde_json::to_string(&w).unwrap_or_default()
    }
}

fn yes(b: Option<bool>) -> bool {
    b == Some(true)
}

fn category(codes: Option<&Vec<String>>, low: &[&str], medium: &[&str], high: &[&str]) -> u8 {
    let (mut l, mut m, mut h) = (0u32, 0u32, 0u32);
    for c in codes.into_iter().flatten() {
        let c = c.as_str();
        if low.contains(&c) {
            l += 1;
        } else if medium.contains(&c) {
            m += 1;
        } else if high.contains(&c) {
            h += 1;
        }
    }
    if h >= 1 || m >= 2 {
        3
    } else if m >= 1 || l >= 4 {
        2
    } else if l >= 1 {
        1
    } else {
        0
    }
}

/// Decides one referral.
pub fn decide(r: &Referral) -> Decision {
    use pw::*;
    let mut rank = 1u8;
    let mut p = 0u16;
    let mut hit = |k: u8, paths: u16| {
        rank = rank.max(k);
        p |= paths;
    };
    let age = r.age_years;
    let under13 = age.is_some_and(|a| a < 13);
    let age13_15 = age.is_some_and(|a| (13..=15).contains(&a));
    let active = matches!(
        r.sexual_activity,
        Some(SexualActivity::non_penetrative | SexualActivity::penetrative)
    );

    // Matrices, with the O4 floor on CSE.
    let mut cse = category(r.cse_indicators.as_ref(), CSE_LOW, CSE_MEDIUM, CSE_HIGH);
    let cce = category(r.cce_indicators.as_ref(), CCE_LOW, CCE_MEDIUM, CCE_HIGH);
    let any_cse = r.cse_indicators.as_ref().is_some_and(|c| !c.is_empty());
    if any_cse && (under13 || yes(r.learning_disability)) {
        cse = cse.max(2);
        hit(3, 0);
    }
    for c in [cse, cce] {
        match c {
            1 => hit(2, 0),
            2 => hit(3, EXPLOITATION_PANEL),
            3 => hit(4, STRATEGY_DISCUSSION | EXPLOITATION_PANEL),
            _ => {}
        }
    }

    // Overrides.
    if yes(r.immediate_danger) {
        hit(4, CALL_999);
    }
    if under13 && active {
        hit(4, STRATEGY_DISCUSSION | IRH_PHONE_NOW);
    }
    if age13_15
        && active
        && (yes(r.sexual_coercion) || r.sexual_partner_age_gap_years.is_some_and(|g| g >= 5))
    {
        hit(3, 0);
    }
    if yes(r.disclosed_abuse) || yes(r.injury_unexplained) {
        hit(4, 0);
    }
    if yes(r.unborn)
        && (yes(r.previous_children_removed)
            || yes(r.sibling_on_cp_plan)
            || yes(r.risky_adult_in_household)
            || yes(r.parent_under_18)
            || yes(r.concealed_pregnancy)
            || matches!(
                r.domestic_abuse,
                Some(DomesticAbuse::current | DomesticAbuse::high_risk)
            )
            || r.parental_mental_health == Some(Impact::significant_impact)
            || r.parental_substance_misuse == Some(Impact::significant_impact))
    {
        hit(3, PRE_BIRTH_ASSESSMENT);
    }
    if yes(r.non_mobile_infant) && yes(r.injury_unexplained) {
        hit(4, 0);
    }
    match r.fgm {
        Some(Fgm::known_performed) => hit(4, POLICE_FGM_REPORT),
        Some(Fgm::at_risk) => hit(4, 0),
        _ => {}
    }
    if yes(r.allegation_against_professional) {
        hit(1, LADO);
    }
    if yes(r.radicalisation_concern) {
        hit(1, PREVENT);
    }
    if r.domestic_abuse == Some(DomesticAbuse::high_risk) {
        hit(4, MARAC);
    }

    // Level 4 indicators.
    let missing = r.missing_episodes_90d.unwrap_or(0);
    if (under13 && (yes(r.pregnant) || yes(r.sti)))
        || yes(r.fabricated_illness_suspected)
        || yes(r.trafficking_suspected)
        || yes(r.forced_marriage_or_hbv)
        || yes(r.suicidal_plans)
        || missing >= 5
        || r.neglect == Some(Neglect::chronic)
        || r.basic_care == Some(Care::inadequate)
        || yes(r.risky_adult_in_household)
    {
        hit(4, 0);
    }

    // Level 3 indicators.
    if matches!(
        r.school_attendance,
        Some(Attendance::persistent_absence | Attendance::not_in_education)
    ) || matches!(
        r.exclusion,
        Some(Exclusion::at_risk_permanent | Exclusion::permanent)
    ) || yes(r.pregnant)
        || r.self_harm == Some(SelfHarm::repeated)
        || missing >= 2
        || (yes(r.homeless) && age.is_some_and(|a| (16..=17).contains(&a)))
        || yes(r.privately_fostered)
        || r.parental_substance_misuse == Some(Impact::significant_impact)
        || r.parental_mental_health == Some(Impact::significant_impact)
        || (yes(r.parental_learning_disability)
            && matches!(r.basic_care, Some(Care::inconsistent | Care::inadequate)))
        || r.parent_engagement == Some(Engagement::refuses)
        || r.domestic_abuse == Some(DomesticAbuse::current)
        || (r.housing == Some(Housing::temporary_or_overcrowded) && yes(r.financial_hardship))
        || r.housing == Some(Housing::homeless_family)
        || r.young_carer == Some(YoungCarer::significant)
    {
        hit(3, 0);
    }

    // Level 2 indicators by domain, and the step-up.
    let developmental = [
        r.school_attendance == Some(Attendance::some_absence),
        r.exclusion == Some(Exclusion::fixed_term),
        r.self_harm == Some(SelfHarm::single),
        missing >= 1,
        age13_15 && active,
        yes(r.sen_disability),
    ];
    let parenting = [
        r.basic_care == Some(Care::inconsistent),
        r.parental_substance_misuse == Some(Impact::some_impact),
        r.parental_mental_health == Some(Impact::some_impact),
        r.parent_engagement == Some(Engagement::inconsistent),
        r.neglect == Some(Neglect::some_concerns),
    ];
    let family = [
        r.young_carer == Some(YoungCarer::some),
        r.housing == Some(Housing::poor),
        yes(r.financial_hardship),
        yes(r.parent_in_prison),
        yes(r.no_recourse_public_funds),
        r.domestic_abuse == Some(DomesticAbuse::historic),
    ];
    let count = |xs: &[bool]| xs.iter().filter(|x| **x).count();
    let (d, pa, f) = (count(&developmental), count(&parenting), count(&family));
    if d + pa + f >= 1 {
        hit(2, 0);
    }
    if d + pa + f >= 3 && usize::from(d > 0) + usize::from(pa > 0) + usize::from(f > 0) >= 2 {
        hit(3, 0);
    }

    // Combination: the level's default pathways, and consent for early help.
    p |= match rank {
        1 => UNIVERSAL_SERVICES,
        2 => EARLY_HELP_ASSESSMENT,
        3 => IRH_MARF,
        _ => IRH_PHONE_NOW | STRATEGY_DISCUSSION,
    };
    if rank == 2 && r.consent == Some(Consent::refused) {
        p |= CONSULT_DSL;
    }
    Decision {
        rank,
        pathways: p,
        cse,
        cce,
    }
}

/// JSON text in, decision JSON text out: parse to the typed struct, decide, serialize.
pub fn json_to_json(text: &str) -> Result<String, serde_json::Error> {
    let r: Referral = serde_json::from_str(text)?;
    Ok(decide(&r).to_json())
}
