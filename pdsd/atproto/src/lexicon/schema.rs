//! The compiled form of Lexicon documents.
//!
//! A document is parsed and checked once ([`super::Catalog::add_document`]) into these typed
//! structures; validation then works on them only. References are stored already resolved to
//! a full `nsid` + definition name, so looking one up needs no string building.

use std::collections::BTreeMap;

/// One Lexicon document: an NSID and its named definitions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LexiconDoc {
    /// The document's NSID.
    pub id: String,
    pub description: Option<String>,
    /// The definitions by short name (`main` is the primary one).
    pub defs: BTreeMap<String, Def>,
}

impl LexiconDoc {
    /// The `main` definition, if the document has one.
    pub fn main(&self) -> Option<&Def> {
        self.defs.get("main")
    }
}

/// A named definition in a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Def {
    Record(RecordDef),
    Query(XrpcDef),
    Procedure(XrpcDef),
    Subscription(SubscriptionDef),
    PermissionSet(PermissionSetDef),
    /// A named symbol; it has no data representation.
    Token {
        description: Option<String>,
    },
    /// A data type: `object`, `array`, `string`, `integer`, `boolean`, `bytes`, `cid-link` or
    /// `blob` (never `ref`, `union` or `unknown`, which can not be named definitions).
    Type(Schema),
}

impl Def {
    /// The `type` name the definition was declared with.
    pub fn type_name(&self) -> &'static str {
        match self {
            Def::Record(_) => "record",
            Def::Query(_) => "query",
            Def::Procedure(_) => "procedure",
            Def::Subscription(_) => "subscription",
            Def::PermissionSet(_) => "permission-set",
            Def::Token { .. } => "token",
            Def::Type(s) => s.type_name(),
        }
    }

    /// True for the primary types (record, query, procedure, subscription, permission-set).
    pub fn is_primary(&self) -> bool {
        matches!(
            self,
            Def::Record(_)
                | Def::Query(_)
                | Def::Procedure(_)
                | Def::Subscription(_)
                | Def::PermissionSet(_)
        )
    }
}

/// A `record` definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordDef {
    pub description: Option<String>,
    pub key: RecordKeyType,
    pub record: ObjectSchema,
}

/// The record key type of a `record` definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordKeyType {
    /// `tid`: a timestamp identifier.
    Tid,
    /// `nsid`: the key is an NSID.
    Nsid,
    /// `any`: any valid record key.
    Any,
    /// `literal:<value>`: exactly this key (for example `literal:self`).
    Literal(String),
}

/// A `query` or `procedure` definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XrpcDef {
    pub description: Option<String>,
    pub parameters: Option<ObjectSchema>,
    /// Request body (procedures only).
    pub input: Option<Body>,
    pub output: Option<Body>,
    pub errors: Vec<ErrorDef>,
}

/// An XRPC request or response body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Body {
    pub description: Option<String>,
    /// MIME type of the body, e.g. `application/json` or `*/*`.
    pub encoding: String,
    /// An `object`, `ref` or `union` schema for JSON bodies.
    pub schema: Option<Schema>,
}

/// A named error an endpoint may return.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorDef {
    pub name: String,
    pub description: Option<String>,
}

/// A `subscription` (event stream) definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionDef {
    pub description: Option<String>,
    pub parameters: Option<ObjectSchema>,
    /// The message variants (a union of refs).
    pub message: UnionSchema,
    pub message_description: Option<String>,
    pub errors: Vec<ErrorDef>,
}

/// A `permission-set` definition (a bundle of OAuth permissions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermissionSetDef {
    pub description: Option<String>,
    pub title: Option<String>,
    /// Localised titles by language tag.
    pub title_lang: BTreeMap<String, String>,
    pub detail: Option<String>,
    /// Localised details by language tag.
    pub detail_lang: BTreeMap<String, String>,
    pub permissions: Vec<Permission>,
}

