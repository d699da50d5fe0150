//! Death clearance: links state death records to patients and applies the deaths that match
//! exactly; everything else is reported for review, never applied.
//!
//! Matching rule, in order:
//! 1. **matched**: the Social Security Number [2320] and the date of birth are both equal (an
//!    SSN of all one digit, or `123456789`, counts as unknown). The matching patients must be
//!    at distinct facilities (one person reported by several hospitals); the death is then
//!    applied to each as a contact with vital status 0.
//! 2. **possible**: same date of birth, the same first letter of the first name, and a last
//!    name equal after normalisation (upper case, letters only) or by Soundex, compared with
//!    Name--Last [2230] and Name--Birth Surname [2232]; or an exact match whose death
//!    conflicts with the record (a later contact alive). Nothing is applied.
//! 3. **unmatched**: anything else.
//!
//! Clearance is idempotent: a record whose death the patient already carries (same date of
//! death and cause, applied by an earlier batch or the same one) is `already-applied` and adds
//! no contact. Possible matches, and exact matches whose death conflicts with what is stored,
//! are queued once for a reviewer (`death_reviews`).

use serde::{Deserialize, Serialize};

use super::contacts::{self, NewContact, Outcome};
use super::death_reviews;
use super::{invalid, Error};
use crate::abstracts::patients::{self, Patient};
use crate::auth::FacilityScope;
use crate::db::DbConn;
use crate::naaccr::PartialDate;

/// A death record from the state vital records office.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeathRecord {
    #[serde(alias = "lastName")]
    pub name_last: Option<String>,
    #[serde(alias = "firstName")]
    pub name_first: Option<String>,
    /// CCYYMMDD.
    #[serde(alias = "birthDate")]
    pub date_of_birth: Option<String>,
    #[serde(alias = "sexAssignedAtBirth")]
    pub sex: Option<String>,
    /// Nine digits, when present.
    #[serde(alias = "socialSecurityNumber")]
    pub ssn: Option<String>,
    /// CCYYMMDD.
    #[serde(alias = "deathDate")]
    pub date_of_death: String,
    /// ICD-10 underlying cause, e.g. C509.
    #[serde(alias = "cause")]
    pub cause_of_death: Option<String>,
    /// State (2 letters) or country (3 letters) of death.
    pub place_of_death: Option<String>,
}

/// How one record came out.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Linkage {
    /// Position of the record in the batch (0-based).
    pub record: usize,
    pub patient_ids: Vec<String>,
    /// Which rule linked it, or why it was not applied.
    pub reason: String,
    /// The review queue entry of a possible match (`GET /api/v1/followup/death-records/possible`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub review_id: Option<String>,
    /// Status of that entry: pending, accepted or rejected.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub review_status: Option<String>,
}

/// The result of a batch.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Clearance {
    /// Exact matches; the death was applied.
    pub matched: Vec<Linkage>,
    /// Exact matches whose death the patient already carries (same date and cause): nothing
    /// added.
    pub already_applied: Vec<Linkage>,
    /// Candidates for a registrar to review; nothing applied.
    pub possible: Vec<Linkage>,
    /// Records that link to no patient.
    pub unmatched: Vec<Linkage>,
    /// What the applied deaths changed, for the audit trail.
    #[serde(skip)]
    pub applied: Vec<Outcome>,
}

fn known_ssn(s: &str) -> bool {
    s.len() == 9
        && s.bytes().all(|b| b.is_ascii_digit())
        && !s.bytes().all(|b| b == s.as_bytes()[0])
        && s != "123456789"
}

