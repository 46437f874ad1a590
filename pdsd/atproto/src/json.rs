//! The atproto JSON form of the data model: `{"$link": cid}` for links, `{"$bytes": base64}` for
//! bytes, `$type` on objects, and blob references
//! (<https://atproto.com/specs/data-model#json-representation>).

use base64::Engine;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD_NO_PAD};
use serde_json::Value as Json;

use crate::cbor::{Map, Value};
use crate::cid::Cid;

/// Largest integer JSON can carry exactly (2^53 - 1); larger integral floats are refused.
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// Why a JSON or CBOR value is not valid atproto data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DataModelError {
    #[error("{path}: {reason}")]
    Invalid { path: String, reason: String },
}

fn invalid(path: &str, reason: impl Into<String>) -> DataModelError {
    DataModelError::Invalid {
        path: if path.is_empty() {
            "$".to_string()
        } else {
            path.to_string()
        },
        reason: reason.into(),
    }
}

/// Converts a JSON record (the top level must be an object) into the data model, checking
/// `$type`, links, bytes and blobs.
pub fn record_from_json(json: &Json) -> Result<Value, DataModelError> {
    if !json.is_object() {
        return Err(invalid("", "a record must be a JSON object"));
    }
    from_json(json)
}

/// Converts any JSON value into the data model.
pub fn from_json(json: &Json) -> Result<Value, DataModelError> {
    convert(json, &mut String::new(), 0)
}

fn convert(json: &Json, path: &mut String, depth: usize) -> Result<Value, DataModelError> {
    if depth > crate::cbor::MAX_DEPTH {
        return Err(invalid(path, "nested too deeply"));
    }
    Ok(match json {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::Integer(i)
            } else if n.as_u64().is_some() {
                return Err(invalid(path, "integer out of the 64-bit signed range"));
            } else {
                // `123.0` is an integer written with a decimal point; anything fractional is a
                // float, which the data model forbids.
                let f = n.as_f64().unwrap_or(f64::NAN);
                if f.fract() == 0.0 && f.abs() <= MAX_SAFE_INTEGER {
                    Value::Integer(f as i64)
                } else {
                    return Err(invalid(path, "floats are not allowed"));
                }
            }
        }
        Json::String(s) => Value::String(s.clone()),
        Json::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                out.push(convert(item, path, depth + 1)?);
                path.truncate(len);
            }
            Value::Array(out)
        }
        Json::Object(obj) => {
            if let Some(link) = obj.get("$link") {
                if obj.len() != 1 {
                    return Err(invalid(path, "$link object has extra fields"));
                }
                let s = link
                    .as_str()
                    .ok_or_else(|| invalid(path, "$link must be a string"))?;
                let cid: Cid = s
                    .parse()
                    .map_err(|e| invalid(path, format!("$link is not a CID: {e}")))?;
                return Ok(Value::Link(cid));
            }
            if let Some(bytes) = obj.get("$bytes") {
                if obj.len() != 1 {
                    return Err(invalid(path, "$bytes object has extra fields"));
                }
                let s = bytes
                    .as_str()
                    .ok_or_else(|| invalid(path, "$bytes must be a string"))?;
                let b = decode_base64(s).ok_or_else(|| invalid(path, "$bytes is not base64"))?;
                return Ok(Value::Bytes(b));
            }
            let mut map = Map::new();
            for (k, v) in obj {
                let len = path.len();
                path.push('.');
                path.push_str(k);
                map.insert(k.clone(), convert(v, path, depth + 1)?);
                path.truncate(len);
            }
            check_object(&map, path)?;
            Value::Map(map)
        }
    })
}

/// Reads `$bytes` as the reference implementation does: standard alphabet, padding optional,
/// and non-zero trailing bits in the last symbol tolerated (the record-data-valid vector
/// writes `"123"`). Output is always canonical: no padding, zero trailing bits.
const LENIENT_BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

fn decode_base64(s: &str) -> Option<Vec<u8>> {
    LENIENT_BASE64.decode(s).ok()
}

/// The object-level rules of the data model: `$type` is a non-empty string, and a blob
/// (`$type: "blob"`) has a link `ref`, a string `mimeType` and an integer `size`.
fn check_object(map: &Map, path: &str) -> Result<(), DataModelError> {
    if let Some(t) = map.get("$type") {
        match t {
            Value::String(s) if !s.is_empty() => {
                if s == "blob" {
                    check_blob(map, path)?;
                }
            }
            Value::String(_) => return Err(invalid(path, "$type must not be empty")),
            _ => return Err(invalid(path, "$type must be a string")),
        }
    }
    Ok(())
}

