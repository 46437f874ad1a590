//! Compact JWS/JWT, hand-rolled (no JWT crate has ES256K on the RustCrypto 0.14 line).
//!
//! Two kinds of token pass through a PDS:
//!
//! - **Session tokens** (legacy `createSession` auth): HS256 with the server's JWT secret.
//!   [`AccessClaims`] (`typ: at+jwt`) and [`RefreshClaims`] (`typ: refresh+jwt`) match what
//!   the reference PDS issues in `packages/pds/src/account-manager/helpers/auth.ts` and checks
//!   in `packages/pds/src/auth-verifier.ts` (`verifyBearerJwt`), so a token minted by either
//!   implementation with the same secret verifies in the other.
//! - **Service auth tokens** (inter-service auth): ES256K or ES256 signed with an account's
//!   repo signing key, verified with the issuer's `#atproto` key. [`ServiceClaims`] and
//!   [`ServiceToken`] follow `packages/xrpc-server/src/auth.ts` (`createServiceJwt`,
//!   `verifyJwt`).
//!
//! Times are Unix seconds (`i64`); every check that depends on the clock takes `now` as an
//! argument ([`now_secs`] reads the system clock).

use std::fmt;
use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

use atproto::crypto::{CryptoError, KeyType, PublicKey, SIGNATURE_LEN, SigningKey};
use atproto::syntax::Did;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use hmac::{Hmac, KeyInit, Mac};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};
use sha2::Sha256;

use super::password::{random_bytes, random_hex};

type HmacSha256 = Hmac<Sha256>;

/// `alg` of session tokens.
pub const ALG_HS256: &str = "HS256";
/// `typ` header of access tokens (RFC 9068).
pub const TYP_ACCESS: &str = "at+jwt";
/// `typ` header of refresh tokens (non-standard, used by the reference implementation).
pub const TYP_REFRESH: &str = "refresh+jwt";
/// `typ` header of service auth tokens.
pub const TYP_SERVICE: &str = "JWT";
/// `typ` of DPoP proofs; never acceptable as a service auth token.
pub const TYP_DPOP: &str = "dpop+jwt";

/// Access token lifetime: the reference's `expiresIn = '120mins'`.
pub const ACCESS_TOKEN_LIFETIME_SECS: i64 = 120 * 60;
/// Refresh token lifetime: the reference's `expiresIn = '90days'`.
pub const REFRESH_TOKEN_LIFETIME_SECS: i64 = 90 * 24 * 60 * 60;
/// Default service auth token lifetime: the reference's `iat + MINUTE / 1e3`.
pub const SERVICE_TOKEN_LIFETIME_SECS: i64 = 60;

/// The current time in Unix seconds.
pub fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/// Why a session token (or any JWS passed to [`decode_hs256`] / [`verify_signed`]) was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwtError {
    /// Not three base64url segments, not JSON, or claims of the wrong shape.
    #[error("malformed token: {0}")]
    Malformed(&'static str),
    /// `alg` is not the one expected (this includes `none`).
    #[error("unsupported or unexpected token algorithm {0:?}")]
    UnsupportedAlg(String),
    /// The MAC or signature does not match.
    #[error("token signature does not verify")]
    BadSignature,
    /// The `typ` header is not the expected one (e.g. a refresh token used as access token).
    #[error("unexpected token type {found:?}, expected {expected:?}")]
    WrongType {
        expected: &'static str,
        found: Option<String>,
    },
    /// `aud` is not this service.
    #[error("token audience does not match")]
    WrongAudience,
    /// `scope` is unknown or not allowed for this call.
    #[error("bad token scope")]
    BadScope,
    /// The signature is fine but `exp` has passed.
    #[error("token has expired")]
    Expired,
}

impl JwtError {
    /// The XRPC error name the reference PDS answers with (HTTP 400 in both cases):
    /// `ExpiredToken` for [`JwtError::Expired`], `InvalidToken` for everything else.
    pub fn error_name(&self) -> &'static str {
        match self {
            JwtError::Expired => "ExpiredToken",
            _ => "InvalidToken",
        }
    }
}

/// Why a service auth token was refused. All of these are `AuthRequired` (HTTP 401) in the
/// reference; [`ServiceAuthError::error_name`] gives the XRPC error name it uses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServiceAuthError {
    #[error("poorly formatted jwt: {0}")]
    BadJwt(&'static str),
    #[error("invalid jwt type {0:?}")]
    BadJwtType(String),
    #[error("jwt expired")]
    JwtExpired,
    #[error("jwt audience does not match service did")]
    BadJwtAudience,
    #[error("bad or missing jwt lexicon method (\"lxm\"), must match: {expected}")]
    BadJwtLexiconMethod {
        expected: String,
        found: Option<String>,
    },
    #[error("jwt iss is not a valid did")]
    BadJwtIss,
    #[error("jwt signature does not match jwt issuer")]
    BadJwtSignature,
}

impl ServiceAuthError {
    /// The XRPC error name, as in `packages/xrpc-server/src/auth.ts`.
    pub fn error_name(&self) -> &'static str {
        match self {
            ServiceAuthError::BadJwt(_) => "BadJwt",
            ServiceAuthError::BadJwtType(_) => "BadJwtType",
            ServiceAuthError::JwtExpired => "JwtExpired",
            ServiceAuthError::BadJwtAudience => "BadJwtAudience",
            ServiceAuthError::BadJwtLexiconMethod { .. } => "BadJwtLexiconMethod",
            ServiceAuthError::BadJwtIss => "BadJwtIss",
            ServiceAuthError::BadJwtSignature => "BadJwtSignature",
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Compact JWS
// ---------------------------------------------------------------------------------------------

/// The protected header. Serialized as `{"typ":…,"alg":…}`, the order the reference uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Header {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub typ: Option<String>,
    pub alg: String,
}

/// A token split into its parts, header parsed, payload still encoded.
struct Parsed<'a> {
    header: Header,
    signing_input: &'a str,
    payload_b64: &'a str,
    signature: Vec<u8>,
}

fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Strict base64url: no padding, no standard-alphabet characters, no stray trailing bits.
fn unb64url(segment: &str, what: &'static str) -> Result<Vec<u8>, JwtError> {
    URL_SAFE_NO_PAD
        .decode(segment)
        .map_err(|_| JwtError::Malformed(what))
}

fn parse(token: &str) -> Result<Parsed<'_>, JwtError> {
    let mut segments = token.split('.');
    let (Some(h), Some(p), Some(s), None) = (
        segments.next(),
        segments.next(),
        segments.next(),
        segments.next(),
    ) else {
        return Err(JwtError::Malformed("expected three dot-separated segments"));
    };
    if h.is_empty() || p.is_empty() {
        return Err(JwtError::Malformed("empty header or payload segment"));
    }
    let header_json = unb64url(h, "header is not base64url")?;
    let header: Map<String, Value> = serde_json::from_slice(&header_json)
        .map_err(|_| JwtError::Malformed("header is not a JSON object"))?;
    let alg = match header.get("alg") {
        Some(Value::String(alg)) => alg.clone(),
        _ => return Err(JwtError::Malformed("header has no string alg")),
    };
    let typ = match header.get("typ") {
        None => None,
        Some(Value::String(typ)) => Some(typ.clone()),
        Some(_) => return Err(JwtError::Malformed("header typ is not a string")),
    };
    // RFC 7515 §4.1.11: extensions we do not understand must be refused.
    if header.contains_key("crit") {
        return Err(JwtError::Malformed("unsupported crit header"));
    }
    let signature = unb64url(s, "signature is not base64url")?;
    Ok(Parsed {
        header: Header { typ, alg },
        signing_input: &token[..h.len() + 1 + p.len()],
        payload_b64: p,
        signature,
    })
}

fn decode_payload<T: DeserializeOwned>(payload_b64: &str) -> Result<T, JwtError> {
    let json = unb64url(payload_b64, "payload is not base64url")?;
    serde_json::from_slice(&json)
        .map_err(|_| JwtError::Malformed("payload does not match the expected claims"))
}

fn signing_input(header: &Header, claims: &impl Serialize) -> String {
    let header = serde_json::to_vec(header).expect("a JWS header serializes to JSON");
    let claims = serde_json::to_vec(claims).expect("JWT claims must serialize to JSON");
    format!("{}.{}", b64url(&header), b64url(&claims))
}

