//! `did:plc`: operations, signatures, DID derivation, DID documents and the directory's
//! operation-log rules (<https://web.plc.directory/spec/v0.1/did-plc>).
//!
//! An operation is one of three shapes:
//!
//! * `plc_operation`: the full state (rotation keys, verification methods, also-known-as URIs,
//!   services) and `prev`, the CID string of the operation it follows (`null` for genesis);
//! * `plc_tombstone`: deactivates the DID; only `prev`;
//! * `create`: the deprecated genesis format (`signingKey`, `recoveryKey`, `handle`,
//!   `service`), which still has to be read because old DIDs hash from it. It is normalized to
//!   a `plc_operation` for everything but hashing and signature checks.
//!
//! Operations are hashed and signed as canonical DAG-CBOR of the JSON object (every value a
//! string, `prev` a string rather than a link). The signature is ECDSA-SHA256, compact `r ‖ s`,
//! low-S, over the CBOR of the operation without `sig`, written as unpadded base64url. The DID is
//! `did:plc:` and the first 24 characters of base32 (lower case) of SHA-256 of the signed genesis
//! operation's CBOR.
//!
//! Validation mirrors the reference directory: [`validate_operation_log`] checks a plain
//! operation chain, [`assure_valid_next_op`] decides whether a proposed operation may be appended
//! to an indexed log (including "forks" in which a higher-priority rotation key nullifies
//! operations less than 72 hours old), [`validate_audit_log`] replays a whole audit log, and
//! [`check_op_constraints`] / [`check_rate_limit`] enforce the directory's anti-abuse limits.
//! Where the spec text and the reference directory differ (the spec allows 1 to 5 rotation keys
//! and 7500 bytes; the directory accepts 0 to 10 keys and 4000 bytes), the directory is
//! followed, since its logs are what has to validate.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::{Map as JsonMap, Value as Json, json};

use crate::cbor::{Map, Value, key_order};
use crate::cid::{Cid, sha256};
use crate::crypto::{DID_KEY_PREFIX, KeyType, MULTIKEY_SUITE, PublicKey, SigningKey};
use crate::multibase;
use crate::syntax::{Datetime, Did};

/// `type` of a regular operation.
pub const TYPE_OPERATION: &str = "plc_operation";
/// `type` of a tombstone.
pub const TYPE_TOMBSTONE: &str = "plc_tombstone";
/// `type` of the deprecated genesis format.
pub const TYPE_LEGACY_CREATE: &str = "create";

/// Service id and type of the atproto PDS entry.
pub const ATPROTO_PDS_ID: &str = "atproto_pds";
pub const ATPROTO_PDS_TYPE: &str = "AtprotoPersonalDataServer";
/// Verification method id of the atproto repository signing key.
pub const ATPROTO_VERIFICATION_METHOD: &str = "atproto";

/// How long a higher-priority rotation key may rewrite history: 72 hours, in milliseconds.
/// A fork exactly at the limit is still allowed.
pub const RECOVERY_WINDOW_MS: i64 = 72 * 60 * 60 * 1000;

/// Directory limits on incoming operations (the reference server's `constraints.ts`).
pub const MAX_OP_BYTES: usize = 4000;
pub const MAX_AKA_ENTRIES: usize = 10;
/// Longest handle (253) plus `at://`.
pub const MAX_AKA_LENGTH: usize = 258;
pub const MAX_ROTATION_ENTRIES: usize = 10;
pub const MAX_SERVICE_ENTRIES: usize = 10;
pub const MAX_SERVICE_TYPE_LENGTH: usize = 256;
pub const MAX_SERVICE_ENDPOINT_LENGTH: usize = 512;
pub const MAX_VERIFICATION_METHOD_ENTRIES: usize = 10;
/// Longest service or verification method id.
pub const MAX_ID_LENGTH: usize = 32;
pub const MAX_DID_KEY_LENGTH: usize = 256;

/// Per-DID operation rate limits (non-recovery operations only): an operation is refused when
/// this many live operations already exist in the window.
pub const RATE_LIMIT_HOUR: usize = 10;
pub const RATE_LIMIT_DAY: usize = 30;
pub const RATE_LIMIT_WEEK: usize = 100;

const HOUR_MS: i64 = 60 * 60 * 1000;
const DAY_MS: i64 = 24 * HOUR_MS;

const DID_PLC_PREFIX: &str = "did:plc:";
const DID_PLC_ID_LEN: usize = 24;

/// Why an operation or log is not acceptable. Every variant is a client error (HTTP 400 at
/// the directory).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlcError {
    /// Not an operation of any known shape (wrong types, missing or unknown fields).
    #[error("invalid operation: {0}")]
    Malformed(String),
    /// Well formed, but not valid where it appears.
    #[error("improper operation: {0}")]
    Improper(&'static str),
    /// Legacy `create` operations can be read but are no longer accepted.
    #[error("legacy create operations are no longer accepted")]
    LegacyOperation,
    #[error("operation too large ({size} bytes, max {MAX_OP_BYTES} in dag-cbor)")]
    TooLarge { size: usize },
    /// A size or count limit of the directory.
    #[error("{0}")]
    Constraint(String),
    #[error("invalid rotation key: {0}")]
    InvalidRotationKey(String),
    #[error("invalid verification method key: {0}")]
    InvalidVerificationMethod(String),
    #[error("signature is not unpadded canonical base64url")]
    SignatureEncoding,
    #[error("invalid signature: not signed by an allowed rotation key")]
    InvalidSignature,
    /// A fork was signed by a rotation key, but not one with priority over the key that
    /// signed the first operation it would nullify.
    #[error(
        "a fork must be signed by a rotation key with higher priority than the signer of the operations it nullifies"
    )]
    InsufficientKeyPriority,
    #[error("hash of genesis operation does not match the did (expected {expected})")]
    GenesisHash { expected: Did },
    #[error("genesis operation cannot be a tombstone")]
    TombstoneGenesis,
    #[error("operation log is empty")]
    EmptyLog,
    #[error("operation has a null prev but the did already exists")]
    MissingPrev,
    #[error("prev {0} is not a current operation of this did")]
    PrevNotFound(Cid),
    #[error("prev does not reference the preceding operation")]
    PrevMismatch,
    #[error("no operation may follow a tombstone")]
    AfterTombstone,
    #[error("operation {0} is already in the log")]
    DuplicateOperation(Cid),
    #[error("operation is not later than the most recent operation")]
    NonMonotonicTimestamp,
    #[error("recovery operation is outside the 72 hour recovery window ({elapsed_ms} ms elapsed)")]
    LateRecovery { elapsed_ms: i64 },
    #[error("{0}")]
    RateLimited(String),
    #[error("audit log entry {index} does not match its recorded cid (it hashes to {computed})")]
    CidMismatch { index: usize, computed: Cid },
    #[error(
        "audit log entry {index} is recorded with nullified = {recorded}, the rules give {computed}"
    )]
    NullifiedMismatch {
        index: usize,
        recorded: bool,
        computed: bool,
    },
    #[error("invalid audit log entry: {0}")]
    AuditEntry(String),
}