fn check_blob(map: &Map, path: &str) -> Result<(), DataModelError> {
    match map.get("ref") {
        Some(Value::Link(_)) => {}
        Some(_) => return Err(invalid(path, "blob ref must be a link")),
        None => return Err(invalid(path, "blob is missing ref")),
    }
    match map.get("mimeType") {
        Some(Value::String(_)) => {}
        Some(_) => return Err(invalid(path, "blob mimeType must be a string")),
        None => return Err(invalid(path, "blob is missing mimeType")),
    }
    match map.get("size") {
        Some(Value::Integer(n)) if *n >= 0 => {}
        Some(_) => return Err(invalid(path, "blob size must be a non-negative integer")),
        None => return Err(invalid(path, "blob is missing size")),
    }
    Ok(())
}

/// Checks a decoded CBOR value against the same object rules JSON input gets.
pub fn check_data_model(value: &Value) -> Result<(), DataModelError> {
    fn walk(v: &Value, path: &mut String) -> Result<(), DataModelError> {
        match v {
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    let len = path.len();
                    path.push_str(&format!("[{i}]"));
                    walk(item, path)?;
                    path.truncate(len);
                }
            }
            Value::Map(map) => {
                for (k, item) in map {
                    let len = path.len();
                    path.push('.');
                    path.push_str(k);
                    walk(item, path)?;
                    path.truncate(len);
                }
                check_object(map, path)?;
            }
            _ => {}
        }
        Ok(())
    }
    walk(value, &mut String::new())
}

/// Converts a data-model value to atproto JSON.
pub fn to_json(value: &Value) -> Json {
    match value {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Integer(i) => Json::from(*i),
        Value::String(s) => Json::String(s.clone()),
        Value::Bytes(b) => {
            let mut m = serde_json::Map::with_capacity(1);
            m.insert("$bytes".into(), Json::String(STANDARD_NO_PAD.encode(b)));
            Json::Object(m)
        }
        Value::Link(c) => {
            let mut m = serde_json::Map::with_capacity(1);
            m.insert("$link".into(), Json::String(c.to_string()));
            Json::Object(m)
        }
        Value::Array(items) => Json::Array(items.iter().map(to_json).collect()),
        Value::Map(map) => Json::Object(map.iter().map(|(k, v)| (k.clone(), to_json(v))).collect()),
    }
}

/// Writes a data-model value as compact atproto JSON text, without building a
/// `serde_json::Value` first (the getRecord hot path).
pub fn write_json(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Integer(i) => write_integer(*i, out),
        Value::String(s) => write_json_string(s, out),
        Value::Bytes(b) => {
            out.push_str("{\"$bytes\":\"");
            STANDARD_NO_PAD.encode_string(b, out);
            out.push_str("\"}");
        }
        Value::Link(c) => {
            out.push_str("{\"$link\":\"");
            write_cid(c, out);
            out.push_str("\"}");
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(item, out);
            }
            out.push(']');
        }
        Value::Map(map) => {
            out.push('{');
            for (i, (k, v)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json_string(k, out);
                out.push(':');
                write_json(v, out);
            }
            out.push('}');
        }
    }
}

/// Writes a string as a JSON string literal (the escapes serde_json uses).
pub fn write_json_string(s: &str, out: &mut String) {
    out.push('"');
    write_json_string_contents(s, out);
    out.push('"');
}

/// Bytes a JSON string cannot hold as they are: control characters, `"` and `\`.
static NEEDS_ESCAPE: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = true;
        i += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t
};

/// Where the first byte that needs escaping is: eight bytes at a time while there is none.
#[inline]
fn first_to_escape(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let mut i = 0;
    while let Some(word) = bytes.get(i..i + 8) {
        let mut w = [0u8; 8];
        w.copy_from_slice(word);
        let w = u64::from_le_bytes(w);
        // The high bit of a byte is set in `has_*` where that byte is below 0x20, `"` or `\`
        // (possibly also in bytes after one that is: the exact search below sorts that out).
        let below_space = w.wrapping_sub(ONES * 0x20) & !w;
        let quote = w ^ (ONES * u64::from(b'"'));
        let has_quote = quote.wrapping_sub(ONES) & !quote;
        let backslash = w ^ (ONES * u64::from(b'\\'));
        let has_backslash = backslash.wrapping_sub(ONES) & !backslash;
        if (below_space | has_quote | has_backslash) & HIGHS != 0 {
            break;
        }
        i += 8;
    }
    bytes[i..]
        .iter()
        .position(|&b| NEEDS_ESCAPE[usize::from(b)])
        .map(|p| i + p)
}

