//! Content identifiers (CIDv1): the binary form used inside DAG-CBOR and CAR files and the
//! base32 string form (`bafy...`) used in JSON.
//!
//! atproto's blessed CIDs are v1, sha2-256, with codec dag-cbor (records, MST nodes, commits) or
//! raw (blobs). Other v1 CIDs with digests up to 64 bytes are carried faithfully, so data that
//! links to them round-trips, but only the blessed ones are ever computed here.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use sha2::{Digest, Sha256};

use crate::multibase;

/// Multicodec code of DAG-CBOR.
pub const DAG_CBOR: u64 = 0x71;
/// Multicodec code of raw bytes (blobs).
pub const RAW: u64 = 0x55;
/// Multihash code of sha2-256.
pub const SHA2_256: u64 = 0x12;

/// Longest binary CID carried: version, codec and hash varints plus a 64-byte digest.
const MAX_LEN: usize = 72;

/// Why bytes or a string are not a CID this crate accepts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CidError {
    #[error("cid is truncated")]
    Truncated,
    #[error("cid version {0} is not supported (only CIDv1)")]
    UnsupportedVersion(u64),
    #[error("cid varint is malformed")]
    BadVarint,
    #[error("cid digest is longer than 64 bytes")]
    TooLong,
    #[error("cid has trailing bytes")]
    TrailingBytes,
    #[error("cid string is not base32 multibase: {0}")]
    BadString(String),
}

/// A CIDv1, stored inline (no allocation) so it is `Copy` and cheap to hash and compare.
#[derive(Clone, Copy)]
pub struct Cid {
    len: u8,
    bytes: [u8; MAX_LEN],
}

impl Cid {
    /// The CID of `data` encoded as DAG-CBOR (sha2-256).
    pub fn for_dag_cbor(data: &[u8]) -> Cid {
        Cid::from_digest(DAG_CBOR, &sha256(data))
    }

    /// The CID of a blob's raw bytes (sha2-256).
    pub fn for_raw(data: &[u8]) -> Cid {
        Cid::from_digest(RAW, &sha256(data))
    }

    /// A sha2-256 CIDv1 with the given codec (0x71 or 0x55) over an already computed digest.
    pub fn from_digest(codec: u64, digest: &[u8; 32]) -> Cid {
        let mut cid = Cid {
            len: 0,
            bytes: [0; MAX_LEN],
        };
        let mut n = 0;
        n += write_varint_into(1, &mut cid.bytes[n..]);
        n += write_varint_into(codec, &mut cid.bytes[n..]);
        n += write_varint_into(SHA2_256, &mut cid.bytes[n..]);
        cid.bytes[n] = 32;
        n += 1;
        cid.bytes[n..n + 32].copy_from_slice(digest);
        cid.len = (n + 32) as u8;
        cid
    }

    /// Parses a binary CID that must fill `bytes` exactly.
    pub fn from_bytes(bytes: &[u8]) -> Result<Cid, CidError> {
        let (cid, used) = Cid::read_prefix(bytes)?;
        if used != bytes.len() {
            return Err(CidError::TrailingBytes);
        }
        Ok(cid)
    }

    /// Parses a binary CID at the start of `bytes`, returning it and how many bytes it used
    /// (CAR sections put the CID right before the block data).
    pub fn read_prefix(bytes: &[u8]) -> Result<(Cid, usize), CidError> {
        let mut pos = 0;
        let version = read_varint(bytes, &mut pos)?;
        if version != 1 {
            return Err(CidError::UnsupportedVersion(version));
        }
        let _codec = read_varint(bytes, &mut pos)?;
        let _hash = read_varint(bytes, &mut pos)?;
        let digest_len = read_varint(bytes, &mut pos)?;
        if digest_len > 64 {
            return Err(CidError::TooLong);
        }
        let end = pos + digest_len as usize;
        if end > bytes.len() {
            return Err(CidError::Truncated);
        }
        if end > MAX_LEN {
            return Err(CidError::TooLong);
        }
        let mut cid = Cid {
            len: end as u8,
            bytes: [0; MAX_LEN],
        };
        cid.bytes[..end].copy_from_slice(&bytes[..end]);
        Ok((cid, end))
    }