fn malformed(msg: impl Into<String>) -> PlcError {
    PlcError::Malformed(msg.into())
}

// ---------------------------------------------------------------------------------------------
// Operation types
// ---------------------------------------------------------------------------------------------

/// A service entry: `{type, endpoint}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    pub r#type: String,
    pub endpoint: String,
}

impl Service {
    pub fn new(r#type: impl Into<String>, endpoint: impl Into<String>) -> Self {
        Service {
            r#type: r#type.into(),
            endpoint: endpoint.into(),
        }
    }
}

/// The body of a `plc_operation`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PlcOperation {
    /// `did:key` strings, highest priority first.
    pub rotation_keys: Vec<String>,
    /// Verification method id (no `#`) to `did:key`.
    pub verification_methods: BTreeMap<String, String>,
    pub also_known_as: Vec<String>,
    /// Service id (no `#`) to service.
    pub services: BTreeMap<String, Service>,
    /// The operation this one follows; `None` for genesis.
    pub prev: Option<Cid>,
}

impl PlcOperation {
    /// The usual atproto operation, as the reference's `formatAtprotoOp` builds it: signing key
    /// under `atproto`, `at://` + handle (prefix added unless present), and the PDS under
    /// `atproto_pds` (`https://` added unless the URL has a scheme).
    pub fn atproto(
        signing_key: &str,
        handle: &str,
        pds: &str,
        rotation_keys: Vec<String>,
        prev: Option<Cid>,
    ) -> Self {
        PlcOperation {
            rotation_keys,
            verification_methods: BTreeMap::from([(
                ATPROTO_VERIFICATION_METHOD.to_owned(),
                signing_key.to_owned(),
            )]),
            also_known_as: vec![ensure_atproto_prefix(handle)],
            services: BTreeMap::from([(
                ATPROTO_PDS_ID.to_owned(),
                Service::new(ATPROTO_PDS_TYPE, ensure_http_prefix(pds)),
            )]),
            prev,
        }
    }

    /// The DID document data this operation sets.
    pub fn to_data(&self, did: &Did) -> DocumentData {
        DocumentData {
            did: did.clone(),
            verification_methods: self.verification_methods.clone(),
            rotation_keys: self.rotation_keys.clone(),
            also_known_as: self.also_known_as.clone(),
            services: self.services.clone(),
        }
    }
}

/// The body of a `plc_tombstone`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tombstone {
    pub prev: Cid,
}

/// The body of a legacy `create` genesis operation (its `prev` is always null).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegacyCreate {
    pub signing_key: String,
    pub recovery_key: String,
    /// A bare handle (no `at://`).
    pub handle: String,
    /// The PDS URL.
    pub service: String,
}

impl LegacyCreate {
    /// The equivalent `plc_operation` (the reference's `normalizeOp`): rotation keys are the
    /// recovery key then the signing key.
    pub fn normalize(&self) -> PlcOperation {
        PlcOperation {
            rotation_keys: vec![self.recovery_key.clone(), self.signing_key.clone()],
            verification_methods: BTreeMap::from([(
                ATPROTO_VERIFICATION_METHOD.to_owned(),
                self.signing_key.clone(),
            )]),
            also_known_as: vec![ensure_atproto_prefix(&self.handle)],
            services: BTreeMap::from([(
                ATPROTO_PDS_ID.to_owned(),
                Service::new(ATPROTO_PDS_TYPE, ensure_http_prefix(&self.service)),
            )]),
            prev: None,
        }
    }
}

/// An operation without its signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnsignedOp {
    Operation(PlcOperation),
    Tombstone(Tombstone),
    LegacyCreate(LegacyCreate),
}

impl From<PlcOperation> for UnsignedOp {
    fn from(op: PlcOperation) -> Self {
        UnsignedOp::Operation(op)
    }
}

impl From<Tombstone> for UnsignedOp {
    fn from(op: Tombstone) -> Self {
        UnsignedOp::Tombstone(op)
    }
}

impl From<LegacyCreate> for UnsignedOp {
    fn from(op: LegacyCreate) -> Self {
        UnsignedOp::LegacyCreate(op)
    }
}

impl UnsignedOp {
    /// A tombstone following `prev`.
    pub fn tombstone(prev: Cid) -> Self {
        UnsignedOp::Tombstone(Tombstone { prev })
    }