fn hmac(secret: &[u8]) -> HmacSha256 {
    <HmacSha256 as KeyInit>::new_from_slice(secret).expect("HMAC accepts keys of any length")
}

/// Signs `claims` with HMAC-SHA256 under `secret`; header `{"typ":header_typ,"alg":"HS256"}`.
///
/// # Panics
/// If `claims` cannot be serialized to JSON (e.g. a map with non-string keys).
pub fn encode_hs256(header_typ: &str, claims: &impl Serialize, secret: &[u8]) -> String {
    let header = Header {
        typ: Some(header_typ.to_owned()),
        alg: ALG_HS256.to_owned(),
    };
    let input = signing_input(&header, claims);
    let mut mac = hmac(secret);
    mac.update(input.as_bytes());
    let tag = mac.finalize().into_bytes();
    format!("{input}.{}", b64url(&tag))
}

/// Checks an HS256 token's MAC (in constant time) and decodes its claims.
///
/// Refuses any `alg` but `HS256` (so `none`, `HS512` and asymmetric algorithms), a `crit`
/// header, anything but three strict base64url segments, and claims that do not deserialize
/// into `T`. Does not look at `typ`, `aud` or `exp`: see [`AccessClaims::verify`] and
/// [`RefreshClaims::verify`], or [`check_exp`].
pub fn decode_hs256<T: DeserializeOwned>(
    token: &str,
    secret: &[u8],
) -> Result<(Header, T), JwtError> {
    let parsed = parse(token)?;
    if parsed.header.alg != ALG_HS256 {
        return Err(JwtError::UnsupportedAlg(parsed.header.alg));
    }
    let mut mac = hmac(secret);
    mac.update(parsed.signing_input.as_bytes());
    mac.verify_slice(&parsed.signature)
        .map_err(|_| JwtError::BadSignature)?;
    let claims = decode_payload(parsed.payload_b64)?;
    Ok((parsed.header, claims))
}

/// Signs `claims` with an atproto signing key; `alg` follows the key type (`ES256K` for
/// secp256k1, `ES256` for P-256), the signature is the 64-byte low-S `r ‖ s`.
///
/// # Panics
/// If `claims` cannot be serialized to JSON.
pub fn encode_signed(header_typ: &str, claims: &impl Serialize, key: &SigningKey) -> String {
    let header = Header {
        typ: Some(header_typ.to_owned()),
        alg: key.key_type().jwt_alg().to_owned(),
    };
    let input = signing_input(&header, claims);
    let sig = key.sign(input.as_bytes());
    format!("{input}.{}", b64url(&sig))
}

/// Verifies an ES256K/ES256 token against `key` and decodes its claims.
///
/// `alg` must be the key's algorithm. Like the reference (`allowMalleableSig: true` in
/// xrpc-server's `verifyJwt`), a high-S signature is accepted: JWTs are not content-addressed,
/// so malleability does not matter here, and some signers (e.g. Node's `crypto.sign`) do not
/// normalize. Does not look at `typ`, `aud` or `exp`.
pub fn verify_signed<T: DeserializeOwned>(
    token: &str,
    key: &PublicKey,
) -> Result<(Header, T), JwtError> {
    let parsed = parse(token)?;
    if parsed.header.alg != key.key_type().jwt_alg() {
        return Err(JwtError::UnsupportedAlg(parsed.header.alg));
    }
    verify_ecdsa_malleable(key, parsed.signing_input.as_bytes(), &parsed.signature)
        .map_err(|_| JwtError::BadSignature)?;
    let claims = decode_payload(parsed.payload_b64)?;
    Ok((parsed.header, claims))
}

/// Decodes header and claims **without checking the signature**. Only for routing decisions
/// (e.g. "does this bearer token carry `lxm`, so is it service auth?") and for reading back a
/// token this server has just minted.
pub fn decode_unverified<T: DeserializeOwned>(token: &str) -> Result<(Header, T), JwtError> {
    let parsed = parse(token)?;
    let claims = decode_payload(parsed.payload_b64)?;
    Ok((parsed.header, claims))
}

/// `Err(Expired)` once `now` has reached `exp` (jose's rule: valid while `now < exp`).
pub fn check_exp(exp: i64, now: i64) -> Result<(), JwtError> {
    if exp <= now {
        Err(JwtError::Expired)
    } else {
        Ok(())
    }
}

fn verify_ecdsa_malleable(key: &PublicKey, msg: &[u8], sig: &[u8]) -> Result<(), CryptoError> {
    match key.verify(msg, sig) {
        Err(CryptoError::HighS) => {
            let low = normalize_s(key.key_type(), sig).ok_or(CryptoError::MalformedSignature)?;
            key.verify(msg, &low)
        }
        other => other,
    }
}

/// `r ‖ (n − s)` for a high-S signature.
fn normalize_s(key_type: KeyType, sig: &[u8]) -> Option<[u8; SIGNATURE_LEN]> {
    match key_type {
        KeyType::K256 => k256::ecdsa::Signature::from_slice(sig)
            .ok()
            .map(|s| s.normalize_s().to_bytes().into()),
        KeyType::P256 => p256::ecdsa::Signature::from_slice(sig)
            .ok()
            .map(|s| s.normalize_s().to_bytes().into()),
    }
}

/// jose compares `typ` case-insensitively and with an optional `application/` prefix.
fn typ_matches(found: Option<&str>, expected: &str) -> bool {
    found.is_some_and(|typ| {
        let typ = typ.to_ascii_lowercase();
        typ.strip_prefix("application/").unwrap_or(&typ) == expected
    })
}

/// A JSON NumericDate as whole seconds (fractions are floored, as a JS `Date.now()/1000 > exp`
/// comparison effectively does).
fn numeric_date(v: &Value) -> Option<i64> {
    v.as_i64().or_else(|| {
        v.as_f64()
            .filter(|f| f.is_finite())
            .map(|f| f.floor() as i64)
    })
}

fn de_numeric_date<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    let n = serde_json::Number::deserialize(d)?;
    numeric_date(&Value::Number(n))
        .ok_or_else(|| serde::de::Error::custom("NumericDate out of range"))
}

fn de_opt_numeric_date<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    match Option::<serde_json::Number>::deserialize(d)? {
        None => Ok(None),
        Some(n) => numeric_date(&Value::Number(n))
            .map(Some)
            .ok_or_else(|| serde::de::Error::custom("NumericDate out of range")),
    }
}

// ---------------------------------------------------------------------------------------------
// Scopes
// ---------------------------------------------------------------------------------------------

/// The `scope` claim of session tokens (`packages/pds/src/auth-scope.ts`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// `com.atproto.access`: a full session (account password).
    Access,
    /// `com.atproto.refresh`: refresh tokens only.
    Refresh,
    /// `com.atproto.appPass`: session from an ordinary app password.
    AppPass,
    /// `com.atproto.appPassPrivileged`: session from a privileged app password (DMs etc.).
    AppPassPrivileged,
    /// `com.atproto.signupQueued`: account created but waiting in the signup queue.
    SignupQueued,
    /// `com.atproto.takendown`: session of a taken-down account (may only export/appeal).
    Takendown,
}

/// A `scope` string that is none of [`Scope`]'s values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown auth scope {0:?}")]
pub struct UnknownScope(pub String);

impl Scope {
    /// Every scope.
    pub const ALL: [Scope; 6] = [
        Scope::Access,
        Scope::Refresh,
        Scope::AppPass,
        Scope::AppPassPrivileged,
        Scope::SignupQueued,
        Scope::Takendown,
    ];
    /// `ACCESS_FULL`: only a full session (account management, app password creation, …).
    pub const ACCESS_FULL: &'static [Scope] = &[Scope::Access];
    /// `ACCESS_PRIVILEGED`: full session or privileged app password.
    pub const ACCESS_PRIVILEGED: &'static [Scope] = &[Scope::Access, Scope::AppPassPrivileged];
    /// `ACCESS_STANDARD`: any ordinary session (the reference's default for authed endpoints).
    pub const ACCESS_STANDARD: &'static [Scope] =
        &[Scope::Access, Scope::AppPassPrivileged, Scope::AppPass];

