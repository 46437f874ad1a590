//! Validation of data-model values against compiled schemas.
//!
//! Works only on the typed schema and [`Value`]; nothing is allocated while data is valid. On
//! failure the path is collected while the recursion unwinds.

use unicode_segmentation::UnicodeSegmentation;

use super::schema::*;
use super::{Catalog, ValidationError};
use crate::cbor::{Map, Value};
use crate::syntax::{
    self, AtIdentifier, AtUri, Datetime, Did, Handle, Language, Nsid, RecordKey, Tid,
};

/// How deeply schemas may recurse through data (data itself is bounded by the decoders).
const MAX_DEPTH: usize = 256;

/// Longest string a `uri` format field may hold.
const MAX_URI_LEN: usize = 8 * 1024;

/// A failure on its way up: the path segments are pushed innermost first.
#[derive(Debug)]
pub(super) struct Fail {
    segments: Vec<String>,
    message: String,
}

impl Fail {
    pub(super) fn new(message: impl Into<String>) -> Fail {
        Fail {
            segments: Vec::new(),
            message: message.into(),
        }
    }

    pub(super) fn at(mut self, segment: impl Into<String>) -> Fail {
        self.segments.push(segment.into());
        self
    }

    /// Finishes the error under a root name such as `Record`.
    pub(super) fn into_error(self, root: &str) -> ValidationError {
        let mut path = String::from(root);
        for s in self.segments.iter().rev() {
            path.push('/');
            path.push_str(s);
        }
        ValidationError {
            path,
            message: self.message,
        }
    }
}

type R = Result<(), Fail>;

/// Validates against one schema.
pub(super) fn check_schema(cat: &Catalog, schema: &Schema, value: &Value, depth: usize) -> R {
    if depth > MAX_DEPTH {
        return Err(Fail::new("is nested too deeply"));
    }
    match schema {
        Schema::Boolean(s) => check_boolean(s, value),
        Schema::Integer(s) => check_integer(s, value),
        Schema::String(s) => check_string(s, value),
        Schema::Bytes(s) => check_bytes(s, value),
        Schema::CidLink => match value {
            Value::Link(_) => Ok(()),
            _ => Err(Fail::new("must be a cid link")),
        },
        Schema::Blob(s) => check_blob(s, value),
        Schema::Array(s) => check_array(cat, s, value, depth),
        Schema::Object(s) => check_object(cat, s, value, depth),
        Schema::Ref(r) => check_ref(cat, r, value, depth),
        Schema::Union(u) => check_union(cat, u, value, depth),
        Schema::Unknown => check_unknown(value),
    }
}

fn check_boolean(s: &BooleanSchema, value: &Value) -> R {
    let Value::Bool(b) = value else {
        return Err(Fail::new("must be a boolean"));
    };
    if let Some(c) = s.const_value
        && c != *b
    {
        return Err(Fail::new(format!("must be {c}")));
    }
    Ok(())
}

fn check_integer(s: &IntegerSchema, value: &Value) -> R {
    let Value::Integer(i) = value else {
        return Err(Fail::new("must be an integer"));
    };
    let i = *i;
    if let Some(c) = s.const_value
        && c != i
    {
        return Err(Fail::new(format!("must be {c}")));
    }
    if let Some(e) = &s.enum_values
        && !e.contains(&i)
    {
        return Err(Fail::new(format!("must be one of {e:?}")));
    }
    if let Some(min) = s.minimum
        && i < min
    {
        return Err(Fail::new(format!("can not be less than {min}")));
    }
    if let Some(max) = s.maximum
        && i > max
    {
        return Err(Fail::new(format!("can not be greater than {max}")));
    }
    Ok(())
}

pub(super) fn check_string(s: &StringSchema, value: &Value) -> R {
    let Value::String(v) = value else {
        return Err(Fail::new("must be a string"));
    };
    check_str(s, v)
}

fn check_str(s: &StringSchema, v: &str) -> R {
    if let Some(c) = &s.const_value
        && c != v
    {
        return Err(Fail::new(format!("must be {c:?}")));
    }
    if let Some(e) = &s.enum_values
        && !e.iter().any(|x| x == v)
    {
        return Err(Fail::new(format!("must be one of {e:?}")));
    }
    if let Some(min) = s.min_length
        && v.len() < min
    {
        return Err(Fail::new(format!("must not be shorter than {min} bytes")));
    }
    if let Some(max) = s.max_length
        && v.len() > max
    {
        return Err(Fail::new(format!("must not be longer than {max} bytes")));
    }
    // A string has at most as many grapheme clusters as bytes, so short strings skip counting,
    // and counting stops as soon as the answer is known.
    if let Some(min) = s.min_graphemes
        && (v.len() < min || v.graphemes(true).take(min).count() < min)
    {
        return Err(Fail::new(format!(
            "must not be shorter than {min} graphemes"
        )));
    }
    if let Some(max) = s.max_graphemes
        && v.len() > max
        && v.graphemes(true).take(max + 1).count() > max
    {
        return Err(Fail::new(format!(
            "must not be longer than {max} graphemes"
        )));
    }
    if let Some(f) = s.format
        && !format_ok(f, v)
    {
        return Err(Fail::new(format!("must be a valid {}", f.name())));
    }
    Ok(())
}

