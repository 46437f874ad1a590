//! Identity resolution over the network: handles by DNS TXT and HTTPS
//! (https://atproto.com/specs/handle#handle-resolution) and did:web documents by HTTPS
//! (https://atproto.com/specs/did#did-web), with a short in-memory cache. The PLC directory
//! and this service's own handles are the service's business (see `super`).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use atproto::syntax::{Did, Handle};
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, HOST};
use serde_json::Value as Json;

use super::dns::DnsClient;
use crate::plc::install_crypto_provider;
use crate::service::ServiceError;
use crate::service::service_auth::check_public_url;

/// How long a resolved handle or DID document is reused.
pub const CACHE_TTL: Duration = Duration::from_secs(5 * 60);
/// Entries kept at most per cache.
const CACHE_MAX_ENTRIES: usize = 10_000;
/// Time allowed for each network lookup, as the reference's handle resolver.
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(3);
/// Largest body read from `/.well-known/atproto-did` and `/.well-known/did.json`.
const MAX_ATPROTO_DID_BYTES: usize = 2 * 1024;
const MAX_DID_DOCUMENT_BYTES: usize = 64 * 1024;

/// What resolving a DID found out.
#[derive(Debug, Clone, PartialEq)]
pub enum DidLookup {
    /// The current DID document.
    Found(Json),
    /// The resolution process confirmed there is no such DID; the string says why.
    NotFound(String),
    /// The DID existed but was deactivated (a PLC tombstone, or 410 Gone for did:web).
    Deactivated,
}

/// A map whose entries expire after a fixed time, bounded in size.
pub struct TtlCache<V> {
    entries: Mutex<HashMap<String, (Instant, V)>>,
    ttl: Duration,
}

impl<V: Clone> TtlCache<V> {
    pub fn new(ttl: Duration) -> Self {
        TtlCache {
            entries: Mutex::new(HashMap::new()),
            ttl,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Instant, V)>> {
        // A panic while holding the lock leaves only a cache behind: still usable.
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn get(&self, key: &str) -> Option<V> {
        let mut map = self.lock();
        match map.get(key) {
            Some((at, v)) if at.elapsed() < self.ttl => Some(v.clone()),
            Some(_) => {
                map.remove(key);
                None
            }
            None => None,
        }
    }

    pub fn insert(&self, key: String, value: V) {
        let mut map = self.lock();
        if map.len() >= CACHE_MAX_ENTRIES {
            let ttl = self.ttl;
            map.retain(|_, (at, _)| at.elapsed() < ttl);
            if map.len() >= CACHE_MAX_ENTRIES {
                map.clear();
            }
        }
        map.insert(key, (Instant::now(), value));
    }

    pub fn remove(&self, key: &str) {
        self.lock().remove(key);
    }
}

/// Resolves handles outside this service and did:web DIDs, caching what it finds for
/// [`CACHE_TTL`]. Negative answers are not cached, so a newly set-up handle works at once.
///
/// The HTTP client is the caller's: the service passes its outbound client, which reaches only
/// public addresses over https unless `PDS_DISABLE_SSRF_PROTECTION` is set, since handles and
/// DIDs come from anyone. Redirects are not followed, as the reference's did:web resolver;
/// the guard could not check where they lead.
pub struct IdentityResolver {
    /// `None` when DNS is skipped (the test-only HTTP port is set).
    dns: Option<DnsClient>,
    /// Test only: the loopback port every handle lookup goes to, and a plain client for it.
    dev: Option<(reqwest::Client, u16)>,
    handles: TtlCache<Did>,
    dids: TtlCache<Json>,
}

impl std::fmt::Debug for IdentityResolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdentityResolver")
            .field("dns", &self.dns)
            .field("dev_http_port", &self.dev.as_ref().map(|(_, port)| port))
            .finish_non_exhaustive()
    }
}

