//! Checks one item value against its dictionary definition and the code tables.

use super::codes;
use super::date::PartialDate;
use super::dictionary::{DataType, ItemDef};

/// The rule a value broke. The slug is part of the API contract (`errors[].rule`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    UnknownItem,
    WrongLevel,
    Blank,
    TooLong,
    TooShort,
    DataType,
    Date,
    Code,
    Character,
}

impl Rule {
    /// The stable slug of the rule.
    pub fn slug(self) -> &'static str {
        match self {
            Rule::UnknownItem => "unknown-item",
            Rule::WrongLevel => "wrong-level",
            Rule::Blank => "blank",
            Rule::TooLong => "too-long",
            Rule::TooShort => "too-short",
            Rule::DataType => "data-type",
            Rule::Date => "date",
            Rule::Code => "invalid-code",
            Rule::Character => "invalid-character",
        }
    }
}

/// A value that breaks a rule, with a message for the registrar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueError {
    pub rule: Rule,
    pub message: String,
}

impl ValueError {
    fn new(rule: Rule, message: impl Into<String>) -> ValueError {
        ValueError {
            rule,
            message: message.into(),
        }
    }
}

/// Checks a value: not blank, allowed characters, length, data type, calendar date, and the
/// item's code list when the service has one. Only the first problem is reported, as NAACCR
/// readers do.
pub fn validate(def: &ItemDef, value: &str) -> Result<(), ValueError> {
    check_format(def, value)?;
    if codes::is_valid(&def.id, value) == Some(false) {
        return Err(ValueError::new(
            Rule::Code,
            format!(
                "{value:?} is not a valid code of {} [{}]",
                def.name, def.number
            ),
        ));
    }
    Ok(())
}

/// The exchange-format checks alone (everything but the code lists): what a NAACCR XML reader
/// applies to an incoming file.
pub fn check_format(def: &ItemDef, value: &str) -> Result<(), ValueError> {
    if value.trim().is_empty() {
        return Err(ValueError::new(
            Rule::Blank,
            "value is blank; omit the item (or send null) when it is unknown",
        ));
    }
    if let Some(c) = value
        .chars()
        .find(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(ValueError::new(
            Rule::Character,
            format!("control character U+{:04X} is not allowed", u32::from(c)),
        ));
    }
    let len = value.chars().count();
    if len > def.length as usize {
        return Err(ValueError::new(
            Rule::TooLong,
            format!(
                "value too long: at most {} characters, got {len}",
                def.length
            ),
        ));
    }
    let type_ok = match def.data_type {
        DataType::Digits => value.bytes().all(|b| b.is_ascii_digit()),
        DataType::Alpha => value.bytes().all(|b| b.is_ascii_uppercase()),
        DataType::Mixed => value
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()),
        DataType::Numeric => is_numeric(value),
        DataType::Date => {
            return PartialDate::parse(value)
                .map(|_| ())
                .map_err(|e| ValueError::new(Rule::Date, e.to_string()))
        }
        DataType::DateTime => is_date_time(value),
        DataType::Text => true,
    };
    if !type_ok {
        return Err(ValueError::new(
            Rule::DataType,
            format!(
                "{value:?} is not valid for data type {}",
                type_hint(def.data_type)
            ),
        ));
    }
    if def.data_type.requires_full_length() && len < def.length as usize {
        return Err(ValueError::new(
            Rule::TooShort,
            format!(
                "value too short: exactly {} characters are required, got {len} (codes keep their leading zeros)",
                def.length
            ),
        ));
    }
    Ok(())
}

/// Whether [`check_format`] accepts `value`, decided with byte loops for the usual case
/// (ASCII values): a reader calls this per item. `false` means "not sure": ask `check_format`,
/// which also words the error.
pub fn format_ok_fast(def: &ItemDef, value: &[u8]) -> bool {
    let b = value;
    let n = b.len();
    if n == 0 || n > def.length as usize {
        return false;
    }
    let full = n == def.length as usize;
    match def.data_type {
        DataType::Digits => full && b.iter().all(u8::is_ascii_digit),
        DataType::Alpha => full && b.iter().all(u8::is_ascii_uppercase),
        DataType::Mixed => {
            full && b
                .iter()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        }
        DataType::Numeric => {
            let (int, frac) = match b.iter().position(|&c| c == b'.') {
                Some(i) => (&b[..i], Some(&b[i + 1..])),
                None => (b, None),
            };
            !int.is_empty()
                && int.iter().all(u8::is_ascii_digit)
                && frac.is_none_or(|f| !f.is_empty() && f.iter().all(u8::is_ascii_digit))
        }
        DataType::Date => date_ok(b),
        DataType::DateTime => false,
        // Printable ASCII (tab, LF and CR allowed), not all blank.
        DataType::Text => {
            b.iter()
                .all(|&c| (0x20..0x7F).contains(&c) || matches!(c, b'\t' | b'\n' | b'\r'))
                && b.iter().any(|c| !c.is_ascii_whitespace())
        }
    }
}

