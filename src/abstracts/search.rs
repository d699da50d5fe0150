//! Patient search terms: what a registrar types (a last name exactly, as a prefix or by
//! Soundex; a first name; a birth date or year; an SSN or its last four digits; a medical
//! record number; sex; facility), checked and turned into the filter the patient list runs on
//! its indexes.

use serde::Serialize;

use super::items::{check_item, ItemError};
use super::patients::Filter;
use super::Error;
use crate::naaccr::{Level, PartialDate};

/// How a last name is matched.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NameMatch {
    #[default]
    Exact,
    Prefix,
    Soundex,
}

/// A last-name condition on the stored search key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LastName {
    Exact(String),
    /// Keys from the first (inclusive) to the second (exclusive; none: no upper bound).
    Prefix(String, Option<String>),
    Soundex(String),
}

/// A birth-date condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Birth {
    Date(String),
    Year(u16),
}

/// An SSN condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ssn {
    Full(String),
    LastFour(String),
}

/// Search terms as a client sends them.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Terms {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patient_id_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub facility: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name_last: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name_match: Option<NameMatch>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name_first: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date_of_birth: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ssn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub medical_record_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sex: Option<String>,
}

/// The search key of a name: its letters, upper case (so `O'Brien` finds `OBRIEN`, and key
/// ranges order the same under any collation).
pub fn name_key(name: &str) -> Option<String> {
    let key: String = name
        .chars()
        .filter(|c| c.is_alphabetic())
        .flat_map(char::to_uppercase)
        .collect();
    (!key.is_empty()).then_some(key)
}

/// The first key after every key starting with `prefix` (A-Z keys), none when there is none.
fn prefix_end(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        if last < 'Z' && last.is_ascii_uppercase() {
            chars.push((last as u8 + 1) as char);
            return Some(chars.into_iter().collect());
        }
        if !last.is_ascii_uppercase() {
            // Beyond A-Z: the next code point still bounds the range in byte order.
            if let Some(next) = char::from_u32(last as u32 + 1) {
                chars.push(next);
                return Some(chars.into_iter().collect());
            }
        }
    }
    None
}

fn invalid(field: &str, message: impl Into<String>) -> ItemError {
    ItemError::new(field, None, "invalid", message)
}

impl Terms {
    /// Whether any term is given.
    pub fn is_empty(&self) -> bool {
        self.patient_id_number.is_none()
            && self.facility.is_none()
            && self.name_last.is_none()
            && self.name_first.is_none()
            && self.date_of_birth.is_none()
            && self.ssn.is_none()
            && self.medical_record_number.is_none()
            && self.sex.is_none()
    }

    /// Checks the terms (every failing one is reported) and builds the list filter.
    pub fn filter(&self) -> Result<Filter, Error> {
        let mut errors = Vec::new();
        let mut filter = Filter {
            patient_id_number: self.patient_id_number.clone(),
            facility: self.facility.clone(),
            medical_record_number: self.medical_record_number.clone(),
            ..Default::default()
        };
        let how = self.name_match.unwrap_or_default();
        match (&self.name_last, self.name_match) {
            (Some(name), _) => match name_key(name) {
                Some(key) => {
                    filter.name_last = Some(match how {
                        NameMatch::Exact => LastName::Exact(key),
                        NameMatch::Prefix => {
                            let end = prefix_end(&key);
                            LastName::Prefix(key, end)
                        }
                        NameMatch::Soundex => LastName::Soundex(
                            crate::followup::deaths::soundex(&key).unwrap_or_default(),
                        ),
                    })
                }
                None => errors.push(invalid("nameLast", "a last name needs at least one letter")),
            },
            (None, Some(_)) => errors.push(invalid(
                "nameMatch",
                "nameMatch applies to nameLast, which is missing",
            )),
            (None, None) => {}
        }
        if let Some(name) = &self.name_first {
            match name_key(name) {
                Some(key) => filter.name_first = Some(key),
                None => errors.push(invalid(
                    "nameFirst",
                    "a first name needs at least one letter",
                )),
            }
        }
        if let Some(d) = &self.date_of_birth {
            match (d.len(), PartialDate::parse(d)) {
                (8, Ok(_)) => filter.birth = Some(Birth::Date(d.clone())),
                (4, Ok(p)) => filter.birth = Some(Birth::Year(p.year)),
                _ => errors.push(invalid(
                    "dateOfBirth",
                    format!("{d:?} is neither a date (CCYYMMDD) nor a year (CCYY)"),
                )),
            }
        }
        if let Some(s) = &self.ssn {
            let digits = s.bytes().all(|b| b.is_ascii_digit());
            match (s.len(), digits) {
                (9, true) => filter.ssn = Some(Ssn::Full(s.clone())),
                (4, true) => filter.ssn = Some(Ssn::LastFour(s.clone())),
                _ => errors.push(invalid(
                    "ssn",
                    "give the 9 digits of the Social Security Number or its last 4",
                )),
            }
        }
        if let Some(m) = &self.medical_record_number {
            if m.trim().is_empty() || m.chars().count() > 15 {
                errors.push(invalid(
                    "medicalRecordNumber",
                    "a Medical Record Number [2300] has 1 to 15 characters",
                ));
            }
        }
        if let Some(sex) = &self.sex {
            match check_item(Level::Patient, "sexAssignedAtBirth", sex) {
                Ok(()) => filter.sex = Some(sex.clone()),
                Err(mut e) => {
                    e.item = "sex".into();
                    errors.push(e);
                }
            }
        }
        if errors.is_empty() {
            Ok(filter)
        } else {
            Err(Error::Invalid(errors))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_ranges() {
        assert_eq!(name_key(" O'Brien ").as_deref(), Some("OBRIEN"));
        assert_eq!(name_key("van der Berg").as_deref(), Some("VANDERBERG"));
        assert_eq!(name_key("--"), None);
        assert_eq!(prefix_end("HART").as_deref(), Some("HARU"));
        assert_eq!(prefix_end("HAZ").as_deref(), Some("HB"));
        assert_eq!(prefix_end("ZZ"), None);
    }

    #[test]
    fn terms_are_checked() {
        let t = Terms {
            name_last: Some("hart".into()),
            name_match: Some(NameMatch::Prefix),
            date_of_birth: Some("1955".into()),
            ssn: Some("6789".into()),
            ..Default::default()
        };
        let f = t.filter().unwrap();
        assert_eq!(
            f.name_last,
            Some(LastName::Prefix("HART".into(), Some("HARU".into())))
        );
        assert_eq!(f.birth, Some(Birth::Year(1955)));
        assert_eq!(f.ssn, Some(Ssn::LastFour("6789".into())));
        let bad = Terms {
            date_of_birth: Some("19551".into()),
            ssn: Some("12".into()),
            name_match: Some(NameMatch::Soundex),
            sex: Some("7".into()),
            ..Default::default()
        };
        match bad.filter() {
            Err(Error::Invalid(e)) => assert_eq!(e.len(), 4, "{e:?}"),
            other => panic!("{other:?}"),
        }
    }
}
