//! Canonical DAG-CBOR for the atproto data model.
//!
//! Encoding is deterministic: shortest integer heads, definite lengths, map keys sorted by
//! length then bytes (the DAG-CBOR rule), links as tag 42. Decoding is strict and rejects
//! anything another implementation could encode differently: floats, non-minimal heads,
//! indefinite lengths, tags other than 42, unsorted or duplicate keys, non-string keys, simple
//! values other than true/false/null, invalid UTF-8 and trailing bytes
//! (<https://atproto.com/specs/data-model>). Hostile input is an error, never a panic, and never
//! a large allocation: lengths are checked against the bytes actually present.
//!
//! Besides the generic [`Value`], the [`Decoder`] and `write_*` functions let hot-path types
//! (MST nodes, commits) encode and decode themselves without building a `Value`.

use std::collections::BTreeMap;

use crate::cid::Cid;

/// How deeply arrays and maps may nest before decoding gives up (keeps recursion bounded).
pub const MAX_DEPTH: usize = 128;

/// A map in the data model. Iteration order is lexicographic; the encoder applies the
/// DAG-CBOR (length-first) order itself.
pub type Map = BTreeMap<String, Value>;

/// A value of the atproto data model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Null,
    Bool(bool),
    Integer(i64),
    String(String),
    Bytes(Vec<u8>),
    Link(Cid),
    Array(Vec<Value>),
    Map(Map),
}