    /// The `type` field.
    pub fn op_type(&self) -> &'static str {
        match self {
            UnsignedOp::Operation(_) => TYPE_OPERATION,
            UnsignedOp::Tombstone(_) => TYPE_TOMBSTONE,
            UnsignedOp::LegacyCreate(_) => TYPE_LEGACY_CREATE,
        }
    }

    /// The operation this one follows (`None` for a genesis operation).
    pub fn prev(&self) -> Option<&Cid> {
        match self {
            UnsignedOp::Operation(op) => op.prev.as_ref(),
            UnsignedOp::Tombstone(t) => Some(&t.prev),
            UnsignedOp::LegacyCreate(_) => None,
        }
    }

    pub fn is_tombstone(&self) -> bool {
        matches!(self, UnsignedOp::Tombstone(_))
    }

    pub fn is_legacy(&self) -> bool {
        matches!(self, UnsignedOp::LegacyCreate(_))
    }

    /// The state as a `plc_operation` (legacy creates converted); `None` for a tombstone.
    pub fn normalize(&self) -> Option<PlcOperation> {
        match self {
            UnsignedOp::Operation(op) => Some(op.clone()),
            UnsignedOp::Tombstone(_) => None,
            UnsignedOp::LegacyCreate(c) => Some(c.normalize()),
        }
    }

    /// The data-model map of the operation (no `sig`).
    pub fn to_value(&self) -> Value {
        Value::Map(self.to_map())
    }

    /// Canonical DAG-CBOR: the bytes that are signed.
    pub fn to_cbor(&self) -> Vec<u8> {
        self.to_value().to_cbor()
    }

    /// The JSON object (no `sig`).
    pub fn to_json(&self) -> Json {
        crate::json::to_json(&self.to_value())
    }

    /// Parses an unsigned operation; a `sig` field is an error.
    pub fn from_json(json: &Json) -> Result<Self, PlcError> {
        parse_op(json, false).map(|(op, _)| op)
    }

    /// Signs the DAG-CBOR of this operation.
    pub fn sign(&self, key: &SigningKey) -> SignedOp {
        self.clone().into_signed(key)
    }

    /// Signs the DAG-CBOR of this operation, consuming it.
    pub fn into_signed(self, key: &SigningKey) -> SignedOp {
        let sig = URL_SAFE_NO_PAD.encode(key.sign(&self.to_cbor()));
        SignedOp { op: self, sig }
    }

    fn to_map(&self) -> Map {
        let mut m = Map::new();
        m.insert("type".into(), string(self.op_type()));
        match self {
            UnsignedOp::Operation(op) => {
                m.insert("rotationKeys".into(), string_array(&op.rotation_keys));
                m.insert(
                    "verificationMethods".into(),
                    Value::Map(
                        op.verification_methods
                            .iter()
                            .map(|(k, v)| (k.clone(), string(v)))
                            .collect(),
                    ),
                );
                m.insert("alsoKnownAs".into(), string_array(&op.also_known_as));
                m.insert(
                    "services".into(),
                    Value::Map(
                        op.services
                            .iter()
                            .map(|(k, s)| {
                                let entry = Map::from([
                                    ("type".to_owned(), string(&s.r#type)),
                                    ("endpoint".to_owned(), string(&s.endpoint)),
                                ]);
                                (k.clone(), Value::Map(entry))
                            })
                            .collect(),
                    ),
                );
                m.insert("prev".into(), prev_value(op.prev.as_ref()));
            }
            UnsignedOp::Tombstone(t) => {
                m.insert("prev".into(), prev_value(Some(&t.prev)));
            }
            UnsignedOp::LegacyCreate(c) => {
                m.insert("signingKey".into(), string(&c.signing_key));
                m.insert("recoveryKey".into(), string(&c.recovery_key));
                m.insert("handle".into(), string(&c.handle));
                m.insert("service".into(), string(&c.service));
                m.insert("prev".into(), Value::Null);
            }
        }
        m
    }
}

fn string(s: &str) -> Value {
    Value::String(s.to_owned())
}

fn string_array(items: &[String]) -> Value {
    Value::Array(items.iter().map(|s| string(s)).collect())
}

/// `prev` is the CID's string form, not a link.
fn prev_value(prev: Option<&Cid>) -> Value {
    prev.map_or(Value::Null, |c| Value::String(c.to_string()))
}

/// A signed operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedOp {
    pub op: UnsignedOp,
    /// Unpadded base64url of the compact signature, kept exactly as received (it is hashed).
    pub sig: String,
}

impl SignedOp {
    pub fn prev(&self) -> Option<&Cid> {
        self.op.prev()
    }

    pub fn is_tombstone(&self) -> bool {
        self.op.is_tombstone()
    }

    pub fn is_legacy(&self) -> bool {
        self.op.is_legacy()
    }

    /// See [`UnsignedOp::normalize`].
    pub fn normalize(&self) -> Option<PlcOperation> {
        self.op.normalize()
    }

    /// The DID document data after this operation; `None` for a tombstone.
    pub fn to_data(&self, did: &Did) -> Option<DocumentData> {
        self.normalize().map(|op| op.to_data(did))
    }

    /// The data-model map of the signed operation.
    pub fn to_value(&self) -> Value {
        let mut m = self.op.to_map();
        m.insert("sig".into(), string(&self.sig));
        Value::Map(m)
    }

    /// Canonical DAG-CBOR of the signed operation (what the CID and the DID hash).
    pub fn to_cbor(&self) -> Vec<u8> {
        self.to_value().to_cbor()
    }

    /// The dag-cbor CID of the signed operation, as `prev` fields reference it.
    pub fn cid(&self) -> Cid {
        Cid::for_dag_cbor(&self.to_cbor())
    }

    /// The JSON object.
    pub fn to_json(&self) -> Json {
        crate::json::to_json(&self.to_value())
    }

    /// Parses a signed operation of any of the three shapes. Fields are checked strictly: no
    /// unknown fields, `prev` present (null or a base32 CID string in canonical form).
    pub fn from_json(json: &Json) -> Result<Self, PlcError> {
        let (op, sig) = parse_op(json, true)?;
        let sig = sig.ok_or_else(|| malformed("missing field \"sig\""))?;
        Ok(SignedOp { op, sig })
    }

    /// Parses a signed operation from its DAG-CBOR.
    pub fn from_cbor(bytes: &[u8]) -> Result<Self, PlcError> {
        let value = Value::from_cbor(bytes).map_err(|e| malformed(e.to_string()))?;
        Self::from_json(&plain_json(&value)?)
    }

    /// The 64 signature bytes. Padding, non-alphabet characters and non-zero trailing bits are
    /// rejected, as the spec requires.
    pub fn sig_bytes(&self) -> Result<Vec<u8>, PlcError> {
        if self.sig.ends_with('=') {
            return Err(PlcError::SignatureEncoding);
        }
        URL_SAFE_NO_PAD
            .decode(&self.sig)
            .map_err(|_| PlcError::SignatureEncoding)
    }

    /// Checks the signature against `rotation_keys` (`did:key` strings) in order and returns
    /// the index of the first key that verifies it. As in the reference, a key that cannot be
    /// parsed is an error when it is reached.
    pub fn verify_sig<S: AsRef<str>>(&self, rotation_keys: &[S]) -> Result<usize, PlcError> {
        let sig = self.sig_bytes()?;
        let msg = self.op.to_cbor();
        for (i, key) in rotation_keys.iter().enumerate() {
            let key = key.as_ref();
            let public = PublicKey::from_did_key(key)
                .map_err(|_| PlcError::InvalidRotationKey(key.to_owned()))?;
            if public.verify(&msg, &sig).is_ok() {
                return Ok(i);
            }
        }
        Err(PlcError::InvalidSignature)
    }
}

impl Serialize for UnsignedOp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(s)
    }
}