    /// The binary form (as inside DAG-CBOR tag 42, without its leading 0x00, and in CAR files).
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len as usize]
    }

    /// The multicodec of the content (0x71 dag-cbor, 0x55 raw, ...).
    pub fn codec(&self) -> u64 {
        let mut pos = 0;
        let b = self.as_bytes();
        let _ = read_varint(b, &mut pos);
        read_varint(b, &mut pos).unwrap_or(0)
    }

    /// The multihash function code (0x12 for sha2-256).
    pub fn hash_code(&self) -> u64 {
        let mut pos = 0;
        let b = self.as_bytes();
        let _ = read_varint(b, &mut pos);
        let _ = read_varint(b, &mut pos);
        read_varint(b, &mut pos).unwrap_or(0)
    }

    /// The digest bytes of the multihash.
    pub fn digest(&self) -> &[u8] {
        let mut pos = 0;
        let b = self.as_bytes();
        for _ in 0..4 {
            let _ = read_varint(b, &mut pos);
        }
        &b[pos..]
    }

    /// True for the CIDs atproto blesses: v1, sha2-256 with 32-byte digest, dag-cbor or raw.
    pub fn is_blessed(&self) -> bool {
        self.len == 36
            && self.bytes[0] == 1
            && (self.bytes[1] as u64 == DAG_CBOR || self.bytes[1] as u64 == RAW)
            && self.bytes[2] as u64 == SHA2_256
            && self.bytes[3] == 32
    }

    /// Checks that `data` hashes to this CID (only sha2-256 CIDs can be checked).
    pub fn matches(&self, data: &[u8]) -> bool {
        self.hash_code() == SHA2_256 && self.digest() == sha256(data)
    }
}

/// SHA-256 of `data`.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

impl PartialEq for Cid {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}
impl Eq for Cid {}

impl Hash for Cid {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state);
    }
}

/// Orders by the binary form, the order canonical CAR files use.
impl Ord for Cid {
    fn cmp(&self, other: &Self) -> Ordering {
        self.as_bytes().cmp(other.as_bytes())
    }
}
impl PartialOrd for Cid {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Cid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&multibase::encode(
            multibase::Base::Base32Lower,
            self.as_bytes(),
        ))
    }
}

impl fmt::Debug for Cid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Cid({self})")
    }
}

impl FromStr for Cid {
    type Err = CidError;

    /// Parses the base32 (`b...`) string form; CIDv0 (`Qm...`) and other bases are refused,
    /// as atproto requires.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let rest = s
            .strip_prefix('b')
            .ok_or_else(|| CidError::BadString("missing 'b' prefix".into()))?;
        let bytes =
            multibase::base32_decode(rest).map_err(|e| CidError::BadString(e.to_string()))?;
        Cid::from_bytes(&bytes)
    }
}

impl serde::Serialize for Cid {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Cid {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Reads an unsigned LEB128 varint (at most 9 bytes, minimal, as multiformats require).
pub(crate) fn read_varint(bytes: &[u8], pos: &mut usize) -> Result<u64, CidError> {
    let mut value: u64 = 0;
    for i in 0..9 {
        let b = *bytes.get(*pos).ok_or(CidError::Truncated)?;
        *pos += 1;
        value |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            // A trailing zero group means the varint was not minimal.
            if b == 0 && i > 0 {
                return Err(CidError::BadVarint);
            }
            return Ok(value);
        }
    }
    Err(CidError::BadVarint)
}

/// Writes an unsigned LEB128 varint into `out`, returning its length.
pub(crate) fn write_varint_into(mut v: u64, out: &mut [u8]) -> usize {
    let mut n = 0;
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out[n] = b;
            return n + 1;
        }
        out[n] = b | 0x80;
        n += 1;
    }
}

/// Appends an unsigned LEB128 varint to `out`.
pub(crate) fn push_varint(v: u64, out: &mut Vec<u8>) {
    let mut buf = [0u8; 10];
    let n = write_varint_into(v, &mut buf);
    out.extend_from_slice(&buf[..n]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cid_string_round_trips_and_reports_its_parts() {
        let s = "bafyreidfayvfuwqa7qlnopdjiqrxzs6blmoeu4rujcjtnci5beludirz2a";
        let cid: Cid = s.parse().unwrap();
        assert_eq!(cid.to_string(), s);
        assert_eq!(cid.codec(), DAG_CBOR);
        assert_eq!(cid.hash_code(), SHA2_256);
        assert_eq!(cid.digest().len(), 32);
        assert!(cid.is_blessed());
        let raw: Cid = "bafkreiccldh766hwcnuxnf2wh6jgzepf2nlu2lvcllt63eww5p6chi4ity"
            .parse()
            .unwrap();
        assert_eq!(raw.codec(), RAW);
    }

    #[test]
    fn computed_cids_match_their_data() {
        let cid = Cid::for_dag_cbor(b"\xa0");
        assert!(cid.matches(b"\xa0"));
        assert!(!cid.matches(b"\xa1"));
        assert_eq!(Cid::from_bytes(cid.as_bytes()).unwrap(), cid);
    }

    #[test]
    fn bad_cids_are_errors() {
        assert!("Qmabc".parse::<Cid>().is_err());
        assert!("bafy".parse::<Cid>().is_err());
        assert!(Cid::from_bytes(&[1, 0x71, 0x12, 0x20, 1, 2]).is_err());
        assert!(Cid::from_bytes(&[0x12, 0x20]).is_err());
        let mut long = Cid::for_raw(b"x").as_bytes().to_vec();
        long.push(0);
        assert_eq!(Cid::from_bytes(&long), Err(CidError::TrailingBytes));
    }
}