impl Value {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&Map> {
        match self {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_integer(&self) -> Option<i64> {
        match self {
            Value::Integer(i) => Some(*i),
            _ => None,
        }
    }

    pub fn as_link(&self) -> Option<&Cid> {
        match self {
            Value::Link(c) => Some(c),
            _ => None,
        }
    }

    /// The `$type` of an object, if it has a string one.
    pub fn type_name(&self) -> Option<&str> {
        self.as_map()?.get("$type")?.as_str()
    }

    /// Encodes as canonical DAG-CBOR.
    pub fn to_cbor(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(128);
        encode_value(self, &mut out);
        out
    }

    /// Decodes one complete DAG-CBOR value; any bytes after it are an error.
    pub fn from_cbor(bytes: &[u8]) -> Result<Value, CborError> {
        let mut d = Decoder::new(bytes);
        let v = d.read_value()?;
        d.finish()?;
        Ok(v)
    }

    /// Encodes and computes the dag-cbor CID in one step.
    pub fn to_cbor_with_cid(&self) -> (Vec<u8>, Cid) {
        let bytes = self.to_cbor();
        let cid = Cid::for_dag_cbor(&bytes);
        (bytes, cid)
    }
}

/// Why bytes are not canonical DAG-CBOR of the atproto data model.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CborError {
    #[error("unexpected end of input")]
    Eof,
    #[error("trailing bytes after the value")]
    TrailingBytes,
    #[error("floats are not allowed in the atproto data model")]
    Float,
    #[error("indefinite-length items are not allowed")]
    Indefinite,
    #[error("integer or length is not minimally encoded")]
    NonMinimal,
    #[error("reserved additional information {0}")]
    Reserved(u8),
    #[error("tag {0} is not allowed (only 42)")]
    Tag(u64),
    #[error("simple value {0} is not allowed")]
    Simple(u64),
    #[error("integer out of the 64-bit signed range")]
    IntegerRange,
    #[error("map key is not a string")]
    NonStringKey,
    #[error("map keys are not in canonical order or repeat: {0:?}")]
    KeyOrder(String),
    #[error("string is not valid UTF-8")]
    Utf8,
    #[error("invalid CID link: {0}")]
    Link(String),
    #[error("nesting deeper than {MAX_DEPTH}")]
    TooDeep,
    #[error("expected {expected}, found {found}")]
    Type {
        expected: &'static str,
        found: &'static str,
    },
    #[error("{0}")]
    Schema(String),
}

// ---------------------------------------------------------------------------------------------
// Encoding

/// Writes a CBOR head (major type and argument) in its shortest form.
#[inline]
pub fn write_head(out: &mut Vec<u8>, major: u8, n: u64) {
    let m = major << 5;
    if n < 24 {
        out.push(m | n as u8);
    } else if n <= u8::MAX as u64 {
        out.extend_from_slice(&[m | 24, n as u8]);
    } else if n <= u16::MAX as u64 {
        out.push(m | 25);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else if n <= u32::MAX as u64 {
        out.push(m | 26);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    } else {
        out.push(m | 27);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

#[inline]
pub fn write_null(out: &mut Vec<u8>) {
    out.push(0xf6);
}

#[inline]
pub fn write_bool(out: &mut Vec<u8>, b: bool) {
    out.push(if b { 0xf5 } else { 0xf4 });
}

#[inline]
pub fn write_int(out: &mut Vec<u8>, i: i64) {
    if i >= 0 {
        write_head(out, 0, i as u64);
    } else {
        write_head(out, 1, (-1 - i) as u64);
    }
}

#[inline]
pub fn write_text(out: &mut Vec<u8>, s: &str) {
    write_head(out, 3, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

#[inline]
pub fn write_bytes(out: &mut Vec<u8>, b: &[u8]) {
    write_head(out, 2, b.len() as u64);
    out.extend_from_slice(b);
}

/// Writes a link: tag 42 over the bytes `0x00 ++ cid`.
#[inline]
pub fn write_cid(out: &mut Vec<u8>, cid: &Cid) {
    let b = cid.as_bytes();
    out.extend_from_slice(&[0xd8, 42]);
    write_head(out, 2, b.len() as u64 + 1);
    out.push(0);
    out.extend_from_slice(b);
}

#[inline]
pub fn write_array_head(out: &mut Vec<u8>, len: usize) {
    write_head(out, 4, len as u64);
}

#[inline]
pub fn write_map_head(out: &mut Vec<u8>, len: usize) {
    write_head(out, 5, len as u64);
}

/// The DAG-CBOR key order: shorter keys first, then bytewise.
#[inline]
pub fn key_order(a: &str, b: &str) -> std::cmp::Ordering {
    a.len()
        .cmp(&b.len())
        .then_with(|| a.as_bytes().cmp(b.as_bytes()))
}

fn encode_value(v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::Null => write_null(out),
        Value::Bool(b) => write_bool(out, *b),
        Value::Integer(i) => write_int(out, *i),
        Value::String(s) => write_text(out, s),
        Value::Bytes(b) => write_bytes(out, b),
        Value::Link(c) => write_cid(out, c),
        Value::Array(items) => {
            write_array_head(out, items.len());
            for item in items {
                encode_value(item, out);
            }
        }
        Value::Map(map) => {
            write_map_head(out, map.len());
            // BTreeMap iterates bytewise; a stable sort by length gives length-then-bytes.
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by_key(|(k, _)| k.len());
            for (k, v) in entries {
                write_text(out, k);
                encode_value(v, out);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Decoding

/// The kind of the next item, as far as the data model is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Integer,
    Bytes,
    String,
    Array,
    Map,
    Link,
    Bool,
    Null,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Integer => "integer",
            Kind::Bytes => "bytes",
            Kind::String => "string",
            Kind::Array => "array",
            Kind::Map => "map",
            Kind::Link => "link",
            Kind::Bool => "boolean",
            Kind::Null => "null",
        }
    }
}

/// A strict pull decoder over a byte slice. Typed decoders call the `read_*` methods in the
/// order of the canonical encoding; [`Decoder::read_value`] decodes anything.
pub struct Decoder<'a> {
    buf: &'a [u8],
    pos: usize,
    depth: usize,
}

impl<'a> Decoder<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Decoder {
            buf,
            pos: 0,
            depth: 0,
        }
    }

    /// Bytes consumed so far.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Errors unless every byte has been consumed.
    pub fn finish(&self) -> Result<(), CborError> {
        if self.pos == self.buf.len() {
            Ok(())
        } else {
            Err(CborError::TrailingBytes)
        }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], CborError> {
        let end = self.pos.checked_add(n).ok_or(CborError::Eof)?;
        if end > self.buf.len() {
            return Err(CborError::Eof);
        }
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    /// Reads a head, enforcing minimal encoding; returns (major, argument).
    fn head(&mut self) -> Result<(u8, u64), CborError> {
        let b = *self.buf.get(self.pos).ok_or(CborError::Eof)?;
        self.pos += 1;
        let major = b >> 5;
        let ai = b & 0x1f;
        let n = match ai {
            0..=23 => u64::from(ai),
            24 => {
                let v = u64::from(self.take(1)?[0]);
                if v < 24 && major != 7 {
                    return Err(CborError::NonMinimal);
                }
                v
            }
            25 => {
                let s = self.take(2)?;
                let v = u64::from(u16::from_be_bytes([s[0], s[1]]));
                if major == 7 {
                    return Err(CborError::Float);
                }
                if v <= u8::MAX as u64 {
                    return Err(CborError::NonMinimal);
                }
                v
            }
            26 => {
                let s = self.take(4)?;
                let v = u64::from(u32::from_be_bytes([s[0], s[1], s[2], s[3]]));
                if major == 7 {
                    return Err(CborError::Float);
                }
                if v <= u16::MAX as u64 {
                    return Err(CborError::NonMinimal);
                }
                v
            }
            27 => {
                let s = self.take(8)?;
                let mut a = [0u8; 8];
                a.copy_from_slice(s);
                let v = u64::from_be_bytes(a);
                if major == 7 {
                    return Err(CborError::Float);
                }
                if v <= u32::MAX as u64 {
                    return Err(CborError::NonMinimal);
                }
                v
            }
            28..=30 => return Err(CborError::Reserved(ai)),
            _ => return Err(CborError::Indefinite),
        };
        Ok((major, n))
    }

    /// The kind of the next item, without consuming it.
    pub fn peek_kind(&self) -> Result<Kind, CborError> {
        let b = *self.buf.get(self.pos).ok_or(CborError::Eof)?;
        Ok(match b >> 5 {
            0 | 1 => Kind::Integer,
            2 => Kind::Bytes,
            3 => Kind::String,
            4 => Kind::Array,
            5 => Kind::Map,
            6 => Kind::Link,
            _ => match b {
                0xf4 | 0xf5 => Kind::Bool,
                0xf6 => Kind::Null,
                0xf9..=0xfb => return Err(CborError::Float),
                _ => return Err(CborError::Simple(u64::from(b & 0x1f))),
            },
        })
    }

    fn type_error(&self, expected: &'static str) -> CborError {
        let found = self.peek_kind().map(Kind::name).unwrap_or("invalid item");
        CborError::Type { expected, found }
    }

    fn expect_major(&mut self, major: u8, expected: &'static str) -> Result<u64, CborError> {
        let save = self.pos;
        let b = *self.buf.get(self.pos).ok_or(CborError::Eof)?;
        if b >> 5 != major {
            return Err(self.type_error(expected));
        }
        let (_, n) = self.head().inspect_err(|_| self.pos = save)?;
        Ok(n)
    }

    /// Reads a map head and returns its entry count.
    pub fn read_map_len(&mut self) -> Result<usize, CborError> {
        let n = self.expect_major(5, "map")?;
        // Each entry takes at least two bytes.
        if n > (self.buf.len() - self.pos) as u64 / 2 {
            return Err(CborError::Eof);
        }
        Ok(n as usize)
    }

    /// Reads an array head and returns its length.
    pub fn read_array_len(&mut self) -> Result<usize, CborError> {
        let n = self.expect_major(4, "array")?;
        if n > (self.buf.len() - self.pos) as u64 {
            return Err(CborError::Eof);
        }
        Ok(n as usize)
    }

    /// Reads a text string, borrowed from the input.
    pub fn read_text(&mut self) -> Result<&'a str, CborError> {
        let n = self.expect_major(3, "string")?;
        let bytes = self.take(usize::try_from(n).map_err(|_| CborError::Eof)?)?;
        std::str::from_utf8(bytes).map_err(|_| CborError::Utf8)
    }

    /// Reads a byte string, borrowed from the input.
    pub fn read_bytes(&mut self) -> Result<&'a [u8], CborError> {
        let n = self.expect_major(2, "bytes")?;
        self.take(usize::try_from(n).map_err(|_| CborError::Eof)?)
    }

    /// Reads an integer in the signed 64-bit range.
    pub fn read_int(&mut self) -> Result<i64, CborError> {
        let b = *self.buf.get(self.pos).ok_or(CborError::Eof)?;
        match b >> 5 {
            0 => {
                let (_, n) = self.head()?;
                i64::try_from(n).map_err(|_| CborError::IntegerRange)
            }
            1 => {
                let (_, n) = self.head()?;
                let n = i64::try_from(n).map_err(|_| CborError::IntegerRange)?;
                Ok(-1 - n)
            }
            _ => Err(self.type_error("integer")),
        }
    }

    /// Reads an unsigned integer.
    pub fn read_uint(&mut self) -> Result<u64, CborError> {
        self.expect_major(0, "unsigned integer")
    }

    pub fn read_bool(&mut self) -> Result<bool, CborError> {
        match self.buf.get(self.pos) {
            Some(0xf4) => {
                self.pos += 1;
                Ok(false)
            }
            Some(0xf5) => {
                self.pos += 1;
                Ok(true)
            }
            Some(_) => Err(self.type_error("boolean")),
            None => Err(CborError::Eof),
        }
    }

    /// Consumes a null if one is next and says whether it did.
    pub fn read_null(&mut self) -> Result<bool, CborError> {
        match self.buf.get(self.pos) {
            Some(0xf6) => {
                self.pos += 1;
                Ok(true)
            }
            Some(_) => Ok(false),
            None => Err(CborError::Eof),
        }
    }

    /// Reads a link (tag 42).
    pub fn read_cid(&mut self) -> Result<Cid, CborError> {
        let tag = self.expect_major(6, "link")?;
        if tag != 42 {
            return Err(CborError::Tag(tag));
        }
        let bytes = self.read_bytes()?;
        match bytes.split_first() {
            Some((0, rest)) => Cid::from_bytes(rest).map_err(|e| CborError::Link(e.to_string())),
            _ => Err(CborError::Link("missing the 0x00 multibase prefix".into())),
        }
    }

    /// Reads a link or null.
    pub fn read_optional_cid(&mut self) -> Result<Option<Cid>, CborError> {
        if self.read_null()? {
            Ok(None)
        } else {
            self.read_cid().map(Some)
        }
    }

    /// Reads the next map key, checking it sorts strictly after `prev` (canonical and unique).
    pub fn read_key(&mut self, prev: Option<&str>) -> Result<&'a str, CborError> {
        if self.peek_kind()? != Kind::String {
            return Err(CborError::NonStringKey);
        }
        let k = self.read_text()?;
        if let Some(p) = prev
            && key_order(p, k) != std::cmp::Ordering::Less
        {
            return Err(CborError::KeyOrder(k.to_string()));
        }
        Ok(k)
    }