/// Checks a string against a Lexicon `format` (the most permissive syntax the spec allows).
pub(super) fn format_ok(f: StringFormat, v: &str) -> bool {
    match f {
        StringFormat::AtIdentifier => AtIdentifier::new(v).is_ok(),
        StringFormat::AtUri => AtUri::new(v).is_ok(),
        StringFormat::Cid => syntax::is_valid_cid_syntax(v),
        // The spec rejects impossible dates (April 31st, month 00), so the strict parse.
        StringFormat::Datetime => Datetime::new_strict(v).is_ok(),
        StringFormat::Did => Did::new(v).is_ok(),
        StringFormat::Handle => Handle::new(v).is_ok(),
        StringFormat::Nsid => Nsid::new(v).is_ok(),
        StringFormat::Tid => Tid::new(v).is_ok(),
        StringFormat::RecordKey => RecordKey::new(v).is_ok(),
        StringFormat::Uri => v.len() <= MAX_URI_LEN && syntax::is_valid_uri_syntax(v),
        // The spec asks for a "well-formed" tag; "valid" (no repeated variants or extension
        // singletons) is left to applications.
        StringFormat::Language => Language::new(v).is_ok(),
    }
}

fn check_bytes(s: &BytesSchema, value: &Value) -> R {
    let Value::Bytes(b) = value else {
        return Err(Fail::new("must be bytes"));
    };
    if let Some(min) = s.min_length
        && b.len() < min
    {
        return Err(Fail::new(format!("must not be shorter than {min} bytes")));
    }
    if let Some(max) = s.max_length
        && b.len() > max
    {
        return Err(Fail::new(format!("must not be longer than {max} bytes")));
    }
    Ok(())
}

fn check_blob(s: &BlobSchema, value: &Value) -> R {
    let Some(map) = value.as_map() else {
        return Err(Fail::new("must be a blob"));
    };
    let (mime, size) = match map.get("$type") {
        Some(Value::String(t)) if t == "blob" => {
            if !matches!(map.get("ref"), Some(Value::Link(_))) {
                return Err(Fail::new("must have a cid link as ref").at("ref"));
            }
            let size = match map.get("size") {
                Some(Value::Integer(n)) if *n >= 0 => *n,
                _ => return Err(Fail::new("must be a non-negative integer").at("size")),
            };
            (blob_mime(map)?, Some(size))
        }
        Some(_) => return Err(Fail::new("must be a blob")),
        // The deprecated form: `{cid: "<cid string>", mimeType}`, no `$type`, no size.
        None => match map.get("cid") {
            Some(Value::String(c)) if syntax::is_valid_cid_syntax(c) => (blob_mime(map)?, None),
            Some(_) => return Err(Fail::new("must be a cid string").at("cid")),
            None => return Err(Fail::new("must be a blob")),
        },
    };
    if let Some(accept) = &s.accept
        && !accept.iter().any(|p| p.matches(mime))
    {
        return Err(Fail::new(format!("mime type {mime:?} is not accepted")).at("mimeType"));
    }
    if let (Some(max), Some(size)) = (s.max_size, size)
        && size as u64 > max
    {
        return Err(Fail::new(format!("must not be larger than {max} bytes")).at("size"));
    }
    Ok(())
}

fn blob_mime(map: &Map) -> Result<&str, Fail> {
    match map.get("mimeType") {
        Some(Value::String(m)) if !m.is_empty() => Ok(m),
        _ => Err(Fail::new("must be a non-empty string").at("mimeType")),
    }
}

fn check_array(cat: &Catalog, s: &ArraySchema, value: &Value, depth: usize) -> R {
    let Value::Array(items) = value else {
        return Err(Fail::new("must be an array"));
    };
    if let Some(min) = s.min_length
        && items.len() < min
    {
        return Err(Fail::new(format!(
            "must not have fewer than {min} elements"
        )));
    }
    if let Some(max) = s.max_length
        && items.len() > max
    {
        return Err(Fail::new(format!("must not have more than {max} elements")));
    }
    for (i, item) in items.iter().enumerate() {
        check_schema(cat, &s.items, item, depth + 1).map_err(|f| f.at(i.to_string()))?;
    }
    Ok(())
}

pub(super) fn check_object(cat: &Catalog, s: &ObjectSchema, value: &Value, depth: usize) -> R {
    let Some(map) = value.as_map() else {
        return Err(Fail::new("must be an object"));
    };
    check_properties(cat, s, map, depth)
}

