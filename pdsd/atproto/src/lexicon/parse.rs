//! Parsing and checking Lexicon JSON documents into the typed [`schema`](super::schema) form.
//!
//! Unknown fields in schema objects are ignored (the language may grow), but every field the
//! spec defines is type-checked, and the structural rules of the spec are enforced: which types
//! may be named definitions, primary types only as `main`, what refs and unions may hold, and
//! the shape of XRPC, subscription and permission-set definitions.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map as JsonMap, Value as Json};

use super::LexiconError;
use super::schema::*;
use crate::syntax::{Language, Nsid, RecordKey};

/// Where in a document a problem is, for error messages.
struct Cx<'a> {
    id: &'a str,
}

impl Cx<'_> {
    fn err(&self, loc: &str, message: impl Into<String>) -> LexiconError {
        LexiconError::Invalid {
            id: self.id.to_owned(),
            location: loc.to_owned(),
            message: message.into(),
        }
    }
}

/// Parses and checks one document. References to other documents are only checked for syntax;
/// local references (`#name`) must exist in the document.
pub(super) fn parse_document(doc: &Json) -> Result<LexiconDoc, LexiconError> {
    let unknown = Cx { id: "" };
    let obj = doc
        .as_object()
        .ok_or_else(|| unknown.err("", "a lexicon document must be a json object"))?;
    let id = match obj.get("id") {
        Some(Json::String(s)) => s.as_str(),
        Some(_) => return Err(unknown.err("id", "must be a string")),
        None => return Err(unknown.err("id", "is required")),
    };
    let cx = Cx { id };
    if Nsid::new(id).is_err() {
        return Err(cx.err("id", format!("{id:?} is not a valid nsid")));
    }
    match obj.get("lexicon") {
        Some(v) if v.as_i64() == Some(1) => {}
        Some(v) if v.is_i64() || v.is_u64() => {
            return Err(cx.err("lexicon", "unsupported lexicon version (only 1 is known)"));
        }
        Some(_) => return Err(cx.err("lexicon", "must be the integer 1")),
        None => return Err(cx.err("lexicon", "is required")),
    }
    let description = opt_string(&cx, obj, "description", "")?;
    let defs_json = match obj.get("defs") {
        Some(Json::Object(m)) => m,
        Some(_) => return Err(cx.err("defs", "must be an object")),
        None => return Err(cx.err("defs", "is required")),
    };
    if defs_json.is_empty() {
        return Err(cx.err("defs", "a lexicon must have at least one definition"));
    }
    let mut defs = BTreeMap::new();
    let mut primary: Option<&str> = None;
    for (name, def) in defs_json {
        let loc = format!("defs/{name}");
        check_def_name(&cx, &loc, name)?;
        // Checked before the body so that the naming rule is the reported problem.
        if let Some(ty) = def.get("type").and_then(Json::as_str)
            && is_primary_type(ty)
            && name != "main"
        {
            return Err(cx.err(&loc, format!("a {ty} definition must be named main")));
        }
        let def = parse_def(&cx, &loc, def)?;
        if def.is_primary() {
            if let Some(other) = primary {
                return Err(cx.err(
                    &loc,
                    format!("a lexicon can have only one primary definition ({other} too)"),
                ));
            }
            primary = Some(name);
        }
        defs.insert(name.clone(), def);
    }
    let doc = LexiconDoc {
        id: id.to_owned(),
        description,
        defs,
    };
    check_local_refs(&doc)?;
    Ok(doc)
}

fn is_primary_type(ty: &str) -> bool {
    matches!(
        ty,
        "record" | "query" | "procedure" | "subscription" | "permission-set"
    )
}

fn check_def_name(cx: &Cx, loc: &str, name: &str) -> Result<(), LexiconError> {
    let mut bytes = name.bytes();
    let ok = bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(cx.err(loc, format!("{name:?} is not a valid definition name")))
    }
}

