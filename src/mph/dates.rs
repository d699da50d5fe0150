//! Partial diagnosis dates: which tumor is later, and whether two dates are within N days or
//! more than N years apart when month or day may be unknown (RULES.md section 3).

/// A cleaned date: the year is always known (validation requires it), month and day may not be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartialDate {
    pub year: i64,
    pub month: Option<u8>,
    pub day: Option<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Later {
    First,
    Second,
    Equal,
    Unknown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gap {
    Within,
    Apart,
    Unknown,
}

/// A string of ASCII digits as a number (None when not all digits or too large).
pub fn digits(s: &str) -> Option<i64> {
    if s.is_empty() || !s.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let t = s.trim_start_matches('0');
    if t.len() > 12 {
        return None;
    }
    Some(t.parse().unwrap_or(0))
}

fn leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn month_len(y: i64, m: u8) -> u8 {
    match m {
        4 | 6 | 9 | 11 => 30,
        2 if leap(y) => 29,
        2 => 28,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn day_number(y: i64, m: u8, d: u8) -> i64 {
    let (m, d) = (i64::from(m), i64::from(d));
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

impl PartialDate {
    /// Month and day as the rules read them: unknown when not digits or out of range.
    pub fn clean(year: i64, month: &str, day: &str) -> Self {
        let month = digits(month)
            .filter(|m| (1..=12).contains(m))
            .map(|m| m as u8);
        let day = month.and_then(|m| {
            digits(day)
                .filter(|d| *d >= 1 && *d <= i64::from(month_len(year, m)))
                .map(|d| d as u8)
        });
        PartialDate { year, month, day }
    }

    fn first_day(&self) -> i64 {
        match (self.month, self.day) {
            (Some(m), Some(d)) => day_number(self.year, m, d),
            (Some(m), None) => day_number(self.year, m, 1),
            _ => day_number(self.year, 1, 1),
        }
    }

    fn last_day(&self) -> i64 {
        match (self.month, self.day) {
            (Some(m), Some(d)) => day_number(self.year, m, d),
            (Some(m), None) => day_number(self.year, m, month_len(self.year, m)),
            _ => day_number(self.year, 12, 31),
        }
    }

    pub fn is_full(&self) -> bool {
        self.day.is_some()
    }
}

pub fn later(a: &PartialDate, b: &PartialDate) -> Later {
    use std::cmp::Ordering::*;
    let pick = |o: std::cmp::Ordering| match o {
        Greater => Some(Later::First),
        Less => Some(Later::Second),
        Equal => None,
    };
    if let Some(l) = pick(a.year.cmp(&b.year)) {
        return l;
    }
    let (Some(ma), Some(mb)) = (a.month, b.month) else {
        return Later::Unknown;
    };
    if let Some(l) = pick(ma.cmp(&mb)) {
        return l;
    }
    let (Some(da), Some(db)) = (a.day, b.day) else {
        return Later::Unknown;
    };
    pick(da.cmp(&db)).unwrap_or(Later::Equal)
}

/// Whether the two dates are at most `n` days apart.
pub fn days_apart(a: &PartialDate, b: &PartialDate, later_: Later, n: i64) -> Gap {
    if later_ == Later::Equal {
        return Gap::Within;
    }
    let (e, l) = if later_ == Later::Second {
        (a, b)
    } else {
        (b, a)
    };
    let min = l.first_day() - e.last_day();
    let max = l.last_day() - e.first_day();
    if later_ == Later::Unknown {
        return if min.abs().max(max.abs()) <= n {
            Gap::Within
        } else {
            Gap::Unknown
        };
    }
    if min > n {
        Gap::Apart
    } else if max <= n {
        Gap::Within
    } else {
        Gap::Unknown
    }
}

/// Whether the dates are more than `n` whole years apart (`Gap`) or not (`Within`).
pub fn years_apart(a: &PartialDate, b: &PartialDate, n: i64) -> Gap {
    let diff = (a.year - b.year).abs();
    if diff > n {
        return Gap::Apart;
    }
    if diff < n {
        return Gap::Within;
    }
    let (l, e) = if a.year >= b.year { (a, b) } else { (b, a) };
    let (Some(ml), Some(me)) = (l.month, e.month) else {
        return Gap::Unknown;
    };
    if ml != me {
        return if ml > me { Gap::Apart } else { Gap::Within };
    }
    let (Some(dl), Some(de)) = (l.day, e.day) else {
        return Gap::Unknown;
    };
    if dl >= de {
        Gap::Apart
    } else {
        Gap::Within
    }
}

/// Heme M14: same year, and month and day equal where both are known.
pub fn same_known_parts(a: &PartialDate, b: &PartialDate) -> bool {
    if a.year != b.year {
        return false;
    }
    match (a.month, b.month) {
        (Some(x), Some(y)) if x != y => false,
        (Some(_), Some(_)) => match (a.day, b.day) {
            (Some(x), Some(y)) => x == y,
            _ => true,
        },
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i64, m: &str, day: &str) -> PartialDate {
        PartialDate::clean(y, m, day)
    }

    fn apart(a: PartialDate, b: PartialDate) -> Gap {
        days_apart(&a, &b, later(&a, &b), 60)
    }

    #[test]
    fn days_apart_examples_of_the_rules() {
        assert_eq!(apart(d(2020, "01", "10"), d(2020, "03", "10")), Gap::Within);
        assert_eq!(apart(d(2020, "01", "10"), d(2020, "03", "11")), Gap::Apart);
        assert_eq!(apart(d(2020, "03", ""), d(2020, "03", "15")), Gap::Within);
        assert_eq!(apart(d(2020, "", ""), d(2020, "", "")), Gap::Unknown);
        assert_eq!(apart(d(2019, "12", ""), d(2020, "02", "")), Gap::Unknown);
        assert_eq!(apart(d(2019, "06", ""), d(2020, "", "")), Gap::Apart);
    }

    #[test]
    fn years_apart_counts_whole_years() {
        let y = |a, b| years_apart(&a, &b, 5);
        assert_eq!(y(d(2010, "05", "10"), d(2015, "05", "10")), Gap::Apart);
        assert_eq!(y(d(2010, "05", "11"), d(2015, "05", "10")), Gap::Within);
        assert_eq!(y(d(2010, "05", ""), d(2015, "05", "10")), Gap::Unknown);
        assert_eq!(y(d(2010, "04", ""), d(2015, "05", "")), Gap::Apart);
    }

    #[test]
    fn invalid_day_is_unknown() {
        assert_eq!(d(2019, "02", "29").day, None);
        assert_eq!(d(2020, "02", "29").day, Some(29));
        assert_eq!(d(2020, "13", "01").month, None);
    }
}