    /// Decodes any data-model value.
    pub fn read_value(&mut self) -> Result<Value, CborError> {
        Ok(match self.peek_kind()? {
            Kind::Integer => Value::Integer(self.read_int()?),
            Kind::Bytes => Value::Bytes(self.read_bytes()?.to_vec()),
            Kind::String => Value::String(self.read_text()?.to_owned()),
            Kind::Link => Value::Link(self.read_cid()?),
            Kind::Bool => Value::Bool(self.read_bool()?),
            Kind::Null => {
                self.pos += 1;
                Value::Null
            }
            Kind::Array => {
                let n = self.read_array_len()?;
                self.enter()?;
                let mut items = Vec::with_capacity(n);
                for _ in 0..n {
                    items.push(self.read_value()?);
                }
                self.depth -= 1;
                Value::Array(items)
            }
            Kind::Map => {
                let n = self.read_map_len()?;
                self.enter()?;
                let mut map = Map::new();
                let mut prev: Option<&'a str> = None;
                for _ in 0..n {
                    let k = self.read_key(prev)?;
                    let v = self.read_value()?;
                    map.insert(k.to_owned(), v);
                    prev = Some(k);
                }
                self.depth -= 1;
                Value::Map(map)
            }
        })
    }

    /// Skips one complete value (validating it as strictly as `read_value`).
    pub fn skip_value(&mut self) -> Result<(), CborError> {
        match self.peek_kind()? {
            Kind::Integer => self.read_int().map(drop),
            Kind::Bytes => self.read_bytes().map(drop),
            Kind::String => self.read_text().map(drop),
            Kind::Link => self.read_cid().map(drop),
            Kind::Bool => self.read_bool().map(drop),
            Kind::Null => {
                self.pos += 1;
                Ok(())
            }
            Kind::Array => {
                let n = self.read_array_len()?;
                self.enter()?;
                for _ in 0..n {
                    self.skip_value()?;
                }
                self.depth -= 1;
                Ok(())
            }
            Kind::Map => {
                let n = self.read_map_len()?;
                self.enter()?;
                let mut prev: Option<&'a str> = None;
                for _ in 0..n {
                    prev = Some(self.read_key(prev)?);
                    self.skip_value()?;
                }
                self.depth -= 1;
                Ok(())
            }
        }
    }