impl IdentityResolver {
    /// A resolver using the system's nameservers. With `dev_http_port` (tests only) every
    /// handle is looked up over plain HTTP at `127.0.0.1:<port>` with the handle as `Host`,
    /// and DNS is not used.
    pub fn new(dev_http_port: Option<u16>) -> Result<Self, ServiceError> {
        let dns = match dev_http_port {
            Some(_) => None,
            None => Some(DnsClient::system(LOOKUP_TIMEOUT)),
        };
        Self::with_dns(dns, dev_http_port)
    }

    /// A resolver with the given DNS client (`None`: HTTP only).
    pub fn with_dns(
        dns: Option<DnsClient>,
        dev_http_port: Option<u16>,
    ) -> Result<Self, ServiceError> {
        let dev = match dev_http_port {
            Some(port) => Some((plain_client()?, port)),
            None => None,
        };
        Ok(IdentityResolver {
            dns,
            dev,
            handles: TtlCache::new(CACHE_TTL),
            dids: TtlCache::new(CACHE_TTL),
        })
    }

    /// The DID `handle` claims by DNS (`_atproto.<handle>` TXT `did=...`) or, failing that, by
    /// `https://<handle>/.well-known/atproto-did` fetched with `http`; `None` when neither
    /// names one. This is one direction only: the caller checks the DID document names the
    /// handle back.
    pub async fn resolve_handle(
        &self,
        http: &reqwest::Client,
        handle: &Handle,
        refresh: bool,
    ) -> Option<Did> {
        if !refresh && let Some(did) = self.handles.get(handle.as_str()) {
            return Some(did);
        }
        let (http, dev_port) = match &self.dev {
            Some((client, port)) => (client.clone(), Some(*port)),
            None => (http.clone(), None),
        };
        // Both methods at once, DNS preferred, as the reference resolver does.
        let http = tokio::spawn(http_handle_lookup(http, handle.clone(), dev_port));
        let from_dns = match &self.dns {
            Some(dns) => dns_handle_lookup(dns, handle).await,
            None => None,
        };
        let did = match from_dns {
            Some(did) => {
                http.abort();
                Some(did)
            }
            None => http.await.ok().flatten(),
        }?;
        self.handles.insert(handle.to_string(), did.clone());
        Some(did)
    }

    /// The did:web document of `did` from `https://<host>/.well-known/did.json` (plain HTTP
    /// for `localhost` and loopback addresses, with the port the DID encodes as `%3A`),
    /// fetched with `http`. With `public_only`, a URL naming `localhost` or a non-public
    /// address is refused before any request.
    pub async fn resolve_did_web(
        &self,
        http: &reqwest::Client,
        public_only: bool,
        did: &Did,
        refresh: bool,
    ) -> DidLookup {
        if !refresh && let Some(doc) = self.dids.get(did.as_str()) {
            return DidLookup::Found(doc);
        }
        let lookup = fetch_did_web(http, public_only, did).await;
        if let DidLookup::Found(doc) = &lookup {
            self.dids.insert(did.to_string(), doc.clone());
        }
        lookup
    }

    /// A cached DID document (for did:plc documents from a remote directory).
    pub fn cached_document(&self, did: &Did) -> Option<Json> {
        self.dids.get(did.as_str())
    }

    pub fn cache_document(&self, did: &Did, doc: Json) {
        self.dids.insert(did.to_string(), doc);
    }

    /// Drops what is cached about `did` (after this service changed its document).
    pub fn forget_did(&self, did: &Did) {
        self.dids.remove(did.as_str());
    }

    /// Drops what is cached about `handle`.
    pub fn forget_handle(&self, handle: &str) {
        self.handles.remove(handle);
    }
}

/// The single `did=` TXT record of `_atproto.<handle>`; none, several, or a lookup failure
/// all mean "not found by DNS" (the spec: more than one record is an error).
async fn dns_handle_lookup(dns: &DnsClient, handle: &Handle) -> Option<Did> {
    let records = match dns.txt(&format!("_atproto.{handle}")).await {
        Ok(r) => r,
        Err(e) => {
            tracing::debug!(handle = %handle, error = %e, "DNS handle lookup failed");
            return None;
        }
    };
    let mut dids = records.iter().filter_map(|r| r.strip_prefix("did="));
    match (dids.next(), dids.next()) {
        (Some(did), None) => Did::new(did.trim()).ok(),
        _ => None,
    }
}

