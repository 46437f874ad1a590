//! The two multibase encodings atproto uses: base32 lower-case (`b`, CID strings) and
//! base58btc (`z`, did:key and `publicKeyMultibase`), plus hex.

/// Errors from decoding a multibase or base-N string.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MultibaseError {
    #[error("empty multibase string")]
    Empty,
    #[error("unsupported multibase prefix {0:?}")]
    UnsupportedPrefix(char),
    #[error("invalid character for this base")]
    InvalidCharacter,
    #[error("invalid length for this base")]
    InvalidLength,
}

/// A multibase encoding this crate reads and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Base {
    /// `b`: RFC 4648 base32, lower case, no padding.
    Base32Lower,
    /// `z`: the Bitcoin base58 alphabet.
    Base58Btc,
}

impl Base {
    pub fn prefix(self) -> char {
        match self {
            Base::Base32Lower => 'b',
            Base::Base58Btc => 'z',
        }
    }
}

/// Encodes `bytes` with the multibase prefix of `base`.
pub fn encode(base: Base, bytes: &[u8]) -> String {
    let mut out = String::with_capacity(1 + bytes.len() * 2);
    out.push(base.prefix());
    match base {
        Base::Base32Lower => base32_encode_into(bytes, &mut out),
        Base::Base58Btc => out.push_str(&base58btc_encode(bytes)),
    }
    out
}

/// Decodes a multibase string with a `b` or `z` prefix.
pub fn decode(s: &str) -> Result<(Base, Vec<u8>), MultibaseError> {
    let mut chars = s.chars();
    let prefix = chars.next().ok_or(MultibaseError::Empty)?;
    let rest = chars.as_str();
    match prefix {
        'b' => Ok((Base::Base32Lower, base32_decode(rest)?)),
        'z' => Ok((Base::Base58Btc, base58btc_decode(rest)?)),
        other => Err(MultibaseError::UnsupportedPrefix(other)),
    }
}

const BASE32_ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";

/// RFC 4648 base32, lower case, no padding.
pub fn base32_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    base32_encode_into(bytes, &mut out);
    out
}

