//! Service auth on behalf of accounts: the short-lived ES256K tokens an account's PDS signs for
//! other services (`com.atproto.server.getServiceAuth`, service proxying), and finding where a
//! service named `did#id` lives.
//!
//! Requests to other services carry URLs taken from DID documents anyone can publish, so unless
//! `PDS_DISABLE_SSRF_PROTECTION` is set they must be `https` and may only reach public
//! addresses (checked on the URL and again on every DNS answer). The operator's own AppView and
//! chat service are trusted as configured.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use atproto::syntax::{Did, Nsid};
use serde_json::Value;

use super::{Service, ServiceError};
use crate::auth::jwt::now_secs;
use crate::auth::{AccessClaims, ServiceClaims};
use crate::config::ProxyService;
use crate::store::StoreError;
use crate::store::actor::ActorStore;

/// Longest lifetime a caller may ask `getServiceAuth` for.
pub const MAX_EXPIRY_SECS: i64 = 60 * 60;
/// Longest lifetime of a token not bound to a method (`lxm`).
pub const MAX_UNBOUND_EXPIRY_SECS: i64 = 60;

/// Account management methods: never proxied and never service-authed, so a token leaked to a
/// third-party service cannot act on the account (the reference's `PROTECTED_METHODS`).
const PROTECTED_METHODS: &[&str] = &[
    "com.atproto.admin.sendEmail",
    "com.atproto.identity.requestPlcOperationSignature",
    "com.atproto.identity.signPlcOperation",
    "com.atproto.identity.updateHandle",
    "com.atproto.server.activateAccount",
    "com.atproto.server.confirmEmail",
    "com.atproto.server.createAppPassword",
    "com.atproto.server.deactivateAccount",
    "com.atproto.server.getAccountInviteCodes",
    "com.atproto.server.getSession",
    "com.atproto.server.listAppPasswords",
    "com.atproto.server.requestAccountDelete",
    "com.atproto.server.requestEmailConfirmation",
    "com.atproto.server.requestEmailUpdate",
    "com.atproto.server.revokeAppPassword",
    "com.atproto.server.updateEmail",
];

/// Whether `nsid` must only ever be called on the PDS directly. NSIDs compare
/// case-insensitively here, as the reference's `LxmSet` does.
pub fn is_protected_method(nsid: &str) -> bool {
    PROTECTED_METHODS
        .iter()
        .any(|m| m.eq_ignore_ascii_case(nsid))
}

/// Whether `nsid` needs a full session or a privileged app password: direct messages and
/// creating accounts elsewhere. All of `chat.bsky.*` counts, a superset of the reference's list.
pub fn is_privileged_method(nsid: &str) -> bool {
    nsid.get(..10)
        .is_some_and(|p| p.eq_ignore_ascii_case("chat.bsky."))
        || nsid.eq_ignore_ascii_case("com.atproto.server.createAccount")
}

/// Service id of the Bluesky AppView in DID documents and `atproto-proxy` headers.
pub const BSKY_APPVIEW_ID: &str = "bsky_appview";
/// Service id of the Bluesky chat service.
pub const BSKY_CHAT_ID: &str = "bsky_chat";

/// Input of `com.atproto.server.getServiceAuth`.
#[derive(Debug, Clone)]
pub struct ServiceAuthInput {
    /// `did` or `did#serviceId` of the service the token is for.
    pub aud: String,
    /// Expiry in Unix seconds; default one minute from now.
    pub exp: Option<i64>,
    /// The method the token is bound to.
    pub lxm: Option<String>,
}

/// Where a proxied request goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyTarget {
    pub did: Did,
    pub service_id: String,
    /// Base URL, no trailing `/`.
    pub url: String,
    /// Configured by the operator (AppView, chat) rather than found in a DID document: may be
    /// reached on any address.
    pub trusted: bool,
}

impl ProxyTarget {
    fn configured(service: &ProxyService, service_id: &str) -> Self {
        ProxyTarget {
            did: service.did.clone(),
            service_id: service_id.to_owned(),
            url: service.url.clone(),
            trusted: true,
        }
    }
}

/// Checks `aud` is an atproto DID (`did:plc`/`did:web`) or such a DID with one non-empty
/// `#fragment`, and returns the DID.
fn parse_aud(aud: &str) -> Option<Did> {
    let (did, fragment) = match aud.split_once('#') {
        Some((did, fragment)) => (did, Some(fragment)),
        None => (aud, None),
    };
    if fragment.is_some_and(|f| f.is_empty() || f.contains('#') || f.contains(' ')) {
        return None;
    }
    Did::new(did).ok().filter(|d| d.is_plc() || d.is_web())
}