fn letters(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphabetic())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// American Soundex of a name (letters only), e.g. ROBERT -> R163.
pub fn soundex(name: &str) -> Option<String> {
    let name = letters(name);
    let mut chars = name.chars();
    let first = chars.next()?;
    let code = |c: char| match c {
        'B' | 'F' | 'P' | 'V' => Some('1'),
        'C' | 'G' | 'J' | 'K' | 'Q' | 'S' | 'X' | 'Z' => Some('2'),
        'D' | 'T' => Some('3'),
        'L' => Some('4'),
        'M' | 'N' => Some('5'),
        'R' => Some('6'),
        _ => None,
    };
    let mut out = String::from(first);
    let mut last = code(first);
    for c in chars {
        let d = code(c);
        if d.is_some() && d != last {
            out.extend(d);
            if out.len() == 4 {
                break;
            }
        }
        // H and W do not separate equal codes; vowels do.
        if !matches!(c, 'H' | 'W') {
            last = d;
        }
    }
    while out.len() < 4 {
        out.push('0');
    }
    Some(out)
}

fn names_agree(record: &DeathRecord, p: &Patient) -> bool {
    let (Some(last), Some(first)) = (&record.name_last, &record.name_first) else {
        return false;
    };
    let first_ok = match (
        letters(first).chars().next(),
        p.items
            .get("nameFirst")
            .and_then(|f| letters(f).chars().next()),
    ) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    };
    let last_ok = ["nameLast", "nameBirthSurname"].iter().any(|id| {
        p.items.get(*id).is_some_and(|n| {
            letters(n) == letters(last) || (soundex(n).is_some() && soundex(n) == soundex(last))
        })
    });
    first_ok && last_ok
}

/// Whether the patient already carries this death: the stored record is dead on that date
/// with that cause, or a death contact of that date and cause is in its history.
fn already_applied(conn: &mut DbConn, p: &Patient, record: &DeathRecord) -> Result<bool, Error> {
    let same_cause = |stored: Option<&str>| match record.cause_of_death.as_deref() {
        Some(c) => stored == Some(c),
        None => true,
    };
    if p.items.get("vitalStatus").map(String::as_str) == Some("0")
        && p.items.get("dateOfLastContact") == Some(&record.date_of_death)
        && same_cause(p.items.get("causeOfDeath").map(String::as_str))
    {
        return Ok(true);
    }
    Ok(contacts::death_contacts(conn, &p.id)?
        .iter()
        .any(|c| c.date == record.date_of_death && same_cause(c.cause_of_death.as_deref())))
}

