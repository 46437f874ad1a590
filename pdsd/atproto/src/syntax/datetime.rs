//! Datetimes in atproto's RFC 3339 / ISO 8601 profile.

use std::fmt::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

use super::{SyntaxError, SyntaxKind, borrow_str_impl, string_type_impls};

/// A datetime string such as `1985-04-12T23:20:50.123Z`.
///
/// [`Datetime::new`] checks the syntax of the lexicon `datetime` format
/// (atproto.com/specs/lexicon#datetime): `YYYY-MM-DDTHH:MM:SS`, an optional `.` and one or
/// more fraction digits, then `Z` or `+HH:MM`/`-HH:MM`. Upper-case `T` and `Z` only, exactly
/// four year digits, two for every other field, a timezone is required and `-00:00` is not
/// allowed. At most 64 characters. Field ranges are not checked by `new`.
///
/// [`Datetime::new_strict`] also requires a real instant: month 1-12, a day that exists in that
/// month (leap years included), hour 0-23, minute and second 0-59 (no leap second), offset
/// hours 0-23 and minutes 0-59, and the instant in UTC not before year 0.
///
/// Comparison is of the strings, which is chronological only for values written with the same
/// offset and precision (such as those from [`Datetime::now`]).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Datetime(String);

/// Longest datetime accepted (a sanity limit on fraction digits).
const MAX_LEN: usize = 64;

/// The numeric fields of a syntactically valid datetime.
struct Fields {
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    /// Up to the first six fraction digits, as microseconds.
    micros: u32,
    /// Timezone offset magnitude; `offset_negative` means west of UTC.
    offset_hours: u32,
    offset_minutes: u32,
    offset_negative: bool,
}

fn err(reason: &'static str) -> SyntaxError {
    SyntaxError::new(SyntaxKind::Datetime, reason)
}

fn digits(b: &[u8]) -> Option<u32> {
    b.iter().try_fold(0u32, |acc, &c| {
        c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
    })
}

/// Parses the syntax; ranges are not checked.
fn parse(s: &str) -> Result<Fields, SyntaxError> {
    let b = s.as_bytes();
    if b.len() > MAX_LEN {
        return Err(err("too long (max 64 characters)"));
    }
    if b.len() < 20 {
        return Err(err(
            "too short (expected YYYY-MM-DDTHH:MM:SS and a timezone)",
        ));
    }
    let field = |range: std::ops::Range<usize>, what: &'static str| {
        digits(&b[range]).ok_or_else(|| err(what))
    };
    let sep = |i: usize, c: u8, what: &'static str| {
        if b[i] == c { Ok(()) } else { Err(err(what)) }
    };
    let year = field(0..4, "year must be four digits")?;
    sep(4, b'-', "expected '-' after the year")?;
    let month = field(5..7, "month must be two digits")?;
    sep(7, b'-', "expected '-' after the month")?;
    let day = field(8..10, "day must be two digits")?;
    sep(10, b'T', "expected upper-case 'T' between date and time")?;
    let hour = field(11..13, "hour must be two digits")?;
    sep(13, b':', "expected ':' after the hour")?;
    let minute = field(14..16, "minute must be two digits")?;
    sep(16, b':', "expected ':' after the minute")?;
    let second = field(17..19, "second must be two digits")?;

    let mut i = 19;
    let mut micros = 0u32;
    if b[i] == b'.' {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            if i - start < 6 {
                micros = micros * 10 + u32::from(b[i] - b'0');
            }
            i += 1;
        }
        let n = i - start;
        if n == 0 {
            return Err(err("fraction must have at least one digit"));
        }
        for _ in n..6 {
            micros *= 10;
        }
    }

    let tz = &b[i..];
    let (offset_negative, offset_hours, offset_minutes) = match tz {
        b"Z" => (false, 0, 0),
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let h = digits(&[*h1, *h2])
                .ok_or_else(|| err("timezone offset must be +HH:MM or -HH:MM"))?;
            let m = digits(&[*m1, *m2])
                .ok_or_else(|| err("timezone offset must be +HH:MM or -HH:MM"))?;
            if *sign == b'-' && h == 0 && m == 0 {
                return Err(err("timezone offset -00:00 is not allowed"));
            }
            (*sign == b'-', h, m)
        }
        [] => return Err(err("timezone is required")),
        _ => return Err(err("timezone must be upper-case 'Z' or +HH:MM or -HH:MM")),
    };

    Ok(Fields {
        year: i64::from(year),
        month,
        day,
        hour,
        minute,
        second,
        micros,
        offset_hours,
        offset_minutes,
        offset_negative,
    })
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days from 1970-01-01 to the given proleptic Gregorian date.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    // Count from 0000-03-01 so the leap day is the last day of the counting year.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400; // 0..=399
    let m = i64::from(month);
    let shifted_month = if m > 2 { m - 3 } else { m + 9 }; // March = 0
    let day_of_year = (153 * shifted_month + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The proleptic Gregorian date of a day count from 1970-01-01.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097; // 0..=146096
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153; // March = 0
    let day = (day_of_year - (153 * shifted_month + 2) / 5 + 1) as u32;
    let month = (if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    }) as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// The UTC instant in microseconds since the Unix epoch, if the fields name a real one.
