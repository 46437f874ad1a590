//! Timestamp identifiers (TIDs): 13-character base32-sortable encodings of a 64-bit integer.

use std::fmt;

use super::{SyntaxError, SyntaxKind, string_type_impls};

/// The base32-sortable alphabet: digit values 0..32 in ASCII order.
const ALPHABET: &[u8; 32] = b"234567abcdefghijklmnopqrstuvwxyz";

/// Maps an ASCII byte to its base32-sortable value, or 0xff.
const DECODE: [u8; 256] = {
    let mut table = [0xffu8; 256];
    let mut i = 0;
    while i < 32 {
        table[ALPHABET[i] as usize] = i as u8;
        i += 1;
    }
    table
};

/// Length of every TID.
pub(crate) const LEN: usize = 13;
const MICROS_MASK: u64 = (1 << 53) - 1;
const CLOCK_MASK: u64 = (1 << 10) - 1;

/// A TID such as `3jzfcijpj2z2a`.
///
/// The 64-bit value is a zero top bit, 53 bits of microseconds since the Unix epoch and a
/// 10-bit clock identifier; it is written as 13 base32-sortable characters
/// (`234567abcdefghijklmnopqrstuvwxyz`), most significant first. The first character is one of
/// `234567abcdefghij` (the value fits in 64 bits), as the spec's reference pattern requires.
/// String order, byte order and numeric order agree, so sorting TIDs sorts them by time.
///
/// Stored inline: `Tid` is `Copy` and never allocates.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tid([u8; LEN]);

fn err(reason: &'static str) -> SyntaxError {
    SyntaxError::new(SyntaxKind::Tid, reason)
}

/// Decodes a TID string to its integer, checking syntax.
fn decode(s: &str) -> Result<u64, SyntaxError> {
    let b = s.as_bytes();
    if b.len() != LEN {
        return Err(err("must be 13 characters"));
    }
    let mut value = 0u64;
    for &c in b {
        let digit = DECODE[c as usize];
        if digit == 0xff {
            return Err(err(
                "invalid character (must be base32-sortable, lower case)",
            ));
        }
        value = (value << 5) | u64::from(digit);
    }
    // 13 x 5 = 65 bits: the first character carries the bit that does not fit.
    if DECODE[b[0] as usize] >= 16 {
        return Err(err("first character must be one of 234567abcdefghij"));
    }
    Ok(value)
}

impl Tid {
    /// Validates `s` as a TID.
    pub fn new(s: &str) -> Result<Self, SyntaxError> {
        let value = decode(s)?;
        Ok(Self::from_u64(value))
    }

    /// Validates an owned string as a TID.
    pub fn from_string(s: String) -> Result<Self, SyntaxError> {
        Self::new(&s)
    }

    /// The TID of a 64-bit value.
    pub fn from_u64(value: u64) -> Self {
        let mut out = [0u8; LEN];
        for (i, slot) in out.iter_mut().enumerate() {
            let shift = 5 * (LEN - 1 - i);
            *slot = ALPHABET[((value >> shift) & 31) as usize];
        }
        Tid(out)
    }

    /// The TID for a time (microseconds since the Unix epoch) and a clock identifier.
    ///
    /// Only the low 53 bits of `micros` (good until the year 2255) and the low 10 bits of
    /// `clock_id` are used, so the top bit of the value is always zero.
    pub fn from_parts(micros: u64, clock_id: u16) -> Self {
        Self::from_u64(((micros & MICROS_MASK) << 10) | (u64::from(clock_id) & CLOCK_MASK))
    }

    /// The 64-bit value.
    pub fn as_u64(&self) -> u64 {
        self.0
            .iter()
            .fold(0u64, |acc, &c| (acc << 5) | u64::from(DECODE[c as usize]))
    }

    /// The timestamp part: microseconds since the Unix epoch.
    pub fn timestamp_micros(&self) -> u64 {
        self.as_u64() >> 10
    }

    /// The 10-bit clock identifier.
    pub fn clock_id(&self) -> u16 {
        (self.as_u64() & CLOCK_MASK) as u16
    }

    /// The TID as a string.
    pub fn as_str(&self) -> &str {
        // Only ever filled from ALPHABET, which is ASCII.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// The TID as an owned string.
    pub fn into_string(self) -> String {
        self.as_str().to_owned()
    }
}

impl fmt::Debug for Tid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Tid").field(&self.as_str()).finish()
    }
}

string_type_impls!(Tid, "a tid string");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_round_trip() {
        for (micros, clock) in [
            (0u64, 0u16),
            (1, 1),
            (1_700_000_000_123_456, 1023),
            (MICROS_MASK, 512),
            (1_234_567, 42),
        ] {
            let tid = Tid::from_parts(micros, clock);
            assert_eq!(tid.timestamp_micros(), micros);
            assert_eq!(tid.clock_id(), clock);
            assert_eq!(tid.as_u64(), (micros << 10) | u64::from(clock));
            let reparsed = Tid::new(tid.as_str()).unwrap();
            assert_eq!(reparsed, tid);
        }
    }

    #[test]
    fn out_of_range_parts_are_masked() {
        let tid = Tid::from_parts(u64::MAX, u16::MAX);
        assert_eq!(tid.timestamp_micros(), MICROS_MASK);
        assert_eq!(tid.clock_id(), 1023);
        assert!(tid.as_u64() >> 63 == 0);
    }

    #[test]
    fn known_values() {
        assert_eq!(Tid::from_u64(0).as_str(), "2222222222222");
        assert_eq!(Tid::from_u64(u64::MAX).as_str(), "jzzzzzzzzzzzz");
        assert_eq!(Tid::new("jzzzzzzzzzzzz").unwrap().as_u64(), u64::MAX);
        assert_eq!(Tid::new("2222222222223").unwrap().as_u64(), 1);
        assert!(Tid::new("kzzzzzzzzzzzz").is_err());
        assert_eq!(format!("{:?}", Tid::from_u64(0)), "Tid(\"2222222222222\")");
    }

    #[test]
    fn string_order_is_numeric_order() {
        let values = [
            0u64,
            1,
            31,
            32,
            1023,
            1024,
            1 << 40,
            (1 << 63) - 1,
            1 << 63,
            u64::MAX,
        ];
        for w in values.windows(2) {
            let (a, b) = (Tid::from_u64(w[0]), Tid::from_u64(w[1]));
            assert!(a < b);
            assert!(a.as_str() < b.as_str());
        }
    }
}