impl<'de> Deserialize<'de> for UnsignedOp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let json = Json::deserialize(d)?;
        UnsignedOp::from_json(&json).map_err(serde::de::Error::custom)
    }
}

impl Serialize for SignedOp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(s)
    }
}

impl<'de> Deserialize<'de> for SignedOp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let json = Json::deserialize(d)?;
        SignedOp::from_json(&json).map_err(serde::de::Error::custom)
    }
}

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------

const OPERATION_FIELDS: &[&str] = &[
    "type",
    "rotationKeys",
    "verificationMethods",
    "alsoKnownAs",
    "services",
    "prev",
    "sig",
];
const TOMBSTONE_FIELDS: &[&str] = &["type", "prev", "sig"];
const LEGACY_FIELDS: &[&str] = &[
    "type",
    "signingKey",
    "recoveryKey",
    "handle",
    "service",
    "prev",
    "sig",
];

fn parse_op(json: &Json, signed: bool) -> Result<(UnsignedOp, Option<String>), PlcError> {
    let obj = json
        .as_object()
        .ok_or_else(|| malformed("an operation must be a json object"))?;
    let ty = req_str(obj, "type")?;
    let fields = match ty {
        TYPE_OPERATION => OPERATION_FIELDS,
        TYPE_TOMBSTONE => TOMBSTONE_FIELDS,
        TYPE_LEGACY_CREATE => LEGACY_FIELDS,
        other => return Err(malformed(format!("unknown operation type {other:?}"))),
    };
    if let Some(k) = obj.keys().find(|k| !fields.contains(&k.as_str())) {
        return Err(malformed(format!("unknown field {k:?} in {ty}")));
    }
    let sig = match (obj.get("sig"), signed) {
        (Some(Json::String(s)), true) => Some(s.clone()),
        (Some(_), true) => return Err(malformed("sig must be a string")),
        (None, true) => return Err(malformed("missing field \"sig\"")),
        (Some(_), false) => return Err(malformed("an unsigned operation cannot have a sig")),
        (None, false) => None,
    };
    let op = match ty {
        TYPE_OPERATION => UnsignedOp::Operation(PlcOperation {
            rotation_keys: req_string_array(obj, "rotationKeys")?,
            verification_methods: req_string_map(obj, "verificationMethods")?,
            also_known_as: req_string_array(obj, "alsoKnownAs")?,
            services: req_services(obj)?,
            prev: req_prev(obj, true)?,
        }),
        TYPE_TOMBSTONE => UnsignedOp::Tombstone(Tombstone {
            prev: req_prev(obj, false)?.ok_or_else(|| malformed("a tombstone needs a prev"))?,
        }),
        _ => {
            if !matches!(obj.get("prev"), Some(Json::Null)) {
                return Err(malformed("a legacy create operation must have a null prev"));
            }
            UnsignedOp::LegacyCreate(LegacyCreate {
                signing_key: req_str(obj, "signingKey")?.to_owned(),
                recovery_key: req_str(obj, "recoveryKey")?.to_owned(),
                handle: req_str(obj, "handle")?.to_owned(),
                service: req_str(obj, "service")?.to_owned(),
            })
        }
    };
    Ok((op, sig))
}

fn req<'a>(obj: &'a JsonMap<String, Json>, field: &str) -> Result<&'a Json, PlcError> {
    obj.get(field)
        .ok_or_else(|| malformed(format!("missing field {field:?}")))
}

fn req_str<'a>(obj: &'a JsonMap<String, Json>, field: &str) -> Result<&'a str, PlcError> {
    req(obj, field)?
        .as_str()
        .ok_or_else(|| malformed(format!("{field} must be a string")))
}

fn req_string_array(obj: &JsonMap<String, Json>, field: &str) -> Result<Vec<String>, PlcError> {
    let items = req(obj, field)?
        .as_array()
        .ok_or_else(|| malformed(format!("{field} must be an array")))?;
    items
        .iter()
        .map(|v| {
            v.as_str()
                .map(str::to_owned)
                .ok_or_else(|| malformed(format!("{field} entries must be strings")))
        })
        .collect()
}

fn req_string_map(
    obj: &JsonMap<String, Json>,
    field: &str,
) -> Result<BTreeMap<String, String>, PlcError> {
    let entries = req(obj, field)?
        .as_object()
        .ok_or_else(|| malformed(format!("{field} must be an object")))?;
    entries
        .iter()
        .map(|(k, v)| {
            v.as_str()
                .map(|s| (k.clone(), s.to_owned()))
                .ok_or_else(|| malformed(format!("{field} values must be strings")))
        })
        .collect()
}

fn req_services(obj: &JsonMap<String, Json>) -> Result<BTreeMap<String, Service>, PlcError> {
    let entries = req(obj, "services")?
        .as_object()
        .ok_or_else(|| malformed("services must be an object"))?;
    entries
        .iter()
        .map(|(id, v)| {
            let s = v
                .as_object()
                .ok_or_else(|| malformed(format!("service {id:?} must be an object")))?;
            if let Some(k) = s.keys().find(|k| *k != "type" && *k != "endpoint") {
                return Err(malformed(format!("unknown field {k:?} in service {id:?}")));
            }
            let service = Service::new(req_str(s, "type")?, req_str(s, "endpoint")?);
            Ok((id.clone(), service))
        })
        .collect()
}

fn req_prev(obj: &JsonMap<String, Json>, nullable: bool) -> Result<Option<Cid>, PlcError> {
    match req(obj, "prev")? {
        Json::Null if nullable => Ok(None),
        Json::String(s) => parse_prev_cid(s).map(Some),
        _ if nullable => Err(malformed("prev must be a cid string or null")),
        _ => Err(malformed("prev must be a cid string")),
    }
}

/// `prev` strings are hashed as written, so only the canonical base32 form is accepted (any
/// other spelling would change the operation's CID when re-encoded).
fn parse_prev_cid(s: &str) -> Result<Cid, PlcError> {
    let cid: Cid = s
        .parse()
        .map_err(|e| malformed(format!("prev is not a cid: {e}")))?;
    if cid.to_string() != s {
        return Err(malformed("prev is not a canonical base32 cid string"));
    }
    Ok(cid)
}