impl Service {
    /// `com.atproto.server.getServiceAuth`: a token signed with the caller's repository key,
    /// for `aud`, optionally bound to `lxm`, expiring at `exp` (at most an hour away, or a
    /// minute for a token without `lxm`).
    pub async fn get_service_auth(
        &self,
        caller: &AccessClaims,
        input: ServiceAuthInput,
    ) -> Result<String, ServiceError> {
        if input.aud.len() > 2048 || parse_aud(&input.aud).is_none() {
            return Err(ServiceError::invalid(
                "aud must be a valid atproto DID or did#serviceId reference",
            ));
        }
        if let Some(lxm) = &input.lxm {
            Nsid::new(lxm).map_err(|e| ServiceError::invalid(format!("Invalid lxm: {e}")))?;
            if is_privileged_method(lxm) && !caller.scope.is_access_privileged() {
                return Err(ServiceError::invalid(format!(
                    "insufficient access to request a service auth token for the following method: {lxm}"
                )));
            }
        }
        let now = now_secs();
        if let Some(exp) = input.exp {
            let bad = |msg: &str| ServiceError::named("BadExpiration", msg);
            if exp <= now {
                return Err(bad("expiration is in past"));
            }
            if exp - now > MAX_EXPIRY_SECS {
                return Err(bad(
                    "cannot request a token with an expiration more than an hour in the future",
                ));
            }
            if input.lxm.is_none() && exp - now > MAX_UNBOUND_EXPIRY_SECS {
                return Err(bad(
                    "cannot request a method-less token with an expiration more than a minute in the future",
                ));
            }
        }
        if let Some(lxm) = input.lxm.as_deref().filter(|m| is_protected_method(m)) {
            return Err(ServiceError::invalid(format!(
                "cannot request a service auth token for the following protected method: {lxm}"
            )));
        }
        self.sign_service_token(&caller.sub, &input.aud, input.lxm.as_deref(), input.exp)
            .await
    }

    /// A service token from account `did` to `aud`, signed with the account's repository key.
    /// `exp` defaults to one minute from now.
    pub async fn sign_service_token(
        &self,
        did: &Did,
        aud: &str,
        lxm: Option<&str>,
        exp: Option<i64>,
    ) -> Result<String, ServiceError> {
        let mut claims = ServiceClaims::new(did.as_str(), aud, lxm, now_secs());
        if let Some(exp) = exp {
            claims.exp = exp;
        }
        let did = did.clone();
        let key = self
            .blocking(move |s| {
                ActorStore::signing_key(&s.config.data_directory, &did).map_err(|e| match e {
                    StoreError::Io(io) if io.kind() == std::io::ErrorKind::NotFound => {
                        ServiceError::InvalidToken("Account not found".into())
                    }
                    other => ServiceError::from(other),
                })
            })
            .await?;
        Ok(claims.sign(&key))
    }

    /// The service to proxy `nsid` to when the request names none: the chat service for
    /// `chat.bsky.*` (the AppView if no chat service is configured), the AppView for
    /// `app.bsky.*`, nothing otherwise.
    pub fn default_proxy_target(&self, nsid: &str) -> Option<ProxyTarget> {
        let app_view = self.config.bsky_app_view.as_ref();
        if nsid.starts_with("chat.bsky.") {
            if let Some(chat) = &self.config.bsky_chat {
                return Some(ProxyTarget::configured(chat, BSKY_CHAT_ID));
            }
            return app_view.map(|a| ProxyTarget::configured(a, BSKY_APPVIEW_ID));
        }
        if nsid.starts_with("app.bsky.") {
            return app_view.map(|a| ProxyTarget::configured(a, BSKY_APPVIEW_ID));
        }
        None
    }

    /// Whether an `atproto-proxy` header value names the configured AppView.
    pub fn is_configured_app_view(&self, proxy_header: &str) -> bool {
        self.config.bsky_app_view.as_ref().is_some_and(|a| {
            proxy_header
                .strip_prefix(a.did.as_str())
                .and_then(|rest| rest.strip_prefix('#'))
                == Some(BSKY_APPVIEW_ID)
        })
    }

