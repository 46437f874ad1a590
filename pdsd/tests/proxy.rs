//! Service proxying, service auth and preferences through HTTP against the real pdsd binary.
//!
//! A test service on loopback plays both the AppView and a did:web service
//! (`did:web:127.0.0.1%3A<port>`, its document at `/.well-known/did.json`). It checks every
//! service token it gets as a real service would: the signature against the issuer's key from
//! pdsd's PLC directory (`GET /plc/<did>`), and `lxm` against the method called. It answers
//! with what it saw.

mod common;

use std::sync::{Arc, OnceLock};

use atproto::crypto::PublicKey;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use common::Pdsd;
use pdsd::auth::ServiceToken;
use serde_json::{Value, json};
use sha2::Digest;

const APP_VIEW_DID: &str = "did:web:appview.test";
const SERVICE_ID: &str = "test_svc";

struct Upstream {
    did: String,
    url: String,
    /// pdsd's URL, known once it runs (it is started with this service's URL).
    pds: OnceLock<String>,
    http: reqwest::Client,
}

async fn start_upstream() -> Arc<Upstream> {
    pdsd::plc::install_crypto_provider();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let state = Arc::new(Upstream {
        did: format!("did:web:127.0.0.1%3A{port}"),
        url: format!("http://127.0.0.1:{port}"),
        pds: OnceLock::new(),
        http: reqwest::Client::new(),
    });
    let app = Router::new()
        .route("/.well-known/did.json", get(did_document))
        .route("/xrpc/{nsid}", any(echo))
        .layer(axum::extract::DefaultBodyLimit::max(16 * 1024 * 1024))
        .with_state(state.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    state
}

async fn did_document(State(up): State<Arc<Upstream>>) -> Response {
    axum::Json(json!({
        "@context": ["https://www.w3.org/ns/did/v1"],
        "id": up.did,
        "service": [{"id": format!("#{SERVICE_ID}"), "type": "TestService", "serviceEndpoint": up.url}],
    }))
    .into_response()
}

/// Verifies the service token as a service would and returns its claims.
async fn verify(up: &Upstream, headers: &HeaderMap, nsid: &str) -> Result<Value, String> {
    let auth = headers
        .get("authorization")
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
        .ok_or("no bearer token")?;
    let token = ServiceToken::parse(auth).map_err(|e| e.to_string())?;
    let aud = token.claims().aud.clone();
    token
        .check_claims(pdsd::auth::jwt::now_secs(), &[aud.as_str()], Some(nsid))
        .map_err(|e| e.to_string())?;
    let iss = token.issuer_did().map_err(|e| e.to_string())?;
    let pds = up.pds.get().ok_or("pdsd not started")?;
    let doc: Value = up
        .http
        .get(format!("{pds}/plc/{iss}"))
        .send()
        .await
        .map_err(|e| e.to_string())?
        .json()
        .await
        .map_err(|e| e.to_string())?;
    let multibase = doc["verificationMethod"]
        .as_array()
        .and_then(|vms| {
            vms.iter()
                .find(|vm| vm["id"].as_str().is_some_and(|id| id.ends_with("#atproto")))
        })
        .and_then(|vm| vm["publicKeyMultibase"].as_str())
        .ok_or("no atproto key in the DID document")?;
    let key =
        PublicKey::from_did_key(&format!("did:key:{multibase}")).map_err(|e| e.to_string())?;
    token.verify_signature(&key).map_err(|e| e.to_string())?;
    Ok(serde_json::to_value(token.into_claims()).unwrap())
}

async fn echo(
    State(up): State<Arc<Upstream>>,
    Path(nsid): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let claims = match verify(&up, &headers, &nsid).await {
        Ok(c) => c,
        Err(e) => {
            let body = json!({"error": "BadServiceToken", "message": e});
            return (StatusCode::UNAUTHORIZED, axum::Json(body)).into_response();
        }
    };
    match nsid.as_str() {
        "com.example.fail" => {
            let body = json!({"error": "CustomError", "message": "nope"});
            return (
                StatusCode::BAD_REQUEST,
                [("retry-after", "7"), ("x-internal", "secret")],
                axum::Json(body),
            )
                .into_response();
        }
        "com.example.boom" => {
            return (StatusCode::INTERNAL_SERVER_ERROR, "boom").into_response();
        }
        _ => {}
    }
    let header = |name: &str| headers.get(name).and_then(|h| h.to_str().ok());
    let seen = json!({
        "nsid": nsid,
        "method": method.as_str(),
        "query": uri.query(),
        "claims": claims,
        "bodyLength": body.len(),
        "bodySha256": hex(&sha2::Sha256::digest(&body)),
        "contentType": header("content-type"),
        "acceptLanguage": header("accept-language"),
        "cookie": header("cookie"),
        "forwardedHost": header("x-custom"),
    });
    (
        [
            ("atproto-repo-rev", "3kabc"),
            ("content-language", "en"),
            ("x-internal", "secret"),
        ],
        axum::Json(seen),
    )
        .into_response()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

struct Client {
    http: reqwest::Client,
    base: String,
}

struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Value,
}

impl Client {
    fn new(pds: &Pdsd) -> Client {
        pdsd::plc::install_crypto_provider();
        Client {
            http: reqwest::Client::new(),
            base: pds.url(),
        }
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> Answer {
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap();
        Answer {
            status,
            headers,
            body: serde_json::from_str(&text).unwrap_or(Value::Null),
        }
    }

    fn get(&self, path_and_query: &str, auth: Option<&str>) -> reqwest::RequestBuilder {
        let req = self
            .http
            .get(format!("{}/xrpc/{path_and_query}", self.base));
        match auth {
            Some(token) => req.bearer_auth(token),
            None => req,
        }
    }

    fn post(&self, nsid: &str, auth: &str) -> reqwest::RequestBuilder {
        self.http
            .post(format!("{}/xrpc/{nsid}", self.base))
            .bearer_auth(auth)
    }

    /// Signs up `handle` (invites are off in these tests); returns (did, access token).
    async fn account(&self, handle: &str) -> (String, String) {
        let req = self
            .http
            .post(format!("{}/xrpc/com.atproto.server.createAccount", self.base))
            .json(&json!({"handle": handle, "email": format!("{handle}@example.com"), "password": "hunter22"}));
        let a = self.send(req).await;
        assert_eq!(a.status, 200, "{}", a.body);
        (
            a.body["did"].as_str().unwrap().to_owned(),
            a.body["accessJwt"].as_str().unwrap().to_owned(),
        )
    }
}

/// pdsd with the test service as its AppView.
fn start_pds(dir: &std::path::Path, up: &Upstream, ssrf_protection: bool) -> Pdsd {
    let mut flags = vec![
        "--invite-required",
        "false",
        "--bsky-app-view-url",
        &up.url,
        "--bsky-app-view-did",
        APP_VIEW_DID,
    ];
    if !ssrf_protection {
        flags.extend(["--disable-ssrf-protection", "true"]);
    }
    let pds = Pdsd::start(dir, &flags);
    let _ = up.pds.set(pds.url());
    pds
}

#[tokio::test]
async fn a_header_naming_a_did_web_service_is_proxied_with_the_accounts_service_token() {
    let up = start_upstream().await;
    let dir = tempfile::tempdir().unwrap();
    let pds = start_pds(dir.path(), &up, false);
    let c = Client::new(&pds);
    let (did, access) = c.account("alice.test").await;
    let proxy = format!("{}#{SERVICE_ID}", up.did);

    let a = c
        .send(
            c.get("com.example.echo?x=1&y=two", Some(&access))
                .header("atproto-proxy", &proxy)
                .header("accept-language", "fr")
                .header("cookie", "session=secret")
                .header("x-custom", "nope"),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["method"], "GET");
    assert_eq!(a.body["query"], "x=1&y=two");
    assert_eq!(a.body["claims"]["iss"], did);
    assert_eq!(
        a.body["claims"]["aud"], up.did,
        "bare service DID, as the reference"
    );
    assert_eq!(a.body["claims"]["lxm"], "com.example.echo");
    assert_eq!(a.body["acceptLanguage"], "fr");
    assert_eq!(
        a.body["cookie"],
        Value::Null,
        "only listed headers are forwarded"
    );
    assert_eq!(a.body["forwardedHost"], Value::Null);
    assert_eq!(a.headers["atproto-repo-rev"], "3kabc");
    assert_eq!(a.headers["content-language"], "en");
    assert!(a.headers.get("x-internal").is_none());
    assert!(
        a.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );

    // A large body streams through unchanged.
    let payload: Vec<u8> = (0..3 * 1024 * 1024u32)
        .map(|i| (i * 31 % 251) as u8)
        .collect();
    let a = c
        .send(
            c.post("com.example.upload", &access)
                .header("atproto-proxy", &proxy)
                .header("content-type", "application/octet-stream")
                .body(payload.clone()),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["method"], "POST");
    assert_eq!(a.body["bodyLength"], payload.len());
    assert_eq!(a.body["bodySha256"], hex(&sha2::Sha256::digest(&payload)));
    assert_eq!(a.body["contentType"], "application/octet-stream");

    // Unknown services and unresolvable DIDs are the caller's error.
    for bad in [
        format!("{}#no_such_service", up.did),
        "did:web:127.0.0.1%3A1#x".to_owned(),
        "did:plc:aaaaaaaaaaaaaaaaaaaaaaaa#x".to_owned(),
    ] {
        let a = c
            .send(
                c.get("com.example.echo", Some(&access))
                    .header("atproto-proxy", &bad),
            )
            .await;
        assert_eq!(
            (a.status, a.body["error"].as_str()),
            (400, Some("InvalidRequest")),
            "{bad}: {}",
            a.body
        );
    }
}

#[tokio::test]
async fn unknown_app_bsky_methods_go_to_the_configured_app_view() {
    let up = start_upstream().await;
    let dir = tempfile::tempdir().unwrap();
    let pds = start_pds(dir.path(), &up, true);
    let c = Client::new(&pds);
    let (did, access) = c.account("bob.test").await;

    let a = c
        .send(c.get("app.bsky.feed.getTimeline?limit=5", Some(&access)))
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["claims"]["iss"], did);
    assert_eq!(a.body["claims"]["aud"], APP_VIEW_DID);
    assert_eq!(a.body["claims"]["lxm"], "app.bsky.feed.getTimeline");
    assert_eq!(a.body["query"], "limit=5");

    // Naming the configured AppView goes to its configured URL, even with SSRF protection on.
    let a = c
        .send(
            c.get("app.bsky.actor.getProfile?actor=bob.test", Some(&access))
                .header("atproto-proxy", format!("{APP_VIEW_DID}#bsky_appview")),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["nsid"], "app.bsky.actor.getProfile");

    // Not signed in, or not an app.bsky method: nothing is forwarded.
    let a = c.send(c.get("app.bsky.feed.getTimeline", None)).await;
    assert_eq!(
        (a.status, a.body["error"].as_str()),
        (401, Some("AuthenticationRequired"))
    );
    let a = c.send(c.get("com.example.echo", Some(&access))).await;
    assert_eq!(
        (a.status, a.body["error"].as_str()),
        (400, Some("MethodNotImplemented"))
    );
}

#[tokio::test]
async fn upstream_errors_come_back_as_xrpc_errors() {
    let up = start_upstream().await;
    let dir = tempfile::tempdir().unwrap();
    let pds = start_pds(dir.path(), &up, true);
    let c = Client::new(&pds);
    let (_, access) = c.account("carol.test").await;
    let proxy = format!("{APP_VIEW_DID}#bsky_appview");

    let a = c
        .send(
            c.get("com.example.fail", Some(&access))
                .header("atproto-proxy", &proxy),
        )
        .await;
    assert_eq!(
        (
            a.status,
            a.body["error"].as_str(),
            a.body["message"].as_str()
        ),
        (400, Some("CustomError"), Some("nope"))
    );
    assert_eq!(a.headers["retry-after"], "7");
    assert!(a.headers.get("x-internal").is_none());

    let a = c
        .send(
            c.get("com.example.boom", Some(&access))
                .header("atproto-proxy", &proxy),
        )
        .await;
    assert_eq!(
        (a.status, a.body["error"].as_str()),
        (502, Some("UpstreamFailure"))
    );
}

#[tokio::test]
async fn ssrf_protection_keeps_services_from_did_documents_off_loopback() {
    let up = start_upstream().await;
    let dir = tempfile::tempdir().unwrap();
    let pds = start_pds(dir.path(), &up, true);
    let c = Client::new(&pds);
    let (_, access) = c.account("dave.test").await;
    let a = c
        .send(
            c.get("com.example.echo", Some(&access))
                .header("atproto-proxy", format!("{}#{SERVICE_ID}", up.did)),
        )
        .await;
    assert_eq!(
        (a.status, a.body["error"].as_str()),
        (400, Some("InvalidRequest")),
        "{}",
        a.body
    );
}

#[tokio::test]
async fn preferences_are_kept_on_the_pds_unless_another_app_view_is_named() {
    let up = start_upstream().await;
    let dir = tempfile::tempdir().unwrap();
    let pds = start_pds(dir.path(), &up, false);
    let c = Client::new(&pds);
    let (_, access) = c.account("erin.test").await;

    let prefs = json!([
        {"$type": "app.bsky.actor.defs#adultContentPref", "enabled": true},
        {"$type": "app.bsky.actor.defs#savedFeedsPrefV2", "items": [{"id": "a", "type": "timeline", "value": "following", "pinned": true}]},
    ]);
    let a = c
        .send(
            c.post("app.bsky.actor.putPreferences", &access)
                .json(&json!({ "preferences": prefs })),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    // The official app names the AppView on every request; that is still served here.
    let a = c
        .send(
            c.get("app.bsky.actor.getPreferences", Some(&access))
                .header("atproto-proxy", format!("{APP_VIEW_DID}#bsky_appview")),
        )
        .await;
    assert_eq!((a.status, &a.body), (200, &json!({ "preferences": prefs })));

    let a = c
        .send(
            c.post("app.bsky.actor.putPreferences", &access)
                .json(&json!({"preferences": [{"enabled": false}]})),
        )
        .await;
    assert_eq!(
        (a.status, a.body["error"].as_str()),
        (400, Some("InvalidRequest"))
    );
    let a = c
        .send(
            c.post("app.bsky.actor.putPreferences", &access)
                .json(&json!({"preferences": [{"$type": "com.example.pref"}]})),
        )
        .await;
    assert_eq!(
        (a.status, a.body["error"].as_str()),
        (400, Some("InvalidRequest"))
    );

    // Another AppView gets the request, with a token for it.
    let a = c
        .send(
            c.get("app.bsky.actor.getPreferences", Some(&access))
                .header("atproto-proxy", format!("{}#{SERVICE_ID}", up.did)),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["nsid"], "app.bsky.actor.getPreferences");
    assert_eq!(a.body["claims"]["aud"], up.did);

    // The stored preferences survive a restart.
    drop(pds);
    let pds = start_pds(dir.path(), &up, false);
    let c = Client::new(&pds);
    let a = c
        .send(c.get("app.bsky.actor.getPreferences", Some(&access)))
        .await;
    assert_eq!((a.status, &a.body), (200, &json!({ "preferences": prefs })));
}

#[tokio::test]
async fn get_service_auth_tokens_verify_with_the_key_in_the_plc_directory() {
    let up = start_upstream().await;
    let dir = tempfile::tempdir().unwrap();
    let pds = start_pds(dir.path(), &up, true);
    let c = Client::new(&pds);
    let (did, access) = c.account("frank.test").await;

    let a = c
        .send(c.get(
            "com.atproto.server.getServiceAuth?aud=did:web:feed.example.com&lxm=app.bsky.feed.getFeedSkeleton",
            Some(&access),
        ))
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let token = a.body["token"].as_str().unwrap();
    let mut headers = HeaderMap::new();
    headers.insert("authorization", format!("Bearer {token}").parse().unwrap());
    let claims = verify(&up, &headers, "app.bsky.feed.getFeedSkeleton")
        .await
        .unwrap();
    assert_eq!(claims["iss"], did);
    assert_eq!(claims["aud"], "did:web:feed.example.com");

    let exp = pdsd::auth::jwt::now_secs() + 10 * 60;
    let a = c
        .send(c.get(
            &format!("com.atproto.server.getServiceAuth?aud=did:web:feed.example.com&exp={exp}"),
            Some(&access),
        ))
        .await;
    assert_eq!(
        (a.status, a.body["error"].as_str()),
        (400, Some("BadExpiration"))
    );
}