/// The JSON equivalent of a decoded CBOR operation. Bytes and links never appear in an
/// operation, so they are refused rather than mapped to `$bytes`/`$link` objects.
fn plain_json(v: &Value) -> Result<Json, PlcError> {
    Ok(match v {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Integer(i) => Json::from(*i),
        Value::String(s) => Json::String(s.clone()),
        Value::Bytes(_) | Value::Link(_) => {
            return Err(malformed("bytes and links cannot appear in an operation"));
        }
        Value::Array(items) => Json::Array(items.iter().map(plain_json).collect::<Result<_, _>>()?),
        Value::Map(m) => Json::Object(
            m.iter()
                .map(|(k, v)| Ok((k.clone(), plain_json(v)?)))
                .collect::<Result<_, PlcError>>()?,
        ),
    })
}

// ---------------------------------------------------------------------------------------------
// DIDs and documents
// ---------------------------------------------------------------------------------------------

/// The DID a genesis operation creates: `did:plc:` + the first 24 characters of base32 (lower
/// case) of SHA-256 of its signed DAG-CBOR.
pub fn did_for_genesis(op: &SignedOp) -> Did {
    let mut b32 = multibase::base32_encode(&sha256(&op.to_cbor()));
    b32.truncate(DID_PLC_ID_LEN);
    Did::from_string(format!("{DID_PLC_PREFIX}{b32}"))
        .expect("did:plc with a base32 identifier is a valid did")
}

/// Whether `did` has the `did:plc` shape: `did:plc:` and 24 base32 (lower-case) characters.
pub fn is_plc_did(did: &str) -> bool {
    did.strip_prefix(DID_PLC_PREFIX).is_some_and(|id| {
        id.len() == DID_PLC_ID_LEN && id.bytes().all(|c| matches!(c, b'a'..=b'z' | b'2'..=b'7'))
    })
}

/// The state of a DID (the directory's `/:did/data` view).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DocumentData {
    pub did: Did,
    pub verification_methods: BTreeMap<String, String>,
    pub rotation_keys: Vec<String>,
    pub also_known_as: Vec<String>,
    pub services: BTreeMap<String, Service>,
}

impl DocumentData {
    /// The `atproto` verification method (`did:key`).
    pub fn atproto_signing_key(&self) -> Option<&str> {
        self.verification_methods
            .get(ATPROTO_VERIFICATION_METHOD)
            .map(String::as_str)
    }

    /// The endpoint of the `atproto_pds` service, if it has the PDS type.
    pub fn atproto_pds_endpoint(&self) -> Option<&str> {
        self.services
            .get(ATPROTO_PDS_ID)
            .filter(|s| s.r#type == ATPROTO_PDS_TYPE)
            .map(|s| s.endpoint.as_str())
    }

    /// The first `at://` alias without its prefix (the claimed handle, unverified).
    pub fn handle(&self) -> Option<&str> {
        self.also_known_as
            .iter()
            .find_map(|aka| aka.strip_prefix("at://"))
    }

    /// The same state as an unsigned operation following `prev`.
    pub fn to_operation(&self, prev: Option<Cid>) -> PlcOperation {
        PlcOperation {
            rotation_keys: self.rotation_keys.clone(),
            verification_methods: self.verification_methods.clone(),
            also_known_as: self.also_known_as.clone(),
            services: self.services.clone(),
            prev,
        }
    }
}

const DID_CONTEXT: &str = "https://www.w3.org/ns/did/v1";
const MULTIKEY_CONTEXT: &str = "https://w3id.org/security/multikey/v1";
const P256_CONTEXT: &str = "https://w3id.org/security/suites/ecdsa-2019/v1";
const K256_CONTEXT: &str = "https://w3id.org/security/suites/secp256k1-2019/v1";

/// The W3C DID document the directory serves for `data`.
///
/// `verificationMethod` ids are `<did>#<id>`, type `Multikey`, with the `did:key` minus its
/// prefix as `publicKeyMultibase`; services are `#<id>` with `serviceEndpoint`. The context
/// lists the DID and multikey contexts plus, in order of first use, the suite context of each
/// p256 or k256 key (keys of other types get none). Entries appear in the order the directory
/// produces: it stores operations as Postgres `jsonb` (object keys ordered by length, then
/// bytewise) and iterates them in JavaScript (array-index keys such as `"1"` first, ascending).
pub fn to_did_document(data: &DocumentData) -> Json {
    let did = data.did.as_str();
    let mut context = vec![DID_CONTEXT, MULTIKEY_CONTEXT];
    let mut methods = Vec::with_capacity(data.verification_methods.len());
    for (id, key) in directory_order(&data.verification_methods) {
        let suite = match PublicKey::from_did_key(key).map(|k| k.key_type()) {
            Ok(KeyType::P256) => Some(P256_CONTEXT),
            Ok(KeyType::K256) => Some(K256_CONTEXT),
            Err(_) => None,
        };
        if let Some(suite) = suite
            && !context.contains(&suite)
        {
            context.push(suite);
        }
        methods.push(json!({
            "id": format!("{did}#{id}"),
            "type": MULTIKEY_SUITE,
            "controller": did,
            "publicKeyMultibase": key.strip_prefix(DID_KEY_PREFIX).unwrap_or(key),
        }));
    }
    let services: Vec<Json> = directory_order(&data.services)
        .into_iter()
        .map(|(id, s)| {
            json!({
                "id": format!("#{id}"),
                "type": s.r#type,
                "serviceEndpoint": s.endpoint,
            })
        })
        .collect();
    json!({
        "@context": context,
        "id": did,
        "alsoKnownAs": data.also_known_as,
        "verificationMethod": methods,
        "service": services,
    })
}

/// Map entries in the order the reference directory emits them (see [`to_did_document`]).
fn directory_order<V>(map: &BTreeMap<String, V>) -> Vec<(&String, &V)> {
    let mut entries: Vec<_> = map.iter().collect();
    entries.sort_by(
        |(a, _), (b, _)| match (js_array_index(a), js_array_index(b)) {
            (Some(x), Some(y)) => x.cmp(&y),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => key_order(a, b),
        },
    );
    entries
}

/// A JavaScript array index: the canonical decimal form of an integer below 2^32 - 1.
fn js_array_index(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|c| c.is_ascii_digit()) || (s.len() > 1 && s.starts_with('0'))
    {
        return None;
    }
    s.parse::<u32>().ok().filter(|&n| n != u32::MAX)
}