    fn enter(&mut self) -> Result<(), CborError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(CborError::TooDeep);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_err(bytes: &[u8]) -> CborError {
        Value::from_cbor(bytes).unwrap_err()
    }

    #[test]
    fn integers_use_the_shortest_head() {
        for (i, hex) in [
            (0i64, "00"),
            (23, "17"),
            (24, "1818"),
            (255, "18ff"),
            (256, "190100"),
            (65536, "1a00010000"),
            (4294967296, "1b0000000100000000"),
            (-1, "20"),
            (-25, "3818"),
            (i64::MIN, "3b7fffffffffffffff"),
        ] {
            let enc = Value::Integer(i).to_cbor();
            assert_eq!(crate::multibase::hex_encode(&enc), hex, "{i}");
            assert_eq!(Value::from_cbor(&enc).unwrap(), Value::Integer(i));
        }
    }

    #[test]
    fn map_keys_are_sorted_length_first() {
        let mut m = Map::new();
        for k in ["bb", "a", "ccc", "b", "aa"] {
            m.insert(k.into(), Value::Null);
        }
        let enc = Value::Map(m.clone()).to_cbor();
        let mut d = Decoder::new(&enc);
        assert_eq!(d.read_map_len().unwrap(), 5);
        let mut keys = vec![];
        for _ in 0..5 {
            keys.push(d.read_text().unwrap());
            assert!(d.read_null().unwrap());
        }
        assert_eq!(keys, ["a", "b", "aa", "bb", "ccc"]);
        assert_eq!(Value::from_cbor(&enc).unwrap(), Value::Map(m));
    }

