//! Which cases count for follow-up: the Commission on Cancer (CoC) rules, kept in this one
//! place. A patient is followed when at least one of their tumors is an eligible case.
//!
//! A tumor is **excluded** when any of these holds (checked in this order):
//! 1. non-analytic Class of Case [610] (analytic = `00`-`22`; `30`-`99` are not followed);
//! 2. the patient is a foreign resident: Next Follow-Up Source [1800] `8`, or an address at
//!    diagnosis / current address country [102, 1832] outside the United States and its
//!    territories;
//! 3. benign or borderline (Behavior [523] `0` or `1`);
//! 4. in situ cervix (Primary Site C53x with behavior `2`);
//! 5. basal and squamous cell carcinoma of the skin (C44x, histology 8000-8110);
//! 6. the patient is over 100 years old on the as-of date;
//! 7. diagnosed before 2005 (CoC 2021 standard: follow-up is required from 2005 on) or with no
//!    Date of Diagnosis [390].

use crate::naaccr::{Items, PartialDate};

/// US country codes (ISO alpha-3) that are not foreign residence, plus NAACCR's "US, NOS".
const US_COUNTRIES: &[&str] = &["USA", "PRI", "GUM", "VIR", "ASM", "MNP", "UMI", "ZZU"];

/// Why a tumor is not followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exclusion {
    NonAnalytic,
    ForeignResident,
    BenignOrBorderline,
    InSituCervix,
    SkinBasalSquamous,
    AgeOver100,
    DiagnosedBefore2005,
}

impl Exclusion {
    /// A phrase for reports.
    pub fn describe(self) -> &'static str {
        match self {
            Exclusion::NonAnalytic => "non-analytic class of case",
            Exclusion::ForeignResident => "foreign resident",
            Exclusion::BenignOrBorderline => "benign or borderline",
            Exclusion::InSituCervix => "in situ cervix",
            Exclusion::SkinBasalSquamous => "basal or squamous cell skin",
            Exclusion::AgeOver100 => "over 100 years old",
            Exclusion::DiagnosedBefore2005 => "diagnosed before 2005 or without a diagnosis date",
        }
    }
}

/// The first year of cases CoC requires follow-up for.
pub const FIRST_FOLLOWED_YEAR: u16 = 2005;

fn foreign(patient: &Items, tumor: &Items) -> bool {
    let abroad = |c: Option<&String>| c.is_some_and(|c| !US_COUNTRIES.contains(&c.as_str()));
    tumor.get("nextFollowUpSource").map(String::as_str) == Some("8")
        || abroad(tumor.get("addrAtDxCountry"))
        || abroad(patient.get("addrCurrentCountry"))
}

/// The patient items [`check`] reads.
pub const PATIENT_ITEMS: &[&str] = &["addrCurrentCountry", "dateOfBirth"];

/// The tumor items [`check`] reads.
pub const TUMOR_ITEMS: &[&str] = &[
    "classOfCase",
    "nextFollowUpSource",
    "addrAtDxCountry",
    "behaviorCodeIcdO3",
    "primarySite",
    "histologicTypeIcdO3",
    "dateOfDiagnosis",
];