pub(super) fn check_properties(cat: &Catalog, s: &ObjectSchema, map: &Map, depth: usize) -> R {
    for p in &s.properties {
        match map.get(&p.name) {
            None => {
                if p.required {
                    return Err(Fail::new(format!("must have the property {:?}", p.name)));
                }
            }
            Some(Value::Null) => {
                if !p.nullable {
                    return Err(Fail::new("can not be null").at(p.name.as_str()));
                }
            }
            Some(v) => {
                check_schema(cat, &p.schema, v, depth + 1).map_err(|f| f.at(p.name.as_str()))?
            }
        }
    }
    Ok(())
}

/// Validates a record: an object whose `$type` is exactly the collection NSID.
pub(super) fn check_record(cat: &Catalog, collection: &str, def: &RecordDef, value: &Value) -> R {
    let Some(map) = value.as_map() else {
        return Err(Fail::new("must be an object"));
    };
    match map.get("$type") {
        Some(Value::String(t)) if t == collection => {}
        Some(Value::String(t)) => {
            return Err(Fail::new(format!("must be {collection:?}, not {t:?}")).at("$type"));
        }
        Some(_) => return Err(Fail::new("must be a string").at("$type")),
        None => return Err(Fail::new("must have the property \"$type\"")),
    }
    check_properties(cat, &def.record, map, 0)
}

/// Validates `value` as the data of a definition reached through a `ref` (or directly).
pub(super) fn check_def(cat: &Catalog, r: &RefTarget, def: &Def, value: &Value, depth: usize) -> R {
    match def {
        Def::Record(rec) => {
            if depth > MAX_DEPTH {
                return Err(Fail::new("is nested too deeply"));
            }
            let Some(map) = value.as_map() else {
                return Err(Fail::new("must be an object"));
            };
            match map.get("$type") {
                Some(Value::String(t)) if *t == r.nsid => {}
                _ => return Err(Fail::new(format!("must be {:?}", r.nsid)).at("$type")),
            }
            check_properties(cat, &rec.record, map, depth)
        }
        Def::Type(schema) => check_schema(cat, schema, value, depth + 1),
        other => Err(Fail::new(format!(
            "refers to {r}, a {}, which is not a data type",
            other.type_name()
        ))),
    }
}

fn check_ref(cat: &Catalog, r: &RefTarget, value: &Value, depth: usize) -> R {
    let def = cat
        .resolve(r)
        .ok_or_else(|| Fail::new(format!("refers to {r}, which is not in the catalog")))?;
    check_def(cat, r, def, value, depth)
}

pub(super) fn check_union(cat: &Catalog, u: &UnionSchema, value: &Value, depth: usize) -> R {
    let Some(map) = value.as_map() else {
        return Err(Fail::new("must be an object"));
    };
    let t = match map.get("$type") {
        Some(Value::String(t)) => t.as_str(),
        Some(_) => return Err(Fail::new("must be a string").at("$type")),
        None => {
            return Err(Fail::new(
                "must be an object which includes the \"$type\" property",
            ));
        }
    };
    match u.refs.iter().find(|r| r.matches_type(t)) {
        Some(r) => {
            let def = cat
                .resolve(r)
                .ok_or_else(|| Fail::new(format!("refers to {r}, which is not in the catalog")))?;
            match def {
                Def::Record(rec) => check_properties(cat, &rec.record, map, depth),
                Def::Type(Schema::Object(o)) => check_properties(cat, o, map, depth),
                other => Err(Fail::new(format!(
                    "refers to {r}, a {}, which can not be a union member",
                    other.type_name()
                ))),
            }
        }
        None if u.closed => {
            let names: Vec<String> = u.refs.iter().map(RefTarget::type_string).collect();
            Err(Fail::new(format!("must be one of {names:?}")).at("$type"))
        }
        // Open union: a type this schema does not know (perhaps a newer revision's) passes.
        None => Ok(()),
    }
}

fn check_unknown(value: &Value) -> R {
    let Some(map) = value.as_map() else {
        return Err(Fail::new("must be an object"));
    };
    if map.get("$type").and_then(Value::as_str) == Some("blob") {
        return Err(Fail::new("must be an object, not a blob"));
    }
    Ok(())
}

/// Converts one HTTP query parameter value to the data model by its schema.
pub(super) fn parse_param(schema: &Schema, raw: &str) -> Result<Value, Fail> {
    match schema {
        Schema::Boolean(_) => match raw {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err(Fail::new("must be true or false")),
        },
        Schema::Integer(_) => raw
            .parse::<i64>()
            .map(Value::Integer)
            .map_err(|_| Fail::new("must be an integer")),
        _ => Ok(Value::String(raw.to_owned())),
    }
}