    #[test]
    fn decoder_rejects_non_canonical_input() {
        // float 1.5 (half precision)
        assert_eq!(decode_err(&[0xf9, 0x3e, 0x00]), CborError::Float);
        // double
        assert_eq!(
            decode_err(&[0xfb, 0, 0, 0, 0, 0, 0, 0, 0]),
            CborError::Float
        );
        // 1 encoded in two bytes
        assert_eq!(decode_err(&[0x18, 0x01]), CborError::NonMinimal);
        // indefinite-length array
        assert_eq!(decode_err(&[0x9f, 0xff]), CborError::Indefinite);
        // tag 1
        assert_eq!(decode_err(&[0xc1, 0x00]), CborError::Tag(1));
        // undefined
        assert_eq!(decode_err(&[0xf7]), CborError::Simple(23));
        // map {"b":0,"a":0}: wrong order
        assert!(matches!(
            decode_err(&[0xa2, 0x61, b'b', 0, 0x61, b'a', 0]),
            CborError::KeyOrder(_)
        ));
        // map {"a":0,"a":0}: duplicate
        assert!(matches!(
            decode_err(&[0xa2, 0x61, b'a', 0, 0x61, b'a', 0]),
            CborError::KeyOrder(_)
        ));
        // map with integer key
        assert_eq!(decode_err(&[0xa1, 0x01, 0x00]), CborError::NonStringKey);
        // trailing byte
        assert_eq!(decode_err(&[0x00, 0x00]), CborError::TrailingBytes);
        // invalid UTF-8
        assert_eq!(decode_err(&[0x61, 0xff]), CborError::Utf8);
        // u64 beyond i64
        assert_eq!(
            decode_err(&[0x1b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
            CborError::IntegerRange
        );
        // a huge array length with no bytes behind it must not allocate
        assert_eq!(decode_err(&[0x9b, 0, 0, 0, 1, 0, 0, 0, 0]), CborError::Eof);
        // tag 42 without the 0x00 prefix
        assert!(matches!(
            decode_err(&[0xd8, 0x2a, 0x41, 0x01]),
            CborError::Link(_)
        ));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let mut bytes = vec![0x81; 100_000];
        bytes.push(0x00);
        assert_eq!(decode_err(&bytes), CborError::TooDeep);
    }

    #[test]
    fn links_round_trip() {
        let cid = Cid::for_dag_cbor(b"hello");
        let v = Value::Array(vec![Value::Link(cid), Value::Bytes(vec![1, 2])]);
        assert_eq!(Value::from_cbor(&v.to_cbor()).unwrap(), v);
    }
}