/// Whether a tumor is an eligible case on `as_of`, and if so a short reason for the due list.
pub fn check(patient: &Items, tumor: &Items, as_of: &PartialDate) -> Result<String, Exclusion> {
    let class = tumor.get("classOfCase").map(String::as_str).unwrap_or("");
    let analytic = class.len() == 2 && class.parse::<u8>().is_ok_and(|c| c <= 22);
    if !analytic {
        return Err(Exclusion::NonAnalytic);
    }
    if foreign(patient, tumor) {
        return Err(Exclusion::ForeignResident);
    }
    let behavior = tumor.get("behaviorCodeIcdO3").map(String::as_str);
    if matches!(behavior, Some("0" | "1")) {
        return Err(Exclusion::BenignOrBorderline);
    }
    let site = tumor.get("primarySite").map(String::as_str).unwrap_or("");
    if site.starts_with("C53") && behavior == Some("2") {
        return Err(Exclusion::InSituCervix);
    }
    let histology: u16 = tumor
        .get("histologicTypeIcdO3")
        .and_then(|h| h.parse().ok())
        .unwrap_or(0);
    if site.starts_with("C44") && (8000..=8110).contains(&histology) {
        return Err(Exclusion::SkinBasalSquamous);
    }
    if let Some(birth) = patient
        .get("dateOfBirth")
        .and_then(|d| PartialDate::parse(d).ok())
    {
        if age_on(&birth, as_of).is_some_and(|age| age > 100) {
            return Err(Exclusion::AgeOver100);
        }
    }
    let dx = tumor
        .get("dateOfDiagnosis")
        .and_then(|d| PartialDate::parse(d).ok());
    let Some(dx) = dx.filter(|d| d.year >= FIRST_FOLLOWED_YEAR) else {
        return Err(Exclusion::DiagnosedBefore2005);
    };
    Ok(format!(
        "analytic case (class {class}) {} diagnosed {}",
        tumor
            .get("primarySite")
            .map(String::as_str)
            .unwrap_or("site unknown"),
        dx
    ))
}

/// Age in whole years on a date; a partial birth date counts from its earliest possible day.
pub fn age_on(birth: &PartialDate, on: &PartialDate) -> Option<i32> {
    let mut age = i32::from(on.year) - i32::from(birth.year);
    let (bm, om) = (birth.month.unwrap_or(1), on.month?);
    let (bd, od) = (birth.day.unwrap_or(1), on.day.unwrap_or(1));
    if (om, od) < (bm, bd) {
        age -= 1;
    }
    Some(age)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tumor(pairs: &[(&str, &str)]) -> Items {
        let mut t: Items = [
            ("classOfCase", "14"),
            ("behaviorCodeIcdO3", "3"),
            ("primarySite", "C504"),
            ("histologicTypeIcdO3", "8500"),
            ("dateOfDiagnosis", "20200105"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        for (k, v) in pairs {
            t.insert(k.to_string(), v.to_string());
        }
        t
    }

    #[test]
    fn each_exclusion() {
        let as_of = PartialDate::parse("20260601").unwrap();
        let p = Items::new();
        assert!(check(&p, &tumor(&[]), &as_of).is_ok());
        let cases = [
            (tumor(&[("classOfCase", "30")]), Exclusion::NonAnalytic),
            (
                tumor(&[("nextFollowUpSource", "8")]),
                Exclusion::ForeignResident,
            ),
            (
                tumor(&[("addrAtDxCountry", "CAN")]),
                Exclusion::ForeignResident,
            ),
            (
                tumor(&[("behaviorCodeIcdO3", "1")]),
                Exclusion::BenignOrBorderline,
            ),
            (
                tumor(&[("primarySite", "C539"), ("behaviorCodeIcdO3", "2")]),
                Exclusion::InSituCervix,
            ),
            (
                tumor(&[("primarySite", "C445"), ("histologicTypeIcdO3", "8090")]),
                Exclusion::SkinBasalSquamous,
            ),
            (
                tumor(&[("dateOfDiagnosis", "2004")]),
                Exclusion::DiagnosedBefore2005,
            ),
        ];
        for (t, expected) in cases {
            assert_eq!(check(&p, &t, &as_of), Err(expected));
        }
        let old: Items = [("dateOfBirth".to_string(), "19250101".to_string())].into();
        assert_eq!(check(&old, &tumor(&[]), &as_of), Err(Exclusion::AgeOver100));
        assert!(check(
            &p,
            &tumor(&[("primarySite", "C539"), ("behaviorCodeIcdO3", "3")]),
            &as_of
        )
        .is_ok());
        assert!(check(&p, &tumor(&[("addrAtDxCountry", "USA")]), &as_of).is_ok());
    }

    #[test]
    fn ages() {
        let d = |s| PartialDate::parse(s).unwrap();
        assert_eq!(age_on(&d("19260602"), &d("20260601")), Some(99));
        assert_eq!(age_on(&d("19260601"), &d("20260601")), Some(100));
    }
}