    /// Resolves an `atproto-proxy` header (`did#serviceId`) to the service's endpoint: the
    /// configured AppView or chat service directly, anyone else from their DID document.
    pub async fn resolve_proxy_header(&self, header: &str) -> Result<ProxyTarget, ServiceError> {
        let (did, service_id) = match header.split_once('#') {
            Some(("", _)) => {
                return Err(ServiceError::invalid("no did specified in proxy header"));
            }
            Some((_, "")) | None => {
                return Err(ServiceError::invalid(
                    "no service id specified in proxy header",
                ));
            }
            Some((_, id)) if id.contains('#') => {
                return Err(ServiceError::invalid("invalid proxy header format"));
            }
            Some(parts) => parts,
        };
        if header.contains(' ') {
            return Err(ServiceError::invalid("proxy header cannot contain spaces"));
        }
        let did =
            Did::new(did).map_err(|_| ServiceError::invalid("could not resolve proxy did"))?;
        for (configured, id) in [
            (&self.config.bsky_app_view, BSKY_APPVIEW_ID),
            (&self.config.bsky_chat, BSKY_CHAT_ID),
        ] {
            if let Some(c) = configured
                && c.did == did
                && service_id == id
            {
                return Ok(ProxyTarget::configured(c, id));
            }
        }
        let url = self.service_endpoint(&did, service_id).await?;
        Ok(ProxyTarget {
            did,
            service_id: service_id.to_owned(),
            url,
            trusted: false,
        })
    }

    /// The `serviceEndpoint` of service `#service_id` in `did`'s DID document (did:plc from the
    /// PLC directory, did:web from `https://<host>/.well-known/did.json`). Remote answers are
    /// cached for a few minutes.
    pub async fn service_endpoint(
        &self,
        did: &Did,
        service_id: &str,
    ) -> Result<String, ServiceError> {
        let not_found = || ServiceError::invalid("could not resolve proxy did service url");
        let cache_key = format!("{did}#{service_id}");
        let embedded_plc = did.is_plc() && self.plc_directory.is_some();
        if !embedded_plc && let Some(url) = endpoint_cache().get(&cache_key) {
            return Ok(url);
        }
        let url = if did.is_plc() {
            let data = self
                .plc
                .document_data(did)
                .await?
                .ok_or_else(|| ServiceError::invalid("could not resolve proxy did"))?;
            data.services
                .get(service_id)
                .map(|s| s.endpoint.clone())
                .ok_or_else(not_found)?
        } else if did.is_web() {
            let doc = self.fetch_did_web(did).await?;
            find_service(&doc, did.as_str(), service_id).ok_or_else(not_found)?
        } else {
            return Err(ServiceError::invalid("could not resolve proxy did"));
        };
        let url = url.trim_end_matches('/').to_owned();
        if !(url.starts_with("https://") || url.starts_with("http://"))
            || reqwest::Url::parse(&url).is_err()
        {
            return Err(not_found());
        }
        if !embedded_plc {
            endpoint_cache().put(cache_key, url.clone());
        }
        Ok(url)
    }

    async fn fetch_did_web(&self, did: &Did) -> Result<Value, ServiceError> {
        let unresolved = || ServiceError::invalid("could not resolve proxy did");
        let url = did_web_document_url(did).ok_or_else(unresolved)?;
        let client = self.outbound_client(false);
        if !self.config.disable_ssrf_protection {
            check_public_url(&url)?;
        }
        let resp = client
            .get(url.clone())
            .header(
                reqwest::header::ACCEPT,
                "application/did+ld+json,application/json",
            )
            .timeout(DID_WEB_TIMEOUT)
            .send()
            .await
            .map_err(|e| {
                tracing::debug!(%did, error = %e, "did:web document fetch failed");
                unresolved()
            })?;
        if !resp.status().is_success() {
            return Err(unresolved());
        }
        let body = read_limited(resp, MAX_DID_DOCUMENT_BYTES)
            .await
            .ok_or_else(unresolved)?;
        let doc: Value = serde_json::from_slice(&body).map_err(|_| unresolved())?;
        if doc.get("id").and_then(Value::as_str) != Some(did.as_str()) {
            return Err(unresolved());
        }
        Ok(doc)
    }

