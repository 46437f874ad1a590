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
        Value::Integer(i) => {
            use std::fmt::Write;
            let _ = write!(out, "{i}");
        }
        Value::String(s) => write_json_string(s, out),
        Value::Bytes(b) => {
            out.push_str("{\"$bytes\":\"");
            STANDARD_NO_PAD.encode_string(b, out);
            out.push_str("\"}");
        }
        Value::Link(c) => {
            out.push_str("{\"$link\":\"");
            out.push_str(&c.to_string());
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

fn write_json_string(s: &str, out: &mut String) {
    out.push('"');
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let esc: Option<&str> = match b {
            b'"' => Some("\\\""),
            b'\\' => Some("\\\\"),
            b'\n' => Some("\\n"),
            b'\r' => Some("\\r"),
            b'\t' => Some("\\t"),
            0..=0x1f => None,
            _ => continue,
        };
        out.push_str(&s[start..i]);
        match esc {
            Some(e) => out.push_str(e),
            None => {
                use std::fmt::Write;
                let _ = write!(out, "\\u{b:04x}");
            }
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
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
}