/// `PartialDate::parse(..).is_ok()` on bytes.
fn date_ok(b: &[u8]) -> bool {
    if !matches!(b.len(), 4 | 6 | 8) || !b.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let num = |r: std::ops::Range<usize>| {
        b[r].iter()
            .fold(0u16, |acc, d| acc * 10 + u16::from(d - b'0'))
    };
    let year = num(0..4);
    if !(1800..=2099).contains(&year) {
        return false;
    }
    if b.len() == 4 {
        return true;
    }
    let month = num(4..6) as u8;
    if !(1..=12).contains(&month) {
        return false;
    }
    b.len() == 6 || {
        let day = num(6..8) as u8;
        day >= 1 && day <= super::date::days_in_month(year, month)
    }
}

fn type_hint(t: DataType) -> &'static str {
    match t {
        DataType::Digits => "digits (0-9 only)",
        DataType::Alpha => "alpha (A-Z only)",
        DataType::Mixed => "mixed (A-Z and 0-9 only)",
        DataType::Numeric => "numeric (digits with an optional decimal part)",
        DataType::Date => "date (CCYYMMDD, CCYYMM or CCYY)",
        DataType::DateTime => "dateTime (CCYY[-MM[-DD[Thh:mm:ss]]] with a zone)",
        DataType::Text => "text",
    }
}

fn is_numeric(v: &str) -> bool {
    let (int, frac) = match v.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (v, None),
    };
    !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()))
}

/// `YYYY[-MM[-DD[Thh:mm:ss]]]` plus a zone (`Z` or `+hh:mm`) where a time is given; the
/// date part must exist on the calendar.
fn is_date_time(v: &str) -> bool {
    let (date, time) = match v.split_once('T') {
        Some((d, t)) => (d, Some(t)),
        None => (v, None),
    };
    let compact: String = date.split('-').collect();
    let parts: Vec<&str> = date.split('-').collect();
    let shape_ok = match parts.as_slice() {
        [y] => y.len() == 4,
        [y, m] => y.len() == 4 && m.len() == 2,
        [y, m, d] => y.len() == 4 && m.len() == 2 && d.len() == 2,
        _ => false,
    };
    if !shape_ok || PartialDate::parse(&compact).is_err() {
        return false;
    }
    match time {
        None => true,
        Some(t) => {
            if parts.len() != 3 {
                return false;
            }
            let (clock, zone) = if let Some(c) = t.strip_suffix('Z') {
                (c, "Z")
            } else if t.len() > 6 {
                t.split_at(t.len() - 6)
            } else {
                return false;
            };
            let clock_ok = clock.len() == 8
                && clock.as_bytes()[2] == b':'
                && clock.as_bytes()[5] == b':'
                && clock
                    .split(':')
                    .zip([24u8, 60, 60])
                    .all(|(p, max)| p.len() == 2 && p.parse::<u8>().is_ok_and(|n| n < max));
            let zone_ok = zone == "Z"
                || (zone.len() == 6
                    && matches!(zone.as_bytes()[0], b'+' | b'-')
                    && zone.as_bytes()[3] == b':'
                    && zone[1..3]
                        .bytes()
                        .chain(zone[4..6].bytes())
                        .all(|b| b.is_ascii_digit()));
            clock_ok && zone_ok
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::dictionary::Dictionary;
    use super::*;

    fn check(id: &str, v: &str) -> Result<(), Rule> {
        let def = Dictionary::v260().item(id).unwrap();
        validate(def, v).map_err(|e| e.rule)
    }

    #[test]
    fn rules_per_data_type() {
        assert_eq!(check("patientIdNumber", "00000001"), Ok(()));
        assert_eq!(check("patientIdNumber", "00000001X"), Err(Rule::TooLong));
        assert_eq!(check("patientIdNumber", "0000001"), Err(Rule::TooShort));
        assert_eq!(check("patientIdNumber", "0000000X"), Err(Rule::DataType));
        assert_eq!(check("addrAtDxState", "NY"), Ok(()));
        assert_eq!(check("addrAtDxState", "ny"), Err(Rule::DataType));
        assert_eq!(check("schemaIdVersionCurrent", "3.2"), Ok(()));
        assert_eq!(check("schemaIdVersionCurrent", "3."), Err(Rule::DataType));
        assert_eq!(check("dateOfDiagnosis", "20230231"), Err(Rule::Date));
        assert_eq!(check("dateOfDiagnosis", "202302"), Ok(()));
        assert_eq!(
            check("pathDateSpecCollect1", "2023-02-01T10:00:00Z"),
            Ok(())
        );
        assert_eq!(
            check("pathDateSpecCollect1", "2023-02-01T10:00:00+05:00"),
            Ok(())
        );
        assert_eq!(
            check("pathDateSpecCollect1", "2023-02-01T10:00:00"),
            Err(Rule::DataType)
        );
        assert_eq!(check("pathDateSpecCollect1", "2023-02"), Ok(()));
        assert_eq!(check("textRemarks", "ok\u{7}"), Err(Rule::Character));
        assert_eq!(check("textRemarks", "  "), Err(Rule::Blank));
        assert_eq!(check("vitalStatus", "7"), Err(Rule::Code));
    }
}