/// One `permission` of a permission set. Fields that do not apply to the resource are empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Permission {
    /// `repo`, `rpc`, or a resource this crate does not know (kept, to be ignored by callers).
    pub resource: String,
    /// `repo`: record collections (NSIDs).
    pub collection: Vec<String>,
    /// `repo`: allowed actions (`create`, `update`, `delete`); empty means all.
    pub action: Vec<String>,
    /// `rpc`: allowed endpoints (NSIDs, or `*`).
    pub lxm: Vec<String>,
    /// `rpc`: the audience (`*`), unless `inherit_aud`.
    pub aud: Option<String>,
    /// `rpc`: the audience is inherited from the requesting context.
    pub inherit_aud: bool,
}

/// The schema of one value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Schema {
    Boolean(BooleanSchema),
    Integer(IntegerSchema),
    String(StringSchema),
    Bytes(BytesSchema),
    CidLink,
    Blob(BlobSchema),
    Array(Box<ArraySchema>),
    Object(ObjectSchema),
    Ref(RefTarget),
    Union(UnionSchema),
    /// Any object.
    Unknown,
}

impl Schema {
    /// The Lexicon `type` name.
    pub fn type_name(&self) -> &'static str {
        match self {
            Schema::Boolean(_) => "boolean",
            Schema::Integer(_) => "integer",
            Schema::String(_) => "string",
            Schema::Bytes(_) => "bytes",
            Schema::CidLink => "cid-link",
            Schema::Blob(_) => "blob",
            Schema::Array(_) => "array",
            Schema::Object(_) => "object",
            Schema::Ref(_) => "ref",
            Schema::Union(_) => "union",
            Schema::Unknown => "unknown",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BooleanSchema {
    pub default: Option<bool>,
    pub const_value: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IntegerSchema {
    pub minimum: Option<i64>,
    pub maximum: Option<i64>,
    pub enum_values: Option<Vec<i64>>,
    pub default: Option<i64>,
    pub const_value: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StringSchema {
    pub format: Option<StringFormat>,
    /// Bounds in UTF-8 bytes.
    pub min_length: Option<usize>,
    pub max_length: Option<usize>,
    /// Bounds in extended grapheme clusters.
    pub min_graphemes: Option<usize>,
    pub max_graphemes: Option<usize>,
    /// Suggested values; not enforced.
    pub known_values: Vec<String>,
    /// A closed set of allowed values.
    pub enum_values: Option<Vec<String>>,
    pub default: Option<String>,
    pub const_value: Option<String>,
}

/// The string formats of the Lexicon spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StringFormat {
    AtIdentifier,
    AtUri,
    Cid,
    Datetime,
    Did,
    Handle,
    Nsid,
    Tid,
    RecordKey,
    Uri,
    Language,
}

impl StringFormat {
    /// Parses the name used in schemas (`at-identifier`, `datetime`, ...).
    pub fn from_name(name: &str) -> Option<StringFormat> {
        Some(match name {
            "at-identifier" => StringFormat::AtIdentifier,
            "at-uri" => StringFormat::AtUri,
            "cid" => StringFormat::Cid,
            "datetime" => StringFormat::Datetime,
            "did" => StringFormat::Did,
            "handle" => StringFormat::Handle,
            "nsid" => StringFormat::Nsid,
            "tid" => StringFormat::Tid,
            "record-key" => StringFormat::RecordKey,
            "uri" => StringFormat::Uri,
            "language" => StringFormat::Language,
            _ => return None,
        })
    }

    /// Whether `s` is valid in this format, as Lexicon validation checks it (datetimes must
    /// be real dates; language tags must be well-formed).
    pub fn is_valid(self, s: &str) -> bool {
        super::validate::format_ok(self, s)
    }

    /// The name used in schemas.
    pub fn name(self) -> &'static str {
        match self {
            StringFormat::AtIdentifier => "at-identifier",
            StringFormat::AtUri => "at-uri",
            StringFormat::Cid => "cid",
            StringFormat::Datetime => "datetime",
            StringFormat::Did => "did",
            StringFormat::Handle => "handle",
            StringFormat::Nsid => "nsid",
            StringFormat::Tid => "tid",
            StringFormat::RecordKey => "record-key",
            StringFormat::Uri => "uri",
            StringFormat::Language => "language",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BytesSchema {
    pub min_length: Option<usize>,
    pub max_length: Option<usize>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BlobSchema {
    /// Accepted MIME types; `None` accepts any.
    pub accept: Option<Vec<MimePattern>>,
    /// Largest accepted size in bytes.
    pub max_size: Option<u64>,
}

/// One entry of a blob's `accept` list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MimePattern {
    /// `*/*`
    Any,
    /// `type/*`; holds `type/` (lower-case).
    Prefix(String),
    /// An exact MIME type (lower-case).
    Exact(String),
}

impl MimePattern {
    /// Parses an `accept` entry: `*/*`, `type/*` or `type/subtype`. Partial globs and a bare
    /// `*` are not supported by the spec and give `None`.
    pub fn parse(s: &str) -> Option<MimePattern> {
        if s == "*/*" {
            return Some(MimePattern::Any);
        }
        let (ty, sub) = s.split_once('/')?;
        let token = |t: &str| {
            !t.is_empty()
                && t.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b))
        };
        if !token(ty) {
            return None;
        }
        if sub == "*" {
            return Some(MimePattern::Prefix(format!("{}/", ty.to_ascii_lowercase())));
        }
        if !token(sub) {
            return None;
        }
        Some(MimePattern::Exact(s.to_ascii_lowercase()))
    }

    /// Whether a blob's `mimeType` matches (ASCII case-insensitively; parameters after `;`
    /// are ignored).
    pub fn matches(&self, mime: &str) -> bool {
        let essence = mime.split(';').next().unwrap_or("").trim();
        match self {
            MimePattern::Any => true,
            MimePattern::Prefix(p) => {
                essence.len() > p.len()
                    && essence.is_char_boundary(p.len())
                    && essence[..p.len()].eq_ignore_ascii_case(p)
            }
            MimePattern::Exact(e) => essence.eq_ignore_ascii_case(e),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArraySchema {
    pub items: Schema,
    pub min_length: Option<usize>,
    pub max_length: Option<usize>,
}

/// An `object` (or `params`) schema.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObjectSchema {
    /// Properties sorted by name.
    pub properties: Vec<Property>,
}

impl ObjectSchema {
    /// The property of that name.
    pub fn property(&self, name: &str) -> Option<&Property> {
        self.properties
            .binary_search_by(|p| p.name.as_str().cmp(name))
            .ok()
            .map(|i| &self.properties[i])
    }
}

/// One property of an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Property {
    pub name: String,
    pub schema: Schema,
    pub required: bool,
    pub nullable: bool,
}

/// A resolved reference to a definition: `nsid` plus definition name (`main` when the
/// reference had no fragment).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RefTarget {
    pub nsid: String,
    pub name: String,
}

impl RefTarget {
    /// Whether a data `$type` names this definition: `nsid` for `main`, `nsid#name` otherwise
    /// (`nsid#main` is not a valid `$type`).
    pub fn matches_type(&self, type_name: &str) -> bool {
        match type_name.split_once('#') {
            Some((nsid, name)) => name != "main" && nsid == self.nsid && name == self.name,
            None => self.name == "main" && type_name == self.nsid,
        }
    }

    /// The `$type` string data uses for this definition.
    pub fn type_string(&self) -> String {
        if self.name == "main" {
            self.nsid.clone()
        } else {
            format!("{}#{}", self.nsid, self.name)
        }
    }
}

impl std::fmt::Display for RefTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}#{}", self.nsid, self.name)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnionSchema {
    pub refs: Vec<RefTarget>,
    /// A closed union accepts only the listed variants; an open one also accepts any other
    /// object with a `$type`.
    pub closed: bool,
}