fn parse_def(cx: &Cx, loc: &str, v: &Json) -> Result<Def, LexiconError> {
    let obj = v
        .as_object()
        .ok_or_else(|| cx.err(loc, "a definition must be an object"))?;
    let ty = type_of(cx, loc, obj)?;
    let description = opt_string(cx, obj, "description", loc)?;
    Ok(match ty {
        "record" => Def::Record(parse_record(cx, loc, obj, description)?),
        "query" => Def::Query(parse_xrpc(cx, loc, obj, description, false)?),
        "procedure" => Def::Procedure(parse_xrpc(cx, loc, obj, description, true)?),
        "subscription" => Def::Subscription(parse_subscription(cx, loc, obj, description)?),
        "permission-set" => Def::PermissionSet(parse_permission_set(cx, loc, obj, description)?),
        "token" => Def::Token { description },
        "ref" | "union" | "unknown" | "params" | "permission" => {
            return Err(cx.err(
                loc,
                format!("type {ty} can not be used as a named definition"),
            ));
        }
        _ => Def::Type(parse_schema(cx, loc, v)?),
    })
}

fn type_of<'j>(
    cx: &Cx,
    loc: &str,
    obj: &'j JsonMap<String, Json>,
) -> Result<&'j str, LexiconError> {
    match obj.get("type") {
        Some(Json::String(s)) => Ok(s),
        Some(_) => Err(cx.err(&join(loc, "type"), "must be a string")),
        None => Err(cx.err(&join(loc, "type"), "is required")),
    }
}

fn join(loc: &str, field: &str) -> String {
    if loc.is_empty() {
        field.to_owned()
    } else {
        format!("{loc}/{field}")
    }
}

// ---- field accessors ----

