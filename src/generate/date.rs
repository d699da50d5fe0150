//! Calendar days as plain integers, so that ordering dates (birth < diagnosis <= treatment
//! <= last contact) is integer arithmetic and never needs a clock or a time zone.

/// Days since 1970-01-01 (proleptic Gregorian).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Day(pub i64);

impl Day {
    /// From a calendar date (Howard Hinnant's `days_from_civil`).
    pub fn from_ymd(y: i32, m: u32, d: u32) -> Day {
        let y = i64::from(y) - i64::from(m <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(m);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        Day(era * 146_097 + doe - 719_468)
    }

    /// Back to year, month, day.
    pub fn ymd(self) -> (i32, u32, u32) {
        let z = self.0 + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let y = yoe + era * 400 + i64::from(m <= 2);
        (y as i32, m, d)
    }

    pub fn year(self) -> i32 {
        self.ymd().0
    }

    pub fn plus(self, days: i64) -> Day {
        Day(self.0 + days)
    }

    /// NAACCR `CCYYMMDD`.
    pub fn naaccr(self) -> String {
        let (y, m, d) = self.ymd();
        format!("{y:04}{m:02}{d:02}")
    }

    /// Completed years from `self` (a birth date) to `later`.
    pub fn years_until(self, later: Day) -> i32 {
        let (by, bm, bd) = self.ymd();
        let (ly, lm, ld) = later.ymd();
        ly - by - i32::from((lm, ld) < (bm, bd))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_age() {
        for (y, m, d) in [(1970, 1, 1), (2000, 2, 29), (1899, 12, 31), (2025, 12, 31)] {
            assert_eq!(Day::from_ymd(y, m, d).ymd(), (y, m, d));
        }
        assert_eq!(Day::from_ymd(1970, 1, 2).0, 1);
        let birth = Day::from_ymd(1950, 6, 15);
        assert_eq!(birth.years_until(Day::from_ymd(2020, 6, 14)), 69);
        assert_eq!(birth.years_until(Day::from_ymd(2020, 6, 15)), 70);
        assert_eq!(Day::from_ymd(2021, 3, 4).naaccr(), "20210304");
    }
}