    /// The wire string, e.g. `com.atproto.access`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Scope::Access => "com.atproto.access",
            Scope::Refresh => "com.atproto.refresh",
            Scope::AppPass => "com.atproto.appPass",
            Scope::AppPassPrivileged => "com.atproto.appPassPrivileged",
            Scope::SignupQueued => "com.atproto.signupQueued",
            Scope::Takendown => "com.atproto.takendown",
        }
    }

    /// Parses a wire string (exact, case-sensitive).
    pub fn parse(s: &str) -> Option<Self> {
        Scope::ALL.into_iter().find(|scope| scope.as_str() == s)
    }

    /// The access scope for a new session (the reference's `formatScope`): `Takendown` for a
    /// taken-down account, else `Access` for the account password, else `AppPassPrivileged` or
    /// `AppPass` depending on the app password's `privileged` flag.
    pub fn for_session(app_password_privileged: Option<bool>, taken_down: bool) -> Self {
        match (taken_down, app_password_privileged) {
            (true, _) => Scope::Takendown,
            (false, None) => Scope::Access,
            (false, Some(true)) => Scope::AppPassPrivileged,
            (false, Some(false)) => Scope::AppPass,
        }
    }

    /// Whether this scope is in [`Scope::ACCESS_FULL`].
    pub fn is_access_full(self) -> bool {
        Scope::ACCESS_FULL.contains(&self)
    }

    /// Whether this scope is in [`Scope::ACCESS_PRIVILEGED`].
    pub fn is_access_privileged(self) -> bool {
        Scope::ACCESS_PRIVILEGED.contains(&self)
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Scope {
    type Err = UnknownScope;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Scope::parse(s).ok_or_else(|| UnknownScope(s.to_owned()))
    }
}

impl Serialize for Scope {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Scope {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

// ---------------------------------------------------------------------------------------------
// Session tokens
// ---------------------------------------------------------------------------------------------

/// Claims of an access token; header `{"typ":"at+jwt","alg":"HS256"}`.
///
/// Field order is the reference's (`new SignJWT({ scope }).setAudience().setSubject()
/// .setIssuedAt().setExpirationTime()`): `{"scope","aud","sub","iat","exp"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    pub scope: Scope,
    /// The PDS's service DID.
    pub aud: String,
    /// The account's DID.
    pub sub: Did,
    pub iat: i64,
    pub exp: i64,
}

impl AccessClaims {
    /// Claims for a new access token, valid for [`ACCESS_TOKEN_LIFETIME_SECS`] from `now`.
    pub fn new(sub: Did, aud: impl Into<String>, scope: Scope, now: i64) -> Self {
        debug_assert!(
            scope != Scope::Refresh,
            "an access token cannot have the refresh scope"
        );
        AccessClaims {
            scope,
            aud: aud.into(),
            sub,
            iat: now,
            exp: now + ACCESS_TOKEN_LIFETIME_SECS,
        }
    }

    /// The signed token.
    pub fn encode(&self, secret: &[u8]) -> String {
        encode_hs256(TYP_ACCESS, self, secret)
    }

    /// Verifies an access token as the reference's `verifyBearerJwt` does: HS256 MAC, `typ`
    /// `at+jwt`, `aud == aud`, not expired, no `lxm` (service auth) or `cnf` (PoP) claim,
    /// `sub` a DID, and `scope` one of `allowed` (e.g. [`Scope::ACCESS_STANDARD`]).
    pub fn verify(
        token: &str,
        secret: &[u8],
        aud: &str,
        allowed: &[Scope],
        now: i64,
    ) -> Result<Self, JwtError> {
        let claims: Self = verify_bearer(token, secret, TYP_ACCESS, aud, now, false)?;
        if !allowed.contains(&claims.scope) {
            return Err(JwtError::BadScope);
        }
        Ok(claims)
    }
}

/// Claims of a refresh token; header `{"typ":"refresh+jwt","alg":"HS256"}`.
///
/// Field order is the reference's: `{"scope","aud","sub","jti","iat","exp"}`, with `scope`
/// always `com.atproto.refresh`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefreshClaims {
    pub scope: Scope,
    /// The PDS's service DID (or the entryway's, behind an entryway).
    pub aud: String,
    /// The account's DID.
    pub sub: Did,
    /// Token id: the `refresh_token` table's primary key.
    pub jti: String,
    pub iat: i64,
    pub exp: i64,
}

impl RefreshClaims {
    /// Claims for a new refresh token with a fresh random [`new_refresh_token_id`], valid for
    /// [`REFRESH_TOKEN_LIFETIME_SECS`] from `now`. To re-issue under a pre-chosen id (the
    /// refresh grace period's `nextId`), overwrite `jti`.
    pub fn new(sub: Did, aud: impl Into<String>, now: i64) -> Self {
        RefreshClaims {
            scope: Scope::Refresh,
            aud: aud.into(),
            sub,
            jti: new_refresh_token_id(),
            iat: now,
            exp: now + REFRESH_TOKEN_LIFETIME_SECS,
        }
    }

    /// The signed token.
    pub fn encode(&self, secret: &[u8]) -> String {
        encode_hs256(TYP_REFRESH, self, secret)
    }

    /// Verifies a refresh token: HS256 MAC, `typ` `refresh+jwt`, `aud == aud`, scope
    /// `com.atproto.refresh`, a `jti`, and (unless `allow_expired`, which the reference uses
    /// for `deleteSession`) not expired.
    pub fn verify(
        token: &str,
        secret: &[u8],
        aud: &str,
        now: i64,
        allow_expired: bool,
    ) -> Result<Self, JwtError> {
        let claims: Self = verify_bearer(token, secret, TYP_REFRESH, aud, now, allow_expired)?;
        if claims.scope != Scope::Refresh {
            return Err(JwtError::BadScope);
        }
        Ok(claims)
    }
}

/// A new refresh token id: 32 random bytes in unpadded standard base64 (43 characters), the
/// reference's `ui8.toString(crypto.randomBytes(32), 'base64')`.
pub fn new_refresh_token_id() -> String {
    STANDARD_NO_PAD.encode(random_bytes::<32>())
}

/// The common part of access and refresh token verification, in the reference's order:
/// signature, `typ`, `aud`, `exp`, then the claim shapes.
fn verify_bearer<T: DeserializeOwned>(
    token: &str,
    secret: &[u8],
    typ: &'static str,
    aud: &str,
    now: i64,
    allow_expired: bool,
) -> Result<T, JwtError> {
    let (header, claims): (Header, Map<String, Value>) = decode_hs256(token, secret)?;
    if !typ_matches(header.typ.as_deref(), typ) {
        return Err(JwtError::WrongType {
            expected: typ,
            found: header.typ,
        });
    }
    if claims.get("aud").and_then(Value::as_str) != Some(aud) {
        return Err(JwtError::WrongAudience);
    }
    let exp = claims
        .get("exp")
        .and_then(numeric_date)
        .ok_or(JwtError::Malformed("missing or non-numeric exp"))?;
    if !allow_expired {
        check_exp(exp, now)?;
    }
    // Service auth and proof-of-possession tokens never belong here.
    if claims.contains_key("lxm") || claims.contains_key("cnf") {
        return Err(JwtError::Malformed("unexpected lxm or cnf claim"));
    }
    if claims
        .get("scope")
        .and_then(Value::as_str)
        .and_then(Scope::parse)
        .is_none()
    {
        return Err(JwtError::BadScope);
    }
    serde_json::from_value(Value::Object(claims))
        .map_err(|_| JwtError::Malformed("claims do not match the expected shape"))
}

// ---------------------------------------------------------------------------------------------
// Service auth tokens
// ---------------------------------------------------------------------------------------------

/// Claims of an inter-service auth token; header `{"typ":"JWT","alg":"ES256K"}` (or `ES256`).
///
/// Field order is the reference's `createServiceJwt`: `{"iat","iss","aud","exp","lxm","jti"}`,
/// absent optional fields omitted. On input, `iat` and `jti` may be missing and NumericDates
/// may be fractional, as `verifyJwt` allows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceClaims {
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de_opt_numeric_date"
    )]
    pub iat: Option<i64>,
    /// The issuing account's DID, or `did#service` (e.g. `did:plc:…#atproto_labeler`).
    pub iss: String,
    /// The service DID this token is for (may itself carry a `#fragment`).
    pub aud: String,
    #[serde(deserialize_with = "de_numeric_date")]
    pub exp: i64,
    /// The lexicon method (NSID) the token is bound to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lxm: Option<String>,
    /// Random nonce: 16 random bytes as 32 hex characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
}