/// Writes the inside of a JSON string literal (no quotes), escaping what needs it, so that a
/// string can be written in pieces.
pub fn write_json_string_contents(s: &str, out: &mut String) {
    let bytes = s.as_bytes();
    // Most strings need no escape: find the first byte that does in one pass.
    let mut start = 0;
    while let Some(off) = first_to_escape(&bytes[start..]) {
        let i = start + off;
        out.push_str(&s[start..i]);
        let b = bytes[i];
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.push_str("\\u00");
                out.push(HEX[usize::from(b >> 4)] as char);
                out.push(HEX[usize::from(b & 15)] as char);
            }
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
}

fn write_integer(i: i64, out: &mut String) {
    let mut buf = [0u8; 20];
    let mut pos = buf.len();
    let mut n = i.unsigned_abs();
    loop {
        pos -= 1;
        buf[pos] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if i < 0 {
        out.push('-');
    }
    // ASCII digits only.
    out.push_str(std::str::from_utf8(&buf[pos..]).unwrap_or_default());
}

/// Writes a CID's string form (base32, `b` prefix), as its `Display` does, without an
/// intermediate `String`.
pub fn write_cid(cid: &Cid, out: &mut String) {
    const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
    let bytes = cid.as_bytes();
    // A CID is at most 72 bytes: 116 base32 characters and the prefix.
    let mut buf = [0u8; 128];
    buf[0] = b'b';
    let mut n = 1;
    // Five bytes make eight characters.
    let mut groups = bytes.chunks_exact(5);
    for g in &mut groups {
        let v = g.iter().fold(0u64, |v, &b| (v << 8) | u64::from(b));
        for k in 0..8 {
            buf[n + k] = ALPHABET[((v >> (35 - 5 * k)) & 31) as usize];
        }
        n += 8;
    }
    let mut buffer: u64 = 0;
    let mut bits = 0u32;
    for &b in groups.remainder() {
        buffer = (buffer << 8) | u64::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            buf[n] = ALPHABET[((buffer >> bits) & 31) as usize];
            n += 1;
        }
    }
    if bits > 0 {
        buf[n] = ALPHABET[((buffer << (5 - bits)) & 31) as usize];
        n += 1;
    }
    // ASCII only.
    out.push_str(std::str::from_utf8(&buf[..n]).unwrap_or_default());
}

/// Reusable buffers for [`write_json_from_cbor`]: keep one per thread or per response to
/// avoid allocating for every record.
#[derive(Default)]
pub struct CborJsonScratch {
    /// A map's entries while they are reordered: (key, start, end) of each value's JSON text.
    entries: Vec<(usize, usize, usize, usize)>,
    /// A map's value texts, moved out of the output while the map is written in key order.
    text: String,
}

/// Writes DAG-CBOR bytes as compact atproto JSON text, exactly as
/// `write_json(&Value::from_cbor(bytes)?, out)` would (same checks, same errors, map keys in
/// bytewise order), but without building the `Value`. On error `out` holds partial output.
pub fn write_json_from_cbor(
    bytes: &[u8],
    out: &mut String,
    scratch: &mut CborJsonScratch,
) -> Result<(), crate::cbor::CborError> {
    let mut d = crate::cbor::Decoder::new(bytes);
    cbor_to_json(&mut d, bytes, out, scratch, 0)?;
    d.finish()
}