    /// The HTTP client for requests to other services: `trusted` targets (configured by the
    /// operator) may be anywhere; others only on public addresses, unless
    /// `PDS_DISABLE_SSRF_PROTECTION` is set.
    pub fn outbound_client(&self, trusted: bool) -> &'static reqwest::Client {
        static OPEN: OnceLock<reqwest::Client> = OnceLock::new();
        static GUARDED: OnceLock<reqwest::Client> = OnceLock::new();
        if trusted || self.config.disable_ssrf_protection {
            OPEN.get_or_init(|| {
                client_builder()
                    .build()
                    .expect("static HTTP client settings")
            })
        } else {
            GUARDED.get_or_init(|| {
                client_builder()
                    .no_proxy()
                    .https_only(true)
                    .dns_resolver(Arc::new(PublicOnlyResolver))
                    .build()
                    .expect("static HTTP client settings")
            })
        }
    }
}

const DID_WEB_TIMEOUT: Duration = Duration::from_secs(5);
const MAX_DID_DOCUMENT_BYTES: usize = 256 * 1024;

fn client_builder() -> reqwest::ClientBuilder {
    crate::plc::install_crypto_provider();
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .read_timeout(Duration::from_secs(60))
        // A redirect would leave the resolved service (and could not replay a streamed body).
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("pdsd/", env!("CARGO_PKG_VERSION")))
}

/// Reads at most `limit` bytes of a response body; `None` if it is longer or breaks off.
async fn read_limited(mut resp: reqwest::Response, limit: usize) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    while let Some(chunk) = resp.chunk().await.ok()? {
        if out.len() + chunk.len() > limit {
            return None;
        }
        out.extend_from_slice(&chunk);
    }
    Some(out)
}

/// `https://<host>/.well-known/did.json` for `did:web:<host>` (a port is written `%3A`). Only
/// `localhost` and loopback addresses are fetched over plain `http`, for development. did:web
/// with a path is not used by atproto and is refused.
fn did_web_document_url(did: &Did) -> Option<reqwest::Url> {
    let id = did.as_str().strip_prefix("did:web:")?;
    if id.contains(':') {
        return None;
    }
    let host = percent_decode(id)?;
    if host.is_empty() || host.contains(['/', '?', '#', '@']) {
        return None;
    }
    let mut url = reqwest::Url::parse(&format!("https://{host}/.well-known/did.json")).ok()?;
    let loopback = match url_ip(&url) {
        Some(ip) => ip.is_loopback(),
        None => url.host_str()?.eq_ignore_ascii_case("localhost"),
    };
    if loopback {
        url.set_scheme("http").ok()?;
    }
    Some(url)
}

fn percent_decode(s: &str) -> Option<String> {
    let mut out = Vec::with_capacity(s.len());
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        if b == b'%' {
            let hex = [bytes.next()?, bytes.next()?];
            let hex = std::str::from_utf8(&hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
        } else {
            out.push(b);
        }
    }
    String::from_utf8(out).ok()
}

/// The `serviceEndpoint` string of the service whose id is `#id` or `<did>#id`.
fn find_service(doc: &Value, did: &str, id: &str) -> Option<String> {
    doc.get("service")?.as_array()?.iter().find_map(|s| {
        let sid = s.get("id")?.as_str()?;
        let matches = sid.strip_prefix('#') == Some(id)
            || sid
                .strip_prefix(did)
                .and_then(|rest| rest.strip_prefix('#'))
                == Some(id);
        if !matches {
            return None;
        }
        s.get("serviceEndpoint")?.as_str().map(str::to_owned)
    })
}

/// Refuses URLs that are not `https` or name a non-public IP address literal (names are
/// checked as they resolve, by [`PublicOnlyResolver`]).
pub fn check_public_url(url: &reqwest::Url) -> Result<(), ServiceError> {
    let refuse = || ServiceError::invalid("proxy target must be an https URL on a public address");
    if url.scheme() != "https" {
        return Err(refuse());
    }
    let host = url.host_str().ok_or_else(refuse)?;
    match url_ip(url) {
        Some(ip) if !is_public_ip(ip) => Err(refuse()),
        None if host.eq_ignore_ascii_case("localhost") => Err(refuse()),
        _ => Ok(()),
    }
}

/// The URL's host if it is an IP address literal.
fn url_ip(url: &reqwest::Url) -> Option<IpAddr> {
    let host = url.host_str()?;
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    host.parse().ok()
}