impl ServiceClaims {
    /// Claims for a new token from `iss` to `aud`, optionally bound to method `lxm`, valid for
    /// [`SERVICE_TOKEN_LIFETIME_SECS`] from `now` (set `exp` to change that).
    pub fn new(
        iss: impl Into<String>,
        aud: impl Into<String>,
        lxm: Option<&str>,
        now: i64,
    ) -> Self {
        ServiceClaims {
            iat: Some(now),
            iss: iss.into(),
            aud: aud.into(),
            exp: now + SERVICE_TOKEN_LIFETIME_SECS,
            lxm: lxm.map(str::to_owned),
            jti: Some(random_hex(16)),
        }
    }

    /// The signed token (`typ: JWT`, `alg` from the key type).
    pub fn sign(&self, key: &SigningKey) -> String {
        encode_signed(TYP_SERVICE, self, key)
    }
}

/// A parsed, not yet trusted service auth token.
///
/// Verification is split because the key depends on the claims: [`ServiceToken::parse`],
/// then [`ServiceToken::check_claims`], then resolve [`ServiceToken::issuer_did`]'s DID
/// document, take the verification method [`ServiceToken::issuer_key_id`], and
/// [`ServiceToken::verify_signature`]. On a signature failure the reference re-resolves the
/// DID document once without cache (key rotation) and tries again.
#[derive(Debug, Clone)]
pub struct ServiceToken {
    header: Header,
    claims: ServiceClaims,
    signing_input: String,
    signature: Vec<u8>,
}

impl ServiceToken {
    /// Splits and decodes the token. Refuses `typ` `at+jwt`, `refresh+jwt` and `dpop+jwt`
    /// (session tokens and DPoP proofs are not service tokens), and claims without string
    /// `iss`/`aud` or numeric `exp`.
    pub fn parse(token: &str) -> Result<Self, ServiceAuthError> {
        let parsed = parse(token).map_err(|e| match e {
            JwtError::Malformed(what) => ServiceAuthError::BadJwt(what),
            _ => ServiceAuthError::BadJwt("unreadable token"),
        })?;
        if let Some(typ) = &parsed.header.typ
            && [TYP_ACCESS, TYP_REFRESH, TYP_DPOP].contains(&typ.as_str())
        {
            return Err(ServiceAuthError::BadJwtType(typ.clone()));
        }
        let claims: ServiceClaims = decode_payload(parsed.payload_b64)
            .map_err(|_| ServiceAuthError::BadJwt("claims do not match the expected shape"))?;
        Ok(ServiceToken {
            header: parsed.header,
            claims,
            signing_input: parsed.signing_input.to_owned(),
            signature: parsed.signature,
        })
    }

    /// The protected header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The (unverified until [`ServiceToken::verify_signature`]) claims.
    pub fn claims(&self) -> &ServiceClaims {
        &self.claims
    }

    /// Checks, in the reference's order: not expired at `now` ([`ServiceAuthError::JwtExpired`]),
    /// `aud` is one of `audiences` (the PDS's DID, plus the entryway's if any), `lxm` equals
    /// `lxm` when given (pass `None` to skip that check), and `iss` is `did` or `did#fragment`.
    pub fn check_claims(
        &self,
        now: i64,
        audiences: &[&str],
        lxm: Option<&str>,
    ) -> Result<(), ServiceAuthError> {
        let c = &self.claims;
        if c.exp <= now {
            return Err(ServiceAuthError::JwtExpired);
        }
        if !audiences.contains(&c.aud.as_str()) {
            return Err(ServiceAuthError::BadJwtAudience);
        }
        if let Some(expected) = lxm
            && c.lxm.as_deref() != Some(expected)
        {
            return Err(ServiceAuthError::BadJwtLexiconMethod {
                expected: expected.to_owned(),
                found: c.lxm.clone(),
            });
        }
        self.issuer_did()?;
        Ok(())
    }

    /// The DID part of `iss` (before any `#fragment`), validated: a fragment, if present, must
    /// be non-empty and the only `#`.
    pub fn issuer_did(&self) -> Result<Did, ServiceAuthError> {
        let iss = self.claims.iss.as_str();
        let did = match iss.split_once('#') {
            None => iss,
            Some((did, fragment)) if !fragment.is_empty() && !fragment.contains('#') => did,
            Some(_) => return Err(ServiceAuthError::BadJwtIss),
        };
        Did::new(did).map_err(|_| ServiceAuthError::BadJwtIss)
    }