fn cbor_to_json(
    d: &mut crate::cbor::Decoder<'_>,
    input: &[u8],
    out: &mut String,
    scratch: &mut CborJsonScratch,
    depth: usize,
) -> Result<(), crate::cbor::CborError> {
    use crate::cbor::{CborError, Kind, MAX_DEPTH};
    match d.peek_kind()? {
        Kind::Integer => write_integer(d.read_int()?, out),
        Kind::String => write_json_string(d.read_text()?, out),
        Kind::Bytes => {
            let b = d.read_bytes()?;
            out.push_str("{\"$bytes\":\"");
            STANDARD_NO_PAD.encode_string(b, out);
            out.push_str("\"}");
        }
        Kind::Link => {
            let c = d.read_cid()?;
            out.push_str("{\"$link\":\"");
            write_cid(&c, out);
            out.push_str("\"}");
        }
        Kind::Bool => out.push_str(if d.read_bool()? { "true" } else { "false" }),
        Kind::Null => {
            d.read_null()?;
            out.push_str("null");
        }
        Kind::Array => {
            let n = d.read_array_len()?;
            if depth + 1 > MAX_DEPTH {
                return Err(CborError::TooDeep);
            }
            out.push('[');
            for i in 0..n {
                if i > 0 {
                    out.push(',');
                }
                cbor_to_json(d, input, out, scratch, depth + 1)?;
            }
            out.push(']');
        }
        Kind::Map => {
            let n = d.read_map_len()?;
            if depth + 1 > MAX_DEPTH {
                return Err(CborError::TooDeep);
            }
            // Values are written in the input's (length-first) key order, then the object is
            // assembled in bytewise key order, as a BTreeMap of the keys iterates.
            let base = out.len();
            let mark = scratch.entries.len();
            let mut prev: Option<&str> = None;
            for _ in 0..n {
                let k = d.read_key(prev)?;
                // The key borrows from `input`: remember where.
                let k_start = k.as_ptr() as usize - input.as_ptr() as usize;
                let v_start = out.len();
                cbor_to_json(d, input, out, scratch, depth + 1)?;
                scratch
                    .entries
                    .push((k_start, k.len(), v_start - base, out.len() - base));
                prev = Some(k);
            }
            let key = |e: &(usize, usize, usize, usize)| &input[e.0..e.0 + e.1];
            let entries = &mut scratch.entries[mark..];
            let sorted = entries.windows(2).all(|w| key(&w[0]) < key(&w[1]));
            if !sorted {
                entries.sort_unstable_by(|a, b| key(a).cmp(key(b)));
            }
            scratch.text.clear();
            scratch.text.push_str(&out[base..]);
            out.truncate(base);
            out.push('{');
            for (i, e) in scratch.entries[mark..].iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                // Keys were checked to be UTF-8 by `read_key`.
                write_json_string(
                    std::str::from_utf8(key(e)).map_err(|_| CborError::Utf8)?,
                    out,
                );
                out.push(':');
                out.push_str(&scratch.text[e.2..e.3]);
            }
            out.push('}');
            scratch.entries.truncate(mark);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn integral_floats_become_integers_and_fractions_are_refused() {
        assert_eq!(from_json(&json!(123.0)).unwrap(), Value::Integer(123));
        assert!(from_json(&json!(1.5)).is_err());
        assert!(from_json(&json!(1e300)).is_err());
    }

    #[test]
    fn write_json_matches_serde_json() {
        let v = from_json(&json!({
            "text": "quote \" backslash \\ newline \n tab \t bell \u{7} é 😀",
            "n": -5,
            "list": [true, false, null, {"$bytes": "AQID"}],
            "link": {"$link": "bafyreidfayvfuwqa7qlnopdjiqrxzs6blmoeu4rujcjtnci5beludirz2a"}
        }))
        .unwrap();
        let mut s = String::new();
        write_json(&v, &mut s);
        let parsed: Json = serde_json::from_str(&s).unwrap();
        assert_eq!(parsed, to_json(&v));
        assert_eq!(from_json(&parsed).unwrap(), v);
    }

    fn cbor_json(bytes: &[u8]) -> Result<String, crate::cbor::CborError> {
        let mut s = String::new();
        write_json_from_cbor(bytes, &mut s, &mut CborJsonScratch::default())?;
        Ok(s)
    }

    #[test]
    fn json_from_cbor_matches_json_from_value() {
        let values = [
            json!({
                "text": "quote \" backslash \\ newline \n tab \t bell \u{7} \u{7f} é 😀",
                "n": -5,
                "big": 9007199254740991i64,
                "list": [true, false, null, {"$bytes": "AQID"}, [], {}],
                "link": {"$link": "bafyreidfayvfuwqa7qlnopdjiqrxzs6blmoeu4rujcjtnci5beludirz2a"},
                "zz": {"b": 1, "a": 2, "aa": {"ccc": "x", "b": [1, {"y": 1, "x": 2}]}},
                "B": "upper", "é": "non-ascii key", "": "empty key", "$type": "x.y.z"
            }),
            json!([]),
            json!("just a string"),
            json!(0),
            json!(null),
        ];
        for v in values {
            let value = from_json(&v).unwrap();
            let mut expected = String::new();
            write_json(&value, &mut expected);
            assert_eq!(cbor_json(&value.to_cbor()).unwrap(), expected);
        }
        for i in [0i64, 1, -1, 23, 24, -25, 255, 256, i64::MAX, i64::MIN] {
            let mut expected = String::new();
            write_json(&Value::Integer(i), &mut expected);
            assert_eq!(expected, i.to_string());
            assert_eq!(cbor_json(&Value::Integer(i).to_cbor()).unwrap(), expected);
        }
    }

    #[test]
    fn json_from_cbor_refuses_what_the_decoder_refuses() {
        let bad: &[&[u8]] = &[
            b"",                       // nothing
            b"\xa1\x61a",              // map value missing
            b"\xa2\x61b\x01\x61a\x02", // keys out of order
            b"\xa2\x61a\x01\x61a\x02", // repeated key
            b"\xa1\x01\x02",           // non-string key
            b"\xf9\x00\x00",           // float
            b"\x18\x01",               // non-minimal integer
            b"\x01\x02",               // trailing bytes
            b"\x9f\xff",               // indefinite length
            b"\xc1\x01",               // tag other than 42
            b"\x62\xff\xfe",           // invalid UTF-8
        ];
        for b in bad {
            let expected = Value::from_cbor(b).unwrap_err();
            assert_eq!(cbor_json(b).unwrap_err(), expected, "{b:?}");
        }
        // Nesting: as deep as the decoder allows, and one level deeper.
        let nest = |n: usize| {
            let mut b = vec![0x81; n];
            b.push(0x01);
            b
        };
        let ok = nest(crate::cbor::MAX_DEPTH);
        assert!(Value::from_cbor(&ok).is_ok());
        assert!(cbor_json(&ok).is_ok());
        let deep = nest(crate::cbor::MAX_DEPTH + 1);
        assert_eq!(
            cbor_json(&deep).unwrap_err(),
            Value::from_cbor(&deep).unwrap_err()
        );
    }

    #[test]
    fn cid_text_matches_display() {
        let cid: Cid = "bafyreidfayvfuwqa7qlnopdjiqrxzs6blmoeu4rujcjtnci5beludirz2a"
            .parse()
            .unwrap();
        let mut s = String::new();
        write_cid(&cid, &mut s);
        assert_eq!(s, cid.to_string());
        let raw = Cid::for_raw(b"blob");
        s.clear();
        write_cid(&raw, &mut s);
        assert_eq!(s, raw.to_string());
    }

    #[test]
    fn string_escapes_are_found_at_every_position() {
        fn naive(s: &str) -> String {
            let mut out = String::new();
            for c in s.chars() {
                match c {
                    '"' => out.push_str("\\\""),
                    '\\' => out.push_str("\\\\"),
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    '\t' => out.push_str("\\t"),
                    c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
                    c => out.push(c),
                }
            }
            out
        }
        let specials = [
            '"', '\\', '\n', '\u{0}', '\u{1f}', '\u{8}', 'é', '\u{7f}', ' ', '!', '#',
        ];
        for len in 0..24 {
            for pos in 0..=len {
                for c in specials {
                    let mut s: String = "ab😀".chars().cycle().take(len).collect();
                    let at = s.char_indices().nth(pos).map_or(s.len(), |(i, _)| i);
                    s.insert(at, c);
                    let mut got = String::new();
                    write_json_string_contents(&s, &mut got);
                    assert_eq!(got, naive(&s), "{s:?}");
                }
            }
        }
    }

    #[test]
    fn cid_text_matches_display_for_every_length() {
        for len in 0..=40u8 {
            let mut bytes = vec![0x01, 0x55, 0x00, len];
            bytes.extend((0..len).map(|i| i.wrapping_mul(37) ^ 0xa5));
            let cid = Cid::from_bytes(&bytes).unwrap();
            let mut s = String::new();
            write_cid(&cid, &mut s);
            assert_eq!(s, cid.to_string(), "{len}");
        }
    }
}