/// Whether `ip` is a public unicast address: not loopback, private, link-local, shared (CGNAT),
/// documentation, multicast, broadcast or reserved.
pub fn is_public_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_documentation()
        || a == 0
        || a >= 240
        || (a == 100 && (64..128).contains(&b))
        || (a == 192 && b == 0 && c == 0)
        || (a == 198 && (18..20).contains(&b)))
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (s[0] & 0xfe00) == 0xfc00
        || (s[0] & 0xffc0) == 0xfe80
        || (s[0] == 0x2001 && s[1] == 0x0db8)
        || (s[0] == 0x0064 && s[1] == 0xff9b))
}

/// Resolves names with the system resolver and keeps only public addresses, so a DID document
/// cannot point pdsd at its own network through a hostname.
struct PublicOnlyResolver;

impl reqwest::dns::Resolve for PublicOnlyResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| is_public_ip(a.ip()))
                .collect();
            if addrs.is_empty() {
                return Err(format!("{host} has no public address").into());
            }
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// Resolved service endpoints, so proxying with an `atproto-proxy` header does not fetch a DID
/// document per request. Bounded: cleared when full.
struct EndpointCache {
    entries: Mutex<HashMap<String, (Instant, String)>>,
}

const ENDPOINT_CACHE_TTL: Duration = Duration::from_secs(5 * 60);
const ENDPOINT_CACHE_MAX: usize = 10_000;

impl EndpointCache {
    fn get(&self, key: &str) -> Option<String> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .get(key)
            .filter(|(at, _)| at.elapsed() < ENDPOINT_CACHE_TTL)
            .map(|(_, url)| url.clone())
    }

    fn put(&self, key: String, url: String) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= ENDPOINT_CACHE_MAX {
            entries.retain(|_, (at, _)| at.elapsed() < ENDPOINT_CACHE_TTL);
            if entries.len() >= ENDPOINT_CACHE_MAX {
                entries.clear();
            }
        }
        entries.insert(key, (Instant::now(), url));
    }
}