    /// The DID document verification method to check the signature with: `atproto_label`
    /// for `iss` `…#atproto_labeler`, otherwise `atproto` (as the reference PDS does).
    pub fn issuer_key_id(&self) -> &'static str {
        match self.claims.iss.split_once('#') {
            Some((_, "atproto_labeler")) => "atproto_label",
            _ => "atproto",
        }
    }

    /// Checks the signature with the issuer's key; `alg` must match the key type. High-S
    /// signatures are accepted, as in the reference.
    pub fn verify_signature(&self, key: &PublicKey) -> Result<(), ServiceAuthError> {
        if self.header.alg != key.key_type().jwt_alg() {
            return Err(ServiceAuthError::BadJwtSignature);
        }
        verify_ecdsa_malleable(key, self.signing_input.as_bytes(), &self.signature)
            .map_err(|_| ServiceAuthError::BadJwtSignature)
    }

    /// The claims, once the caller has run every check.
    pub fn into_claims(self) -> ServiceClaims {
        self.claims
    }
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"test-jwt-secret";
    const PDS_DID: &str = "did:web:pds.example.com";
    const NOW: i64 = 1_700_000_000;

    fn alice() -> Did {
        Did::new("did:plc:ewvi7nxzyoun6zhxrhs64oiz").unwrap()
    }

    fn json_segment(token: &str, index: usize) -> String {
        let segment = token.split('.').nth(index).unwrap();
        String::from_utf8(URL_SAFE_NO_PAD.decode(segment).unwrap()).unwrap()
    }

    fn with_segment(token: &str, index: usize, replacement: &str) -> String {
        let mut parts: Vec<&str> = token.split('.').collect();
        parts[index] = replacement;
        parts.join(".")
    }

    fn access_token(scope: Scope) -> String {
        AccessClaims::new(alice(), PDS_DID, scope, NOW).encode(SECRET)
    }

    /// Token over arbitrary header and payload JSON, HMAC'd with `SECRET`.
    fn forge_hs256(header: &str, payload: &str) -> String {
        let input = format!(
            "{}.{}",
            b64url(header.as_bytes()),
            b64url(payload.as_bytes())
        );
        let mut mac = hmac(SECRET);
        mac.update(input.as_bytes());
        format!("{input}.{}", b64url(&mac.finalize().into_bytes()))
    }

    // -- compact JWS ---------------------------------------------------------------------------

    #[test]
    fn an_hs256_token_round_trips_header_and_claims() {
        let claims = serde_json::json!({"hello": "world", "n": 3});
        let token = encode_hs256("example", &claims, SECRET);
        let (header, decoded): (Header, Value) = decode_hs256(&token, SECRET).unwrap();
        assert_eq!(header.typ.as_deref(), Some("example"));
        assert_eq!(header.alg, "HS256");
        assert_eq!(decoded, claims);
        assert_eq!(
            json_segment(&token, 0),
            r#"{"typ":"example","alg":"HS256"}"#
        );
    }

    #[test]
    fn an_hs256_token_under_another_secret_is_refused() {
        let token = access_token(Scope::Access);
        let err = decode_hs256::<Value>(&token, b"another secret").unwrap_err();
        assert_eq!(err, JwtError::BadSignature);
        assert_eq!(err.error_name(), "InvalidToken");
    }

    #[test]
    fn a_tampered_payload_is_refused() {
        let token = access_token(Scope::AppPass);
        let payload = json_segment(&token, 1).replace("com.atproto.appPass", "com.atproto.access");
        let tampered = with_segment(&token, 1, &b64url(payload.as_bytes()));
        assert_eq!(
            decode_hs256::<Value>(&tampered, SECRET).unwrap_err(),
            JwtError::BadSignature
        );
    }

    #[test]
    fn a_tampered_or_truncated_signature_is_refused() {
        let token = access_token(Scope::Access);
        let sig = token.rsplit('.').next().unwrap();
        let mut bytes = URL_SAFE_NO_PAD.decode(sig).unwrap();
        bytes[0] ^= 1;
        let flipped = with_segment(&token, 2, &b64url(&bytes));
        assert_eq!(
            decode_hs256::<Value>(&flipped, SECRET).unwrap_err(),
            JwtError::BadSignature
        );
        let truncated = with_segment(&token, 2, &b64url(&bytes[..31]));
        assert_eq!(
            decode_hs256::<Value>(&truncated, SECRET).unwrap_err(),
            JwtError::BadSignature
        );
        let empty = with_segment(&token, 2, "");
        assert_eq!(
            decode_hs256::<Value>(&empty, SECRET).unwrap_err(),
            JwtError::BadSignature
        );
    }

    #[test]
    fn alg_none_is_refused_even_with_valid_claims() {
        let token = access_token(Scope::Access);
        let header = b64url(br#"{"typ":"at+jwt","alg":"none"}"#);
        let unsigned = format!("{header}.{}.", token.split('.').nth(1).unwrap());
        let err = decode_hs256::<Value>(&unsigned, SECRET).unwrap_err();
        assert_eq!(err, JwtError::UnsupportedAlg("none".into()));
        assert_eq!(err.error_name(), "InvalidToken");
        assert!(
            AccessClaims::verify(&unsigned, SECRET, PDS_DID, Scope::ALL.as_slice(), NOW).is_err()
        );
    }

    #[test]
    fn algorithms_other_than_hs256_are_refused_by_decode_hs256() {
        for alg in ["HS512", "HS384", "ES256K", "ES256", "RS256", "hs256"] {
            let header = format!(r#"{{"typ":"at+jwt","alg":"{alg}"}}"#);
            let token = forge_hs256(&header, r#"{"a":1}"#);
            assert_eq!(
                decode_hs256::<Value>(&token, SECRET).unwrap_err(),
                JwtError::UnsupportedAlg(alg.into()),
                "{alg}"
            );
        }
    }

    #[test]
    fn malformed_tokens_are_refused_as_malformed() {
        let good = access_token(Scope::Access);
        let (h, rest) = good.split_once('.').unwrap();
        let (p, s) = rest.split_once('.').unwrap();
        let cases = [
            String::new(),
            "abc".to_owned(),
            format!("{h}.{p}"),
            format!("{h}.{p}.{s}.{s}"),
            format!(".{p}.{s}"),
            format!("{h}..{s}"),
            format!("{h}=.{p}.{s}"),                    // padding
            format!("{h}.{p}.{s}="),                    // padding in the signature
            format!("{}.{p}.{s}", h.replace('e', "+")), // standard alphabet
            format!("{}.{p}.{s}", b64url(b"not json")),
            format!("{}.{p}.{s}", b64url(b"[1,2]")),
            format!("{}.{p}.{s}", b64url(br#"{"typ":"at+jwt"}"#)), // no alg
            format!("{}.{p}.{s}", b64url(br#"{"alg":"HS256","typ":7}"#)),
        ];
        for token in &cases {
            let err = decode_hs256::<Value>(token, SECRET).unwrap_err();
            assert!(matches!(err, JwtError::Malformed(_)), "{token:?}: {err:?}");
            assert_eq!(err.error_name(), "InvalidToken");
        }
    }

    #[test]
    fn a_crit_header_is_refused() {
        let token = forge_hs256(r#"{"alg":"HS256","crit":["exp"],"exp":1}"#, r#"{"a":1}"#);
        assert!(matches!(
            decode_hs256::<Value>(&token, SECRET).unwrap_err(),
            JwtError::Malformed(_)
        ));
    }

    #[test]
    fn a_payload_that_is_not_json_is_refused_after_the_mac_check() {
        let token = forge_hs256(r#"{"alg":"HS256"}"#, "not json");
        assert!(matches!(
            decode_hs256::<Value>(&token, SECRET).unwrap_err(),
            JwtError::Malformed(_)
        ));
    }

    #[test]
    fn expiry_is_distinguished_from_invalidity() {
        assert_eq!(check_exp(NOW + 1, NOW), Ok(()));
        assert_eq!(check_exp(NOW, NOW), Err(JwtError::Expired));
        assert_eq!(check_exp(NOW - 1, NOW), Err(JwtError::Expired));
        assert_eq!(JwtError::Expired.error_name(), "ExpiredToken");
        assert_eq!(JwtError::BadSignature.error_name(), "InvalidToken");
        assert_eq!(JwtError::WrongAudience.error_name(), "InvalidToken");
    }

    #[test]
    fn now_secs_reads_a_plausible_clock() {
        assert!(now_secs() > NOW);
    }

    // -- scopes --------------------------------------------------------------------------------

    #[test]
    fn scopes_convert_to_and_from_their_wire_strings() {
        let wire = [
            "com.atproto.access",
            "com.atproto.refresh",
            "com.atproto.appPass",
            "com.atproto.appPassPrivileged",
            "com.atproto.signupQueued",
            "com.atproto.takendown",
        ];
        for (scope, s) in Scope::ALL.into_iter().zip(wire) {
            assert_eq!(scope.as_str(), s);
            assert_eq!(scope.to_string(), s);
            assert_eq!(s.parse::<Scope>(), Ok(scope));
            assert_eq!(serde_json::to_string(&scope).unwrap(), format!("\"{s}\""));
            assert_eq!(
                serde_json::from_str::<Scope>(&format!("\"{s}\"")).unwrap(),
                scope
            );
        }
        assert_eq!(
            "com.atproto.ACCESS".parse::<Scope>(),
            Err(UnknownScope("com.atproto.ACCESS".into()))
        );
        assert!(serde_json::from_str::<Scope>("\"atproto\"").is_err());
    }

    #[test]
    fn session_scope_follows_the_credential_like_format_scope() {
        assert_eq!(Scope::for_session(None, false), Scope::Access);
        assert_eq!(Scope::for_session(Some(false), false), Scope::AppPass);
        assert_eq!(
            Scope::for_session(Some(true), false),
            Scope::AppPassPrivileged
        );
        assert_eq!(Scope::for_session(None, true), Scope::Takendown);
        assert_eq!(Scope::for_session(Some(true), true), Scope::Takendown);
    }

    #[test]
    fn scope_groups_match_the_reference() {
        assert!(Scope::Access.is_access_full());
        assert!(!Scope::AppPassPrivileged.is_access_full());
        assert!(Scope::AppPassPrivileged.is_access_privileged());
        assert!(!Scope::AppPass.is_access_privileged());
        assert!(Scope::ACCESS_STANDARD.contains(&Scope::AppPass));
        assert!(!Scope::ACCESS_STANDARD.contains(&Scope::Refresh));
        assert!(!Scope::ACCESS_STANDARD.contains(&Scope::Takendown));
        assert!(!Scope::ACCESS_STANDARD.contains(&Scope::SignupQueued));
    }

    // -- access and refresh tokens -------------------------------------------------------------

    #[test]
    fn an_access_token_has_the_reference_header_claims_and_lifetime() {
        let token = access_token(Scope::AppPassPrivileged);
        assert_eq!(json_segment(&token, 0), r#"{"typ":"at+jwt","alg":"HS256"}"#);
        assert_eq!(
            json_segment(&token, 1),
            format!(
                r#"{{"scope":"com.atproto.appPassPrivileged","aud":"{PDS_DID}","sub":"{}","iat":{NOW},"exp":{}}}"#,
                alice(),
                NOW + 7200
            )
        );
        assert_eq!(ACCESS_TOKEN_LIFETIME_SECS, 2 * 60 * 60);
    }

    #[test]
    fn an_access_token_verifies_with_its_audience_and_an_allowed_scope() {
        let token = access_token(Scope::AppPass);
        let claims =
            AccessClaims::verify(&token, SECRET, PDS_DID, Scope::ACCESS_STANDARD, NOW + 10)
                .unwrap();
        assert_eq!(
            claims,
            AccessClaims::new(alice(), PDS_DID, Scope::AppPass, NOW)
        );
    }

    #[test]
    fn an_access_token_with_a_scope_not_allowed_is_refused() {
        let token = access_token(Scope::AppPass);
        let err = AccessClaims::verify(&token, SECRET, PDS_DID, Scope::ACCESS_PRIVILEGED, NOW)
            .unwrap_err();
        assert_eq!(err, JwtError::BadScope);
        assert_eq!(err.error_name(), "InvalidToken");
    }

    #[test]
    fn an_access_token_for_another_audience_is_refused() {
        let token = access_token(Scope::Access);
        assert_eq!(
            AccessClaims::verify(
                &token,
                SECRET,
                "did:web:other.example",
                Scope::ALL.as_slice(),
                NOW
            ),
            Err(JwtError::WrongAudience)
        );
    }

    #[test]
    fn an_expired_access_token_is_expired_not_invalid() {
        let token = access_token(Scope::Access);
        let exp = NOW + ACCESS_TOKEN_LIFETIME_SECS;
        assert!(AccessClaims::verify(&token, SECRET, PDS_DID, Scope::ACCESS_FULL, exp - 1).is_ok());
        let err =
            AccessClaims::verify(&token, SECRET, PDS_DID, Scope::ACCESS_FULL, exp).unwrap_err();
        assert_eq!(err, JwtError::Expired);
        assert_eq!(err.error_name(), "ExpiredToken");
    }

    #[test]
    fn an_expired_token_with_a_bad_signature_is_invalid_not_expired() {
        let token = access_token(Scope::Access);
        let err = AccessClaims::verify(
            &token,
            b"wrong",
            PDS_DID,
            Scope::ACCESS_FULL,
            NOW + 1_000_000,
        )
        .unwrap_err();
        assert_eq!(err.error_name(), "InvalidToken");
    }

    #[test]
    fn a_refresh_token_has_the_reference_header_claims_and_lifetime() {
        let claims = RefreshClaims::new(alice(), PDS_DID, NOW);
        let token = claims.encode(SECRET);
        assert_eq!(
            json_segment(&token, 0),
            r#"{"typ":"refresh+jwt","alg":"HS256"}"#
        );
        assert_eq!(
            json_segment(&token, 1),
            format!(
                r#"{{"scope":"com.atproto.refresh","aud":"{PDS_DID}","sub":"{}","jti":"{}","iat":{NOW},"exp":{}}}"#,
                alice(),
                claims.jti,
                NOW + 90 * 86_400
            )
        );
    }

    #[test]
    fn refresh_token_ids_are_random_43_character_base64() {
        let a = new_refresh_token_id();
        let b = new_refresh_token_id();
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(STANDARD_NO_PAD.decode(&a).unwrap().len(), 32);
    }

    #[test]
    fn a_refresh_token_round_trips_and_may_be_read_after_expiry_when_asked() {
        let claims = RefreshClaims::new(alice(), PDS_DID, NOW);
        let token = claims.encode(SECRET);
        assert_eq!(
            RefreshClaims::verify(&token, SECRET, PDS_DID, NOW, false),
            Ok(claims.clone())
        );
        let later = NOW + REFRESH_TOKEN_LIFETIME_SECS;
        assert_eq!(
            RefreshClaims::verify(&token, SECRET, PDS_DID, later, false),
            Err(JwtError::Expired)
        );
        assert_eq!(
            RefreshClaims::verify(&token, SECRET, PDS_DID, later, true),
            Ok(claims)
        );
    }

    #[test]
    fn a_refresh_token_is_not_an_access_token_and_vice_versa() {
        let refresh = RefreshClaims::new(alice(), PDS_DID, NOW).encode(SECRET);
        assert!(matches!(
            AccessClaims::verify(&refresh, SECRET, PDS_DID, Scope::ALL.as_slice(), NOW),
            Err(JwtError::WrongType {
                expected: "at+jwt",
                ..
            })
        ));
        let access = access_token(Scope::Access);
        assert!(matches!(
            RefreshClaims::verify(&access, SECRET, PDS_DID, NOW, false),
            Err(JwtError::WrongType {
                expected: "refresh+jwt",
                ..
            })
        ));
    }

    #[test]
    fn an_at_jwt_typed_token_with_refresh_scope_is_refused_as_access() {
        let claims = AccessClaims {
            scope: Scope::Refresh,
            aud: PDS_DID.into(),
            sub: alice(),
            iat: NOW,
            exp: NOW + 60,
        };
        let token = encode_hs256(TYP_ACCESS, &claims, SECRET);
        assert_eq!(
            AccessClaims::verify(&token, SECRET, PDS_DID, Scope::ACCESS_STANDARD, NOW),
            Err(JwtError::BadScope)
        );
    }

    #[test]
    fn the_typ_header_is_compared_like_jose() {
        assert!(typ_matches(Some("at+jwt"), "at+jwt"));
        assert!(typ_matches(Some("AT+JWT"), "at+jwt"));
        assert!(typ_matches(Some("application/at+jwt"), "at+jwt"));
        assert!(!typ_matches(Some("JWT"), "at+jwt"));
        assert!(!typ_matches(None, "at+jwt"));
    }

    #[test]
    fn bearer_tokens_carrying_lxm_or_cnf_or_a_non_did_sub_are_refused() {
        let header = r#"{"typ":"at+jwt","alg":"HS256"}"#;
        let base = format!(
            r#""scope":"com.atproto.access","aud":"{PDS_DID}","iat":{NOW},"exp":{}"#,
            NOW + 60
        );
        let ok = forge_hs256(header, &format!(r#"{{{base},"sub":"did:plc:abc"}}"#));
        assert!(AccessClaims::verify(&ok, SECRET, PDS_DID, Scope::ACCESS_FULL, NOW).is_ok());
        for extra in [
            r#""sub":"did:plc:abc","lxm":"com.atproto.repo.createRecord""#,
            r#""sub":"did:plc:abc","cnf":{"jkt":"x"}"#,
            r#""sub":"alice.example.com""#,
            r#""sub":7"#,
        ] {
            let token = forge_hs256(header, &format!("{{{base},{extra}}}"));
            let err =
                AccessClaims::verify(&token, SECRET, PDS_DID, Scope::ACCESS_FULL, NOW).unwrap_err();
            assert!(matches!(err, JwtError::Malformed(_)), "{extra}: {err:?}");
        }
        let no_scope = forge_hs256(
            header,
            &format!(
                r#"{{"aud":"{PDS_DID}","sub":"did:plc:abc","exp":{}}}"#,
                NOW + 60
            ),
        );
        assert_eq!(
            AccessClaims::verify(&no_scope, SECRET, PDS_DID, Scope::ACCESS_FULL, NOW),
            Err(JwtError::BadScope)
        );
        let no_exp = forge_hs256(
            header,
            &format!(r#"{{"scope":"com.atproto.access","aud":"{PDS_DID}","sub":"did:plc:abc"}}"#),
        );
        assert!(matches!(
            AccessClaims::verify(&no_exp, SECRET, PDS_DID, Scope::ACCESS_FULL, NOW),
            Err(JwtError::Malformed(_))
        ));
    }

    /// Made with Node's `crypto.createHmac` in exactly the layout of the reference's
    /// `createAccessToken`/`createRefreshToken` (`jose.SignJWT`), secret `reference-jwt-secret`.
    const NODE_ACCESS: &str = "eyJ0eXAiOiJhdCtqd3QiLCJhbGciOiJIUzI1NiJ9.eyJzY29wZSI6ImNvbS5hdHByb3RvLmFwcFBhc3MiLCJhdWQiOiJkaWQ6d2ViOnBkcy5leGFtcGxlLmNvbSIsInN1YiI6ImRpZDpwbGM6ZXd2aTdueHp5b3VuNnpoeHJoczY0b2l6IiwiaWF0IjoxNzAwMDAwMDAwLCJleHAiOjE3MDAwMDcyMDB9.WIz3n7SgLNIZ-kC5ouxKsg8YqAbM9Z8NR8FhRmualrw";
    const NODE_REFRESH: &str = "eyJ0eXAiOiJyZWZyZXNoK2p3dCIsImFsZyI6IkhTMjU2In0.eyJzY29wZSI6ImNvbS5hdHByb3RvLnJlZnJlc2giLCJhdWQiOiJkaWQ6d2ViOnBkcy5leGFtcGxlLmNvbSIsInN1YiI6ImRpZDpwbGM6ZXd2aTdueHp5b3VuNnpoeHJoczY0b2l6IiwianRpIjoiOG90WkVRMktTWk5IM3hoOEhXZFF3K2xsTGw4ZlBRMm9HQml0Vld5TVZaVSIsImlhdCI6MTcwMDAwMDAwMCwiZXhwIjoxNzA3Nzc2MDAwfQ.viMYilfGCEjAI7vSBjJT3cNPr8ARuDwYI3uiGsn4UM8";

    #[test]
    fn session_tokens_in_the_reference_layout_verify_and_re_encode_identically() {
        let secret = b"reference-jwt-secret";
        let access =
            AccessClaims::verify(NODE_ACCESS, secret, PDS_DID, Scope::ACCESS_STANDARD, NOW)
                .unwrap();
        assert_eq!(
            access,
            AccessClaims::new(alice(), PDS_DID, Scope::AppPass, NOW)
        );
        assert_eq!(access.encode(secret), NODE_ACCESS);

        let refresh = RefreshClaims::verify(NODE_REFRESH, secret, PDS_DID, NOW, false).unwrap();
        assert_eq!(refresh.jti, "8otZEQ2KSZNH3xh8HWdQw+llLl8fPQ2oGBitVWyMVZU");
        assert_eq!(refresh.exp, NOW + REFRESH_TOKEN_LIFETIME_SECS);
        assert_eq!(refresh.encode(secret), NODE_REFRESH);
    }

    #[test]
    fn decode_unverified_reads_claims_without_a_key() {
        let token = access_token(Scope::Access);
        let (header, claims): (Header, AccessClaims) = decode_unverified(&token).unwrap();
        assert_eq!(header.typ.as_deref(), Some(TYP_ACCESS));
        assert_eq!(claims.sub, alice());
        assert!(decode_unverified::<Value>("a.b").is_err());
    }

    // -- ES256K / ES256 and service auth -------------------------------------------------------

    const K256_HEX: &str = "9085d2bef69286a6cbb51623c8fa258629945cd55ca705cc4e66700396894e0c";

    fn account_key() -> SigningKey {
        SigningKey::from_hex(KeyType::K256, K256_HEX).unwrap()
    }

    /// The account's public key as a verifier would get it: from the did:key in its DID doc.
    fn did_key_of(key: &SigningKey) -> PublicKey {
        PublicKey::from_did_key(&key.public_key().to_did_key()).unwrap()
    }

    const FEED_LXM: &str = "app.bsky.feed.getTimeline";

    #[test]
    fn an_es256k_token_verifies_with_the_accounts_did_key() {
        let key = account_key();
        let claims = serde_json::json!({"iss": alice().as_str(), "n": 1});
        let token = encode_signed("JWT", &claims, &key);
        assert_eq!(json_segment(&token, 0), r#"{"typ":"JWT","alg":"ES256K"}"#);
        let (header, decoded): (Header, Value) = verify_signed(&token, &did_key_of(&key)).unwrap();
        assert_eq!(header.alg, "ES256K");
        assert_eq!(decoded, claims);
    }

    #[test]
    fn a_p256_key_signs_es256_tokens() {
        let key = SigningKey::generate(KeyType::P256);
        // p256 signs high-S about half the time; the atproto key normalizes, check several.
        for i in 0..8 {
            let token = encode_signed("JWT", &serde_json::json!({ "i": i }), &key);
            assert_eq!(json_segment(&token, 0), r#"{"typ":"JWT","alg":"ES256"}"#);
            let sig = URL_SAFE_NO_PAD
                .decode(token.rsplit('.').next().unwrap())
                .unwrap();
            key.public_key()
                .verify(token.rsplit_once('.').unwrap().0.as_bytes(), &sig)
                .expect("strict low-S verification");
            verify_signed::<Value>(&token, &did_key_of(&key)).unwrap();
        }
    }

    #[test]
    fn an_es256k_token_from_another_key_or_with_a_tampered_payload_is_refused() {
        let key = account_key();
        let token = encode_signed("JWT", &serde_json::json!({"a": 1}), &key);
        let other = did_key_of(&SigningKey::generate(KeyType::K256));
        assert_eq!(
            verify_signed::<Value>(&token, &other).unwrap_err(),
            JwtError::BadSignature
        );
        let tampered = with_segment(&token, 1, &b64url(br#"{"a":2}"#));
        assert_eq!(
            verify_signed::<Value>(&tampered, &did_key_of(&key)).unwrap_err(),
            JwtError::BadSignature
        );
    }

    #[test]
    fn an_es256k_token_checked_against_a_p256_key_is_refused_by_alg() {
        let token = encode_signed("JWT", &serde_json::json!({}), &account_key());
        let p256 = did_key_of(&SigningKey::generate(KeyType::P256));
        assert_eq!(
            verify_signed::<Value>(&token, &p256).unwrap_err(),
            JwtError::UnsupportedAlg("ES256K".into())
        );
        let none = with_segment(&token, 0, &b64url(br#"{"typ":"JWT","alg":"none"}"#));
        assert_eq!(
            verify_signed::<Value>(&none, &did_key_of(&account_key())).unwrap_err(),
            JwtError::UnsupportedAlg("none".into())
        );
    }

    /// secp256k1 group order n, big-endian.
    const K256_ORDER: [u8; 32] = [
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xfe, 0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36,
        0x41, 0x41,
    ];

    /// `r ‖ (n − s)`: the other valid signature for the same message.
    fn flip_s(sig: &[u8]) -> Vec<u8> {
        let mut out = sig.to_vec();
        let mut borrow = 0i16;
        for i in (0..32).rev() {
            let d = i16::from(K256_ORDER[i]) - i16::from(sig[32 + i]) - borrow;
            borrow = i16::from(d < 0);
            out[32 + i] = d.rem_euclid(256) as u8;
        }
        out
    }

    #[test]
    fn a_high_s_signature_is_accepted_like_the_reference() {
        let key = account_key();
        let token = encode_signed("JWT", &serde_json::json!({"a": 1}), &key);
        let (input, sig) = token.rsplit_once('.').unwrap();
        let high = flip_s(&URL_SAFE_NO_PAD.decode(sig).unwrap());
        assert_eq!(
            key.public_key().verify(input.as_bytes(), &high),
            Err(CryptoError::HighS),
            "the flipped signature is high-S"
        );
        let token = format!("{input}.{}", b64url(&high));
        verify_signed::<Value>(&token, &did_key_of(&key)).unwrap();
    }

    #[test]
    fn a_service_token_has_the_reference_header_and_claims() {
        let claims = ServiceClaims::new(
            alice().as_str(),
            "did:web:api.bsky.app",
            Some(FEED_LXM),
            NOW,
        );
        let token = claims.sign(&account_key());
        assert_eq!(json_segment(&token, 0), r#"{"typ":"JWT","alg":"ES256K"}"#);
        let jti = claims.jti.clone().unwrap();
        assert_eq!(jti.len(), 32);
        assert!(
            jti.bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
        assert_eq!(
            json_segment(&token, 1),
            format!(
                r#"{{"iat":{NOW},"iss":"{}","aud":"did:web:api.bsky.app","exp":{},"lxm":"{FEED_LXM}","jti":"{jti}"}}"#,
                alice(),
                NOW + 60
            )
        );
        let no_lxm = ServiceClaims::new(alice().as_str(), "did:web:api.bsky.app", None, NOW);
        assert!(!json_segment(&no_lxm.sign(&account_key()), 1).contains("lxm"));
        assert_ne!(no_lxm.jti, claims.jti);
    }

    #[test]
    fn a_service_token_verifies_end_to_end() {
        let key = account_key();
        let claims = ServiceClaims::new(alice().as_str(), PDS_DID, Some(FEED_LXM), NOW);
        let token = ServiceToken::parse(&claims.sign(&key)).unwrap();
        token
            .check_claims(NOW + 59, &[PDS_DID], Some(FEED_LXM))
            .unwrap();
        token
            .check_claims(NOW, &["did:web:entryway.example", PDS_DID], None)
            .unwrap();
        assert_eq!(token.issuer_did().unwrap(), alice());
        assert_eq!(token.issuer_key_id(), "atproto");
        token.verify_signature(&did_key_of(&key)).unwrap();
        assert_eq!(token.into_claims(), claims);
    }

    #[test]
    fn service_token_claim_checks_fail_with_the_reference_error_names() {
        let claims = ServiceClaims::new(alice().as_str(), PDS_DID, Some(FEED_LXM), NOW);
        let token = ServiceToken::parse(&claims.sign(&account_key())).unwrap();
        let expired = token.check_claims(NOW + 60, &[PDS_DID], None).unwrap_err();
        assert_eq!(expired.error_name(), "JwtExpired");
        let aud = token
            .check_claims(NOW, &["did:web:other.example"], None)
            .unwrap_err();
        assert_eq!(aud.error_name(), "BadJwtAudience");
        assert_eq!(
            token.check_claims(NOW, &[], None).unwrap_err(),
            ServiceAuthError::BadJwtAudience
        );
        let lxm = token
            .check_claims(NOW, &[PDS_DID], Some("com.atproto.repo.createRecord"))
            .unwrap_err();
        assert_eq!(
            lxm,
            ServiceAuthError::BadJwtLexiconMethod {
                expected: "com.atproto.repo.createRecord".into(),
                found: Some(FEED_LXM.into())
            }
        );
        assert_eq!(lxm.error_name(), "BadJwtLexiconMethod");

        let unbound = ServiceClaims::new(alice().as_str(), PDS_DID, None, NOW);
        let unbound = ServiceToken::parse(&unbound.sign(&account_key())).unwrap();
        assert!(matches!(
            unbound.check_claims(NOW, &[PDS_DID], Some(FEED_LXM)),
            Err(ServiceAuthError::BadJwtLexiconMethod { found: None, .. })
        ));
        unbound.check_claims(NOW, &[PDS_DID], None).unwrap();
    }

    #[test]
    fn service_token_issuers_may_carry_one_service_fragment() {
        let key = account_key();
        let check = |iss: &str| {
            let claims = ServiceClaims::new(iss, PDS_DID, None, NOW);
            ServiceToken::parse(&claims.sign(&key)).unwrap()
        };
        let labeler = check("did:plc:ewvi7nxzyoun6zhxrhs64oiz#atproto_labeler");
        labeler.check_claims(NOW, &[PDS_DID], None).unwrap();
        assert_eq!(labeler.issuer_did().unwrap(), alice());
        assert_eq!(labeler.issuer_key_id(), "atproto_label");
        assert_eq!(
            check("did:web:feed.example#bsky_fg").issuer_key_id(),
            "atproto"
        );
        for bad in [
            "alice.example.com",
            "did:plc:abc#",
            "did:plc:abc#a#b",
            "#frag",
            "",
        ] {
            let err = check(bad).check_claims(NOW, &[PDS_DID], None).unwrap_err();
            assert_eq!(err, ServiceAuthError::BadJwtIss, "{bad:?}");
        }
    }

    #[test]
    fn session_tokens_and_dpop_proofs_are_refused_as_service_tokens() {
        let key = account_key();
        let claims = ServiceClaims::new(alice().as_str(), PDS_DID, None, NOW);
        for typ in ["at+jwt", "refresh+jwt", "dpop+jwt"] {
            let err = ServiceToken::parse(&encode_signed(typ, &claims, &key)).unwrap_err();
            assert_eq!(err, ServiceAuthError::BadJwtType(typ.into()));
            assert_eq!(err.error_name(), "BadJwtType");
        }
        let access = ServiceToken::parse(&access_token(Scope::Access)).unwrap_err();
        assert_eq!(access.error_name(), "BadJwtType");
    }

    #[test]
    fn malformed_service_tokens_are_bad_jwt() {
        let key = account_key();
        let missing_exp = encode_signed(
            "JWT",
            &serde_json::json!({"iss": "did:plc:a", "aud": PDS_DID}),
            &key,
        );
        let string_exp = encode_signed(
            "JWT",
            &serde_json::json!({"iss": "did:plc:a", "aud": PDS_DID, "exp": "soon"}),
            &key,
        );
        for token in [
            "",
            "a.b",
            "a.b.c.d",
            missing_exp.as_str(),
            string_exp.as_str(),
        ] {
            let err = ServiceToken::parse(token).unwrap_err();
            assert_eq!(err.error_name(), "BadJwt", "{token:?}: {err:?}");
        }
    }

    #[test]
    fn service_tokens_with_fractional_dates_and_no_iat_or_jti_are_read() {
        let key = account_key();
        let token = encode_signed(
            "JWT",
            &serde_json::json!({"iss": "did:plc:a", "aud": PDS_DID, "exp": 1700000060.75}),
            &key,
        );
        let token = ServiceToken::parse(&token).unwrap();
        assert_eq!(token.claims().exp, NOW + 60);
        assert_eq!(token.claims().iat, None);
        assert_eq!(token.claims().jti, None);
        token.check_claims(NOW, &[PDS_DID], None).unwrap();
    }

    #[test]
    fn a_service_token_signature_is_checked_against_the_issuer_key_and_alg() {
        let key = account_key();
        let token = ServiceClaims::new(alice().as_str(), PDS_DID, None, NOW).sign(&key);
        let token = ServiceToken::parse(&token).unwrap();
        let other = did_key_of(&SigningKey::generate(KeyType::K256));
        assert_eq!(
            token.verify_signature(&other),
            Err(ServiceAuthError::BadJwtSignature)
        );
        let p256 = did_key_of(&SigningKey::generate(KeyType::P256));
        assert_eq!(
            token.verify_signature(&p256),
            Err(ServiceAuthError::BadJwtSignature)
        );
        assert_eq!(
            ServiceAuthError::BadJwtSignature.error_name(),
            "BadJwtSignature"
        );
    }

    /// Service JWTs signed by Node's `crypto.sign('sha256', …, {dsaEncoding: 'ieee-p1363'})`
    /// with the key `K256_HEX`, in the layout of xrpc-server's `createServiceJwt`; Node does
    /// not normalize S, so one of each kind was kept.
    const NODE_SERVICE_LOW_S: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJFUzI1NksifQ.eyJpYXQiOjE3MDAwMDAwMDAsImlzcyI6ImRpZDpwbGM6ZXd2aTdueHp5b3VuNnpoeHJoczY0b2l6IiwiYXVkIjoiZGlkOndlYjphcGkuYnNreS5hcHAiLCJleHAiOjE3MDAwMDAwNjAsImx4bSI6ImFwcC5ic2t5LmZlZWQuZ2V0VGltZWxpbmUiLCJqdGkiOiI2ODdiNDAzNjdhMDU1YzllMTYzNTM2YjFiMGQ0ZTg5MCJ9.bBOPocvKRqPLhzmpVGcTu7VhKTgK6NF22VtYJp_XuLwN41IqD8SLHpQXbncj7XElMLNtFRsjDFMZbplB5W0pkg";
    const NODE_SERVICE_HIGH_S: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJFUzI1NksifQ.eyJpYXQiOjE3MDAwMDAwMDAsImlzcyI6ImRpZDpwbGM6ZXd2aTdueHp5b3VuNnpoeHJoczY0b2l6IiwiYXVkIjoiZGlkOndlYjphcGkuYnNreS5hcHAiLCJleHAiOjE3MDAwMDAwNjAsImx4bSI6ImFwcC5ic2t5LmZlZWQuZ2V0VGltZWxpbmUiLCJqdGkiOiI2ODdiNDAzNjdhMDU1YzllMTYzNTM2YjFiMGQ0ZTg5MCJ9.ouL0JK5nyt8feygAMGNq9SCj7pLpfgNSdSacEP3heEW2EzgM7Q2KyhJr4QhdaG8WniFBl5WzCg9K3XhjHuyaow";

    #[test]
    fn service_tokens_signed_by_node_verify_with_the_issuers_did_key() {
        let pk = did_key_of(&account_key());
        for token in [NODE_SERVICE_LOW_S, NODE_SERVICE_HIGH_S] {
            let parsed = ServiceToken::parse(token).unwrap();
            parsed
                .check_claims(NOW, &["did:web:api.bsky.app"], Some(FEED_LXM))
                .unwrap();
            parsed.verify_signature(&pk).unwrap();
            let (_, claims): (Header, ServiceClaims) = verify_signed(token, &pk).unwrap();
            assert_eq!(
                claims.jti.as_deref(),
                Some("687b40367a055c9e163536b1b0d4e890")
            );
        }
    }
}