/// `at://` + the handle, unless already prefixed; a leading `http://` or `https://` is
/// dropped first (the reference's `ensureAtprotoPrefix`).
pub fn ensure_atproto_prefix(s: &str) -> String {
    if s.starts_with("at://") {
        return s.to_owned();
    }
    let stripped = s.replacen("http://", "", 1).replacen("https://", "", 1);
    format!("at://{stripped}")
}

/// `https://` + the URL, unless it already starts with `http://` or `https://`.
pub fn ensure_http_prefix(s: &str) -> String {
    if s.starts_with("http://") || s.starts_with("https://") {
        s.to_owned()
    } else {
        format!("https://{s}")
    }
}

// ---------------------------------------------------------------------------------------------
// Log validation
// ---------------------------------------------------------------------------------------------

/// One operation of an indexed log, as the directory stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    pub op: SignedOp,
    pub cid: Cid,
    pub nullified: bool,
    /// When the directory accepted the operation, in Unix milliseconds.
    pub created_at: i64,
}

impl LogEntry {
    /// A live entry for `op` accepted at `created_at` (Unix milliseconds).
    pub fn new(op: SignedOp, created_at: i64) -> Self {
        let cid = op.cid();
        LogEntry {
            op,
            cid,
            nullified: false,
            created_at,
        }
    }

    /// `created_at` as `YYYY-MM-DDTHH:MM:SS.sssZ`.
    pub fn created_at_datetime(&self) -> Datetime {
        Datetime::from_unix_millis(self.created_at)
    }

    /// The audit-log JSON form: `{did, operation, cid, nullified, createdAt}`.
    pub fn to_audit_json(&self, did: &Did) -> Json {
        json!({
            "did": did,
            "operation": self.op.to_json(),
            "cid": self.cid.to_string(),
            "nullified": self.nullified,
            "createdAt": self.created_at_datetime().as_str(),
        })
    }

    /// Parses one audit-log entry, returning its DID too. The recorded CID is kept as given;
    /// [`validate_audit_log`] checks it.
    pub fn from_audit_json(json: &Json) -> Result<(Did, LogEntry), PlcError> {
        let bad = |m: &str| PlcError::AuditEntry(m.to_owned());
        let obj = json.as_object().ok_or_else(|| bad("not an object"))?;
        let field = |k: &str| obj.get(k).ok_or_else(|| bad(&format!("missing {k}")));
        let did = field("did")?
            .as_str()
            .and_then(|s| Did::new(s).ok())
            .ok_or_else(|| bad("did is not a did"))?;
        let op = SignedOp::from_json(field("operation")?)?;
        let cid = field("cid")?
            .as_str()
            .and_then(|s| s.parse::<Cid>().ok())
            .ok_or_else(|| bad("cid is not a cid"))?;
        let nullified = field("nullified")?
            .as_bool()
            .ok_or_else(|| bad("nullified is not a boolean"))?;
        let created_at = field("createdAt")?
            .as_str()
            .and_then(|s| Datetime::new_strict(s).ok())
            .and_then(|dt| unix_millis(&dt))
            .ok_or_else(|| bad("createdAt is not a datetime"))?;
        Ok((
            did,
            LogEntry {
                op,
                cid,
                nullified,
                created_at,
            },
        ))
    }
}

/// A datetime in Unix milliseconds (sub-millisecond digits truncated), if it is a real instant.
pub fn unix_millis(dt: &Datetime) -> Option<i64> {
    dt.timestamp_micros().map(|us| us.div_euclid(1000))
}

/// What accepting a proposed operation does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptedOp {
    /// CID of the proposed operation.
    pub cid: Cid,
    /// The operation it follows (`None` for genesis).
    pub prev: Option<Cid>,
    /// Live operations the proposed one nullifies (a fork), oldest first.
    pub nullified: Vec<Cid>,
    /// The DID's state afterwards; `None` once tombstoned.
    pub state: Option<DocumentData>,
}

/// Checks a genesis operation: not a tombstone, signed by one of its own rotation keys,
/// hashing to `did`, with a null `prev`. Returns the resulting state.
pub fn assure_valid_creation_op(did: &Did, op: &SignedOp) -> Result<DocumentData, PlcError> {
    let Some(normalized) = op.normalize() else {
        return Err(PlcError::TombstoneGenesis);
    };
    op.verify_sig(&normalized.rotation_keys)?;
    let expected = did_for_genesis(op);
    if expected != *did {
        return Err(PlcError::GenesisHash { expected });
    }
    if op.prev().is_some() {
        return Err(PlcError::Improper("expected null prev on create"));
    }
    Ok(normalized.to_data(did))
}

/// Validates a plain operation log (no nullified operations, no timestamps): a valid genesis
/// for `did` (legacy format allowed), then operations each referencing the previous one's CID
/// and signed by one of its rotation keys. Returns the final state, or `None` if the log ends
/// with a tombstone; a tombstone anywhere else is an error.
pub fn validate_operation_log(
    did: &Did,
    ops: &[SignedOp],
) -> Result<Option<DocumentData>, PlcError> {
    let (first, rest) = ops.split_first().ok_or(PlcError::EmptyLog)?;
    if rest.iter().any(SignedOp::is_legacy) {
        return Err(PlcError::Improper(
            "legacy create operations are only valid as genesis",
        ));
    }
    let mut doc = assure_valid_creation_op(did, first)?;
    let mut prev = first.cid();
    for (i, op) in rest.iter().enumerate() {
        if op.prev() != Some(&prev) {
            return Err(PlcError::PrevMismatch);
        }
        op.verify_sig(&doc.rotation_keys)?;
        match op.to_data(did) {
            Some(data) => doc = data,
            None if i == rest.len() - 1 => return Ok(None),
            None => return Err(PlcError::AfterTombstone),
        }
        prev = op.cid();
    }
    Ok(Some(doc))
}

/// Decides whether `proposed` may be appended to the log of `did` at time `now` (Unix
/// milliseconds), as the directory does on `POST /:did`:
///
/// * the directory's limits on incoming operations ([`check_op_constraints`]; this also
///   refuses new legacy `create` operations);
/// * not already in the log;
/// * with no live operations, a valid genesis ([`assure_valid_creation_op`]);
/// * otherwise `prev` must be the CID of a live (not nullified) operation that is not a
///   tombstone, and the proposed operation must be signed by one of that operation's rotation
///   keys;
/// * if `prev` is not the latest live operation, the operations after it are nullified. That
///   is allowed only if the signing key comes strictly before (has higher priority than) the
///   key that signed the first of them, `now` is later than the most recent operation, and no
///   more than 72 hours have passed since the first of them was accepted.
///
/// `existing` is the DID's indexed log in acceptance order; nullified entries are ignored. The
/// per-DID rate limit is separate: see [`check_rate_limit`].
pub fn assure_valid_next_op(
    did: &Did,
    existing: &[LogEntry],
    proposed: &SignedOp,
    now: i64,
) -> Result<AcceptedOp, PlcError> {
    check_op_constraints(proposed)?;
    next_op(did, existing, proposed, now)
}