fn base32_encode_into(bytes: &[u8], out: &mut String) {
    let mut buffer: u64 = 0;
    let mut bits = 0u32;
    for &b in bytes {
        buffer = (buffer << 8) | u64::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(BASE32_ALPHABET[((buffer >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(BASE32_ALPHABET[((buffer << (5 - bits)) & 31) as usize] as char);
    }
}

/// Decodes RFC 4648 base32 without padding; accepts lower case only, as multibase `b` requires.
pub fn base32_decode(s: &str) -> Result<Vec<u8>, MultibaseError> {
    // Lengths 1, 3 and 6 (mod 8) cannot come from whole bytes.
    if matches!(s.len() % 8, 1 | 3 | 6) {
        return Err(MultibaseError::InvalidLength);
    }
    let mut out = Vec::with_capacity(s.len() * 5 / 8);
    let mut buffer: u64 = 0;
    let mut bits = 0u32;
    for c in s.bytes() {
        let v = match c {
            b'a'..=b'z' => c - b'a',
            b'2'..=b'7' => c - b'2' + 26,
            _ => return Err(MultibaseError::InvalidCharacter),
        };
        buffer = (buffer << 5) | u64::from(v);
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    // Leftover bits must be zero padding, or the string is not canonical.
    if buffer & ((1 << bits) - 1) != 0 {
        return Err(MultibaseError::InvalidCharacter);
    }
    Ok(out)
}

const BASE58_ALPHABET: &[u8; 58] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/// Base58 with the Bitcoin alphabet (no multibase prefix).
pub fn base58btc_encode(bytes: &[u8]) -> String {
    let zeros = bytes.iter().take_while(|&&b| b == 0).count();
    // Big-number conversion in base 58, little-endian digits.
    let mut digits: Vec<u8> = Vec::with_capacity(bytes.len() * 138 / 100 + 1);
    for &b in &bytes[zeros..] {
        let mut carry = u32::from(b);
        for d in digits.iter_mut() {
            carry += u32::from(*d) << 8;
            *d = (carry % 58) as u8;
            carry /= 58;
        }
        while carry > 0 {
            digits.push((carry % 58) as u8);
            carry /= 58;
        }
    }
    let mut out = String::with_capacity(zeros + digits.len());
    out.extend(std::iter::repeat_n('1', zeros));
    out.extend(
        digits
            .iter()
            .rev()
            .map(|&d| BASE58_ALPHABET[d as usize] as char),
    );
    out
}

/// Decodes Bitcoin-alphabet base58 (no multibase prefix).
pub fn base58btc_decode(s: &str) -> Result<Vec<u8>, MultibaseError> {
    let zeros = s.bytes().take_while(|&c| c == b'1').count();
    let mut bytes: Vec<u8> = Vec::with_capacity(s.len());
    for c in s.bytes().skip(zeros) {
        let v = BASE58_ALPHABET
            .iter()
            .position(|&a| a == c)
            .ok_or(MultibaseError::InvalidCharacter)? as u32;
        let mut carry = v;
        for b in bytes.iter_mut() {
            carry += u32::from(*b) * 58;
            *b = (carry & 0xff) as u8;
            carry >>= 8;
        }
        while carry > 0 {
            bytes.push((carry & 0xff) as u8);
            carry >>= 8;
        }
    }
    let mut out = vec![0u8; zeros];
    out.extend(bytes.iter().rev());
    Ok(out)
}

/// Lower-case hex.
pub fn hex_encode(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(HEX[(b >> 4) as usize] as char);
        out.push(HEX[(b & 15) as usize] as char);
    }
    out
}

/// Decodes hex in either case; the length must be even.
pub fn hex_decode(s: &str) -> Result<Vec<u8>, MultibaseError> {
    if !s.len().is_multiple_of(2) {
        return Err(MultibaseError::InvalidLength);
    }
    fn nibble(c: u8) -> Result<u8, MultibaseError> {
        match c {
            b'0'..=b'9' => Ok(c - b'0'),
            b'a'..=b'f' => Ok(c - b'a' + 10),
            b'A'..=b'F' => Ok(c - b'A' + 10),
            _ => Err(MultibaseError::InvalidCharacter),
        }
    }
    s.as_bytes()
        .chunks_exact(2)
        .map(|p| Ok((nibble(p[0])? << 4) | nibble(p[1])?))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base32_matches_rfc4648_test_vectors() {
        for (plain, enc) in [
            ("", ""),
            ("f", "my"),
            ("fo", "mzxq"),
            ("foo", "mzxw6"),
            ("foob", "mzxw6yq"),
            ("fooba", "mzxw6ytb"),
            ("foobar", "mzxw6ytboi"),
        ] {
            assert_eq!(base32_encode(plain.as_bytes()), enc);
            assert_eq!(base32_decode(enc).unwrap(), plain.as_bytes());
        }
    }

    #[test]
    fn base32_rejects_upper_case_and_bad_lengths() {
        assert!(base32_decode("MZXW6").is_err());
        assert!(base32_decode("m").is_err());
        assert!(base32_decode("mzx").is_err());
    }

    #[test]
    fn base58_round_trips_with_leading_zeros() {
        let data = [0u8, 0, 1, 2, 255, 7];
        let enc = base58btc_encode(&data);
        assert!(enc.starts_with("11"));
        assert_eq!(base58btc_decode(&enc).unwrap(), data);
        assert_eq!(base58btc_encode(b"hello world"), "StV1DL6CwTryKyV");
    }

    #[test]
    fn hex_round_trips() {
        assert_eq!(hex_encode(&[0, 0xab, 0x10]), "00ab10");
        assert_eq!(hex_decode("00AB10").unwrap(), vec![0, 0xab, 0x10]);
        assert!(hex_decode("0").is_err());
    }
}