fn opt_string(
    cx: &Cx,
    obj: &JsonMap<String, Json>,
    field: &str,
    loc: &str,
) -> Result<Option<String>, LexiconError> {
    match obj.get(field) {
        None => Ok(None),
        Some(Json::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(cx.err(&join(loc, field), "must be a string")),
    }
}

fn opt_bool(
    cx: &Cx,
    obj: &JsonMap<String, Json>,
    field: &str,
    loc: &str,
) -> Result<Option<bool>, LexiconError> {
    match obj.get(field) {
        None => Ok(None),
        Some(Json::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(cx.err(&join(loc, field), "must be a boolean")),
    }
}

fn opt_int(
    cx: &Cx,
    obj: &JsonMap<String, Json>,
    field: &str,
    loc: &str,
) -> Result<Option<i64>, LexiconError> {
    match obj.get(field) {
        None => Ok(None),
        Some(v) => v
            .as_i64()
            .map(Some)
            .ok_or_else(|| cx.err(&join(loc, field), "must be an integer")),
    }
}

fn opt_len(
    cx: &Cx,
    obj: &JsonMap<String, Json>,
    field: &str,
    loc: &str,
) -> Result<Option<usize>, LexiconError> {
    match obj.get(field) {
        None => Ok(None),
        Some(v) => v
            .as_u64()
            .and_then(|n| usize::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| cx.err(&join(loc, field), "must be a non-negative integer")),
    }
}

fn opt_strings(
    cx: &Cx,
    obj: &JsonMap<String, Json>,
    field: &str,
    loc: &str,
) -> Result<Option<Vec<String>>, LexiconError> {
    match obj.get(field) {
        None => Ok(None),
        Some(Json::Array(items)) => items
            .iter()
            .map(|i| {
                i.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| cx.err(&join(loc, field), "must be an array of strings"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(cx.err(&join(loc, field), "must be an array of strings")),
    }
}

fn check_range<T: PartialOrd>(
    cx: &Cx,
    loc: &str,
    min: Option<T>,
    max: Option<T>,
    what: &str,
) -> Result<(), LexiconError> {
    if let (Some(min), Some(max)) = (min, max)
        && min > max
    {
        return Err(cx.err(loc, format!("minimum {what} is larger than the maximum")));
    }
    Ok(())
}

// ---- primary types ----

fn parse_record(
    cx: &Cx,
    loc: &str,
    obj: &JsonMap<String, Json>,
    description: Option<String>,
) -> Result<RecordDef, LexiconError> {
    let key_loc = join(loc, "key");
    let key = match obj.get("key") {
        Some(Json::String(k)) => parse_record_key_type(k)
            .ok_or_else(|| cx.err(&key_loc, format!("{k:?} is not a record key type")))?,
        Some(_) => return Err(cx.err(&key_loc, "must be a string")),
        None => return Err(cx.err(&key_loc, "is required")),
    };
    let rec_loc = join(loc, "record");
    let record = match obj.get("record") {
        None => return Err(cx.err(&rec_loc, "is required")),
        Some(v) => {
            let o = v
                .as_object()
                .ok_or_else(|| cx.err(&rec_loc, "must be an object schema"))?;
            let ty = type_of(cx, &rec_loc, o)?;
            if ty != "object" {
                return Err(cx.err(&rec_loc, format!("must have type object, not {ty}")));
            }
            parse_object(cx, &rec_loc, o, false)?
        }
    };
    Ok(RecordDef {
        description,
        key,
        record,
    })
}

fn parse_record_key_type(k: &str) -> Option<RecordKeyType> {
    Some(match k {
        "tid" => RecordKeyType::Tid,
        "nsid" => RecordKeyType::Nsid,
        "any" => RecordKeyType::Any,
        _ => {
            let lit = k.strip_prefix("literal:")?;
            RecordKey::new(lit).ok()?;
            RecordKeyType::Literal(lit.to_owned())
        }
    })
}

fn parse_xrpc(
    cx: &Cx,
    loc: &str,
    obj: &JsonMap<String, Json>,
    description: Option<String>,
    procedure: bool,
) -> Result<XrpcDef, LexiconError> {
    let parameters = parse_opt_params(cx, loc, obj)?;
    let input = match obj.get("input") {
        None => None,
        Some(_) if !procedure => {
            return Err(cx.err(&join(loc, "input"), "only a procedure can have an input"));
        }
        Some(v) => Some(parse_body(cx, &join(loc, "input"), v)?),
    };
    let output = match obj.get("output") {
        None => None,
        Some(v) => Some(parse_body(cx, &join(loc, "output"), v)?),
    };
    let errors = parse_errors(cx, loc, obj)?;
    Ok(XrpcDef {
        description,
        parameters,
        input,
        output,
        errors,
    })
}

fn parse_opt_params(
    cx: &Cx,
    loc: &str,
    obj: &JsonMap<String, Json>,
) -> Result<Option<ObjectSchema>, LexiconError> {
    let ploc = join(loc, "parameters");
    let Some(v) = obj.get("parameters") else {
        return Ok(None);
    };
    let o = v
        .as_object()
        .ok_or_else(|| cx.err(&ploc, "must be a params schema"))?;
    let ty = type_of(cx, &ploc, o)?;
    if ty != "params" {
        return Err(cx.err(&ploc, format!("must have type params, not {ty}")));
    }
    let params = parse_object(cx, &ploc, o, true)?;
    for p in &params.properties {
        let ok = match &p.schema {
            Schema::Boolean(_) | Schema::Integer(_) | Schema::String(_) => true,
            Schema::Array(a) => matches!(
                a.items,
                Schema::Boolean(_) | Schema::Integer(_) | Schema::String(_)
            ),
            _ => false,
        };
        if !ok {
            return Err(cx.err(
                &format!("{ploc}/properties/{}", p.name),
                "a parameter must be a boolean, integer or string, or an array of one of those",
            ));
        }
    }
    Ok(Some(params))
}

fn parse_body(cx: &Cx, loc: &str, v: &Json) -> Result<Body, LexiconError> {
    let obj = v
        .as_object()
        .ok_or_else(|| cx.err(loc, "must be an object"))?;
    let description = opt_string(cx, obj, "description", loc)?;
    let encoding = opt_string(cx, obj, "encoding", loc)?
        .ok_or_else(|| cx.err(&join(loc, "encoding"), "is required"))?;
    if encoding.is_empty() {
        return Err(cx.err(&join(loc, "encoding"), "must not be empty"));
    }
    let schema = match obj.get("schema") {
        None => None,
        Some(s) => {
            let sloc = join(loc, "schema");
            let schema = parse_schema(cx, &sloc, s)?;
            if !matches!(
                schema,
                Schema::Object(_) | Schema::Ref(_) | Schema::Union(_)
            ) {
                return Err(cx.err(
                    &sloc,
                    format!(
                        "a body schema must be an object, ref or union, not {}",
                        schema.type_name()
                    ),
                ));
            }
            Some(schema)
        }
    };
    Ok(Body {
        description,
        encoding,
        schema,
    })
}

fn parse_errors(
    cx: &Cx,
    loc: &str,
    obj: &JsonMap<String, Json>,
) -> Result<Vec<ErrorDef>, LexiconError> {
    let eloc = join(loc, "errors");
    let Some(v) = obj.get("errors") else {
        return Ok(Vec::new());
    };
    let items = v
        .as_array()
        .ok_or_else(|| cx.err(&eloc, "must be an array"))?;
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let iloc = format!("{eloc}/{i}");
        let o = item
            .as_object()
            .ok_or_else(|| cx.err(&iloc, "must be an object"))?;
        let name = opt_string(cx, o, "name", &iloc)?
            .ok_or_else(|| cx.err(&join(&iloc, "name"), "is required"))?;
        if name.is_empty() || name.chars().any(char::is_whitespace) {
            return Err(cx.err(
                &join(&iloc, "name"),
                "must be a non-empty name without whitespace",
            ));
        }
        let description = opt_string(cx, o, "description", &iloc)?;
        out.push(ErrorDef { name, description });
    }
    Ok(out)
}

fn parse_subscription(
    cx: &Cx,
    loc: &str,
    obj: &JsonMap<String, Json>,
    description: Option<String>,
) -> Result<SubscriptionDef, LexiconError> {
    let parameters = parse_opt_params(cx, loc, obj)?;
    let mloc = join(loc, "message");
    let m = obj
        .get("message")
        .ok_or_else(|| cx.err(&mloc, "is required"))?
        .as_object()
        .ok_or_else(|| cx.err(&mloc, "must be an object"))?;
    let message_description = opt_string(cx, m, "description", &mloc)?;
    let sloc = join(&mloc, "schema");
    let schema = parse_schema(
        cx,
        &sloc,
        m.get("schema")
            .ok_or_else(|| cx.err(&sloc, "is required"))?,
    )?;
    let Schema::Union(message) = schema else {
        return Err(cx.err(
            &sloc,
            format!(
                "a message schema must be a union of refs, not {}",
                schema.type_name()
            ),
        ));
    };
    let errors = parse_errors(cx, loc, obj)?;
    Ok(SubscriptionDef {
        description,
        parameters,
        message,
        message_description,
        errors,
    })
}

fn parse_lang_map(
    cx: &Cx,
    obj: &JsonMap<String, Json>,
    field: &str,
    loc: &str,
) -> Result<BTreeMap<String, String>, LexiconError> {
    let floc = join(loc, field);
    let Some(v) = obj.get(field) else {
        return Ok(BTreeMap::new());
    };
    let m = v
        .as_object()
        .ok_or_else(|| cx.err(&floc, "must be an object of language tags to strings"))?;
    let mut out = BTreeMap::new();
    for (lang, text) in m {
        if Language::new(lang).is_err() {
            return Err(cx.err(&floc, format!("{lang:?} is not a language tag")));
        }
        let text = text
            .as_str()
            .ok_or_else(|| cx.err(&join(&floc, lang), "must be a string"))?;
        out.insert(lang.clone(), text.to_owned());
    }
    Ok(out)
}

fn parse_permission_set(
    cx: &Cx,
    loc: &str,
    obj: &JsonMap<String, Json>,
    description: Option<String>,
) -> Result<PermissionSetDef, LexiconError> {
    let title = opt_string(cx, obj, "title", loc)?;
    let title_lang = parse_lang_map(cx, obj, "title:lang", loc)?;
    let detail = opt_string(cx, obj, "detail", loc)?;
    let detail_lang = parse_lang_map(cx, obj, "detail:lang", loc)?;
    let ploc = join(loc, "permissions");
    let items = obj
        .get("permissions")
        .ok_or_else(|| cx.err(&ploc, "is required"))?
        .as_array()
        .ok_or_else(|| cx.err(&ploc, "must be an array"))?;
    let mut permissions = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        permissions.push(parse_permission(cx, &format!("{ploc}/{i}"), item)?);
    }
    Ok(PermissionSetDef {
        description,
        title,
        title_lang,
        detail,
        detail_lang,
        permissions,
    })
}

/// A non-empty array of unique strings.
fn unique_strings(
    cx: &Cx,
    obj: &JsonMap<String, Json>,
    field: &str,
    loc: &str,
    required: bool,
) -> Result<Vec<String>, LexiconError> {
    let floc = join(loc, field);
    let Some(list) = opt_strings(cx, obj, field, loc)? else {
        return if required {
            Err(cx.err(&floc, "is required"))
        } else {
            Ok(Vec::new())
        };
    };
    if list.is_empty() {
        return Err(cx.err(&floc, "must not be empty"));
    }
    let mut seen = BTreeSet::new();
    for s in &list {
        if !seen.insert(s.as_str()) {
            return Err(cx.err(&floc, format!("{s:?} is listed twice")));
        }
    }
    Ok(list)
}

fn parse_permission(cx: &Cx, loc: &str, v: &Json) -> Result<Permission, LexiconError> {
    let obj = v
        .as_object()
        .ok_or_else(|| cx.err(loc, "must be an object"))?;
    let ty = type_of(cx, loc, obj)?;
    if ty != "permission" {
        return Err(cx.err(loc, format!("must have type permission, not {ty}")));
    }
    let resource = opt_string(cx, obj, "resource", loc)?
        .ok_or_else(|| cx.err(&join(loc, "resource"), "is required"))?;
    let mut p = Permission {
        resource,
        collection: Vec::new(),
        action: Vec::new(),
        lxm: Vec::new(),
        aud: None,
        inherit_aud: false,
    };
    match p.resource.as_str() {
        "repo" => {
            p.collection = unique_strings(cx, obj, "collection", loc, true)?;
            for c in &p.collection {
                if Nsid::new(c).is_err() {
                    return Err(cx.err(
                        &join(loc, "collection"),
                        format!("{c:?} is not an nsid (wildcards are not allowed here)"),
                    ));
                }
            }
            p.action = unique_strings(cx, obj, "action", loc, false)?;
            for a in &p.action {
                if !matches!(a.as_str(), "create" | "update" | "delete") {
                    return Err(cx.err(
                        &join(loc, "action"),
                        format!("{a:?} is not one of create, update, delete"),
                    ));
                }
            }
        }
        "rpc" => {
            p.lxm = unique_strings(cx, obj, "lxm", loc, true)?;
            // The spec says wildcards are not supported for `lxm` in lexicons, but the official
            // catalog vector (catalog/permission-set.json) uses `"lxm": ["*"]` with
            // `inheritAud`; a `*` is accepted as long as `aud` is not also a wildcard.
            for l in &p.lxm {
                if l != "*" && Nsid::new(l).is_err() {
                    return Err(cx.err(&join(loc, "lxm"), format!("{l:?} is not an nsid")));
                }
            }
            p.aud = opt_string(cx, obj, "aud", loc)?;
            p.inherit_aud = opt_bool(cx, obj, "inheritAud", loc)?.unwrap_or(false);
            match p.aud.as_deref() {
                None if !p.inherit_aud => {
                    return Err(cx.err(&join(loc, "aud"), "is required unless inheritAud is true"));
                }
                Some(aud) if aud != "*" => {
                    return Err(cx.err(
                        &join(loc, "aud"),
                        "a permission set can only use the wildcard audience",
                    ));
                }
                Some(_) if p.lxm.iter().any(|l| l == "*") => {
                    return Err(cx.err(loc, "aud and lxm can not both be wildcards"));
                }
                _ => {}
            }
        }
        // Other resources (blob, account, identity, future ones) are not meaningful in a
        // lexicon and must be ignored by access control; they are kept as they are.
        _ => {}
    }
    Ok(p)
}

// ---- field types ----

/// Parses the schema of a value (object property, array item, body, or a named non-primary
/// definition).
fn parse_schema(cx: &Cx, loc: &str, v: &Json) -> Result<Schema, LexiconError> {
    let obj = v
        .as_object()
        .ok_or_else(|| cx.err(loc, "a schema must be an object"))?;
    let ty = type_of(cx, loc, obj)?;
    Ok(match ty {
        "boolean" => {
            let s = BooleanSchema {
                default: opt_bool(cx, obj, "default", loc)?,
                const_value: opt_bool(cx, obj, "const", loc)?,
            };
            if s.default.is_some() && s.const_value.is_some() {
                return Err(cx.err(loc, "const and default are mutually exclusive"));
            }
            Schema::Boolean(s)
        }
        "integer" => {
            let enum_values = match obj.get("enum") {
                None => None,
                Some(Json::Array(items)) => Some(
                    items
                        .iter()
                        .map(|i| {
                            i.as_i64().ok_or_else(|| {
                                cx.err(&join(loc, "enum"), "must be an array of integers")
                            })
                        })
                        .collect::<Result<Vec<_>, _>>()?,
                ),
                Some(_) => return Err(cx.err(&join(loc, "enum"), "must be an array of integers")),
            };
            let s = IntegerSchema {
                minimum: opt_int(cx, obj, "minimum", loc)?,
                maximum: opt_int(cx, obj, "maximum", loc)?,
                enum_values,
                default: opt_int(cx, obj, "default", loc)?,
                const_value: opt_int(cx, obj, "const", loc)?,
            };
            check_range(cx, loc, s.minimum, s.maximum, "value")?;
            if s.default.is_some() && s.const_value.is_some() {
                return Err(cx.err(loc, "const and default are mutually exclusive"));
            }
            Schema::Integer(s)
        }
        "string" => {
            let format = match opt_string(cx, obj, "format", loc)? {
                None => None,
                Some(f) => Some(StringFormat::from_name(&f).ok_or_else(|| {
                    cx.err(&join(loc, "format"), format!("unknown string format {f:?}"))
                })?),
            };
            let s = StringSchema {
                format,
                min_length: opt_len(cx, obj, "minLength", loc)?,
                max_length: opt_len(cx, obj, "maxLength", loc)?,
                min_graphemes: opt_len(cx, obj, "minGraphemes", loc)?,
                max_graphemes: opt_len(cx, obj, "maxGraphemes", loc)?,
                known_values: opt_strings(cx, obj, "knownValues", loc)?.unwrap_or_default(),
                enum_values: opt_strings(cx, obj, "enum", loc)?,
                default: opt_string(cx, obj, "default", loc)?,
                const_value: opt_string(cx, obj, "const", loc)?,
            };
            check_range(cx, loc, s.min_length, s.max_length, "length")?;
            check_range(cx, loc, s.min_graphemes, s.max_graphemes, "grapheme count")?;
            if s.default.is_some() && s.const_value.is_some() {
                return Err(cx.err(loc, "const and default are mutually exclusive"));
            }
            Schema::String(s)
        }
        "bytes" => {
            let s = BytesSchema {
                min_length: opt_len(cx, obj, "minLength", loc)?,
                max_length: opt_len(cx, obj, "maxLength", loc)?,
            };
            check_range(cx, loc, s.min_length, s.max_length, "length")?;
            Schema::Bytes(s)
        }
        "cid-link" => Schema::CidLink,
        "blob" => {
            let accept = match opt_strings(cx, obj, "accept", loc)? {
                None => None,
                Some(list) => Some(
                    list.iter()
                        .map(|m| {
                            MimePattern::parse(m).ok_or_else(|| {
                                cx.err(
                                    &join(loc, "accept"),
                                    format!("{m:?} is not a mime type or type/* pattern"),
                                )
                            })
                        })
                        .collect::<Result<Vec<_>, _>>()?,
                ),
            };
            let max_size = match obj.get("maxSize") {
                None => None,
                Some(v) => Some(v.as_u64().ok_or_else(|| {
                    cx.err(&join(loc, "maxSize"), "must be a non-negative integer")
                })?),
            };
            Schema::Blob(BlobSchema { accept, max_size })
        }
        "array" => {
            let iloc = join(loc, "items");
            let items = obj
                .get("items")
                .ok_or_else(|| cx.err(&iloc, "is required"))?;
            let items = parse_schema(cx, &iloc, items)?;
            let s = ArraySchema {
                items,
                min_length: opt_len(cx, obj, "minLength", loc)?,
                max_length: opt_len(cx, obj, "maxLength", loc)?,
            };
            check_range(cx, loc, s.min_length, s.max_length, "length")?;
            Schema::Array(Box::new(s))
        }
        "object" => Schema::Object(parse_object(cx, loc, obj, false)?),
        "ref" => {
            let r = opt_string(cx, obj, "ref", loc)?
                .ok_or_else(|| cx.err(&join(loc, "ref"), "is required"))?;
            Schema::Ref(parse_ref(cx, &join(loc, "ref"), &r)?)
        }
        "union" => {
            let rloc = join(loc, "refs");
            let refs =
                opt_strings(cx, obj, "refs", loc)?.ok_or_else(|| cx.err(&rloc, "is required"))?;
            let refs = refs
                .iter()
                .map(|r| parse_ref(cx, &rloc, r))
                .collect::<Result<Vec<_>, _>>()?;
            let closed = opt_bool(cx, obj, "closed", loc)?.unwrap_or(false);
            if closed && refs.is_empty() {
                return Err(cx.err(loc, "a closed union must have at least one ref"));
            }
            Schema::Union(UnionSchema { refs, closed })
        }
        "unknown" => Schema::Unknown,
        "token" => return Err(cx.err(loc, "a token can only be a named definition")),
        "params" => {
            return Err(cx.err(
                loc,
                "params can only be the parameters of an xrpc definition",
            ));
        }
        "permission" => {
            return Err(cx.err(loc, "a permission can only be part of a permission-set"));
        }
        ty if is_primary_type(ty) => {
            return Err(cx.err(
                loc,
                format!("{ty} is a primary type and can only be the main definition"),
            ));
        }
        other => return Err(cx.err(&join(loc, "type"), format!("unknown type {other:?}"))),
    })
}

/// Parses an `object` (or, with `params`, a `params`) schema.
fn parse_object(
    cx: &Cx,
    loc: &str,
    obj: &JsonMap<String, Json>,
    params: bool,
) -> Result<ObjectSchema, LexiconError> {
    let ploc = join(loc, "properties");
    let props = match obj.get("properties") {
        Some(Json::Object(m)) => Some(m),
        Some(_) => return Err(cx.err(&ploc, "must be an object")),
        // `params` may omit properties; the spec requires them on `object`.
        None if params => None,
        None => return Err(cx.err(&ploc, "is required")),
    };
    let required = opt_strings(cx, obj, "required", loc)?.unwrap_or_default();
    let nullable = if params {
        if obj.contains_key("nullable") {
            return Err(cx.err(&join(loc, "nullable"), "params can not be nullable"));
        }
        Vec::new()
    } else {
        opt_strings(cx, obj, "nullable", loc)?.unwrap_or_default()
    };
    let mut properties = Vec::new();
    if let Some(props) = props {
        for (name, schema) in props {
            let schema = parse_schema(cx, &join(&ploc, name), schema)?;
            properties.push(Property {
                required: required.contains(name),
                nullable: nullable.contains(name),
                name: name.clone(),
                schema,
            });
        }
    }
    properties.sort_by(|a, b| a.name.cmp(&b.name));
    for r in &required {
        if properties
            .binary_search_by(|p| p.name.as_str().cmp(r))
            .is_err()
        {
            return Err(cx.err(
                &join(loc, "required"),
                format!("required property {r:?} is not defined"),
            ));
        }
    }
    Ok(ObjectSchema { properties })
}

/// Parses a reference: `#name` (local), `nsid` (its main) or `nsid#name`.
fn parse_ref(cx: &Cx, loc: &str, r: &str) -> Result<RefTarget, LexiconError> {
    let (nsid, name) = match r.split_once('#') {
        Some(("", name)) => (cx.id, name),
        Some((nsid, name)) => (nsid, name),
        None => (r, "main"),
    };
    if Nsid::new(nsid).is_err() {
        return Err(cx.err(loc, format!("{r:?} is not a valid reference")));
    }
    check_def_name(cx, loc, name)
        .map_err(|_| cx.err(loc, format!("{r:?} is not a valid reference")))?;
    Ok(RefTarget {
        nsid: nsid.to_owned(),
        name: name.to_owned(),
    })
}

// ---- reference checks ----

/// Calls `f` with every reference in a schema (and where it is).
pub(super) fn visit_refs<'s>(
    schema: &'s Schema,
    loc: &str,
    f: &mut dyn FnMut(&'s RefTarget, bool, &str) -> Result<(), LexiconError>,
) -> Result<(), LexiconError> {
    match schema {
        Schema::Ref(r) => f(r, false, loc),
        Schema::Union(u) => {
            for r in &u.refs {
                f(r, true, loc)?;
            }
            Ok(())
        }
        Schema::Array(a) => visit_refs(&a.items, &join(loc, "items"), f),
        Schema::Object(o) => visit_object_refs(o, loc, f),
        _ => Ok(()),
    }
}

fn visit_object_refs<'s>(
    o: &'s ObjectSchema,
    loc: &str,
    f: &mut dyn FnMut(&'s RefTarget, bool, &str) -> Result<(), LexiconError>,
) -> Result<(), LexiconError> {
    for p in &o.properties {
        visit_refs(&p.schema, &format!("{loc}/properties/{}", p.name), f)?;
    }
    Ok(())
}

/// Calls `f(ref, in_union, location)` for every reference in a definition.
pub(super) fn visit_def_refs<'s>(
    def: &'s Def,
    loc: &str,
    f: &mut dyn FnMut(&'s RefTarget, bool, &str) -> Result<(), LexiconError>,
) -> Result<(), LexiconError> {
    match def {
        Def::Record(r) => visit_object_refs(&r.record, &join(loc, "record"), f),
        Def::Query(x) | Def::Procedure(x) => {
            if let Some(p) = &x.parameters {
                visit_object_refs(p, &join(loc, "parameters"), f)?;
            }
            for (field, body) in [("input", &x.input), ("output", &x.output)] {
                if let Some(Body {
                    schema: Some(s), ..
                }) = body
                {
                    visit_refs(s, &format!("{loc}/{field}/schema"), f)?;
                }
            }
            Ok(())
        }
        Def::Subscription(s) => {
            if let Some(p) = &s.parameters {
                visit_object_refs(p, &join(loc, "parameters"), f)?;
            }
            for r in &s.message.refs {
                f(r, true, &join(loc, "message/schema"))?;
            }
            Ok(())
        }
        Def::PermissionSet(_) | Def::Token { .. } => Ok(()),
        Def::Type(s) => visit_refs(s, loc, f),
    }
}

/// Checks that a reference points at something it may point at: a `ref` at a data type or a
/// record (not a token or an endpoint), a union member at an object or a record.
pub(super) fn check_ref_target(
    id: &str,
    loc: &str,
    r: &RefTarget,
    in_union: bool,
    target: Option<&Def>,
) -> Result<(), LexiconError> {
    let cx = Cx { id };
    let Some(target) = target else {
        return Err(cx.err(loc, format!("reference {r} does not resolve")));
    };
    let ok = if in_union {
        matches!(target, Def::Record(_) | Def::Type(Schema::Object(_)))
    } else {
        matches!(target, Def::Record(_) | Def::Type(_))
    };
    if ok {
        Ok(())
    } else {
        let what = if in_union { "a union member" } else { "a ref" };
        Err(cx.err(
            loc,
            format!(
                "{what} can not point to {r}, which is a {}",
                target.type_name()
            ),
        ))
    }
}

/// Checks the references of a document that point into the document itself.
fn check_local_refs(doc: &LexiconDoc) -> Result<(), LexiconError> {
    for (name, def) in &doc.defs {
        visit_def_refs(def, &format!("defs/{name}"), &mut |r, in_union, loc| {
            if r.nsid == doc.id {
                check_ref_target(&doc.id, loc, r, in_union, doc.defs.get(&r.name))
            } else {
                Ok(())
            }
        })?;
    }
    Ok(())
}