/// The log rules of [`assure_valid_next_op`] without the incoming-operation limits.
fn next_op(
    did: &Did,
    existing: &[LogEntry],
    proposed: &SignedOp,
    now: i64,
) -> Result<AcceptedOp, PlcError> {
    let cid = proposed.cid();
    if existing.iter().any(|e| e.cid == cid) {
        return Err(PlcError::DuplicateOperation(cid));
    }
    let live: Vec<&LogEntry> = existing.iter().filter(|e| !e.nullified).collect();
    let Some(most_recent) = live.last() else {
        let state = assure_valid_creation_op(did, proposed)?;
        return Ok(AcceptedOp {
            cid,
            prev: None,
            nullified: Vec::new(),
            state: Some(state),
        });
    };

    let prev = *proposed.prev().ok_or(PlcError::MissingPrev)?;
    let index = live
        .iter()
        .position(|e| e.cid == prev)
        .ok_or(PlcError::PrevNotFound(prev))?;
    let Some(base) = live[index].op.normalize() else {
        return Err(PlcError::AfterTombstone);
    };
    let keys = &base.rotation_keys;
    let nullified = &live[index + 1..];
    let state = proposed.to_data(did);

    let Some(first_nullified) = nullified.first() else {
        proposed.verify_sig(keys)?;
        return Ok(AcceptedOp {
            cid,
            prev: Some(prev),
            nullified: Vec::new(),
            state,
        });
    };

    // A fork: only keys ranked above the signer of the first nullified operation may do it.
    let disputed = first_nullified.op.verify_sig(keys)?;
    match proposed.verify_sig(&keys[..disputed]) {
        Ok(_) => {}
        Err(PlcError::InvalidSignature) => {
            return Err(if proposed.verify_sig(keys).is_ok() {
                PlcError::InsufficientKeyPriority
            } else {
                PlcError::InvalidSignature
            });
        }
        Err(e) => return Err(e),
    }
    if now <= most_recent.created_at {
        return Err(PlcError::NonMonotonicTimestamp);
    }
    let elapsed_ms = now.saturating_sub(first_nullified.created_at);
    if elapsed_ms > RECOVERY_WINDOW_MS {
        return Err(PlcError::LateRecovery { elapsed_ms });
    }
    Ok(AcceptedOp {
        cid,
        prev: Some(prev),
        nullified: nullified.iter().map(|e| e.cid).collect(),
        state,
    })
}

/// Replays a complete audit log (every operation, nullified or not, in acceptance order) under
/// the rules of [`assure_valid_next_op`], without the incoming-operation limits (older
/// operations predate them), and checks each recorded CID and nullified flag. Returns the
/// current state, or `None` if the DID is tombstoned.
pub fn validate_audit_log(
    did: &Did,
    entries: &[LogEntry],
) -> Result<Option<DocumentData>, PlcError> {
    if entries.is_empty() {
        return Err(PlcError::EmptyLog);
    }
    let mut replayed: Vec<LogEntry> = Vec::with_capacity(entries.len());
    for (index, entry) in entries.iter().enumerate() {
        let computed = entry.op.cid();
        if computed != entry.cid {
            return Err(PlcError::CidMismatch { index, computed });
        }
        let accepted = next_op(did, &replayed, &entry.op, entry.created_at)?;
        for e in &mut replayed {
            if accepted.nullified.contains(&e.cid) {
                e.nullified = true;
            }
        }
        replayed.push(LogEntry::new(entry.op.clone(), entry.created_at));
    }
    for (index, (computed, recorded)) in replayed.iter().zip(entries).enumerate() {
        if computed.nullified != recorded.nullified {
            return Err(PlcError::NullifiedMismatch {
                index,
                recorded: recorded.nullified,
                computed: computed.nullified,
            });
        }
    }
    Ok(replayed
        .iter()
        .rev()
        .find(|e| !e.nullified)
        .and_then(|e| e.op.to_data(did)))
}

/// JavaScript string length (UTF-16 code units), which the directory's limits count.
fn js_len(s: &str) -> usize {
    s.encode_utf16().count()
}

/// The directory's limits on an incoming operation: DAG-CBOR size, no legacy `create`, and for
/// regular operations the number and length of entries, rotation keys that parse as k256 or
/// p256 `did:key`s, and verification method keys that are syntactically `did:key:z...`.
pub fn check_op_constraints(op: &SignedOp) -> Result<(), PlcError> {
    let size = op.to_cbor().len();
    if size > MAX_OP_BYTES {
        return Err(PlcError::TooLarge { size });
    }
    let op = match &op.op {
        UnsignedOp::LegacyCreate(_) => return Err(PlcError::LegacyOperation),
        UnsignedOp::Tombstone(_) => return Ok(()),
        UnsignedOp::Operation(op) => op,
    };
    let limit = |m: String| Err(PlcError::Constraint(m));

    if op.also_known_as.len() > MAX_AKA_ENTRIES {
        return limit(format!(
            "too many alsoKnownAs entries (max {MAX_AKA_ENTRIES})"
        ));
    }
    for (i, aka) in op.also_known_as.iter().enumerate() {
        if js_len(aka) > MAX_AKA_LENGTH {
            return limit(format!(
                "alsoKnownAs entry too long (max {MAX_AKA_LENGTH}): {aka}"
            ));
        }
        if op.also_known_as[..i].contains(aka) {
            return limit(format!("duplicate alsoKnownAs entry: {aka}"));
        }
    }

    if op.rotation_keys.len() > MAX_ROTATION_ENTRIES {
        return limit(format!(
            "too many rotationKeys entries (max {MAX_ROTATION_ENTRIES})"
        ));
    }
    for key in &op.rotation_keys {
        if PublicKey::from_did_key(key).is_err() {
            return Err(PlcError::InvalidRotationKey(key.clone()));
        }
    }

    if op.services.len() > MAX_SERVICE_ENTRIES {
        return limit(format!(
            "too many service entries (max {MAX_SERVICE_ENTRIES})"
        ));
    }
    for (id, service) in &op.services {
        if js_len(id) > MAX_ID_LENGTH {
            return limit(format!("service id too long (max {MAX_ID_LENGTH}): {id}"));
        }
        if js_len(&service.r#type) > MAX_SERVICE_TYPE_LENGTH {
            return limit(format!(
                "service type too long (max {MAX_SERVICE_TYPE_LENGTH})"
            ));
        }
        if js_len(&service.endpoint) > MAX_SERVICE_ENDPOINT_LENGTH {
            return limit(format!(
                "service endpoint too long (max {MAX_SERVICE_ENDPOINT_LENGTH})"
            ));
        }
    }

    if op.verification_methods.len() > MAX_VERIFICATION_METHOD_ENTRIES {
        return limit(format!(
            "too many verificationMethods entries (max {MAX_VERIFICATION_METHOD_ENTRIES})"
        ));
    }
    for (id, key) in &op.verification_methods {
        if js_len(id) > MAX_ID_LENGTH {
            return limit(format!(
                "verification method id too long (max {MAX_ID_LENGTH}): {id}"
            ));
        }
        if js_len(key) > MAX_DID_KEY_LENGTH {
            return limit(format!(
                "verification method key too long (max {MAX_DID_KEY_LENGTH}): {key}"
            ));
        }
        // Only syntax: any key type is allowed here, unlike rotation keys.
        let syntactic = key
            .strip_prefix(DID_KEY_PREFIX)
            .and_then(|mb| mb.strip_prefix('z'))
            .is_some_and(|b58| multibase::base58btc_decode(b58).is_ok());
        if !syntactic {
            return Err(PlcError::InvalidVerificationMethod(key.clone()));
        }
    }
    Ok(())
}