fn instant_micros(f: &Fields) -> Result<i64, SyntaxError> {
    if !(1..=12).contains(&f.month) {
        return Err(err("month out of range"));
    }
    if f.day == 0 || f.day > days_in_month(f.year, f.month) {
        return Err(err("day out of range"));
    }
    if f.hour > 23 {
        return Err(err("hour out of range"));
    }
    if f.minute > 59 {
        return Err(err("minute out of range"));
    }
    if f.second > 59 {
        return Err(err("second out of range"));
    }
    if f.offset_hours > 23 || f.offset_minutes > 59 {
        return Err(err("timezone offset out of range"));
    }
    let local = days_from_civil(f.year, f.month, f.day) * 86_400
        + i64::from(f.hour * 3600 + f.minute * 60 + f.second);
    let offset = i64::from(f.offset_hours * 3600 + f.offset_minutes * 60);
    let utc = if f.offset_negative {
        local + offset
    } else {
        local - offset
    };
    if utc < days_from_civil(0, 1, 1) * 86_400 {
        return Err(err("instant is before year 0"));
    }
    Ok(utc * 1_000_000 + i64::from(f.micros))
}

impl Datetime {
    /// Validates the syntax of `s` (field ranges are not checked; see [`Datetime::new_strict`]).
    pub fn new(s: &str) -> Result<Self, SyntaxError> {
        parse(s)?;
        Ok(Datetime(s.to_owned()))
    }

    /// Validates the syntax of an owned string without copying it.
    pub fn from_string(s: String) -> Result<Self, SyntaxError> {
        parse(&s)?;
        Ok(Datetime(s))
    }

    /// Validates the syntax of `s` and that it names a real instant not before year 0.
    pub fn new_strict(s: &str) -> Result<Self, SyntaxError> {
        instant_micros(&parse(s)?)?;
        Ok(Datetime(s.to_owned()))
    }

    /// The current time, with millisecond precision, as `YYYY-MM-DDTHH:MM:SS.sssZ`.
    pub fn now() -> Self {
        Self::from_system_time(SystemTime::now())
    }

    /// A time, with millisecond precision (truncated), as `YYYY-MM-DDTHH:MM:SS.sssZ`. Times
    /// before the Unix epoch are clamped to it.
    pub fn from_system_time(t: SystemTime) -> Self {
        let millis = t
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        Self::from_unix_millis(millis)
    }

    /// Milliseconds since the Unix epoch as `YYYY-MM-DDTHH:MM:SS.sssZ`. Values outside years
    /// 0000 to 9999 are clamped to that range.
    pub fn from_unix_millis(millis: i64) -> Self {
        const MIN: i64 = -62_167_219_200_000; // 0000-01-01T00:00:00.000Z
        const MAX: i64 = 253_402_300_799_999; // 9999-12-31T23:59:59.999Z
        let millis = millis.clamp(MIN, MAX);
        let secs = millis.div_euclid(1000);
        let ms = millis.rem_euclid(1000);
        let (year, month, day) = civil_from_days(secs.div_euclid(86_400));
        let sod = secs.rem_euclid(86_400);
        let mut s = String::with_capacity(24);
        let _ = write!(
            s,
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{ms:03}Z",
            sod / 3600,
            sod / 60 % 60,
            sod % 60
        );
        Datetime(s)
    }

    /// Microseconds since the Unix epoch (fraction digits past six are ignored), or `None` if
    /// the value is not a real instant (what [`Datetime::new_strict`] rejects).
    pub fn timestamp_micros(&self) -> Option<i64> {
        parse(&self.0).and_then(|f| instant_micros(&f)).ok()
    }

