//! NAACCR dates: `CCYYMMDD`, or partial `CCYYMM` / `CCYY` when the day or month is unknown.
//!
//! Never converted to a calendar date type for storage: a partial date is not the first day of
//! its month or year, and comparisons must only use the precision both sides have.

use std::cmp::Ordering;
use std::fmt;

/// A NAACCR date, possibly partial.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PartialDate {
    pub year: u16,
    pub month: Option<u8>,
    pub day: Option<u8>,
}

/// Why a string is not a NAACCR date.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    #[error("a date is CCYYMMDD, CCYYMM or CCYY (digits only), got {0:?}")]
    Format(String),
    #[error("year {0} is outside 1800-2099")]
    Year(u16),
    #[error("month {0:02} does not exist")]
    Month(u8),
    #[error("day {day:02} does not exist in {year}-{month:02}")]
    Day { year: u16, month: u8, day: u8 },
}

impl PartialDate {
    /// Parses and checks that the date exists on the calendar (`20230231` is refused).
    pub fn parse(s: &str) -> Result<PartialDate, DateError> {
        let bytes = s.as_bytes();
        if !matches!(bytes.len(), 4 | 6 | 8) || !bytes.iter().all(u8::is_ascii_digit) {
            return Err(DateError::Format(s.to_string()));
        }
        let num = |r: std::ops::Range<usize>| {
            bytes[r]
                .iter()
                .fold(0u16, |acc, b| acc * 10 + u16::from(b - b'0'))
        };
        let year = num(0..4);
        if !(1800..=2099).contains(&year) {
            return Err(DateError::Year(year));
        }
        let month = (bytes.len() >= 6).then(|| num(4..6) as u8);
        let day = (bytes.len() == 8).then(|| num(6..8) as u8);
        if let Some(m) = month {
            if !(1..=12).contains(&m) {
                return Err(DateError::Month(m));
            }
            if let Some(d) = day {
                if d == 0 || d > days_in_month(year, m) {
                    return Err(DateError::Day {
                        year,
                        month: m,
                        day: d,
                    });
                }
            }
        }
        Ok(PartialDate { year, month, day })
    }

    /// Compares two dates on the precision both have: `None` when that precision cannot tell
    /// (`2023` against `20230601`), so callers never assume an order the data does not give.
    pub fn compare(&self, other: &PartialDate) -> Option<Ordering> {
        match self.year.cmp(&other.year) {
            Ordering::Equal => {}
            o => return Some(o),
        }
        let (Some(m1), Some(m2)) = (self.month, other.month) else {
            return (self.month.is_none() && other.month.is_none()).then_some(Ordering::Equal);
        };
        match m1.cmp(&m2) {
            Ordering::Equal => {}
            o => return Some(o),
        }
        match (self.day, other.day) {
            (Some(d1), Some(d2)) => Some(d1.cmp(&d2)),
            (None, None) => Some(Ordering::Equal),
            _ => None,
        }
    }

    /// Whole months from `self` to `later`, counting a partial date at its earliest possible
    /// day; `None` when either lacks a month.
    pub fn months_until(&self, later: &PartialDate) -> Option<i32> {
        let (m1, m2) = (self.month?, later.month?);
        let mut months =
            (i32::from(later.year) - i32::from(self.year)) * 12 + i32::from(m2) - i32::from(m1);
        if let (Some(d1), Some(d2)) = (self.day, later.day) {
            if d2 < d1 {
                months -= 1;
            }
        }
        Some(months)
    }
}

impl fmt::Display for PartialDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}", self.year)?;
        if let Some(m) = self.month {
            write!(f, "{m:02}")?;
            if let Some(d) = self.day {
                write!(f, "{d:02}")?;
            }
        }
        Ok(())
    }
}

pub(crate) fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_full_and_partial_dates() {
        assert_eq!(
            PartialDate::parse("20230615").map(|d| d.to_string()),
            Ok("20230615".into())
        );
        assert_eq!(PartialDate::parse("202306").map(|d| d.day), Ok(None));
        assert_eq!(PartialDate::parse("2023").map(|d| d.month), Ok(None));
    }

    #[test]
    fn refuses_impossible_dates() {
        assert!(matches!(
            PartialDate::parse("20230231"),
            Err(DateError::Day { .. })
        ));
        assert!(matches!(
            PartialDate::parse("20231301"),
            Err(DateError::Month(13))
        ));
        assert!(matches!(
            PartialDate::parse("17990101"),
            Err(DateError::Year(1799))
        ));
        assert!(PartialDate::parse("20240229").is_ok());
        assert!(PartialDate::parse("19000229").is_err());
        for bad in ["", "2023-01-01", "202", "2023061", "99999999", "２０２３"] {
            assert!(PartialDate::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn compares_only_on_shared_precision() {
        let d = |s| PartialDate::parse(s).unwrap();
        assert_eq!(d("2023").compare(&d("20230601")), None);
        assert_eq!(d("2022").compare(&d("20230601")), Some(Ordering::Less));
        assert_eq!(d("202306").compare(&d("20230601")), None);
        assert_eq!(d("202305").compare(&d("20230601")), Some(Ordering::Less));
        assert_eq!(
            d("20230602").compare(&d("20230601")),
            Some(Ordering::Greater)
        );
        assert_eq!(d("2023").compare(&d("2023")), Some(Ordering::Equal));
    }

    #[test]
    fn months_between_dates() {
        let d = |s| PartialDate::parse(s).unwrap();
        assert_eq!(d("20230115").months_until(&d("20240115")), Some(12));
        assert_eq!(d("20230115").months_until(&d("20240114")), Some(11));
        assert_eq!(d("2023").months_until(&d("20240114")), None);
    }
}
