//! Standard 5-year age groups of cancer statistics (SEER/NAACCR "age recode with <1 year olds
//! grouped with 1-4"): `00-04`, `05-09`, ..., `80-84`, and `85+` for 85 and older. 18 groups.
//! Age at diagnosis `999` (unknown) and anything that is not an age has no group.

/// The groups in order; [`age_group`] returns one of these.
pub const AGE_GROUPS: [&str; 18] = [
    "00-04", "05-09", "10-14", "15-19", "20-24", "25-29", "30-34", "35-39", "40-44", "45-49",
    "50-54", "55-59", "60-64", "65-69", "70-74", "75-79", "80-84", "85+",
];

/// Age in years -> group; ages above 120 (no valid NAACCR age) have none.
pub fn age_group_of_years(age: u16) -> Option<&'static str> {
    if age > 120 {
        return None;
    }
    AGE_GROUPS
        .get(usize::from(age / 5).min(AGE_GROUPS.len() - 1))
        .copied()
}

/// NAACCR Age at Diagnosis [230] code (`000`..`120`, `999` unknown) -> group.
pub fn age_group(age_at_diagnosis: &str) -> Option<&'static str> {
    let code = age_at_diagnosis.trim();
    if code.is_empty() || code.len() > 3 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    code.parse().ok().and_then(age_group_of_years)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundaries() {
        assert_eq!(age_group("000"), Some("00-04"));
        assert_eq!(age_group("004"), Some("00-04"));
        assert_eq!(age_group("005"), Some("05-09"));
        assert_eq!(age_group("084"), Some("80-84"));
        assert_eq!(age_group("085"), Some("85+"));
        assert_eq!(age_group("120"), Some("85+"));
        assert_eq!(age_group("999"), None);
        assert_eq!(age_group("121"), None);
        assert_eq!(age_group(""), None);
        assert_eq!(age_group("-5"), None);
        assert_eq!(age_group("１２"), None);
        for a in 0..=120u16 {
            let g = age_group_of_years(a).unwrap();
            assert!(AGE_GROUPS.contains(&g));
        }
    }
}