/// The directory's per-DID rate limit, applied to operations that nullify nothing: refused
/// when the live operations accepted after `now` minus an hour, a day or a week already number
/// [`RATE_LIMIT_HOUR`], [`RATE_LIMIT_DAY`] or [`RATE_LIMIT_WEEK`].
pub fn check_rate_limit(existing: &[LogEntry], now: i64) -> Result<(), PlcError> {
    let (hour_ago, day_ago, week_ago) = (now - HOUR_MS, now - DAY_MS, now - 7 * DAY_MS);
    let (mut hour, mut day, mut week) = (0, 0, 0);
    let limited = |window: &str, max: usize| {
        Err(PlcError::RateLimited(format!(
            "too many operations within the last {window} (max {max})"
        )))
    };
    for e in existing.iter().filter(|e| !e.nullified) {
        if e.created_at > week_ago {
            week += 1;
            if week >= RATE_LIMIT_WEEK {
                return limited("week", RATE_LIMIT_WEEK);
            }
        }
        if e.created_at > day_ago {
            day += 1;
            if day >= RATE_LIMIT_DAY {
                return limited("day", RATE_LIMIT_DAY);
            }
        }
        if e.created_at > hour_ago {
            hour += 1;
            if hour >= RATE_LIMIT_HOUR {
                return limited("hour", RATE_LIMIT_HOUR);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_added_like_the_reference() {
        assert_eq!(ensure_atproto_prefix("alice.test"), "at://alice.test");
        assert_eq!(ensure_atproto_prefix("at://alice.test"), "at://alice.test");
        assert_eq!(
            ensure_atproto_prefix("https://alice.test"),
            "at://alice.test"
        );
        assert_eq!(ensure_http_prefix("pds.test"), "https://pds.test");
        assert_eq!(ensure_http_prefix("http://pds.test"), "http://pds.test");
    }

    #[test]
    fn directory_order_hoists_array_indices_then_sorts_by_length() {
        let map: BTreeMap<String, ()> = ["atproto_pds", "other", "b", "10", "2", "02", "aa"]
            .into_iter()
            .map(|k| (k.to_owned(), ()))
            .collect();
        let order: Vec<&str> = directory_order(&map)
            .into_iter()
            .map(|(k, _)| k.as_str())
            .collect();
        assert_eq!(order, ["2", "10", "b", "02", "aa", "other", "atproto_pds"]);
        assert_eq!(js_array_index("4294967295"), None);
        assert_eq!(js_array_index("4294967294"), Some(4_294_967_294));
    }

    #[test]
    fn operation_cbor_uses_string_prev_and_canonical_key_order() {
        let prev = Cid::for_dag_cbor(b"\xa0");
        let op = UnsignedOp::tombstone(prev);
        let bytes = op.to_cbor();
        let value = Value::from_cbor(&bytes).unwrap();
        let map = value.as_map().unwrap();
        assert_eq!(map["prev"].as_str(), Some(prev.to_string().as_str()));
        // "prev" and "type" are both 4 bytes: bytewise order puts prev first.
        assert_eq!(&bytes[..6], b"\xa2\x64prev");
    }

    #[test]
    fn plc_did_shape_is_recognized() {
        assert!(is_plc_did("did:plc:yk4dd2qkboz2yv6tpubpc6co"));
        assert!(!is_plc_did("did:plc:yk4dd2qkboz2yv6tpubpc6c"));
        assert!(!is_plc_did("did:plc:yk4dd2qkboz2yv6tpubpc6c0"));
        assert!(!is_plc_did("did:web:example.com"));
    }

    #[test]
    fn rate_limit_counts_only_live_recent_operations() {
        let key = SigningKey::generate(KeyType::K256);
        let op = UnsignedOp::tombstone(Cid::for_dag_cbor(b"\xa0")).sign(&key);
        let now = 10 * DAY_MS;
        let mut log: Vec<LogEntry> = (0..9)
            .map(|i| LogEntry::new(op.clone(), now - 1000 * (i + 1)))
            .collect();
        assert!(check_rate_limit(&log, now).is_ok());
        log.push(LogEntry::new(op.clone(), now - 1));
        assert!(matches!(
            check_rate_limit(&log, now),
            Err(PlcError::RateLimited(_))
        ));
        log[0].nullified = true;
        assert!(check_rate_limit(&log, now).is_ok());
        // An hour and more ago only counts toward the day and week limits.
        let old: Vec<LogEntry> = (0..29)
            .map(|i| LogEntry::new(op.clone(), now - HOUR_MS - i))
            .collect();
        assert!(check_rate_limit(&old, now).is_ok());
    }
}