async fn http_handle_lookup(
    http: reqwest::Client,
    handle: Handle,
    dev_port: Option<u16>,
) -> Option<Did> {
    let req = match dev_port {
        Some(port) => http
            .get(format!("http://127.0.0.1:{port}/.well-known/atproto-did"))
            .header(HOST, handle.as_str()),
        None => http.get(format!("https://{handle}/.well-known/atproto-did")),
    };
    let req = req.timeout(LOOKUP_TIMEOUT);
    let resp = match req.send().await {
        Ok(r) if r.status().is_success() => r,
        Ok(r) => {
            tracing::debug!(handle = %handle, status = %r.status(), "HTTP handle lookup: no DID");
            return None;
        }
        Err(e) => {
            tracing::debug!(handle = %handle, error = %e, "HTTP handle lookup failed");
            return None;
        }
    };
    let body = read_limited(resp, MAX_ATPROTO_DID_BYTES).await.ok()?;
    let text = String::from_utf8_lossy(&body);
    let first = text.lines().next()?.trim();
    first
        .starts_with("did:")
        .then(|| Did::new(first).ok())
        .flatten()
}

/// The URL of a did:web document; `Err` says why the DID cannot have one.
pub fn did_web_url(did: &Did) -> Result<String, String> {
    let id = did
        .as_str()
        .strip_prefix("did:web:")
        .ok_or_else(|| format!("{did} is not a did:web"))?;
    if id.contains(':') {
        // did:web with a path: atproto does not support those.
        return Err(format!("{did}: did:web with a path is not supported"));
    }
    let host = id.replace("%3A", ":").replace("%3a", ":");
    let hostname = match host.split_once(':') {
        Some((name, port)) if port.parse::<u16>().is_ok() => name,
        Some(_) => return Err(format!("{did}: invalid port")),
        None => host.as_str(),
    };
    let loopback = hostname == "localhost"
        || hostname
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback());
    let scheme = if loopback { "http" } else { "https" };
    Ok(format!("{scheme}://{host}/.well-known/did.json"))
}

/// A client that goes anywhere, for the test-only loopback lookups.
fn plain_client() -> Result<reqwest::Client, ServiceError> {
    install_crypto_provider();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("pdsd/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| {
            ServiceError::internal(
                anyhow::Error::new(e).context("cannot build the identity HTTP client"),
            )
        })
}

async fn fetch_did_web(http: &reqwest::Client, public_only: bool, did: &Did) -> DidLookup {
    let url = match did_web_url(did) {
        Ok(u) => u,
        Err(why) => return DidLookup::NotFound(why),
    };
    if public_only {
        let parsed = reqwest::Url::parse(&url);
        if parsed.map_or(true, |u| check_public_url(&u).is_err()) {
            return DidLookup::NotFound(format!(
                "{did}: DID documents are only fetched over https from public addresses"
            ));
        }
    }
    let resp = match http
        .get(&url)
        .timeout(LOOKUP_TIMEOUT)
        .header(ACCEPT, "application/did+ld+json,application/json")
        .send()
        .await
    {
        Ok(r) => r,
        Err(e) => {
            tracing::debug!(did = %did, error = %e, "did:web lookup failed");
            return DidLookup::NotFound(format!("Could not fetch the DID document of {did}"));
        }
    };
    match resp.status() {
        StatusCode::GONE => return DidLookup::Deactivated,
        s if !s.is_success() => {
            return DidLookup::NotFound(format!("DID document not found: {did}"));
        }
        _ => {}
    }
    let doc = match read_limited(resp, MAX_DID_DOCUMENT_BYTES)
        .await
        .ok()
        .and_then(|b| serde_json::from_slice::<Json>(&b).ok())
    {
        Some(doc) => doc,
        None => return DidLookup::NotFound(format!("Poorly formatted DID document: {did}")),
    };
    if doc.get("id").and_then(Json::as_str) != Some(did.as_str()) {
        return DidLookup::NotFound(format!("DID document id does not match {did}"));
    }
    DidLookup::Found(doc)
}