fn endpoint_cache() -> &'static EndpointCache {
    static CACHE: OnceLock<EndpointCache> = OnceLock::new();
    CACHE.get_or_init(|| EndpointCache {
        entries: Mutex::new(HashMap::new()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::{Scope, ServiceToken};
    use crate::service::account::CreateAccountInput;
    use crate::service::test_util::TestPds;
    use atproto::crypto::PublicKey;

    async fn pds_with_account() -> (TestPds, Did) {
        let pds = TestPds::with(|a| a.invite_required = Some(false)).await;
        let out = pds
            .service
            .create_account(CreateAccountInput {
                email: Some("alice@example.com".into()),
                handle: "alice.test".into(),
                password: Some("hunter22".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        (pds, Did::new(&out.did).unwrap())
    }

    fn caller(pds: &TestPds, did: &Did, scope: Scope) -> AccessClaims {
        AccessClaims::new(
            did.clone(),
            pds.service.config.service_did.as_str(),
            scope,
            now_secs(),
        )
    }

    fn input(aud: &str, exp: Option<i64>, lxm: Option<&str>) -> ServiceAuthInput {
        ServiceAuthInput {
            aud: aud.into(),
            exp,
            lxm: lxm.map(str::to_owned),
        }
    }

    const FEED: &str = "did:web:feed.example.com";

    #[tokio::test]
    async fn service_auth_tokens_verify_with_the_did_key_in_the_plc_directory() {
        let (pds, did) = pds_with_account().await;
        let s = &pds.service;
        let exp = now_secs() + 30 * 60;
        let token = s
            .get_service_auth(
                &caller(&pds, &did, Scope::Access),
                input(FEED, Some(exp), Some("app.bsky.feed.getFeedSkeleton")),
            )
            .await
            .unwrap();
        let token = ServiceToken::parse(&token).unwrap();
        token
            .check_claims(now_secs(), &[FEED], Some("app.bsky.feed.getFeedSkeleton"))
            .unwrap();
        assert_eq!(token.issuer_did().unwrap(), did);
        assert_eq!(token.claims().exp, exp);
        let data = s.plc.document_data(&did).await.unwrap().unwrap();
        let key = PublicKey::from_did_key(data.atproto_signing_key().unwrap()).unwrap();
        token.verify_signature(&key).unwrap();

        // Without lxm the token lives a minute; a did#service audience is kept as given.
        let aud = format!("{FEED}#bsky_fg");
        let token = s
            .get_service_auth(&caller(&pds, &did, Scope::AppPass), input(&aud, None, None))
            .await
            .unwrap();
        let token = ServiceToken::parse(&token).unwrap();
        assert_eq!(token.claims().aud, aud);
        assert_eq!(token.claims().lxm, None);
        assert!(token.claims().exp - now_secs() <= 60);
    }

    #[tokio::test]
    async fn bad_expirations_are_bad_expiration() {
        let (pds, did) = pds_with_account().await;
        let c = caller(&pds, &did, Scope::Access);
        let now = now_secs();
        for (exp, lxm) in [
            (now - 10, Some("app.bsky.feed.getTimeline")),
            (now + 2 * 60 * 60, Some("app.bsky.feed.getTimeline")),
            (now + 5 * 60, None),
        ] {
            let e = pds
                .service
                .get_service_auth(&c, input(FEED, Some(exp), lxm))
                .await
                .unwrap_err();
            assert_eq!(e.xrpc_name(), "BadExpiration", "{exp} {lxm:?}");
            assert_eq!(e.http_status(), 400);
        }
    }

    #[tokio::test]
    async fn bad_audiences_protected_methods_and_unprivileged_dm_tokens_are_invalid_request() {
        let (pds, did) = pds_with_account().await;
        let s = &pds.service;
        let full = caller(&pds, &did, Scope::Access);
        for aud in [
            "alice.test",
            "did:example:abc",
            "did:web:x.com#",
            "did:web:x#a#b",
        ] {
            let e = s
                .get_service_auth(&full, input(aud, None, None))
                .await
                .unwrap_err();
            assert_eq!(e.xrpc_name(), "InvalidRequest", "{aud}");
        }
        let e = s
            .get_service_auth(
                &full,
                input(FEED, None, Some("com.atproto.server.getSession")),
            )
            .await
            .unwrap_err();
        assert!(e.to_string().contains("protected method"), "{e}");
        let e = s
            .get_service_auth(&full, input(FEED, None, Some("not an nsid")))
            .await
            .unwrap_err();
        assert_eq!(e.xrpc_name(), "InvalidRequest");

        let dm = Some("chat.bsky.convo.sendMessage");
        let app = caller(&pds, &did, Scope::AppPass);
        let e = s
            .get_service_auth(&app, input(FEED, None, dm))
            .await
            .unwrap_err();
        assert!(e.to_string().contains("insufficient access"), "{e}");
        let privileged = caller(&pds, &did, Scope::AppPassPrivileged);
        s.get_service_auth(&privileged, input(FEED, None, dm))
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn proxy_headers_resolve_through_the_plc_directory_and_the_configured_app_view() {
        let pds = TestPds::with(|a| {
            a.invite_required = Some(false);
            a.bsky_app_view_url = Some("http://127.0.0.1:9/".into());
            a.bsky_app_view_did = Some("did:web:api.bsky.app".into());
        })
        .await;
        let s = &pds.service;
        let out = s
            .create_account(CreateAccountInput {
                email: Some("bob@example.com".into()),
                handle: "bob.test".into(),
                password: Some("hunter22".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        let t = s
            .resolve_proxy_header(&format!("{}#atproto_pds", out.did))
            .await
            .unwrap();
        assert_eq!(t.url, s.config.public_url);
        assert!(!t.trusted);

        let t = s
            .resolve_proxy_header("did:web:api.bsky.app#bsky_appview")
            .await
            .unwrap();
        assert_eq!(t.url, "http://127.0.0.1:9");
        assert!(t.trusted);
        assert!(s.is_configured_app_view("did:web:api.bsky.app#bsky_appview"));
        assert!(!s.is_configured_app_view("did:web:api.bsky.app#other"));

        assert_eq!(
            s.default_proxy_target("chat.bsky.convo.listConvos")
                .unwrap()
                .service_id,
            BSKY_APPVIEW_ID
        );
        assert!(s.default_proxy_target("com.example.thing").is_none());

        for bad in [
            "#x",
            "did:plc:abc",
            "did:plc:abc#",
            "did:plc:a#b#c",
            "did:plc:a #b",
        ] {
            let e = s.resolve_proxy_header(bad).await.unwrap_err();
            assert_eq!(e.xrpc_name(), "InvalidRequest", "{bad}");
        }
        let e = s
            .resolve_proxy_header(&format!("{}#no_such_service", out.did))
            .await
            .unwrap_err();
        assert_eq!(e.xrpc_name(), "InvalidRequest");
    }

    #[test]
    fn proxy_service_settings_come_in_pairs() {
        let dir = tempfile::tempdir().unwrap();
        let load = |url: Option<&str>, did: Option<&str>| {
            crate::config::Config::load(crate::config::Args {
                data_directory: Some(dir.path().to_path_buf()),
                bsky_app_view_url: url.map(str::to_owned),
                bsky_app_view_did: did.map(str::to_owned),
                ..Default::default()
            })
        };
        let c = load(Some("https://api.bsky.app/"), Some("did:web:api.bsky.app")).unwrap();
        let app_view = c.bsky_app_view.unwrap();
        assert_eq!(app_view.url, "https://api.bsky.app");
        assert!(c.rate_limits_enabled);
        assert!(!c.disable_ssrf_protection);
        let e = load(Some("https://api.bsky.app"), None).unwrap_err();
        assert_eq!(e.name, "PDS_BSKY_APP_VIEW_DID");
        let e = load(None, Some("did:web:api.bsky.app")).unwrap_err();
        assert_eq!(e.name, "PDS_BSKY_APP_VIEW_URL");
        let e = load(Some("ftp://x"), Some("did:web:api.bsky.app")).unwrap_err();
        assert_eq!(e.name, "PDS_BSKY_APP_VIEW_URL");
        let e = load(Some("https://x"), Some("not a did")).unwrap_err();
        assert_eq!(e.name, "PDS_BSKY_APP_VIEW_DID");
        assert!(load(None, None).unwrap().bsky_app_view.is_none());
    }

    #[test]
    fn did_web_documents_are_fetched_over_https_except_on_loopback() {
        let url = |d: &str| did_web_document_url(&Did::new(d).unwrap()).map(|u| u.to_string());
        assert_eq!(
            url("did:web:example.com").as_deref(),
            Some("https://example.com/.well-known/did.json")
        );
        assert_eq!(
            url("did:web:127.0.0.1%3A8080").as_deref(),
            Some("http://127.0.0.1:8080/.well-known/did.json")
        );
        assert_eq!(
            url("did:web:localhost%3A3000").as_deref(),
            Some("http://localhost:3000/.well-known/did.json")
        );
        assert_eq!(url("did:web:example.com:user:alice"), None);
        assert_eq!(url("did:web:evil.com%2Fpath"), None);
    }

    #[test]
    fn only_public_addresses_pass_the_ssrf_check() {
        for ip in ["8.8.8.8", "1.1.1.1", "2606:4700::1111"] {
            assert!(is_public_ip(ip.parse().unwrap()), "{ip}");
        }
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(!is_public_ip(ip.parse().unwrap()), "{ip}");
        }
        let check = |u: &str| check_public_url(&reqwest::Url::parse(u).unwrap()).is_ok();
        assert!(check("https://api.example.com"));
        assert!(!check("http://api.example.com"));
        assert!(!check("https://127.0.0.1:8443"));
        assert!(!check("https://[::1]/"));
        assert!(!check("https://localhost/"));
    }

    #[test]
    fn protected_and_privileged_methods_match_case_insensitively() {
        assert!(is_protected_method("com.atproto.server.getsession"));
        assert!(!is_protected_method("com.atproto.server.describeServer"));
        assert!(is_privileged_method("chat.bsky.convo.getLog"));
        assert!(is_privileged_method("Chat.Bsky.actor.deleteAccount"));
        assert!(is_privileged_method("com.atproto.server.createAccount"));
        assert!(!is_privileged_method("app.bsky.feed.getTimeline"));
    }

    #[test]
    fn service_entries_match_relative_and_absolute_ids() {
        let doc = serde_json::json!({
            "id": "did:web:x.com",
            "service": [
                {"id": "#a", "type": "T", "serviceEndpoint": "https://a.x.com"},
                {"id": "did:web:x.com#b", "type": "T", "serviceEndpoint": "https://b.x.com"},
                {"id": "#c", "type": "T", "serviceEndpoint": {"uri": "https://c"}},
            ]
        });
        assert_eq!(
            find_service(&doc, "did:web:x.com", "a").as_deref(),
            Some("https://a.x.com")
        );
        assert_eq!(
            find_service(&doc, "did:web:x.com", "b").as_deref(),
            Some("https://b.x.com")
        );
        assert_eq!(find_service(&doc, "did:web:x.com", "c"), None);
        assert_eq!(find_service(&doc, "did:web:x.com", "d"), None);
    }
}
