//! Event-stream frames (<https://atproto.com/specs/event-stream>): a DAG-CBOR header
//! (`{op: 1, t}` for messages, `{op: -1}` for errors) followed by a DAG-CBOR body, in one
//! binary WebSocket message.

use atproto::cbor::{Map, Value};

/// A message frame: header `{op: 1, t}` then `body`.
pub fn message_frame(t: &str, body: &Value) -> Vec<u8> {
    let mut header = Map::new();
    header.insert("op".into(), Value::Integer(1));
    header.insert("t".into(), Value::String(t.into()));
    let mut out = Value::Map(header).to_cbor();
    out.extend_from_slice(&body.to_cbor());
    out
}

/// An error frame: header `{op: -1}` then `{error, message}`.
pub fn error_frame(error: &str, message: Option<&str>) -> Vec<u8> {
    let mut header = Map::new();
    header.insert("op".into(), Value::Integer(-1));
    let mut body = Map::new();
    body.insert("error".into(), Value::String(error.into()));
    if let Some(m) = message {
        body.insert("message".into(), Value::String(m.into()));
    }
    let mut out = Value::Map(header).to_cbor();
    out.extend_from_slice(&Value::Map(body).to_cbor());
    out
}

/// Splits a frame into its header and body (for tests and tools).
pub fn parse_frame(bytes: &[u8]) -> Result<(Value, Value), atproto::cbor::CborError> {
    let mut d = atproto::cbor::Decoder::new(bytes);
    let header = d.read_value()?;
    let rest = &bytes[d.position()..];
    let body = Value::from_cbor(rest)?;
    Ok((header, body))
}