/// Links and applies a batch of death records in one transaction.
pub fn clear(
    conn: &mut DbConn,
    scope: &FacilityScope,
    records: &[DeathRecord],
    recorded_by: &str,
    today: &PartialDate,
) -> Result<Clearance, Error> {
    for (i, r) in records.iter().enumerate() {
        if PartialDate::parse(&r.date_of_death)
            .map(|d| d.day.is_none())
            .unwrap_or(true)
        {
            return Err(invalid(
                &format!("records[{i}].dateOfDeath"),
                "date",
                "a full CCYYMMDD date is required",
            ));
        }
        if let Some(b) = &r.date_of_birth {
            if PartialDate::parse(b).is_err() {
                return Err(invalid(
                    &format!("records[{i}].dateOfBirth"),
                    "date",
                    "CCYYMMDD, CCYYMM or CCYY",
                ));
            }
        }
    }
    let mut out = Clearance::default();
    for (i, record) in records.iter().enumerate() {
        let candidates = match &record.date_of_birth {
            Some(b) => patients::born_on(conn, scope, b)?,
            None => Vec::new(),
        };
        let exact: Vec<&Patient> = candidates
            .iter()
            .filter(|p| {
                record.ssn.as_deref().is_some_and(known_ssn)
                    && p.items.get("socialSecurityNumber").map(String::as_str)
                        == record.ssn.as_deref()
            })
            .collect();
        let link = |ids: Vec<String>, reason: &str| Linkage {
            record: i,
            patient_ids: ids,
            reason: reason.to_string(),
            review_id: None,
            review_status: None,
        };
        let possible = |conn: &mut DbConn, out: &mut Clearance, ids: Vec<String>, reason: &str| {
            let review = death_reviews::queue(conn, record, &ids, reason, recorded_by)?;
            let mut l = link(ids, reason);
            l.review_id = Some(review.id);
            l.review_status = Some(review.status.as_str().to_string());
            out.possible.push(l);
            Ok::<_, Error>(())
        };
        // The same SSN and date of birth at several facilities is one person, reported by
        // each: the death applies to each record. Twice at one facility is ambiguous.
        let facilities: std::collections::BTreeSet<&str> =
            exact.iter().map(|p| p.facility_id.as_str()).collect();
        if !exact.is_empty() && facilities.len() == exact.len() {
            for patient in exact.iter().copied() {
                let patient_id = patient.id.clone();
                if already_applied(conn, patient, record)? {
                    out.already_applied.push(link(
                        vec![patient_id],
                        "SSN and date of birth; this death is already recorded",
                    ));
                    continue;
                }
                if patient.items.get("vitalStatus").map(String::as_str) == Some("0") {
                    let why = format!(
                        "the patient is recorded dead on {} (cause {}); this record says {} (cause {})",
                        patient
                            .items
                            .get("dateOfLastContact")
                            .map(String::as_str)
                            .unwrap_or("an unknown date"),
                        patient
                            .items
                            .get("causeOfDeath")
                            .map(String::as_str)
                            .unwrap_or("unknown"),
                        record.date_of_death,
                        record.cause_of_death.as_deref().unwrap_or("unknown"),
                    );
                    possible(conn, &mut out, vec![patient_id], &why)?;
                    continue;
                }
                let contact = NewContact {
                    date: record.date_of_death.clone(),
                    vital_status: "0".into(),
                    follow_up_source: Some("7".into()),
                    cause_of_death: record.cause_of_death.clone(),
                    place_of_death: record.place_of_death.clone(),
                    ..Default::default()
                };
                match contacts::record(conn, scope, &patient_id, contact, recorded_by, today) {
                    Ok(outcome) => {
                        out.applied.push(outcome);
                        out.matched
                            .push(link(vec![patient_id], "SSN and date of birth"));
                    }
                    Err(Error::Conflict(why)) => possible(conn, &mut out, vec![patient_id], &why)?,
                    Err(e) => return Err(e),
                }
            }
            continue;
        }
        let ids: Vec<String> = if exact.len() > 1 {
            exact.iter().map(|p| p.id.clone()).collect()
        } else {
            candidates
                .iter()
                .filter(|p| names_agree(record, p))
                .map(|p| p.id.clone())
                .collect()
        };
        if exact.len() > 1 {
            possible(
                conn,
                &mut out,
                ids,
                "SSN and date of birth match several patients of one facility",
            )?;
        } else if !ids.is_empty() {
            possible(conn, &mut out, ids, "name and date of birth")?;
        } else {
            out.unmatched.push(link(
                Vec::new(),
                "no patient with this date of birth and name or SSN",
            ));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn soundex_codes() {
        for (name, code) in [
            ("ROBERT", "R163"),
            ("RUPERT", "R163"),
            ("ASHCRAFT", "A261"),
            ("TYMCZAK", "T522"),
            ("PFISTER", "P236"),
            ("LEE", "L000"),
        ] {
            assert_eq!(soundex(name).as_deref(), Some(code), "{name}");
        }
        assert_eq!(soundex("123"), None);
    }

    #[test]
    fn ssn_placeholders_are_unknown() {
        assert!(known_ssn("123450789"));
        assert!(!known_ssn("999999999"));
        assert!(!known_ssn("123456789"));
        assert!(!known_ssn("12345"));
    }
}

/// Reads death records from CSV with a header row naming the fields (`nameLast`, `nameFirst`,
/// `dateOfBirth`, `sex`, `ssn`, `dateOfDeath`, `causeOfDeath`, `placeOfDeath`; `_` and case
/// are ignored, so `date_of_death` works too). Errors name the line.
pub fn parse_csv(text: &str) -> Result<Vec<DeathRecord>, Error> {
    let mut rows = split_csv(text).into_iter();
    let Some((_, header)) = rows.next() else {
        return Err(invalid("body", "required", "the CSV has no header row"));
    };
    let key = |h: &str| h.trim().replace('_', "").to_ascii_lowercase();
    let columns: Vec<String> = header
        .iter()
        .map(|h| canonical(&key(h)).to_string())
        .collect();
    let known = [
        "namelast",
        "namefirst",
        "dateofbirth",
        "sex",
        "ssn",
        "dateofdeath",
        "causeofdeath",
        "placeofdeath",
    ];
    if let Some(bad) = columns.iter().find(|c| !known.contains(&c.as_str())) {
        return Err(invalid(
            "header",
            "unknown-column",
            format!(
                "line 1: unknown column {bad:?}; expected {}",
                known.join(", ")
            ),
        ));
    }
    if !columns.iter().any(|c| c == "dateofdeath") {
        return Err(invalid(
            "header",
            "required",
            "line 1: a dateOfDeath column is required",
        ));
    }
    let mut out = Vec::new();
    for (line, fields) in rows {
        if fields.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        if fields.len() != columns.len() {
            return Err(invalid(
                "body",
                "columns",
                format!(
                    "line {line}: {} fields, the header has {}",
                    fields.len(),
                    columns.len()
                ),
            ));
        }
        let mut r = DeathRecord::default();
        for (c, v) in columns.iter().zip(fields) {
            let v = v.trim().to_string();
            let v = (!v.is_empty()).then_some(v);
            match canonical(c) {
                "namelast" => r.name_last = v,
                "namefirst" => r.name_first = v,
                "dateofbirth" => r.date_of_birth = v,
                "sex" => r.sex = v,
                "ssn" => r.ssn = v.map(|s| s.replace('-', "")),
                "dateofdeath" => r.date_of_death = v.unwrap_or_default(),
                "causeofdeath" => r.cause_of_death = v,
                _ => r.place_of_death = v,
            }
        }
        if r.date_of_death.is_empty() {
            return Err(invalid(
                "dateOfDeath",
                "required",
                format!("line {line}: dateOfDeath is empty"),
            ));
        }
        out.push(r);
    }
    Ok(out)
}

/// The column a header names, accepting the usual other spellings.
fn canonical(column: &str) -> &str {
    match column {
        "lastname" => "namelast",
        "firstname" => "namefirst",
        "birthdate" => "dateofbirth",
        "sexassignedatbirth" => "sex",
        "socialsecuritynumber" => "ssn",
        "deathdate" => "dateofdeath",
        "cause" => "causeofdeath",
        other => other,
    }
}

/// Splits CSV text into rows of fields with their 1-based line numbers (quoted fields may hold
/// commas, quotes and line breaks).
fn split_csv(text: &str) -> Vec<(usize, Vec<String>)> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut line = 1;
    let mut row_line = 1;
    let mut chars = text.trim_start_matches('\u{feff}').chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push((row_line, std::mem::take(&mut row)));
                line += 1;
                row_line = line;
            }
            (_, c) => {
                if c == '\n' {
                    line += 1;
                }
                field.push(c);
            }
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push((row_line, row));
    }
    rows
}

#[cfg(test)]
mod csv_tests {
    use super::*;

    #[test]
    fn reads_csv_with_quotes_and_names_the_line() {
        let text = "nameLast,nameFirst,dateOfBirth,ssn,date_of_death\r\n\"O'NEIL, JR\",ANN,19400101,123-45-0789,20250101\r\n";
        let records = parse_csv(text).unwrap();
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].name_last.as_deref(), Some("O'NEIL, JR"));
        assert_eq!(records[0].ssn.as_deref(), Some("123450789"));
        let err = parse_csv("nameLast,dateOfDeath\nA\n").unwrap_err();
        assert!(err.to_string().contains('1') || matches!(err, Error::Invalid(_)));
        match parse_csv("nameLast,dateOfDeath\nA,20250101\nB\n") {
            Err(Error::Invalid(e)) => {
                assert!(e[0].message.starts_with("line 3"), "{}", e[0].message)
            }
            other => panic!("{other:?}"),
        }
    }
}