    /// The datetime as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The owned string.
    pub fn into_string(self) -> String {
        self.0
    }
}

string_type_impls!(Datetime, "a datetime string");
borrow_str_impl!(Datetime);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_conversions_agree_with_known_dates() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(0, 1, 1), -719_528);
        for days in [-719_528, -1, 0, 59, 60, 11_016, 11_017, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days, "{y}-{m}-{d}");
        }
        assert_eq!(civil_from_days(2_932_896), (9999, 12, 31));
    }

    #[test]
    fn from_unix_millis_formats_with_millisecond_precision() {
        assert_eq!(
            Datetime::from_unix_millis(0).as_str(),
            "1970-01-01T00:00:00.000Z"
        );
        assert_eq!(
            Datetime::from_unix_millis(482_196_050_123).as_str(),
            "1985-04-12T23:20:50.123Z"
        );
        assert_eq!(
            Datetime::from_unix_millis(951_782_400_000).as_str(),
            "2000-02-29T00:00:00.000Z"
        );
        assert_eq!(
            Datetime::from_unix_millis(-1).as_str(),
            "1969-12-31T23:59:59.999Z"
        );
        assert_eq!(
            Datetime::from_unix_millis(i64::MIN).as_str(),
            "0000-01-01T00:00:00.000Z"
        );
        assert_eq!(
            Datetime::from_unix_millis(i64::MAX).as_str(),
            "9999-12-31T23:59:59.999Z"
        );
    }

    #[test]
    fn now_is_strictly_valid_and_matches_the_clock() {
        let before = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_micros() as i64;
        let now = Datetime::now();
        let after = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_micros() as i64;
        assert_eq!(now.as_str().len(), 24, "{now}");
        assert!(now.as_str().ends_with('Z'));
        assert!(Datetime::new_strict(now.as_str()).is_ok());
        let t = now.timestamp_micros().unwrap();
        assert!(
            t >= before - before % 1000 && t <= after,
            "{before} <= {t} <= {after}"
        );
    }

    #[test]
    fn timestamp_micros_applies_the_offset_and_fraction() {
        let utc = Datetime::new("1985-04-12T23:20:50.123Z").unwrap();
        let offset = Datetime::new("1985-04-12T16:20:50.123456789-07:00").unwrap();
        assert_eq!(utc.timestamp_micros(), Some(482_196_050_123_000));
        assert_eq!(offset.timestamp_micros(), Some(482_196_050_123_456));
        assert_eq!(
            Datetime::new("1985-13-12T23:20:50Z")
                .unwrap()
                .timestamp_micros(),
            None
        );
    }

    #[test]
    fn strict_checks_calendar_dates() {
        assert!(Datetime::new_strict("2000-02-29T00:00:00Z").is_ok());
        assert!(Datetime::new_strict("2024-02-29T00:00:00Z").is_ok());
        assert_eq!(
            Datetime::new_strict("1900-02-29T00:00:00Z")
                .unwrap_err()
                .to_string(),
            "invalid datetime: day out of range"
        );
        assert!(Datetime::new_strict("2023-04-31T00:00:00Z").is_err());
        assert!(Datetime::new_strict("2023-04-30T23:59:60Z").is_err());
        assert!(Datetime::new_strict("0000-01-01T00:00:00-01:00").is_ok());
        assert!(Datetime::new_strict("0000-01-01T00:59:59+01:00").is_err());
        assert!(Datetime::new_strict("0000-01-01T01:00:00+01:00").is_ok());
    }

    #[test]
    fn syntax_errors_say_what_is_wrong() {
        assert_eq!(
            Datetime::new("1985-04-12T23:20:50.123")
                .unwrap_err()
                .reason(),
            "timezone is required"
        );
        assert_eq!(
            Datetime::new("1985-04-12T23:20:50.123-00:00")
                .unwrap_err()
                .reason(),
            "timezone offset -00:00 is not allowed"
        );
        assert_eq!(
            Datetime::new("1985-04-12t23:20:50Z").unwrap_err().reason(),
            "expected upper-case 'T' between date and time"
        );
        let long = format!("1985-04-12T23:20:50.{}Z", "1".repeat(44));
        assert!(Datetime::new(&long).is_err());
    }
}