/// The body, or an error once it grows past `max` bytes.
async fn read_limited(mut resp: reqwest::Response, max: usize) -> Result<Vec<u8>, ()> {
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|_| ())? {
        body.extend_from_slice(&chunk);
        if body.len() > max {
            return Err(());
        }
    }
    Ok(body)
}

/// The handle a DID document claims: its first `at://` alias
/// (https://atproto.com/specs/did#handle), lower-cased; `None` without a valid one.
pub fn document_handle(doc: &Json) -> Option<Handle> {
    doc.get("alsoKnownAs")?
        .as_array()?
        .iter()
        .filter_map(Json::as_str)
        .find_map(|aka| aka.strip_prefix("at://"))
        .and_then(|h| Handle::new(h).ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::http::HeaderMap;
    use axum::routing::get;
    use serde_json::json;
    use std::sync::Arc;

    fn open_client() -> reqwest::Client {
        plain_client().unwrap()
    }

    async fn serve(app: Router) -> std::net::SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        addr
    }

    /// A server answering `/.well-known/atproto-did` by `Host`, as a real handle host does.
    async fn handle_host() -> u16 {
        let app = Router::new().route(
            "/.well-known/atproto-did",
            get(|headers: HeaderMap| async move {
                match headers.get("host").and_then(|h| h.to_str().ok()) {
                    Some("alice.example.com") => (StatusCode::OK, "did:plc:alice\n".to_string()),
                    Some("junk.example.com") => (StatusCode::OK, "<html>".to_string()),
                    _ => (StatusCode::NOT_FOUND, "no".to_string()),
                }
            }),
        );
        serve(app).await.port()
    }

    #[test]
    fn did_web_urls_use_http_only_for_loopback_hosts() {
        let url = |d: &str| did_web_url(&Did::new(d).unwrap());
        assert_eq!(
            url("did:web:example.com").unwrap(),
            "https://example.com/.well-known/did.json"
        );
        assert_eq!(
            url("did:web:localhost%3A2583").unwrap(),
            "http://localhost:2583/.well-known/did.json"
        );
        assert_eq!(
            url("did:web:127.0.0.1%3A80").unwrap(),
            "http://127.0.0.1:80/.well-known/did.json"
        );
        assert_eq!(
            url("did:web:example.com%3A8443").unwrap(),
            "https://example.com:8443/.well-known/did.json"
        );
        assert!(url("did:web:example.com:user:alice").is_err());
        assert!(url("did:plc:abc").is_err());
    }

    #[test]
    fn the_document_handle_is_the_first_at_alias() {
        let doc = json!({"alsoKnownAs": ["https://x.com", "at://Alice.Example.com", "at://b.com"]});
        assert_eq!(document_handle(&doc).unwrap().as_str(), "alice.example.com");
        assert_eq!(document_handle(&json!({"alsoKnownAs": []})), None);
        assert_eq!(document_handle(&json!({})), None);
    }

    #[test]
    fn the_cache_forgets_expired_and_removed_entries() {
        let c = TtlCache::new(Duration::from_millis(30));
        c.insert("a".into(), 1);
        assert_eq!(c.get("a"), Some(1));
        c.remove("a");
        assert_eq!(c.get("a"), None);
        c.insert("b".into(), 2);
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(c.get("b"), None);
    }

    #[tokio::test]
    async fn handles_resolve_over_http_by_host_header() {
        let port = handle_host().await;
        let r = IdentityResolver::with_dns(None, Some(port)).unwrap();
        let h = |s: &str| Handle::new(s).unwrap();
        assert_eq!(
            r.resolve_handle(&open_client(), &h("alice.example.com"), false)
                .await
                .unwrap()
                .as_str(),
            "did:plc:alice"
        );
        assert_eq!(
            r.resolve_handle(&open_client(), &h("junk.example.com"), false)
                .await,
            None
        );
        assert_eq!(
            r.resolve_handle(&open_client(), &h("bob.example.com"), false)
                .await,
            None
        );
    }

    #[tokio::test]
    async fn dns_answers_win_and_need_exactly_one_did_record() {
        use super::super::dns::tests::fake_nameserver;
        let port = handle_host().await;
        let h = Handle::new("alice.example.com").unwrap();

        let ns = fake_nameserver(Some(vec!["v=spf1", "did=did:plc:fromdns"]), false).await;
        let dns = DnsClient::new(vec![ns], Duration::from_secs(2));
        let r = IdentityResolver::with_dns(Some(dns), Some(port)).unwrap();
        assert_eq!(
            r.resolve_handle(&open_client(), &h, false)
                .await
                .unwrap()
                .as_str(),
            "did:plc:fromdns"
        );

        // Two did= records are ambiguous: DNS says nothing and HTTP decides.
        let ns = fake_nameserver(Some(vec!["did=did:plc:one", "did=did:plc:two"]), false).await;
        let dns = DnsClient::new(vec![ns], Duration::from_secs(2));
        let r = IdentityResolver::with_dns(Some(dns), Some(port)).unwrap();
        assert_eq!(
            r.resolve_handle(&open_client(), &h, false)
                .await
                .unwrap()
                .as_str(),
            "did:plc:alice"
        );
    }

    #[tokio::test]
    async fn did_web_documents_are_fetched_checked_and_cached() {
        let hits = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = hits.clone();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let app = Router::new().route(
            "/.well-known/did.json",
            get(move || {
                let counter = counter.clone();
                async move {
                    counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let did = format!("did:web:localhost%3A{port}");
                    axum::Json(json!({"id": did, "alsoKnownAs": ["at://web.example.com"]}))
                }
            }),
        );
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        let r = IdentityResolver::with_dns(None, None).unwrap();
        let http = open_client();
        let did = Did::new(&format!("did:web:localhost%3A{port}")).unwrap();
        let DidLookup::Found(doc) = r.resolve_did_web(&http, false, &did, false).await else {
            panic!("not found")
        };
        assert_eq!(doc["id"], did.as_str());
        r.resolve_did_web(&http, false, &did, false).await;
        assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst), 1);
        r.resolve_did_web(&http, false, &did, true).await;
        assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst), 2);

        // Loopback is refused when only public addresses may be reached.
        assert!(matches!(
            r.resolve_did_web(&http, true, &did, true).await,
            DidLookup::NotFound(_)
        ));
        assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst), 2);

        // Served by the same host under another name: the id does not match.
        let other = Did::new(&format!("did:web:127.0.0.1%3A{port}")).unwrap();
        assert!(matches!(
            r.resolve_did_web(&http, false, &other, false).await,
            DidLookup::NotFound(_)
        ));
    }

    #[tokio::test]
    async fn gone_did_web_documents_are_deactivated_and_missing_ones_not_found() {
        let app = Router::new().route("/.well-known/did.json", get(|| async { StatusCode::GONE }));
        let port = serve(app).await.port();
        let r = IdentityResolver::with_dns(None, None).unwrap();
        let http = open_client();
        let did = Did::new(&format!("did:web:localhost%3A{port}")).unwrap();
        assert_eq!(
            r.resolve_did_web(&http, false, &did, false).await,
            DidLookup::Deactivated
        );

        let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = closed.local_addr().unwrap().port();
        drop(closed);
        let did = Did::new(&format!("did:web:localhost%3A{port}")).unwrap();
        assert!(matches!(
            r.resolve_did_web(&http, false, &did, false).await,
            DidLookup::NotFound(_)
        ));
    }
}
